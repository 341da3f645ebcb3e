"""Who may use the staff commands: one decorator, a polite refusal for everyone else.

A refused attempt is counted as an event with the command's name only, never who tried.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from telegram import Update
from telegram.ext import ContextTypes

from handlers import services

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def only(role: Literal["moderators", "admins"]) -> Callable[[Handler], Handler]:
    """Run the handler for members of ``role`` (admins count as moderators); refuse others politely."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            svc = services.get(context)
            if svc.is_moderator(update) if role == "moderators" else svc.is_admin(update):
                await handler(update, context)
                return
            await svc.storage.event("refused", handler.__name__)
            if update.effective_message is not None:
                await update.effective_message.reply_text(svc.text("not_allowed", await svc.language(update)))

        return guarded

    return decorate
