"""The webhook server: Telegram's POSTs in, the secret token checked before the body is read.

Why not PTB's ``run_webhook``: its tornado server reads a request's whole body, up to 100 MB, before
its handler checks the secret token (eight concurrent 95 MB POSTs without the secret took the bot
from 71 to 957 MB, issue 13). aiohttp, already the bot's HTTP client, lets the handler look at the
headers first: a request without the secret is refused unread, and Telegram's own are read up to
1 MB (an update is a few KB). The rest is PTB's documented way to feed a custom server's updates in:
``Application.update_queue``, with ``initialize``/``start``/``stop``/``shutdown`` and the post_*
hooks called in the order ``run_webhook`` calls them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

#: The largest body read from Telegram; anything larger is refused (413) without being kept.
MAX_BODY = 1024 * 1024
#: The header Telegram sends the secret token in (Bot API, setWebhook).
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def web_app(application: Application[Any, Any, Any, Any, Any, Any], path: str, secret: str) -> web.Application:
    """The aiohttp application: one POST route, ``/path``."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)  # the body is never read
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            data = await request.json()  # a chunked body past client_max_size is a 413 here
        except ValueError:
            return web.Response(status=400)
        try:
            update = Update.de_json(data, application.bot)
        except Exception as error:  # whatever PTB raises on it, the update is unreadable: skip it
            log.warning("skipped an update the bot cannot read (%s)", type(error).__name__)
            return web.Response()  # 200: Telegram would otherwise send it again and again
        await application.update_queue.put(update)
        return web.Response()

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(f"/{path.strip('/')}", receive)
    return app


async def serve(
    application: Application[Any, Any, Any, Any, Any, Any],
    listen: str,
    port: int,
    path: str,
    url: str,
    secret: str,
    stop: asyncio.Event,
) -> None:
    """Register the webhook with Telegram, serve until ``stop`` is set, then shut down cleanly."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.bot.set_webhook(url=url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
    await application.start()
    runner = web.AppRunner(web_app(application, path, secret), access_log=None)  # no addresses in the log
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
        log.info("webhook server listening on %s:%d", listen, port)
        await stop.wait()
    finally:
        await runner.cleanup()
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def run(
    application: Application[Any, Any, Any, Any, Any, Any], listen: str, port: int, path: str, url: str, secret: str
) -> None:
    """Serve until SIGINT or SIGTERM, on the current event loop."""
    loop = asyncio.get_event_loop()
    stop = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    loop.run_until_complete(serve(application, listen, port, path, url, secret, stop))
