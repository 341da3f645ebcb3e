"""Shared services, kept in ``application.bot_data`` (the rules-bot way) and reached via :func:`get`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ContextTypes

from bot.answer import Responder
from bot.config import Settings
from bot.flood import FloodGate
from bot.privacy import user_key
from bot.schema import Lang
from bot.storage import Storage

KEY = "services"


@dataclass
class Services:
    settings: Settings
    responder: Responder
    storage: Storage
    user_secret: str
    flood: FloodGate
    started: float = field(default_factory=time.monotonic)

    def key(self, user_id: int) -> str:
        return user_key(self.user_secret, user_id)

    async def language(self, update: Update, text: str | None = None) -> Lang:
        """The user's chosen language; else the message's own; Telegram's language_code breaks ties."""
        user = update.effective_user
        if user is not None:
            chosen = await self.storage.language(self.key(user.id))
            if chosen:
                return chosen
        hint = user.language_code if user is not None else None
        return self.responder.guesser.guess(text or "", hint)

    def text(self, name: str, lang: Lang) -> str:
        return self.responder.kb.message(name, lang)


def get(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Services = context.application.bot_data[KEY]
    return services
