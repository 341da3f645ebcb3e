"""The command line (bot.cli), run as a real subprocess the way admins and the scorer run it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Where the CLI under test keeps its database, so tests never write into the repository.
DATA = Path(tempfile.mkdtemp(prefix="migrant-bot-cli-"))


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    # the semantic signal is tested in test_semantic; here a cold vector cache would cost a minute per data dir
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MIGRANT_BOT_DATA_DIR": str(DATA),
                   "MIGRANT_BOT_SEMANTIC": "off", **(env or {})}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )


def test_ask_json_reads_stdin_in_order() -> None:
    """`ask --json` answers every stdin line with one JSON object, in order."""
    done = run("ask", "--json", stdin="what is the ILO\napa itu MEA\nzzzz\n")
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in replies] == ["what is the ILO", "apa itu MEA", "zzzz"]
    assert [r["kind"] for r in replies] == ["answer", "answer", "fallback"]
    assert replies[1]["language"] == "id" and replies[1]["entry_id"] == "asean-economic-community"
    assert replies[0]["sources"][0]["publisher"] == "The S Media (Media Milenial)"


def test_ask_arguments_are_separate_questions() -> None:
    """Each argument is one question; plain output is the text a user reads."""
    done = run("ask", "what is the cebu declaration", "hi")
    assert done.returncode == 0
    assert "Sources:" in done.stdout and "Hello!" in done.stdout


def test_ask_lang_forces_the_reply_language() -> None:
    """--lang id answers an English question in Indonesian."""
    done = run("ask", "--json", "--lang", "id", "what is the cebu declaration")
    assert json.loads(done.stdout)["language"] == "id"
    assert "Sumber:" in json.loads(done.stdout)["text"]


def test_validate_clean_exits_zero() -> None:
    """`validate` on the bundled knowledge base reports ok."""
    done = run("validate")
    assert done.returncode == 0 and done.stdout.startswith("ok:")


def test_validate_reports_file_line_and_exits_one(kb_copy: Path) -> None:
    """Each problem is printed as file:line: message; exit status 1."""
    path = kb_copy / "glossary.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("sources: [jakarta-post-2015]", "sources: [nope]", 1))
    done = run("validate", str(kb_copy))
    assert done.returncode == 1
    assert f"{path}:" in done.stdout and "unknown source id 'nope'" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["ask", "what is the ILO"], ["chat"]], ids=["ask", "chat"])
def test_broken_knowledge_is_one_line_and_exit_two(kb_copy: Path, command: list[str]) -> None:
    """ask and chat refuse a broken knowledge base with one file:line line and status 2."""
    (kb_copy / "sources.yaml").write_text("sources:\n  - id: x\n    title: [\n", encoding="utf-8")
    done = run(*command, stdin="what is the ILO\n", env={"MIGRANT_BOT_KNOWLEDGE_DIR": str(kb_copy)})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"knowledge error: {kb_copy / 'sources.yaml'}:")
    assert "Traceback" not in done.stderr


def test_missing_knowledge_directory_exits_two(tmp_path: Path) -> None:
    """A knowledge directory that is not there is a one-line error."""
    done = run("ask", "hi", env={"MIGRANT_BOT_KNOWLEDGE_DIR": str(tmp_path / "none")})
    assert done.returncode == 2 and "knowledge directory not found" in done.stderr


def test_unknown_config_key_exits_two(tmp_path: Path) -> None:
    """A config file with an unknown key names the key and its line."""
    config = tmp_path / "config.yaml"
    config.write_text("default_language: en\nknowlege_dir: x\n", encoding="utf-8")
    done = run("--config", str(config), "ask", "hi")
    assert done.returncode == 2
    assert done.stderr.strip() == f"config error: {config}:2: knowlege_dir: unknown key"


def test_config_sets_knowledge_dir_relative_to_itself(tmp_path: Path, kb_copy: Path) -> None:
    """knowledge_dir in a config file is read relative to the file, and the default language applies."""
    config = kb_copy.parent / "config.yaml"
    config.write_text("knowledge_dir: knowledge\ndefault_language: id\n", encoding="utf-8")
    done = run("--config", str(config), "ask", "--json", "ILO", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["language"] == "id"


def test_chat_runs_a_conversation_from_stdin() -> None:
    """The console chat answers lines from standard input until end of input."""
    done = run("chat", stdin="what is the ILO\n/quit\n")
    assert done.returncode == 0
    assert "International Labor Organisation" in done.stdout


def test_no_command_starts_the_console_chat() -> None:
    """With no sub-command and no token, the bot says so in one line and starts the console chat."""
    done = run(stdin="apa itu MEA\n")
    assert done.returncode == 0
    assert "console chat" in done.stderr
    assert "Masyarakat Ekonomi ASEAN" in done.stdout


def test_eval_reports_the_dev_set() -> None:
    """`eval` prints the same summary the quality test checks."""
    done = run("eval", str(ROOT / "tests" / "data" / "dev.yaml"))
    assert done.returncode == 0 and "in-scope correct" in done.stdout


def test_example_config_is_valid() -> None:
    """config.example.yaml loads as it ships and points at the bundled knowledge base."""
    done = run("--config", str(ROOT / "config.example.yaml"), "validate")
    assert done.returncode == 0, done.stderr


def test_run_without_token_exits_two() -> None:
    """`run` with no token says which setting is missing, in one line, status 2."""
    done = run("run")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "config error: telegram.token: a Telegram token is required for run (set TELEGRAM_BOT_TOKEN)"
    )


def test_webhook_mode_needs_a_public_url() -> None:
    """Webhook mode without webhook.url is refused before anything starts."""
    done = run("run", env={"TELEGRAM_BOT_TOKEN": "1:x", "MIGRANT_BOT_MODE": "webhook", **CONTACTS})
    assert done.returncode == 2 and "webhook.url" in done.stderr and "1:x" not in done.stderr


CONTACTS = {"MIGRANT_BOT_HELP_CONTACTS_EN": "Hotline 1", "MIGRANT_BOT_HELP_CONTACTS_ID": "Hotline 1"}


def test_run_without_contacts_exits_2_naming_the_setting() -> None:
    """No worker in danger is ever shown a placeholder: run refuses to start without real contacts."""
    done = run("run", env={"TELEGRAM_BOT_TOKEN": "1:x"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("config error: help_contacts: no referral contacts configured")
    assert len(done.stderr.strip().splitlines()) == 1 and "1:x" not in done.stderr


@pytest.mark.parametrize(
    "env",
    [{"MIGRANT_BOT_HELP_CONTACTS_EN": "[PLACEHOLDER: your hotline]", "MIGRANT_BOT_HELP_CONTACTS_ID": "Hotline"},
     {**CONTACTS, "MIGRANT_BOT_CRISIS_CONTACTS_EN": "Hotline", "MIGRANT_BOT_CRISIS_CONTACTS_ID": "placeholder"}],
)  # fmt: skip
def test_run_refuses_the_examples_placeholders(env: dict[str, str]) -> None:
    """The example config's placeholder contacts are no contacts: exit 2, one line naming the key."""
    done = run("run", env={"TELEGRAM_BOT_TOKEN": "1:x", **env})
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "still the example's placeholder" in done.stderr and "help_contacts." in done.stderr


