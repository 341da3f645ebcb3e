"""The one factory that builds the Telegram application and registers every handler, in order.

Order matters: group -1 holds the gate (edited messages, group chatter, floods); group 0 holds the
commands, then buttons, then text, then everything else that is not text.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.answer import Responder
from bot.config import ConfigError, Settings
from bot.flood import FloodGate
from bot.knowledge import KnowledgeBase
from bot.schema import LANGS
from bot.secrets_file import USER_SECRET_FILE, load_or_create
from bot.semantic import SemanticSignal
from bot.storage import Storage, days_ago
from bot.watch import Watcher
from handlers import admin, chat, commands, errors, gate, handoff, moderation, services, webhook
from handlers.outbox import Outbox
from handlers.processor import PerUserProcessor
from handlers.transport import AiohttpRequest, redact_url

log = logging.getLogger(__name__)

WEBHOOK_SECRET_FILE = "webhook.secret"
PURGE_EVERY = 24 * 60 * 60  # seconds
IDLE_CHECK_EVERY = 60 * 60
#: Updates handled at once (one user's still in order), and HTTP connections for them: one each, since
#: over a real network each request waits a round trip to Telegram (at 0.2 s, 32 connections carry 160
#: requests a second, well above the 30 a second Telegram allows in bulk). aiohttp's pool costs the same
#: at 8 or 32 (bench/endtoend.py: 794 and 809 updates/s); httpcore's did not, hence 8 before.
CONCURRENCY = 32
CONNECTIONS = CONCURRENCY
#: Seconds between two getUpdates calls. Telegram answers a long poll as soon as one update is there,
#: so under load each poll brought one or two, and polling was a fifth of the bot's CPU; waiting 5 ms
#: lets updates gather (bench/endtoend.py at 500/s, runs back to back: 1.88 → 1.56 ms of CPU an update,
#: p99 54–68 → 21–25 ms),
#: a delay no one notices next to a round trip to Telegram.
POLL_INTERVAL = 0.005


def build_application(settings: Settings, kb: KnowledgeBase) -> Application:  # type: ignore[type-arg]
    """The whole bot: services in bot_data, resources opened in post_init and closed in post_shutdown."""
    token = settings.token
    if not token:
        raise ValueError("a Telegram token is required")
    transports = (AiohttpRequest(CONNECTIONS), AiohttpRequest(1))
    application = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram.api_base_url)
        .base_file_url(settings.telegram.api_base_url.replace("/bot", "/file/bot"))
        # Telegram's bulk limit is about 30 messages a second; 0 lifts the cap (429s are still waited out).
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram.send_rate, max_retries=3))
        .concurrent_updates(PerUserProcessor(CONCURRENCY))
        # aiohttp instead of httpx: half the CPU per reply (handlers/transport.py)
        .request(transports[0])
        .get_updates_request(transports[1])
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[services.KEY] = services.Services(
        settings=settings,
        responder=Responder.configured(kb, settings),
        storage=Storage(settings.database_path),
        user_secret=load_or_create(
            settings.database_path.parent / USER_SECRET_FILE,
            settings.user_key_secret.get_secret_value() if settings.user_key_secret else None,
        ),
        flood=FloodGate(settings.telegram.flood_limit),
        watcher=Watcher(settings.knowledge_dir),
        semantic=SemanticSignal.load(settings.data_dir),
        transports=transports,
    )

    application.add_handler(TypeHandler(Update, gate.gate), group=-1)
    application.add_handler(CommandHandler("start", commands.start))
    application.add_handler(CommandHandler("help", commands.help_command))
    application.add_handler(CommandHandler("topics", commands.topics))
    application.add_handler(CommandHandler("sources", commands.sources))
    application.add_handler(CommandHandler("language", commands.language))
    application.add_handler(CommandHandler("privacy", commands.privacy))
    application.add_handler(CommandHandler("human", handoff.open_ticket))
    application.add_handler(CommandHandler("end", handoff.end_ticket))
    application.add_handler(CommandHandler("forget", moderation.forget))
    application.add_handler(CommandHandler("unanswered", moderation.unanswered))
    application.add_handler(CommandHandler("review", moderation.review))
    application.add_handler(CommandHandler("stats", moderation.stats))
    application.add_handler(CommandHandler("export", moderation.export))
    application.add_handler(CommandHandler("tickets", handoff.tickets))
    application.add_handler(CommandHandler("reply", handoff.reply))
    application.add_handler(CommandHandler("close", handoff.close))
    application.add_handler(CommandHandler("reload", admin.reload))
    application.add_handler(CommandHandler("version", admin.version))
    # after every command above: a command none of them took, in a private chat (in a group it may be another bot's)
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, commands.unknown))
    application.add_handler(CallbackQueryHandler(chat.on_button))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, chat.on_text))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, commands.not_text)
    )
    application.add_error_handler(errors.on_error)
    return application


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    svc: services.Services = application.bot_data[services.KEY]
    await svc.storage.open()
    await _purge(svc)
    if svc.settings.telegram.moderators_chat is not None:
        svc.outbox = Outbox(svc.storage, svc.settings.telegram.moderators_chat)
        svc.outbox.start(application.bot)
    await asyncio.to_thread(svc.responder.prepare)
    if svc.semantic is not None:
        # answering lexically meanwhile: a first start embeds the examples, which takes seconds (the
        # application is not running yet, so the task is the loop's, kept until done)
        svc.tasks.add(task := asyncio.get_running_loop().create_task(_equip(svc, svc.responder)))
        task.add_done_callback(svc.tasks.discard)
    if application.job_queue is not None:
        application.job_queue.run_repeating(_purge_job, interval=PURGE_EVERY, first=PURGE_EVERY, name="purge")
        application.job_queue.run_repeating(handoff.close_idle, interval=IDLE_CHECK_EVERY, first=60, name="idle")
        interval = svc.settings.reload_interval
        if interval > 0:
            application.job_queue.run_repeating(admin.watch, interval=interval, first=interval, name="reload")
    for lang in LANGS:
        menu = [BotCommand(name, svc.text(f"cmd_{name}", lang)) for name in commands.COMMANDS]
        await application.bot.set_my_commands(menu, language_code=None if lang == "en" else lang)
    log.info("bot started: %d entries, knowledge version %s", len(svc.responder.kb.entries), svc.responder.kb.version)


async def _equip(svc: services.Services, responder: Responder) -> None:
    assert svc.semantic is not None
    started = asyncio.get_running_loop().time()
    try:
        await asyncio.to_thread(svc.semantic.equip, responder)
    except Exception as error:  # a broken cache (disk full, corrupt file) must not stop the bot
        log.warning("semantic signal not ready (%s): answering lexically", type(error).__name__)
        return
    log.info("semantic signal ready in %.1f s", asyncio.get_running_loop().time() - started)


async def _purge(svc: services.Services) -> None:
    """Delete log rows older than the retention period (at start and daily)."""
    deleted = await svc.storage.purge(days_ago(svc.settings.retention_days))
    log.info("retention: %d exchanges older than %d days deleted", deleted, svc.settings.retention_days)


async def _purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _purge(services.get(context))


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    svc: services.Services = application.bot_data[services.KEY]
    if svc.outbox is not None:
        await svc.outbox.stop()
    await svc.storage.close()
    if svc.semantic is not None:
        svc.semantic.close()
    log.info("bot stopped")


def use_fast_event_loop() -> bool:
    """Run on uvloop where it is installed (a dependency except on Windows): asyncio's own loop
    is pure Python around the selector, and at 500 updates a second it was a sixth of the bot's
    time; with uvloop p99 at that rate went from 20-70 ms to 15-34 ms (bench/endtoend.py)."""
    try:
        import uvloop
    except ImportError:
        log.info("event loop: asyncio")
        return False
    asyncio.set_event_loop(uvloop.new_event_loop())
    log.info("event loop: uvloop")
    return True


def _check_start(application: Application) -> None:  # type: ignore[type-arg]
    """Initialise the bot (getMe) before PTB does, to turn a failure into one line and to close the
    HTTP sessions PTB leaves open when its own initialisation fails."""
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(application.bot.initialize())
    except (InvalidToken, NetworkError) as error:
        svc: services.Services = application.bot_data[services.KEY]
        transports = svc.transports
        loop.run_until_complete(asyncio.gather(*(t.shutdown() for t in transports)))
        if isinstance(error, InvalidToken):
            raise ConfigError("telegram.token: Telegram rejected this token (TELEGRAM_BOT_TOKEN)") from None
        raise ConfigError(f"telegram.api_base_url: cannot reach the Bot API ({redact_url(str(error))})") from None


def run(settings: Settings, application: Application) -> None:  # type: ignore[type-arg]
    """Serve Telegram until stopped: long polling, or PTB's webhook server when configured.
    A token Telegram rejects or a Bot API it cannot reach at start is a ConfigError (one line,
    exit 2, the token never shown), not a traceback."""
    use_fast_event_loop()
    _check_start(application)
    if settings.telegram.mode == "webhook":
        hook = settings.webhook
        secret = load_or_create(
            settings.data_dir / WEBHOOK_SECRET_FILE,
            hook.secret_token.get_secret_value() if hook.secret_token else None,
        )
        assert hook.url is not None  # checked by the command line before the bot is built
        # our own server, not PTB's run_webhook: the secret is checked before a body is read
        webhook.run(application, hook.listen, hook.port, hook.path, hook.url, secret)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=POLL_INTERVAL)
