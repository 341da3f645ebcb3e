"""Settings: a YAML file (see config.example.yaml), every key overridable by an environment variable.

An admin's mistake (an unknown key, a wrong type, a bad variable) must stop the program with one
line that names the key or variable, never a traceback and never the token: :class:`ConfigError`.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator

from bot.schema import Lang
from bot.yamlfile import LocatedData, PathKey, load_yaml

ENV_CONFIG = "MIGRANT_BOT_CONFIG"

#: The knowledge base that ships with the code (the repository's knowledge/ folder).
BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class ConfigError(Exception):
    """A configuration mistake, as one line: ``file:line: key: message`` or ``VARIABLE: message``."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Section):
    token: SecretStr | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    mode: Literal["polling", "webhook"] = "polling"
    flood_limit: int = Field(20, ge=1)
    send_rate: float = Field(30.0, ge=0)
    admins: list[int] = []
    moderators: list[int] = []
    moderators_chat: int | None = None
    handoff_idle_days: int = Field(7, ge=1)

    @field_validator("api_base_url")
    @classmethod
    def _an_address(cls, value: str) -> str:
        """http(s)://host/…: a mistyped address ("https//…") would otherwise fail at the first request."""
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http(s):// address")
        return value


class CrisisLine(_Section):
    """A suicide and crisis line, shown before anything else to a person who may harm themselves."""

    en: str
    id: str


class HelpContacts(_Section):
    """The deploying organisation's referral contacts, shown first to a worker in danger."""

    en: str
    id: str
    crisis: CrisisLine | None = None


#: The example config's contacts say this; ``run`` refuses to show them to a worker.
PLACEHOLDER = re.compile(r"placeholder", re.IGNORECASE)


class WebhookSettings(_Section):
    # this machine only, behind a TLS reverse proxy (handlers/webhook.py checks the secret first and
    # reads at most 1 MB, but TLS and connection limits are the proxy's job)
    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    path: str = "telegram"
    url: str | None = None
    secret_token: SecretStr | None = None

    @field_validator("secret_token")
    @classmethod
    def _telegram_accepts(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -."""
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1 to 256 characters: letters, digits, _ and -")
        return value


class Settings(_Section):
    knowledge_dir: Path = BUNDLED_KNOWLEDGE
    #: Beside the config file when there is one (load_settings), else one folder per account, so
    #: that chatting from another working directory finds the same conversation log.
    data_dir: Path = Field(default_factory=lambda: default_data_dir())
    database: Path | None = None
    retention_days: int = Field(90, ge=1)
    user_key_secret: SecretStr | None = None
    default_language: Lang = "en"
    reload_interval: float = Field(5.0, ge=0)
    help_contacts: HelpContacts | None = None
    telegram: TelegramSettings = TelegramSettings()
    webhook: WebhookSettings = WebhookSettings()
    #: Set by load_settings: the config file, when it holds a secret and other accounts may read it.
    _exposed_file: Path | None = PrivateAttr(None)

    @property
    def exposure_warning(self) -> str | None:
        """One line for the operator when the config file holding the token is readable by others."""
        if self._exposed_file is None:
            return None
        mode = self._exposed_file.stat().st_mode & 0o777
        return (f"warning: {self._exposed_file} holds a secret and is readable by other accounts "
                f"(mode {mode:o}): chmod 600 {self._exposed_file}")  # fmt: skip

    @property
    def token(self) -> str | None:
        return self.telegram.token.get_secret_value() if self.telegram.token else None

    @property
    def database_path(self) -> Path:
        return self.database or self.data_dir / "bot.sqlite3"

    @property
    def contacts(self) -> dict[Lang, str] | None:
        return {"en": self.help_contacts.en, "id": self.help_contacts.id} if self.help_contacts else None

    @property
    def crisis_contacts(self) -> dict[Lang, str] | None:
        crisis = self.help_contacts.crisis if self.help_contacts else None
        return {"en": crisis.en, "id": crisis.id} if crisis else None

    def check_contacts(self) -> None:
        """:class:`ConfigError` unless real referral contacts are configured: a worker in danger
        must never be shown a placeholder."""
        if self.help_contacts is None:
            raise ConfigError(
                "help_contacts: no referral contacts configured; set help_contacts.en and help_contacts.id "
                "(or MIGRANT_BOT_HELP_CONTACTS_EN and _ID) to your organisation's real contacts"
            )
        crisis = self.help_contacts.crisis
        texts = {"help_contacts.en": self.help_contacts.en, "help_contacts.id": self.help_contacts.id}
        if crisis is not None:
            texts |= {"help_contacts.crisis.en": crisis.en, "help_contacts.crisis.id": crisis.id}
        for key, text in texts.items():
            if not text.strip():
                raise ConfigError(f"{key}: empty; set your organisation's real contacts")
            if PLACEHOLDER.search(text):
                raise ConfigError(f"{key}: still the example's placeholder; set your organisation's real contacts")

    @property
    def admins(self) -> frozenset[int]:
        return frozenset(self.telegram.admins)

    @property
    def moderators(self) -> frozenset[int]:
        """Who may use the moderator commands: the moderators and the admins."""
        return frozenset(self.telegram.moderators) | frozenset(self.telegram.admins)


def default_data_dir() -> Path:
    """The account's data folder for this bot, where the operating system keeps such data
    (~/.local/share/migrant-bot or $XDG_DATA_HOME on Linux, ~/Library/Application Support on
    macOS, %LOCALAPPDATA% on Windows): platformdirs knows each platform's convention."""
    return platformdirs.user_data_path("migrant-bot", appauthor=False)


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.replace(" ", "").split(",") if part]


