"""python-telegram-bot's networking on aiohttp instead of httpx.

PTB talks HTTP through a small interface, :class:`telegram.request.BaseRequest`, and ships one
implementation on httpx. Under load that was half of the bot's CPU time: about 2 ms per request
in httpx and httpcore's pure-Python connection pool (measured with py-spy while bench/endtoend.py
ran). aiohttp, a widely used and well-kept HTTP library with its parser in C, does the same
requests for a fraction of that: the bot's CPU per reply went from 3.7 to 1.7 ms (README,
"Performance"). Bodies are PTB's own JSON payload (multipart when a file is sent), and errors are
mapped to the same PTB exceptions as PTB's HTTPXRequest raises.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import urllib.parse
import urllib.request

import aiohttp
import certifi
from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

#: The token's place in a Bot API address (".../bot123:ABC/getMe"): never in an error message.
_TOKEN_IN_URL = re.compile(r"/(bot|file/bot)[^/\s]+")


class AiohttpRequest(BaseRequest):
    """A :class:`BaseRequest` on one :class:`aiohttp.ClientSession` with a bounded connection pool.

    Timeouts mean what they mean for PTB's HTTPXRequest: ``connect`` to open a connection,
    ``pool`` to wait for a free one, ``read`` for the reply. aiohttp has no separate write
    timeout, so the sum of all four bounds the whole request instead.
    """

    def __init__(
        self,
        connections: int,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                # certifi's CA bundle, as httpx uses: some Pythons (python.org's macOS build) ship
                # without system certificates, and Telegram is reached over HTTPS
                connector=aiohttp.TCPConnector(
                    limit=self._connections, ssl=ssl.create_default_context(cafile=certifi.where())
                ),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        body, headers = _body(request_data)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                status, content = response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts (and asyncio's, since 3.11) are TimeoutErrors
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # aiohttp's messages quote the address, and the address holds the token
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {redact_url(str(exc))}") from None
        if status == 200 and url.endswith("/getUpdates"):
            content = readable_updates(content)
        return status, content

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for ``url`` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, unless
        NO_PROXY exempts the host), as httpx honours them; read once per host. aiohttp's own
        ``trust_env`` reads the environment and ~/.netrc on every request: a third of a request's CPU."""
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies()
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            self._proxies[key] = None if proxy is None or urllib.request.proxy_bypass(key[1]) else proxy
        return self._proxies[key]


def redact_url(text: str) -> str:
    """``text`` with the token taken out of any Bot API address in it."""
    return _TOKEN_IN_URL.sub(lambda m: f"/{m.group(1)}<token>", text)


def readable_updates(content: bytes) -> bytes:
    """A getUpdates reply in which every update PTB cannot read is cut down to its ``update_id``.

    PTB parses a batch at once: one update it cannot read (a field Telegram added, a malformed
    one from a test server) fails the whole batch, which it then fetches again forever, logging the
    raw batch (texts, ids, names) each time. Cut down, the update still moves the offset on and
    reaches no handler. Reading each update once more costs a few microseconds of the milliseconds
    an update takes."""
    try:
        data = json.loads(content)
    except ValueError:
        return content  # PTB reports an unreadable reply itself
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, list):
        return content
    changed = False
    for index, raw in enumerate(result):
        try:
            Update.de_json(raw, None)
        except Exception as error:  # whatever PTB raises on it, the update is unreadable
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                continue  # without an id PTB fails the batch whatever we do; leave it to report
            log.warning("skipped an update the bot cannot read (%s)", type(error).__name__)
            result[index] = {"update_id": update_id}
            changed = True
    return json.dumps(data).encode() if changed else content


def _given(value: object, default: float | None) -> float | None:
    """A timeout passed to a Bot method, or this object's default when none was passed."""
    if value is BaseRequest.DEFAULT_NONE:  # PTB's documented way to tell "not passed" from None
        return default
    return value if isinstance(value, int | float) else None


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, dict[str, str]]:
    """The body and its headers: JSON (one C-encoded ``json.dumps``, where a form costs a
    ``quote()`` per character), or multipart when a file goes with the fields. The Bot API reads
    a JSON body's string values exactly as it reads form fields."""
    if request_data is None:
        return None, {}
    if not request_data.contains_files:
        return request_data.json_payload, {"Content-Type": "application/json"}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, {}
