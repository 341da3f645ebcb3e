"""Settings: a YAML file (see config.example.yaml), overridable by environment variables.

An admin's mistake here (an unknown key, a wrong type) must stop the program with one line that
names the key, never a traceback; :class:`ConfigError` carries that line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.schema import Lang
from bot.yamlfile import load_yaml

ENV_CONFIG = "MIGRANT_BOT_CONFIG"
ENV_KNOWLEDGE_DIR = "MIGRANT_BOT_KNOWLEDGE_DIR"

#: The knowledge base that ships with the code (the repository's knowledge/ folder).
BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


class ConfigError(Exception):
    """A configuration mistake, as one line: ``file:line: key: message``."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    knowledge_dir: Path = BUNDLED_KNOWLEDGE
    default_language: Lang = "en"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``path`` (or $MIGRANT_BOT_CONFIG, or ./config.yaml if present), then the environment."""
    env = os.environ if environ is None else environ
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    if path is None and Path("config.yaml").is_file():
        path = Path("config.yaml")
    values: dict[str, object] = {}
    located = None
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        located, problems = load_yaml(path)
        if problems:
            raise ConfigError(str(problems[0]))
        assert located is not None
        data = located.data if located.data is not None else {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}:1: the config file must be a mapping of keys")
        values.update(data)
        if isinstance(values.get("knowledge_dir"), str):
            values["knowledge_dir"] = path.parent / str(values["knowledge_dir"])
    if env.get(ENV_KNOWLEDGE_DIR):
        values["knowledge_dir"] = Path(env[ENV_KNOWLEDGE_DIR])
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"])
        where = f"{path}:{located.line_of(tuple(err['loc']))}" if located is not None else "environment"
        message = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
        raise ConfigError(f"{where}: {key}: {message}") from None
