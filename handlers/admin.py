"""Admins: live reload of the knowledge base (/reload, and a poll of the files) and /version.

A reload validates the whole set in a worker thread and swaps the new responder in with one
assignment, so every update sees either the old knowledge base or the new one, never a mix. A
broken set is refused: the old one keeps answering, and every admin is told what is wrong.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answer import Responder
from bot.bulk import paused_gc, prompt_switching, release
from bot.config import Settings
from bot.knowledge import KnowledgeBase, check_knowledge
from bot.problems import Problem
from bot.semantic import SemanticSignal
from bot.storage import now_iso
from handlers import access, render, services

log = logging.getLogger(__name__)

#: How many problems an admin's message lists (all of them go to the log).
SHOWN_PROBLEMS = 20


async def reload_knowledge(context: ContextTypes.DEFAULT_TYPE) -> tuple[bool, list[Problem]]:
    """Validate the knowledge directory and swap it in; on problems keep the old one and tell the admins."""
    svc = services.get(context)
    settings = svc.settings
    responder, problems = await asyncio.to_thread(_rebuilt, settings, svc.semantic)
    if responder is None:
        log.warning("knowledge reload refused, the old knowledge base keeps answering: %d problem(s)", len(problems))
        for problem in problems:
            log.warning("  %s", problem)
        await _tell_admins(context, problems)
        return False, problems
    replaced = [svc.responder]
    svc.responder = responder
    svc.loaded_at = now_iso()
    log.info("knowledge reloaded: version %s, %d entries", responder.kb.version, len(responder.kb.entries))
    # freed in pieces in a worker thread: in one go on this thread it paused serving (56 ms at 10,000 entries)
    await asyncio.to_thread(release, replaced)
    return True, []


def _rebuilt(settings: Settings, semantic: SemanticSignal | None) -> tuple[Responder | None, list[Problem]]:
    """The new responder, or the problems that refuse it (runs in a worker thread, beside the one
    that serves: see bot.bulk for why it settles what it built and hands the GIL over promptly)."""
    with prompt_switching(), paused_gc(settle=True):
        kb, problems = check_knowledge(settings.knowledge_dir)
        return (None, problems) if kb is None else (_prepared_responder(kb, settings, semantic), [])


def _prepared_responder(kb: KnowledgeBase, settings: Settings, semantic: SemanticSignal | None) -> Responder:
    """The new responder, fully built before it is swapped in (runs in a worker thread); only
    examples the cache has not seen are embedded."""
    responder = Responder.configured(kb, settings)
    responder.prepare()
    if semantic is not None:
        try:
            semantic.equip(responder)
        except Exception as error:  # the new knowledge still answers, lexically
            log.warning("semantic signal not ready after reload (%s): answering lexically", type(error).__name__)
    return responder


async def _tell_admins(context: ContextTypes.DEFAULT_TYPE, problems: list[Problem]) -> None:
    """Each admin in the language they chose (/language), else the bot's default."""
    svc = services.get(context)
    for admin in svc.settings.admins:
        lang = await svc.storage.language(svc.key(admin)) or svc.settings.default_language
        lines = [svc.text("staff_reload_refused", lang), *(str(p) for p in problems[:SHOWN_PROBLEMS])]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(svc.text("staff_more_problems", lang, count=len(problems) - SHOWN_PROBLEMS))
        for part in render.split_html("\n".join(lines)):
            try:
                await context.bot.send_message(admin, part, parse_mode="HTML")
            except TelegramError as exc:  # the admin never started a chat with the bot, or blocked it
                log.warning("could not notify an admin about the failed reload: %s", type(exc).__name__)
                break


async def watch(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: reload when a knowledge file was edited, added or removed."""
    svc = services.get(context)
    if svc.watcher.changed():
        await reload_knowledge(context)


@access.only("admins")
async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    ok, problems = await reload_knowledge(context)
    svc = services.get(context)
    lang, kb = await svc.language(update), svc.responder.kb
    if ok:
        await update.message.reply_text(svc.text("staff_reloaded", lang, version=kb.version, entries=len(kb.entries)))
    else:
        await update.message.reply_text(svc.text("staff_not_reloaded", lang, count=len(problems), version=kb.version))


@access.only("admins")
async def version(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    kb = svc.responder.kb
    await update.message.reply_text(
        svc.text("staff_version", await svc.language(update), version=kb.version, entries=len(kb.entries),
                 sources=len(kb.sources), loaded_at=svc.loaded_at)
    )  # fmt: skip
