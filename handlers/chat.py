"""Questions and buttons: text goes to the core, buttons to entries, topics, languages and votes."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.answer import Reply
from bot.schema import Lang
from handlers import render, services


async def send_reply(message: Message, reply: Reply, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a core reply as one or more HTML messages; buttons go under the last one."""
    svc = services.get(context)
    parts = render.split_html(reply.text)
    keyboard = render.reply_keyboard(reply, svc.responder)
    for number, part in enumerate(parts, 1):
        await context.bot.send_message(
            message.chat_id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard if number == len(parts) else None,
        )


def question_text(message: Message, username: str) -> str:
    """The message text without the bot's own @mention (groups)."""
    text = message.text or ""
    mention = f"@{username}".casefold()
    for value in message.parse_entities([MessageEntity.MENTION]).values():
        if value.casefold() == mention:
            text = text.replace(value, " ")
    return text.strip()


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None:
        return
    svc = services.get(context)
    text = question_text(message, context.bot.username)
    lang = await _chosen(update, context)
    hint = update.effective_user.language_code if update.effective_user else None
    reply = svc.responder.respond(text, lang=lang, hint=hint)
    await send_reply(message, reply, context)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button: an entry, a topic, the topic list, a language, or feedback."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services.get(context)
    kind, _, rest = query.data.partition(":")
    lang = await svc.language(update)
    kb = svc.responder.kb
    message = query.message if isinstance(query.message, Message) else None
    if kind == render.ENTRY and rest in kb.entries and message is not None:
        await query.answer()
        await send_reply(message, svc.responder.entry_reply(rest, lang), context)
    elif kind == render.TOPIC and rest in kb.topics:
        await query.answer()
        await query.edit_message_text(
            svc.text("choose_question", lang), reply_markup=render.topic_keyboard(svc.responder, rest, lang)
        )
    elif kind == render.TOPICS:
        await query.answer()
        markup = render.topics_keyboard(svc.responder, lang)
        if message is not None and message.text == svc.text("choose_question", lang):
            await query.edit_message_text(svc.text("choose_topic", lang), reply_markup=markup)
        elif message is not None:
            await context.bot.send_message(message.chat_id, svc.text("choose_topic", lang), reply_markup=markup)
    elif kind == render.LANGUAGE and rest in ("en", "id") and update.effective_user is not None:
        chosen: Lang = "en" if rest == "en" else "id"
        await svc.storage.set_language(svc.key(update.effective_user.id), chosen)
        await query.answer(svc.text("language_set", chosen))
        if message is not None:
            await context.bot.send_message(message.chat_id, svc.text("language_set", chosen))
    elif kind == render.FEEDBACK:
        # Stored once conversation logs exist; until then the vote is acknowledged, not kept.
        await query.answer(svc.text("feedback_thanks", lang))
    else:
        await query.answer()  # a button from an older knowledge base: nothing to do


async def _chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Lang | None:
    svc = services.get(context)
    if update.effective_user is None:
        return None
    return await svc.storage.language(svc.key(update.effective_user.id))
