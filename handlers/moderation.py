"""/forget for everyone; /unanswered, /review, /stats and /export for moderators.

Moderator tools speak English (they are for the deploying organisation's staff). Anyone else gets a
polite refusal, and the attempt is logged as an event with the command name only, no identity.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.ext import ContextTypes

from bot import reports
from bot.schema import Lang
from bot.storage import VERDICTS, Filter, days_ago, row_id
from handlers import access, render, services

#: Telegram takes documents up to 50 MB from a bot; a little below, for the multipart around it.
EXPORT_LIMIT = 49 * 1024 * 1024


# --- /forget ---------------------------------------------------------------------------------
async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    markup = InlineKeyboardMarkup(
        [[render.button(svc.text("forget_yes", lang), f"{render.FORGET}:yes"),
          render.button(svc.text("forget_no", lang), f"{render.FORGET}:no")]]
    )  # fmt: skip
    await update.message.reply_text(svc.text("forget_confirm", lang), reply_markup=markup)


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE, confirmed: bool) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)  # read before the choice itself is deleted
    await query.answer()
    if confirmed:
        key = svc.key(user.id)
        svc.recent.forget(key)
        count = await svc.storage.forget(key)
        await query.edit_message_text(svc.text("forget_done", lang, count=count))
    else:
        await query.edit_message_text(svc.text("forget_kept", lang))


# --- moderators ------------------------------------------------------------------------------
def _number(context: ContextTypes.DEFAULT_TYPE, default: int, largest: int) -> int:
    """The command's first argument as a positive number ("/stats 7"), else the default."""
    args = context.args or []
    number = row_id(args[0]) if args and not args[0].startswith("#") else None
    if number:
        return min(number, largest)
    return default


@access.only("moderators")
async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    limit = _number(context, 10, 50)
    rows = await svc.storage.unanswered(Filter(since=days_ago(svc.settings.retention_days)))
    groups = reports.group_questions(rows, svc.responder.normalizer)
    for part in render.split_html(reports.unanswered_text(groups, limit)):
        await update.message.reply_text(part, parse_mode="HTML")


@access.only("moderators")
async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        lang = await services.get(context).language(update)
        await _send_next_review(update.effective_message, context, lang)


async def _send_next_review(message: Message, context: ContextTypes.DEFAULT_TYPE, lang: Lang) -> None:
    svc = services.get(context)
    row = await svc.storage.next_unreviewed()
    if row is None:
        await message.reply_text(svc.text("staff_review_empty", lang))
        return
    kb = svc.responder.kb
    given = kb.entries[row["entry_id"]].questions.get(lang)[0] if row["entry_id"] in kb.entries else "—"
    text = svc.text(
        "staff_review_item", lang, id=row["id"], at=row["at"][:16], language=row["language"], kind=row["kind"],
        score=row["score"], question=row["question"], entry=row["entry_id"] or "—", given=given,
        suggested=", ".join(json.loads(row["suggestions"])) or "—",
    )  # fmt: skip
    markup = InlineKeyboardMarkup(
        [
            [render.button(svc.text(f"staff_verdict_{verdict}", lang), f"{render.REVIEW}:{row['id']}:{verdict}")]
            for verdict in VERDICTS
        ]
    )
    await message.reply_text(render.split_html(text)[0], parse_mode="HTML", reply_markup=markup)


async def review_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: str) -> None:
    query = update.callback_query
    if query is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    if not svc.is_moderator(update):
        await svc.storage.event("refused", "review")
        await query.answer(svc.text("not_allowed", lang), show_alert=True)
        return
    exchange, _, verdict = data.partition(":")
    number = row_id(exchange) if not exchange.startswith("#") else None
    if number is None or verdict not in VERDICTS:
        await query.answer()
        return
    stored = await svc.storage.set_verdict(number, verdict)
    await query.answer(svc.text("staff_saved" if stored else "staff_gone", lang))
    if isinstance(query.message, Message):
        await query.edit_message_text(f"#{exchange}: {svc.text(f'staff_verdict_{verdict}', lang)}")
        await _send_next_review(query.message, context, lang)


@access.only("moderators")
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    days = _number(context, 7, svc.settings.retention_days)
    where = Filter(since=days_ago(days))
    numbers = await svc.storage.stats(where)
    groups = reports.group_questions(await svc.storage.unanswered(where), svc.responder.normalizer)
    for part in render.split_html(reports.stats_text(numbers, groups, days)):
        await update.message.reply_text(part, parse_mode="HTML")


@access.only("moderators")
async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The log as a CSV document (UTF-8 with a byte-order mark, so spreadsheets read it right)."""
    if update.message is None:
        return
    svc = services.get(context)
    days = _number(context, 30, svc.settings.retention_days)
    lang = await svc.language(update)
    name = f"exchanges-last-{days}-days-{dt.datetime.now(dt.UTC):%Y%m%d}.csv"
    # written to a private temporary file, not held in memory while the log is read
    with tempfile.TemporaryFile() as spool:
        async with contextlib.aclosing(svc.storage.stream(Filter(since=days_ago(days)))) as rows:
            fits = await reports.write_csv(rows, spool, EXPORT_LIMIT)
        if not fits:
            await update.message.reply_text(svc.text("staff_export_too_big", lang, days=days))
            return
        spool.seek(0)
        caption = svc.text("staff_export_caption", lang, days=days)
        await update.message.reply_document(InputFile(spool, filename=name), caption=caption)
