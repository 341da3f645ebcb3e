"""Checks every update passes before any handler (group -1): what the bot ignores, and the flood limit."""

from __future__ import annotations

import time

from telegram import Chat, Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from handlers import services


def addressed_to_bot(message: Message, username: str, bot_id: int) -> bool:
    """In a group the bot speaks only when spoken to: a command, a mention of it, or a reply to it."""
    if message.chat.type == Chat.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    mention = f"@{username}".casefold()
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.BOT_COMMAND])
    for entity, text in entities.items():
        if entity.type == MessageEntity.MENTION and text.casefold() == mention:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return True
    return False


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop edited messages, group chatter not meant for the bot, and floods (one notice, then silence)."""
    if update.edited_message or update.edited_channel_post or update.channel_post:
        raise ApplicationHandlerStop
    message = update.message
    if message is not None and not addressed_to_bot(message, context.bot.username, context.bot.id):
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None:
        return
    svc = services.get(context)
    verdict = svc.flood.check(svc.key(user.id), time.monotonic())
    if verdict == "allow":
        return
    if verdict == "notify" and update.effective_chat is not None:
        lang = await svc.language(update)
        await context.bot.send_message(update.effective_chat.id, svc.text("flood", lang))
    if update.callback_query:
        await update.callback_query.answer()
    raise ApplicationHandlerStop