#: Environment variable → (setting path, parser). Documented in config.example.yaml and the README.
ENVIRONMENT: dict[str, tuple[PathKey, Any]] = {
    "TELEGRAM_BOT_TOKEN": (("telegram", "token"), str),
    "TELEGRAM_API_BASE_URL": (("telegram", "api_base_url"), str),
    "MIGRANT_BOT_DATA_DIR": (("data_dir",), Path),
    "MIGRANT_BOT_KNOWLEDGE_DIR": (("knowledge_dir",), Path),
    "MIGRANT_BOT_DATABASE": (("database",), Path),
    "MIGRANT_BOT_RETENTION_DAYS": (("retention_days",), str),
    "MIGRANT_BOT_USER_KEY_SECRET": (("user_key_secret",), str),
    "MIGRANT_BOT_DEFAULT_LANGUAGE": (("default_language",), str),
    "MIGRANT_BOT_RELOAD_INTERVAL": (("reload_interval",), str),
    "MIGRANT_BOT_MODE": (("telegram", "mode"), str),
    "MIGRANT_BOT_FLOOD_LIMIT": (("telegram", "flood_limit"), str),
    "MIGRANT_BOT_SEND_RATE": (("telegram", "send_rate"), str),
    "MIGRANT_BOT_ADMINS": (("telegram", "admins"), _ids),
    "MIGRANT_BOT_MODERATORS": (("telegram", "moderators"), _ids),
    "MIGRANT_BOT_MODERATORS_CHAT": (("telegram", "moderators_chat"), str),
    "MIGRANT_BOT_HANDOFF_IDLE_DAYS": (("telegram", "handoff_idle_days"), str),
    "MIGRANT_BOT_HELP_CONTACTS_EN": (("help_contacts", "en"), str),
    "MIGRANT_BOT_HELP_CONTACTS_ID": (("help_contacts", "id"), str),
    "MIGRANT_BOT_CRISIS_CONTACTS_EN": (("help_contacts", "crisis", "en"), str),
    "MIGRANT_BOT_CRISIS_CONTACTS_ID": (("help_contacts", "crisis", "id"), str),
    "MIGRANT_BOT_WEBHOOK_LISTEN": (("webhook", "listen"), str),
    "MIGRANT_BOT_WEBHOOK_PORT": (("webhook", "port"), str),
    "MIGRANT_BOT_WEBHOOK_PATH": (("webhook", "path"), str),
    "MIGRANT_BOT_WEBHOOK_URL": (("webhook", "url"), str),
    "MIGRANT_BOT_WEBHOOK_SECRET_TOKEN": (("webhook", "secret_token"), str),
}


def _put(values: dict[str, Any], loc: PathKey, value: object) -> None:
    target = values
    for part in loc[:-1]:
        section = target.get(str(part))
        if not isinstance(section, dict):
            section = {}
            target[str(part)] = section
        target = section
    target[str(loc[-1])] = value


def _read_file(path: Path) -> tuple[dict[str, Any], LocatedData]:
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    located, problems = load_yaml(path)
    if problems or located is None:
        raise ConfigError(str(problems[0]))
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config file must be a mapping of keys")
    for key in ("knowledge_dir", "data_dir", "database"):
        if isinstance(data.get(key), str):
            data[key] = path.parent / data[key]
    return data, located


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``path`` (or $MIGRANT_BOT_CONFIG, or ./config.yaml if present), then the environment."""
    env = os.environ if environ is None else environ
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    if path is None and Path("config.yaml").is_file():
        path = Path("config.yaml")
    values: dict[str, Any] = {}
    located: LocatedData | None = None
    if path is not None:
        values, located = _read_file(path)
        values.setdefault("data_dir", path.parent / "data")
    file_secret = path is not None and _holds_secret(values)
    from_env: dict[PathKey, str] = {}
    for variable, (loc, parse) in ENVIRONMENT.items():
        raw = env.get(variable)
        if raw is None or raw == "":
            continue
        try:
            _put(values, loc, parse(raw))
        except ValueError:
            raise ConfigError(f"{variable}: not a comma-separated list of Telegram user ids") from None
        from_env[loc] = variable
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        # every mistake, one line each: an operator fixing one should not meet the next on restart
        lines = [_describe(err, path, located, from_env) for err in exc.errors(include_url=False)]
        raise ConfigError("\n".join(dict.fromkeys(lines))) from None
    if path is not None and file_secret and path.stat().st_mode & 0o077:
        settings._exposed_file = path
    return settings


def _holds_secret(values: Mapping[str, Any]) -> bool:
    """Whether the file's own values (not the environment's) include the token or a secret."""
    telegram, webhook = values.get("telegram"), values.get("webhook")
    return bool(
        values.get("user_key_secret")
        or (isinstance(telegram, dict) and telegram.get("token"))
        or (isinstance(webhook, dict) and webhook.get("secret_token"))
    )


def _describe(err: Any, path: Path | None, located: LocatedData | None, from_env: Mapping[PathKey, str]) -> str:
    """One validation error as one line naming the file and line, or the environment variable."""
    bad: PathKey = tuple(err["loc"])
    key = ".".join(str(p) for p in bad)
    message = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
    culprit = next((name for where, name in from_env.items() if bad[: len(where)] == where), None)
    if culprit:
        return f"{culprit}: {message}"
    if err["type"] == "missing" and any(where[:-1] == bad[:-1] for where in from_env):
        # a sibling came from the environment (…_EN without …_ID): name the variable to set
        needed = next((name for name, (where, _) in ENVIRONMENT.items() if where == bad), None)
        if needed:
            return f"{needed}: required too ({key})"
    place = f"{path}:{located.line_of(bad)}" if located is not None else "config"
    return f"{place}: {key}: {message}"
