"""Logging that cannot leak: the token is redacted from every line, and HTTP libraries stay quiet.

HTTP libraries may log request URLs (httpx does at INFO), and a Telegram Bot API URL contains the
token; so they are held at WARNING (aiohttp, which carries this bot's requests, and httpx and
httpcore, PTB's default transport), and a filter on the root handler replaces any secret that still
slips into a line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable


class Redact(logging.Filter):
    """Replaces each secret in a record's final message with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in self.secrets):
                for secret in self.secrets:
                    text = text.replace(secret, "[redacted]")
                record.exc_info, record.exc_text = None, text
        return True


def configure(secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
