"""Questions and buttons: text goes to the core, buttons to entries, topics, languages and votes.

Every exchange is logged, and the log row is committed before the reply is sent: a crash can lose
a reply, never the record of one that was seen.
"""

from __future__ import annotations

import logging
import time

from telegram import Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.answer import Reply, Responder
from bot.schema import Lang
from bot.storage import row_id
from handlers import handoff, moderation, render, services

log = logging.getLogger(__name__)


async def send_reply(
    chat_id: int, reply: Reply, context: ContextTypes.DEFAULT_TYPE, exchange_id: int, responder: Responder
) -> None:
    """Send a core reply as one or more HTML messages; buttons go under the last one."""
    parts = render.split_html(reply.text)
    keyboard = render.reply_keyboard(reply, responder, exchange_id)
    for number, part in enumerate(parts, 1):
        await context.bot.send_message(
            chat_id, part, parse_mode=ParseMode.HTML, reply_markup=keyboard if number == len(parts) else None
        )


async def answer_and_log(
    update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, started: float, responder: Responder
) -> None:
    """``responder`` is the one that made ``reply``: a reload in between must not mix two versions."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services.get(context)
    if update.effective_user is not None and reply.kind != "non_text":
        svc.recent.remember(svc.key(update.effective_user.id), reply.language)
    exchange_id = await svc.record(update, reply, started, responder.kb.version)
    await send_reply(chat.id, reply, context, exchange_id, responder)


def question_text(message: Message, username: str) -> str:
    """The message text without the bot's own @mention (groups)."""
    text = message.text or ""
    mention = f"@{username}".casefold()
    for value in message.parse_entities([MessageEntity.MENTION]).values():
        if value.casefold() == mention:
            text = text.replace(value, " ")
    return text.strip()


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    started = time.perf_counter()
    message = update.message
    if message is None:
        return
    if await handoff.relay_from_worker(update, context) or await handoff.moderator_reply(update, context):
        return  # a person is handling this conversation, not the FAQ
    svc = services.get(context)
    responder = svc.responder
    text = question_text(message, context.bot.username)
    chosen, hint = await svc.language_hint(update)
    reply = responder.first_pass(text, lang=chosen, hint=hint)
    if responder.needs_meaning(reply):  # off the event loop, with whatever else waits for the model
        try:
            reply = responder.with_meaning(reply, await svc.meanings.embed(responder.meanings, text))
        except (RuntimeError, OSError, ValueError, MemoryError) as error:  # the words' reply still stands
            log.warning("semantic signal failed (%s): answered lexically", type(error).__name__)
    await answer_and_log(update, context, reply, started, responder)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button: an entry, a topic, the topic list, a language, a vote, /forget, a review."""
    started = time.perf_counter()
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services.get(context)
    kind, _, rest = query.data.partition(":")
    lang = await svc.language(update)
    responder = svc.responder
    kb = responder.kb
    message = query.message if isinstance(query.message, Message) else None
    user = update.effective_user
    if kind == render.ENTRY and rest in kb.entries:
        await query.answer()
        await answer_and_log(update, context, responder.entry_reply(rest, lang), started, responder)
    elif kind == render.TOPIC and rest in kb.topics:
        await query.answer()
        await query.edit_message_text(
            svc.text("choose_question", lang), reply_markup=render.topic_keyboard(responder, rest, lang)
        )
    elif kind == render.TOPICS and message is not None:
        await query.answer()
        markup = render.topics_keyboard(responder, lang)
        if message.text == svc.text("choose_question", lang):
            await query.edit_message_text(svc.text("choose_topic", lang), reply_markup=markup)
        else:
            await context.bot.send_message(message.chat_id, svc.text("choose_topic", lang), reply_markup=markup)
    elif kind == render.LANGUAGE and rest in ("en", "id") and user is not None:
        chosen: Lang = "en" if rest == "en" else "id"
        await svc.storage.set_language(svc.key(user.id), chosen)
        await query.answer(svc.text("language_set", chosen))
        if message is not None:
            await context.bot.send_message(message.chat_id, svc.text("language_set", chosen))
    elif kind == render.FEEDBACK and user is not None:
        exchange, _, vote = rest.partition(":")
        number = row_id(exchange)
        if number is not None and vote in ("1", "-1"):
            await svc.storage.set_feedback(number, svc.key(user.id), int(vote))
        await query.answer(svc.text("feedback_thanks", lang))
    elif kind == render.FORGET:
        await moderation.forget_button(update, context, rest == "yes")
    elif kind == render.REVIEW:
        await moderation.review_button(update, context, rest)
    elif kind == render.HANDOFF:
        await query.answer()
        await (handoff.open_ticket if rest == handoff.OPEN else handoff.end_ticket)(update, context)
    else:
        await query.answer()  # a button from an older knowledge base: nothing to do
