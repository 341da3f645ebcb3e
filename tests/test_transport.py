"""PTB networking on aiohttp (handlers.transport), against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.transport import AiohttpRequest, _given, readable_updates

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _serve(handler: Handler, route: str = "/{method}") -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post(route, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def _data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in params.items()])


def _exchange(handler: Handler, method: str, data: RequestData) -> tuple[int, bytes]:
    async def run() -> tuple[int, bytes]:
        runner, base = await _serve(handler)
        request = AiohttpRequest(2)
        try:
            await request.initialize()
            return await request.do_request(f"{base}/{method}", "POST", data)
        finally:
            await request.shutdown()
            await runner.cleanup()

    return asyncio.run(run())


def test_parameters_arrive_as_ptbs_json_payload() -> None:
    """Parameters arrive as one JSON object of PTB's string-encoded values (objects JSON-encoded)."""
    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        assert request.content_type == "application/json"
        seen.update(await request.json())
        return web.json_response({"ok": True, "result": True})

    status, body = _exchange(handler, "sendMessage", _data(chat_id=5, text="a & b", reply_markup={"k": [1]}))
    assert status == 200 and json.loads(body)["ok"] is True
    assert seen == {"chat_id": "5", "text": "a & b", "reply_markup": '{"k": [1]}'}


def test_a_file_goes_as_multipart_with_the_other_fields() -> None:
    """A document upload (/export) is multipart: the file with its name and type, the fields beside it."""
    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        for name, value in (await request.post()).items():
            seen[name] = (value.filename, value.file.read()) if isinstance(value, web.FileField) else value
        return web.json_response({"ok": True, "result": True})

    document = InputFile(b"id,question\n1,x\n", filename="log.csv")
    status, _ = _exchange(handler, "sendDocument", _data(chat_id=7, document=document))
    assert status == 200
    assert seen["chat_id"] == "7"
    assert any(v == ("log.csv", b"id,question\n1,x\n") for v in seen.values())


def test_slow_server_is_a_timeout() -> None:
    """A reply slower than the read timeout raises PTB's TimedOut, which PTB's callers handle."""

    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    async def run() -> None:
        runner, base = await _serve(handler)
        request = AiohttpRequest(1, read_timeout=0.2)
        try:
            await request.initialize()
            await request.do_request(f"{base}/getMe", "POST")
        finally:
            await request.shutdown()
            await runner.cleanup()

    with pytest.raises(TimedOut):
        asyncio.run(run())


def test_refused_connection_is_a_network_error() -> None:
    """Nothing listening: NetworkError naming the aiohttp error, never a bare aiohttp exception."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there

    async def run() -> None:
        request = AiohttpRequest(1)
        try:
            await request.initialize()
            await request.do_request(f"http://127.0.0.1:{port}/getMe", "POST")
        finally:
            await request.shutdown()

    with pytest.raises(NetworkError, match="aiohttp"):
        asyncio.run(run())


def test_request_before_initialize_is_refused() -> None:
    """Using the transport before PTB initialises it is a programming error, said plainly."""
    with pytest.raises(RuntimeError, match="not initialized"):
        asyncio.run(AiohttpRequest(1).do_request("http://127.0.0.1:9/getMe", "POST"))


def test_timeouts_default_only_when_not_passed() -> None:
    """PTB's DEFAULT_NONE means "use the default"; an explicit None means "no timeout"."""
    assert _given(BaseRequest.DEFAULT_NONE, 5.0) == 5.0
    assert _given(None, 5.0) is None
    assert _given(0.5, 5.0) == 0.5


def test_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY is honoured, as with PTB's default httpx transport: deployments behind a proxy work."""
    targets: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        targets.append(str(request.url))
        return web.json_response({"ok": True, "result": True})

    async def run() -> tuple[int, bytes]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", proxy)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{runner.addresses[0][1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        request = AiohttpRequest(1)
        try:
            await request.initialize()
            return await request.do_request("http://api.telegram.invalid/bot1:x/getMe", "POST")
        finally:
            await request.shutdown()
            await runner.cleanup()

    status, _ = asyncio.run(run())
    assert status == 200
    assert targets == ["http://api.telegram.invalid/bot1:x/getMe"]


def test_no_proxy_exempts_its_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host listed in NO_PROXY is reached directly, even with a (dead) proxy configured."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": True})

    status, _ = _exchange(handler, "getMe", _data())
    assert status == 200


@pytest.mark.parametrize("address", ["https//api.telegram.org/bot123:SECRET/getMe", "ftp://x/bot123:SECRET/getMe"])
def test_a_mistyped_address_never_shows_the_token(address: str) -> None:
    """aiohttp quotes the address in its error; the NetworkError PTB sees does not hold the token."""

    async def run() -> None:
        request = AiohttpRequest(1)
        try:
            await request.initialize()
            await request.do_request(address, "POST")
        finally:
            await request.shutdown()

    with pytest.raises(NetworkError) as caught:
        asyncio.run(run())
    assert "SECRET" not in str(caught.value) and caught.value.__cause__ is None