def test_eval_reports_urgent_recall_per_language() -> None:
    """`eval` on an urgent set prints recall and false alarms, each per language."""
    done = run("eval", str(ROOT / "tests" / "data" / "urgent-a.yaml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("urgent recall ") and "false alarms " in done.stdout
    assert all(f"{lang} " in done.stdout for lang in ("en", "id", "ms"))


def test_config_option_after_the_command(tmp_path: Path) -> None:
    """`migrant-bot ask --config FILE` works as well as `migrant-bot --config FILE ask`."""
    config = tmp_path / "config.yaml"
    config.write_text("default_language: id\n", encoding="utf-8")
    done = run("ask", "--config", str(config), "--json", "ILO")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["language"] == "id"


def test_console_chat_is_logged_without_identity() -> None:
    """Console exchanges go to the same conversation log, as chat type "console"."""
    done = run("chat", stdin="what is IALI exactly\n")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(DATA / "bot.sqlite3") as db:
        logged = db.execute(
            "SELECT chat_type, kind, entry_id FROM exchanges WHERE question = 'what is IALI exactly'"
        ).fetchall()
    assert logged == [("console", "answer", "iali")]


@pytest.mark.parametrize(
    ("env", "line"),
    [({"MIGRANT_BOT_HELP_CONTACTS_EN": "Hotline 1"}, "config error: MIGRANT_BOT_HELP_CONTACTS_ID: required too"),
     ({**CONTACTS, "MIGRANT_BOT_HELP_CONTACTS_ID": "   "}, "config error: help_contacts.id: empty;")],
)  # fmt: skip
def test_half_set_contacts_name_what_is_missing(env: dict[str, str], line: str) -> None:
    """One language's contacts without the other, or blank ones: one line naming the variable or key."""
    done = run("run", env={"TELEGRAM_BOT_TOKEN": "1:x", **env})
    assert done.returncode == 2 and done.stderr.startswith(line) and len(done.stderr.strip().splitlines()) == 1


def test_eval_refuses_a_malformed_set_in_one_line(tmp_path: Path) -> None:
    """A case without its message is named, exit 2, no traceback."""
    bad = tmp_path / "set.yaml"
    bad.write_text('urgent:\n  - {q: "boss hit me"}\n', encoding="utf-8")
    done = run("eval", str(bad))
    assert (
        done.returncode == 2 and "urgent[0]: each case is a mapping" in done.stderr and "Traceback" not in done.stderr
    )
