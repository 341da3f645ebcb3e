"""The human handoff: /human opens a ticket, and a person in the moderators' chat takes over.

The worker's messages are relayed under a ticket number only: never a name, username or id. A
moderator answers by replying to a relayed message (or /reply TICKET text); only messages in the
configured moderators' chat, from a moderator, can reach a worker. The worker's chat id is kept in
the open ticket's row alone and erased when the ticket closes (/end, /close, or idle too long).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.schema import Lang
from bot.storage import days_ago, row_id
from handlers import access, render, services

log = logging.getLogger(__name__)

#: Telegram's longest text message.
MAX_MESSAGE = MessageLimit.MAX_TEXT_LENGTH

OPEN, END = "open", "end"


def _lang(value: object) -> Lang:
    return "id" if value == "id" else "en"


def _to_moderators(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Queue a notice for the moderators' chat (handlers/outbox.py): never waited for here."""
    outbox = services.get(context).outbox
    if outbox is not None:
        outbox.notice(text)


async def open_ticket(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/human, or the 🙋 button: open (or reopen the view of) the worker's ticket."""
    svc = services.get(context)
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None or chat.type != "private":
        return
    lang = await svc.language(update)
    if svc.settings.telegram.moderators_chat is None:
        await message.reply_text(svc.responder.referral(lang))  # no team configured: the contacts are all we have
        return
    ticket, created = await svc.storage.open_ticket(svc.key(user.id), chat.id, lang)
    back = InlineKeyboardMarkup([[render.button(svc.text("back_to_bot", lang), f"{render.HANDOFF}:{END}")]])
    name = "ticket_opened" if created else "ticket_open_already"
    await message.reply_text(svc.text(name, lang, ticket=ticket), reply_markup=back)
    if created:
        _to_moderators(
            context,
            f"🆕 Ticket #{ticket} opened (language: {lang}). Reply to a relayed message to answer, "
            f"or /reply {ticket} text; /close {ticket} ends it.",
        )


async def end_ticket(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/end, or the 🤖 button: the worker goes back to the bot."""
    svc = services.get(context)
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None or chat.type != "private":
        return  # in a group, the closing notice would tell everyone there that this person had a ticket
    lang = await svc.language(update)
    ticket = await svc.storage.open_ticket_of(svc.key(user.id))
    if ticket is None:
        await message.reply_text(svc.text("no_ticket", lang))
        return
    await svc.storage.close_ticket(int(ticket["id"]))
    await message.reply_text(svc.text("ticket_closed", lang, ticket=ticket["id"]))
    _to_moderators(context, f"Ticket #{ticket['id']} was closed by the worker.")


async def relay_from_worker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """If the worker has an open ticket, relay this text to the moderators; True when relayed."""
    svc = services.get(context)
    user, chat, message = update.effective_user, update.effective_chat, update.message
    if user is None or chat is None or message is None or chat.type != "private" or not message.text:
        return False
    ticket = await svc.storage.open_ticket_of(svc.key(user.id))
    if ticket is None:
        return False
    # stored first, then sent by the outbox: the handler never waits for the moderators' chat
    await svc.storage.add_ticket_message(int(ticket["id"]), "in", message.text)
    if svc.outbox is not None:
        svc.outbox.wake()
    return True


def _from_moderator_chat(update: Update, svc: services.Services) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.id == svc.settings.telegram.moderators_chat and svc.is_moderator(update)


async def _to_worker(context: ContextTypes.DEFAULT_TYPE, row: dict[str, Any], name: str, **fields: object) -> None:
    """Send a knowledge-base message, in the ticket's language, to the worker's chat kept in the ticket."""
    text = services.get(context).text(name, _lang(row["language"]), **fields)
    await context.bot.send_message(int(row["chat_id"]), text)


async def _deliver(context: ContextTypes.DEFAULT_TYPE, ticket_id: int, text: str, answer_to: Message) -> None:
    svc = services.get(context)
    ticket = await svc.storage.ticket(ticket_id)
    if ticket is None or ticket["status"] != "open" or ticket["chat_id"] is None:
        await answer_to.reply_text(f"Ticket #{ticket_id} is not open; nothing was sent.")
        return
    try:
        await _to_worker(context, ticket, "ticket_reply", text=text)
    except TelegramError as exc:
        await answer_to.reply_text(f"Could not deliver to ticket #{ticket_id} ({type(exc).__name__}).")
        return
    await svc.storage.add_ticket_message(ticket_id, "out", text)


async def moderator_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Any text in the moderators' chat, which is never a FAQ conversation (True: handled here). A
    reply to a relayed message is delivered if a moderator wrote it, dropped (and counted)
    otherwise; a reply to another of the bot's messages (the "ticket opened" notice, a relay whose
    worker used /forget) gets a hint instead of an FAQ answer; anything else is staff talk."""
    svc = services.get(context)
    message, chat = update.message, update.effective_chat
    if message is None or chat is None or chat.id != svc.settings.telegram.moderators_chat:
        return False
    replied = message.reply_to_message
    if replied is None or not message.text:
        return True
    ticket = await svc.storage.ticket_by_relay(replied.message_id)
    if ticket is None:
        if svc.is_moderator(update) and replied.from_user is not None and replied.from_user.id == context.bot.id:
            await message.reply_text(svc.text("staff_not_a_relay", await svc.language(update)))
        return True
    if not svc.is_moderator(update):
        await svc.storage.event("refused", "ticket reply")
        return True
    await _deliver(context, int(ticket["id"]), message.text, message)
    return True


def _ticket_argument(update: Update, svc: services.Services, args: list[str], words: int) -> int | None:
    """The ticket number a staff command names ("#12" or "12"), if it was sent in the moderators'
    chat with at least ``words`` arguments; otherwise None."""
    if not _from_moderator_chat(update, svc) or len(args) < words:
        return None
    return row_id(args[0])


@access.only("moderators")
async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reply TICKET text, in the moderators' chat."""
    svc, message = services.get(context), update.message
    if message is None:
        return
    ticket = _ticket_argument(update, svc, context.args or [], words=2)
    if ticket is None or not message.text:
        await message.reply_text(svc.text("staff_reply_usage", await svc.language(update)))
        return
    # the text as typed, line breaks kept ("/reply 12 line one\nline two"), not the args re-joined
    await _deliver(context, ticket, message.text.split(maxsplit=2)[2], message)


@access.only("moderators")
async def close(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/close TICKET, in the moderators' chat: the worker is told and the chat id erased."""
    svc, message = services.get(context), update.message
    if message is None:
        return
    ticket = _ticket_argument(update, svc, context.args or [], words=1)
    if ticket is None:
        await message.reply_text(svc.text("staff_close_usage", await svc.language(update)))
        return
    await _close(context, ticket, message, await svc.language(update))


async def _close(
    context: ContextTypes.DEFAULT_TYPE, ticket_id: int, answer_to: Message | None, lang: Lang = "en"
) -> None:
    """Close a ticket and tell the worker; ``answer_to``: the moderator's message, answered in ``lang``."""
    svc = services.get(context)
    ticket = await svc.storage.close_ticket(ticket_id)
    if ticket is None:
        if answer_to is not None:
            await answer_to.reply_text(svc.text("staff_ticket_not_open", lang, ticket=ticket_id))
        return
    try:
        await _to_worker(context, ticket, "ticket_closed", ticket=ticket_id)
    except TelegramError as exc:
        log.warning("could not tell a worker their ticket closed: %s", type(exc).__name__)
    if answer_to is not None:
        await answer_to.reply_text(svc.text("staff_ticket_closed", lang, ticket=ticket_id))


@access.only("moderators")
async def tickets(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tickets: every open ticket with its age and last message time."""
    svc, message = services.get(context), update.message
    if message is None:
        return
    lang = await svc.language(update)
    rows = await svc.storage.open_tickets()
    if not rows:
        await message.reply_text(svc.text("staff_no_tickets", lang))
        return
    now = dt.datetime.now(dt.UTC)

    def age(iso: str) -> str:
        minutes = int((now - dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))).total_seconds() // 60)
        return f"{minutes // 1440}d {minutes % 1440 // 60}h" if minutes >= 1440 else f"{minutes // 60}h {minutes % 60}m"

    lines = [svc.text("staff_ticket_line", lang, ticket=r["id"], language=r["language"], open=age(r["opened_at"]),
                      last=age(r["last_at"]), messages=r["messages"]) for r in rows]  # fmt: skip
    # one message holds 4,096 characters: about 70 tickets; more go in further messages
    part = svc.text("staff_open_tickets", lang)
    for line in lines:
        if len(part) + 1 + len(line) > MAX_MESSAGE:
            await message.reply_text(part)
            part = ""
        part = f"{part}\n{line}" if part else line
    await message.reply_text(part)


async def close_idle(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue: close tickets idle past handoff_idle_days, which erases the kept chat ids."""
    svc = services.get(context)
    days = svc.settings.telegram.handoff_idle_days
    for ticket_id in await svc.storage.idle_tickets(days_ago(days)):
        await _close(context, ticket_id, None)  # erases the chat id, whether or not the team can be told
        _to_moderators(context, f"Ticket #{ticket_id} closed after {days} days without messages.")
