"""The slash commands: /start /help /topics /sources /language /privacy."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.answer import Reply
from bot.console import sources_text
from bot.schema import Lang
from handlers import render, services

#: Command names in menu order; descriptions come from the knowledge base (cmd_<name>).
COMMANDS = ("start", "help", "topics", "sources", "language", "human", "end", "privacy", "forget")

Body = Callable[[Message, services.Services, Lang], Coroutine[Any, Any, None]]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def replying(body: Body) -> Handler:
    """A handler that answers a message: finds the message, the services and the user's language."""

    @functools.wraps(body)
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is None:
            return
        svc = services.get(context)
        await body(update.message, svc, await svc.language(update))

    return handler


@replying
async def start(message: Message, svc: services.Services, lang: Lang) -> None:
    text = f"{svc.text('welcome', lang)}\n\n{svc.text('privacy_note', lang)}\n\n{svc.text('language_prompt', lang)}"
    await message.reply_text(text, reply_markup=render.language_keyboard())


def _menu(svc: services.Services, lang: Lang) -> str:
    return "\n".join(f"/{name} — {svc.text('cmd_' + name, lang)}" for name in COMMANDS)


@replying
async def help_command(message: Message, svc: services.Services, lang: Lang) -> None:
    await message.reply_text(f"{svc.text('help', lang)}\n\n{_menu(svc, lang)}")


@replying
async def unknown(message: Message, svc: services.Services, lang: Lang) -> None:
    """A mistyped command ("/topic") in a private chat: say so, rather than stay silent."""
    await message.reply_text(f"{svc.text('unknown_command', lang)}\n\n{_menu(svc, lang)}")


@replying
async def topics(message: Message, svc: services.Services, lang: Lang) -> None:
    await message.reply_text(svc.text("choose_topic", lang), reply_markup=render.topics_keyboard(svc.responder, lang))


@replying
async def sources(message: Message, svc: services.Services, lang: Lang) -> None:
    for part in render.split_html(sources_text(svc.responder, lang)):
        await message.reply_text(part, parse_mode=ParseMode.HTML, disable_web_page_preview=True)


@replying
async def language(message: Message, svc: services.Services, lang: Lang) -> None:
    await message.reply_text(svc.text("language_prompt", lang), reply_markup=render.language_keyboard())


@replying
async def privacy(message: Message, svc: services.Services, lang: Lang) -> None:
    days = svc.settings.retention_days
    await message.reply_text(
        svc.text("privacy", lang, retention_days=days, idle_days=svc.settings.telegram.handoff_idle_days)
    )


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes, locations, documents…: we only read text (logged as non_text)."""
    started = time.perf_counter()
    if update.message is None or update.effective_chat is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    reply = Reply("", "non_text", lang, svc.text("non_text", lang))
    await svc.record(update, reply, started, svc.responder.kb.version)
    await update.message.reply_text(reply.text)
