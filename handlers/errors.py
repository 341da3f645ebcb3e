"""The error handler, after python-telegram-bot's errorhandlerbot example, minus anything personal.

The log gets the exception and the kind of update, never the message text or who sent it; the user
gets an apology in their language.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from handlers import services

log = logging.getLogger(__name__)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return type(update).__name__
    for kind in ("message", "edited_message", "callback_query", "channel_post", "my_chat_member"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update (%s)", update_kind(update), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        svc = services.get(context)
        lang = await svc.language(update)
        await context.bot.send_message(update.effective_chat.id, svc.text("error", lang))
    except Exception:  # the apology itself failed (network down): the log already has the cause
        log.warning("could not tell the user about an error", exc_info=False)
