"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests.

It runs in a thread with its own event loop (aiohttp), serves ``getUpdates`` by long polling,
records every call, checks what Telegram would check (HTML entities, message length), and can be
told to answer a call with 429 Too Many Requests or another error. The bot under test is the real
program, talking to it over HTTP through TELEGRAM_API_BASE_URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import html.parser
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token-not-real-0123456789"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Migrant Info",
    "username": "migrant_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                 "span", "blockquote", "tg-emoji"}  # fmt: skip


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any
    at: float = field(default_factory=time.monotonic)  # when the server received it


class _HTMLCheck(html.parser.HTMLParser):
    """Telegram's HTML parse mode: only a few tags, and every & must start an entity."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.problems.append(f"unsupported start tag {tag!r}")
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ALLOWED_TAGS or not self.open_tags or self.open_tags.pop() != tag:
            self.problems.append(f"unexpected end tag {tag!r}")

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problems.append(f"unsupported entity &{name};")


_TAG = re.compile(r"</?(?:{})(?:\s[^<>]*)?>".format("|".join(sorted(_ALLOWED_TAGS))))
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_problems(text: str) -> list[str]:
    """What Telegram's HTML parser would reject in ``text`` (empty when it would accept it)."""
    problems = [f"bare & at {m.start()}" for m in re.finditer("&", text) if not _ENTITY.match(text, m.start())]
    if re.search(r"[<>]", _TAG.sub("", text)):
        problems.append("a < or > that is not part of a supported tag")
    checker = _HTMLCheck()
    checker.feed(text)
    checker.close()
    if checker.open_tags:
        problems.append(f"can't find end tag for {checker.open_tags[-1]!r}")
    return problems + checker.problems


class FakeBotAPI:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.pushed: dict[int, float] = {}
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._failures: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0
        #: Seconds every method but getUpdates takes to answer, as a distant Bot API would.
        self.latency = 0.0

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}/bot"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._wakeup = asyncio.Event()
        self._ready.set()
        self._loop.run_forever()

    # --- what tests do ----------------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; it is stamped with the time it was queued (``pushed``)."""
        update = {"update_id": next(self._update_ids), **update}
        self.pushed[update["update_id"]] = time.monotonic()
        with self._lock:
            self._updates.append(update)
        self._loop.call_soon_threadsafe(self._wakeup.set)
        return update

    def user(self, user_id: int, language_code: str = "en") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"Worker{user_id}", "username": f"worker{user_id}",
                "language_code": language_code}  # fmt: skip

    def message(self, user_id: int, text: str | None = None, *, chat_type: str = "private", chat_id: int | None = None,
                language_code: str = "en", **fields: Any) -> dict[str, Any]:  # fmt: skip
        chat_id = chat_id if chat_id is not None else user_id
        chat = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Workers group"
        self._chats[chat_id] = chat
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                                   "from": self.user(user_id, language_code), **fields}  # fmt: skip
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return message

    def send_text(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.push({"message": self.message(user_id, text, **kwargs)})

    def press(self, user_id: int, message: dict[str, Any], data: str, language_code: str = "en") -> dict[str, Any]:
        query = {"id": str(next(self._message_ids)), "from": self.user(user_id, language_code),
                 "chat_instance": "1", "data": data, "message": message}  # fmt: skip
        return self.push({"callback_query": query})

    def fail_next(self, method: str, code: int = 429, description: str = "Too Many Requests: retry after 1",
                  **parameters: Any) -> None:  # fmt: skip
        with self._lock:
            self._failures.setdefault(method, []).append((code, description, parameters))

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        with self._lock:
            return [
                c for c in self.calls if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def wait_for(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError("timed out waiting for the bot")

    def wait_sent(self, chat_id: int, count: int = 1, method: str = "sendMessage", timeout: float = 15.0) -> list[Call]:
        calls: list[Call] = self.wait_for(lambda: (c := self.sent(chat_id, method)) and len(c) >= count and c, timeout)
        return calls

    # --- the API ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        if self.latency and method != "getUpdates":
            await asyncio.sleep(self.latency)
        with self._lock:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            code, description, parameters = failure
            with self._lock:
                self.calls.append(Call(method, params, None))
            body = {"ok": False, "error_code": code, "description": description}
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=code)
        if method == "getUpdates":
            updates = await self._get_updates(params)
            with self._lock:
                self.calls.append(Call(method, params, updates))
            return web.json_response({"ok": True, "result": updates})
        error = self._check(method, params)
        if error:
            with self._lock:
                self.calls.append(Call(method, params, None))
            return web.json_response({"ok": False, "error_code": 400, "description": error}, status=400)
        result = self._result(method, params)
        with self._lock:
            self.calls.append(Call(method, params, result))
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        """Parameters from a JSON body, a form or multipart, read alike: like the real Bot API, a
        string value may itself be JSON (an object, a number) and is decoded, except a text."""
        fields: dict[str, Any] = dict(
            await request.json() if request.content_type == "application/json" else await request.post()
        )
        params: dict[str, Any] = {}
        for key, value in fields.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "content": value.file.read()}
                continue
            if not isinstance(value, str) or key == "text":
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                params[key] = value
        return params

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        hold = min(float(params.get("timeout") or 0), 1.0)  # the server may answer a long poll early
        deadline = self._loop.time() + hold
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
            if ready or self._loop.time() >= deadline:
                return ready
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), max(0.0, deadline - self._loop.time()))

    def _check(self, method: str, params: dict[str, Any]) -> str | None:
        text = params.get("text")
        if method in ("sendMessage", "editMessageText") and isinstance(text, str):
            if len(text) > 4096:
                return "Bad Request: message is too long"
            if params.get("parse_mode") == "HTML" and html_problems(text):
                return "Bad Request: can't parse entities: " + html_problems(text)[0]
        return None

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText", "sendDocument"):
            chat_id = params.get("chat_id")
            chat = self._chats.get(chat_id, {"id": chat_id, "type": "private"}) if isinstance(chat_id, int) else {}
            message = {"message_id": params.get("message_id") or next(self._message_ids), "date": int(time.time()),
                       "chat": chat, "from": BOT_USER, "text": params.get("text", "")}  # fmt: skip
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        return True
