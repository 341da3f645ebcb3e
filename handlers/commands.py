"""The slash commands: /start /help /topics /sources /language /privacy."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.console import sources_text
from handlers import render, services

#: Command names in menu order; descriptions come from the knowledge base (cmd_<name>).
COMMANDS = ("start", "help", "topics", "sources", "language", "privacy")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    text = f"{svc.text('welcome', lang)}\n\n{svc.text('privacy_note', lang)}\n\n{svc.text('language_prompt', lang)}"
    await update.message.reply_text(text, reply_markup=render.language_keyboard())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    menu = "\n".join(f"/{name} — {svc.text('cmd_' + name, lang)}" for name in COMMANDS)
    await update.message.reply_text(f"{svc.text('help', lang)}\n\n{menu}")


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    await update.message.reply_text(
        svc.text("choose_topic", lang), reply_markup=render.topics_keyboard(svc.responder, lang)
    )


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    for part in render.split_html(sources_text(svc.responder, lang)):
        await update.message.reply_text(part, parse_mode=ParseMode.HTML, disable_web_page_preview=True)


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    await update.message.reply_text(svc.text("language_prompt", lang), reply_markup=render.language_keyboard())


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is None:
        return
    svc = services.get(context)
    lang = await svc.language(update)
    await update.message.reply_text(svc.text("privacy", lang))