def test_an_update_ptb_cannot_read_is_cut_to_its_id() -> None:
    """One malformed update in a batch keeps its id (so the offset moves on); the others are untouched."""
    good = {"update_id": 2, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"}}
    batch = {"ok": True, "result": [{"update_id": 1, "message": {"message_id": "x"}}, good]}
    result = json.loads(readable_updates(json.dumps(batch).encode()))["result"]
    assert result == [{"update_id": 1}, good]
    assert (
        readable_updates(json.dumps({"ok": True, "result": [good]}).encode())
        == json.dumps({"ok": True, "result": [good]}).encode()
    )


# --- the same behaviour as PTB's own HTTPXRequest on every error path ---------------------------
TOKEN = "123:SECRET"


async def _reply(request: web.Request) -> web.StreamResponse:
    """The Bot API's answers, good and bad, chosen by the path: /bot<token>/<case>."""
    case = request.match_info["case"]
    if case == "slow":
        await asyncio.sleep(2)
    if case == "hangup":
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(1)
    replies: dict[str, tuple[int, object]] = {
        "ok": (200, {"ok": True, "result": True}),
        "slow": (200, {"ok": True, "result": True}),
        "hangup": (200, {"ok": True, "result": True}),  # never reaches the client
        "bad_request": (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
        "migrated": (
            400,
            {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group upgraded",
                "parameters": {"migrate_to_chat_id": -100123},
            },
        ),
        "unauthorized": (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
        "forbidden": (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
        "not_found": (404, {"ok": False, "error_code": 404, "description": "Not Found"}),
        "conflict": (409, {"ok": False, "error_code": 409, "description": "Conflict: terminated by other getUpdates"}),
        "flood": (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            },
        ),
        "server_error": (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
        "bad_gateway": (502, "<html>Bad Gateway</html>"),
        "not_json": (200, "<html>maintenance</html>"),
        "ok_false": (200, {"ok": False, "description": "something odd"}),
    }
    status, body = replies[case]
    if isinstance(body, str):
        return web.Response(status=status, text=body, content_type="text/html")
    return web.json_response(body, status=status)


@contextlib.asynccontextmanager
async def _bot_api() -> AsyncIterator[str]:
    """A Bot API on 127.0.0.1 answering as :func:`_reply` does; yields its address."""
    runner, base = await _serve(_reply, "/bot{token}/{case}")
    try:
        yield base
    finally:
        await runner.cleanup()


async def _outcome(request: BaseRequest, url: str) -> tuple[str, str]:
    """What ``request`` makes of a call: the result, or the PTB exception's type and message."""
    await request.initialize()
    try:
        return "result", repr(await request.post(url, read_timeout=0.5))
    except Exception as error:  # the point is to compare whatever either raises
        return type(error).__name__, str(error)
    finally:
        await request.shutdown()


def _both(url_of: Callable[[str], str]) -> tuple[tuple[str, str], tuple[str, str]]:
    """The outcome of one call through PTB's HTTPXRequest and through AiohttpRequest."""
    from telegram.request import HTTPXRequest

    async def run() -> tuple[tuple[str, str], tuple[str, str]]:
        async with _bot_api() as base:
            theirs = await _outcome(HTTPXRequest(connection_pool_size=2), url_of(base))
            return theirs, await _outcome(AiohttpRequest(2), url_of(base))

    return asyncio.run(run())


@pytest.mark.parametrize(
    "case",
    [
        "ok",
        "bad_request",
        "migrated",
        "unauthorized",
        "forbidden",
        "not_found",
        "conflict",
        "flood",
        "server_error",
        "bad_gateway",
        "not_json",
        "ok_false",
    ],
)
def test_every_bot_api_reply_ends_as_with_ptbs_own_transport(case: str) -> None:
    """Each reply, good or bad, gives the same result or the same PTB exception with the same message."""
    theirs, ours = _both(lambda base: f"{base}/bot{TOKEN}/{case}")
    assert ours == theirs


@pytest.mark.parametrize("case", ["slow", "hangup"])
def test_a_failing_connection_raises_the_same_ptb_exception(case: str) -> None:
    """A reply slower than the read timeout, or a connection dropped mid-request: same PTB exception."""
    theirs, ours = _both(lambda base: f"{base}/bot{TOKEN}/{case}")
    assert ours[0] == theirs[0]
    assert TOKEN not in ours[1]


@pytest.mark.parametrize(
    "url_of",
    [
        lambda base: "http://127.0.0.1:9/bot123:SECRET/getMe",  # nothing listens on the discard port
        lambda base: base.replace("http://", "http//") + "/bot123:SECRET/getMe",
        lambda base: base.replace("http://", "ftp://") + "/bot123:SECRET/getMe",
    ],
    ids=["refused", "no scheme", "wrong scheme"],
)
def test_an_unusable_address_is_a_network_error_without_the_token(url_of: Callable[[str], str]) -> None:
    """Refused or mistyped addresses raise the NetworkError PTB's transport raises, never showing the token."""
    theirs, ours = _both(url_of)
    assert ours[0] == theirs[0] == "NetworkError"
    assert "SECRET" not in ours[1]


def test_no_free_connection_is_a_timeout_as_with_ptbs_transport() -> None:
    """With the only connection busy, a call waits ``pool_timeout`` and raises the same TimedOut."""
    from telegram.request import HTTPXRequest

    async def outcome(request: BaseRequest, base: str) -> str:
        await request.initialize()
        busy = asyncio.create_task(request.post(f"{base}/bot{TOKEN}/slow", read_timeout=5))
        await asyncio.sleep(0.2)
        try:
            await request.post(f"{base}/bot{TOKEN}/ok", pool_timeout=0.2, connect_timeout=0.2)
            return "result"
        except Exception as error:  # whatever either raises
            return type(error).__name__
        finally:
            busy.cancel()
            await asyncio.gather(busy, return_exceptions=True)
            await request.shutdown()

    async def run() -> tuple[str, str]:
        async with _bot_api() as base:
            return await outcome(HTTPXRequest(connection_pool_size=1), base), await outcome(AiohttpRequest(1), base)

    theirs, ours = asyncio.run(run())
    assert ours == theirs == "TimedOut"
