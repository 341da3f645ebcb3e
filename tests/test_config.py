"""Settings from the config file and the environment (bot.config)."""

from pathlib import Path

import pytest

from bot.config import ENVIRONMENT, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_without_a_file() -> None:
    """With no file and no variables every setting has a working default."""
    settings = load_settings(environ={})
    assert settings.token is None and settings.telegram.mode == "polling" and settings.telegram.flood_limit == 20


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    """Variables win over the file; ids are comma-separated; the token stays secret in repr."""
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  flood_limit: 5\n  admins: [1]\n", encoding="utf-8")
    settings = load_settings(
        config, environ={"TELEGRAM_BOT_TOKEN": "123:abc", "MIGRANT_BOT_ADMINS": "7, 8", "MIGRANT_BOT_FLOOD_LIMIT": "9"}
    )
    assert settings.token == "123:abc" and settings.telegram.admins == [7, 8] and settings.telegram.flood_limit == 9
    assert "123:abc" not in repr(settings)
    assert settings.data_dir == tmp_path / "data"


def test_data_folder_is_the_same_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a config file, chatting from another folder finds the same conversation log."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    first = load_settings(environ={}).data_dir
    monkeypatch.chdir(tmp_path / "b")
    assert first.is_absolute() and load_settings(environ={}).data_dir == first


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MIGRANT_BOT_MODE": "pigeon"}, "MIGRANT_BOT_MODE: Input should be 'polling' or 'webhook'"),
        ({"MIGRANT_BOT_MODERATORS": "alice"}, "MIGRANT_BOT_MODERATORS: not a comma-separated list"),
        ({"MIGRANT_BOT_WEBHOOK_PORT": "70000"}, "MIGRANT_BOT_WEBHOOK_PORT: Input should be less than or equal"),
        ({"MIGRANT_BOT_WEBHOOK_SECRET_TOKEN": "has spaces"}, "MIGRANT_BOT_WEBHOOK_SECRET_TOKEN: Value error"),
    ],
)
def test_bad_variable_names_the_variable(environ: dict[str, str], message: str) -> None:
    """A bad environment variable is reported by its name."""
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert str(caught.value).startswith(message)


def test_wrong_type_in_file_names_key_and_line(tmp_path: Path) -> None:
    """A wrong type in the file names the file, the line and the dotted key."""
    config = tmp_path / "config.yaml"
    config.write_text("default_language: en\ntelegram:\n  flood_limit: lots\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert str(caught.value).startswith(f"{config}:3: telegram.flood_limit: Input should be a valid integer")


def test_token_never_appears_in_errors(tmp_path: Path) -> None:
    """Even a malformed setting next to the token does not print the token."""
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"TELEGRAM_BOT_TOKEN": "999:SECRET", "MIGRANT_BOT_MODE": "x"})
    assert "SECRET" not in str(caught.value)


def test_every_variable_is_documented() -> None:
    """config.example.yaml and the README name every environment variable the bot reads."""
    example = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable in [*ENVIRONMENT, "MIGRANT_BOT_CONFIG"]:
        assert variable in example, variable
        assert variable in readme, variable


def test_example_config_sets_every_key() -> None:
    """config.example.yaml shows every setting, so it documents them all."""
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    for loc, _ in ENVIRONMENT.values():
        assert f"{loc[-1]}:" in text, loc


def test_every_mistake_is_reported_each_on_its_line(tmp_path: Path) -> None:
    """Two mistakes in the file: both are named, one line each, with their own line numbers."""
    config = tmp_path / "config.yaml"
    config.write_text("retention_days: 0\ntelegram:\n  flood_limit: lots\ncolour: blue\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{config}:1: retention_days")
    assert lines[1].startswith(f"{config}:3: telegram.flood_limit")
    assert lines[2] == f"{config}:4: colour: unknown key"


def test_a_token_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    """A config.yaml holding the token with mode 0644 draws a one-line warning; 0600 none."""
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  token: '123:abc'\n", encoding="utf-8")
    config.chmod(0o644)
    warning = load_settings(config, environ={}).exposure_warning
    assert warning is not None and "chmod 600" in warning and "123:abc" not in warning
    config.chmod(0o600)
    assert load_settings(config, environ={}).exposure_warning is None


def test_a_token_from_the_environment_needs_no_private_file(tmp_path: Path) -> None:
    """A readable config.yaml without secrets is fine when the token comes from the environment."""
    config = tmp_path / "config.yaml"
    config.write_text("default_language: id\n", encoding="utf-8")
    config.chmod(0o644)
    assert load_settings(config, environ={"TELEGRAM_BOT_TOKEN": "1:x"}).exposure_warning is None
