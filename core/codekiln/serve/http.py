"""What codekiln's HTTP services share: API keys, who may reach a service, the request-body limit, one-line
JSON errors, and serving an app with uvicorn.

Every error a service answers is ``{"error": "<one line>"}``, except on OpenAI-compatible routes, where it
is OpenAI's ``{"error": {"message": "<one line>", "type": ..., "code": STATUS}}`` so that OpenAI's clients show
the line. A refusal is a :class:`RequestError` raised anywhere below a route; :func:`install_error_handlers`
turns it, FastAPI's validation errors and crashes into that shape, and reports each refusal's reason to the
service's metrics.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Collection, Container, Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import CodekilnError

__all__ = ["ApiKeys", "BodyLimit", "LoopbackHosts", "RequestError", "error_response", "exposure",
           "install_error_handlers", "read_api_keys", "require_api_key", "serve_app"]

#: What each refused status counts as in a service's rejected-requests counter.
REJECTION = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "invalid", 413: "too_large",
             422: "invalid", 429: "rate_limited", 503: "queue_full", 504: "timeout"}


class RequestError(CodekilnError):
    """A request a service refuses: an HTTP status and one line saying why."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def read_api_keys(environ: str | None, key_file: str | None) -> list[str]:
    """The keys of ``CODEKILN_API_KEYS`` (comma-separated) and of ``key_file`` (one a line, ``#`` comments)."""
    keys = [key.strip() for key in (environ or "").split(",") if key.strip()]
    if key_file is not None:
        try:
            lines = Path(key_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise CodekilnError(f"cannot read the API key file {key_file}: {exc.strerror}") from None
        from_file = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if not from_file:
            raise CodekilnError(f"the API key file {key_file} holds no key (one a line)")
        keys += from_file
    return list(dict.fromkeys(keys))


def exposure(host: str, api_keys: Collection[str]) -> str:
    """The line announcing who may reach the service; without keys only a loopback host is accepted."""
    if api_keys:
        return f"{len(api_keys)} API key(s) configured"
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise CodekilnError(f"refusing to listen on {host} without API keys: set CODEKILN_API_KEYS=k1,k2 or "
                            "--api-key-file, or listen on 127.0.0.1")
    return "no API keys configured: listening on loopback only"


class ApiKeys:
    """The configured keys, compared in constant time. No keys: every caller is let in, as ``""``."""

    def __init__(self, keys: Collection[str]) -> None:
        self._keys = [key.encode() for key in keys]

    def __bool__(self) -> bool:
        return bool(self._keys)

    def check(self, given: str | None) -> str:
        """``given`` if it is a configured key (``""`` when none are configured); 401 without one, 403 with an
        unknown one."""
        if not self._keys:
            return ""
        if not given or not given.strip():
            raise RequestError(401, "missing API key: send 'Authorization: Bearer KEY'")
        if not any(hmac.compare_digest(given.strip().encode(), key) for key in self._keys):
            raise RequestError(403, "unknown API key")
        return given.strip()

    def from_request(self, request: Request) -> str:
        """The caller's key from ``Authorization: Bearer KEY``, checked."""
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return self.check(given if scheme.lower() == "bearer" else None)

    @staticmethod
    def client_id(key: str) -> str | None:
        """What identifies a caller in stored data: the key's sha256, never the key; None without keys."""
        return hashlib.sha256(key.encode()).hexdigest() if key else None


def require_api_key(request: Request) -> str:
    """A FastAPI dependency: the caller's checked key, by the app's ``app.state.api_keys`` (an
    :class:`ApiKeys`). Routers mounted into a service's app (``/review``) use it as its own routes do."""
    return request.app.state.api_keys.from_request(request)


class LoopbackHosts:
    """Without API keys a service listens on loopback only, yet a web page the user visits can still reach it by
    DNS rebinding (its own name, re-pointed at 127.0.0.1): that request names the page's host, so only a
    ``Host`` naming loopback (``localhost``, ``127.0.0.1``, ``[::1]`` or another loopback address, any port) is
    let in; others are answered 400. ``refused(reason)`` counts each refusal (``invalid``)."""

    def __init__(self, app: ASGIApp, refused: Callable[[str], None], openai_paths: Container[str] = ()) -> None:
        self.app, self.refused, self.openai_paths = app, refused, openai_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1")
        if scope["type"] != "http" or _names_loopback(host):  # the services have no websocket routes
            await self.app(scope, receive, send)
            return
        self.refused("invalid")
        await error_response(400, f"Host {host[:100]!r} refused: without API keys this service answers only "
                                  "requests to localhost, 127.0.0.1 or [::1]",
                             openai=scope["path"] in self.openai_paths)(scope, receive, send)


def _names_loopback(host: str) -> bool:
    """Whether a ``Host`` header (``name``, ``name:port``, ``[v6]`` or ``[v6]:port``) names a loopback address."""
    match = _HOST.fullmatch(host)
    if match is None:
        return False
    name, v6 = match["name"], match["v6"]
    if name is not None and name.lower() == "localhost":
        return True
    try:
        return (ipaddress.IPv6Address(v6) if v6 is not None else ipaddress.IPv4Address(name)).is_loopback
    except ValueError:
        return False


_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]]+))(?::[0-9]{1,5})?")


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413 before anything parses it, whether its size is
    declared (Content-Length) or not (chunked); the body read is held in memory, so never more than that. A body
    that stops arriving for ``stall_s`` is answered 408 and its connection closed: a client that sends a few bytes
    and then nothing would otherwise hold its connection, and the body read so far, for ever.
    ``refused(reason)`` counts each refusal (``too_large``, ``timeout``)."""

    def __init__(self, app: ASGIApp, limit: int, refused: Callable[[str], None],
                 openai_paths: Container[str] = (), stall_s: float = 30.0) -> None:
        self.app, self.limit, self.refused, self.openai_paths = app, limit, refused, openai_paths
        self.stall_s = stall_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.stall_s)
            except TimeoutError:
                await self._refuse(scope, receive, send, 408, "timeout",
                                   f"the request body stalled: nothing arrived for {self.stall_s:g} s")
                return
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._too_large(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return body.pop() if body else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._refuse(scope, receive, send, 413, "too_large",
                           f"the request body is over the limit of {self.limit} bytes")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, reason: str,
                      message: str) -> None:
        self.refused(reason)
        response = error_response(status, message, openai=scope["path"] in self.openai_paths)
        response.headers["Connection"] = "close"  # the rest of the body will not be read: the connection is done
        await response(scope, receive, send)


def error_response(status: int, message: str, retry_after: int | None = None, *, openai: bool = False) \
        -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    line = " ".join(message.split())
    error: str | dict = line
    if openai:
        kind = "server_error" if status >= 500 else "rate_limit_error" if status in (429, 503) else \
            "invalid_request_error"
        error = {"message": line, "type": kind, "code": status}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _validation_line(exc: RequestValidationError) -> tuple[int, str]:
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        return 400, f"the body is not valid JSON: {first.get('ctx', {}).get('error', first.get('msg'))}"
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                   for part in first.get("loc", ())[1:]).lstrip(".")  # without the leading "body"
    if not path:
        return 400, "the body must be a JSON object, sent with Content-Type: application/json"
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return 422, f"{path}: {message}"


def install_error_handlers(app: FastAPI, rejected: Callable[[str], None], reasons: Mapping[int, str] = REJECTION,
                           openai_paths: Container[str] = ()) -> None:
    """Answer every error in one line (in OpenAI's shape on ``openai_paths``); ``rejected(reason)`` counts each
    refused request by its reason, the name ``reasons`` gives its status."""

    def answer(request: Request, status: int, message: str, retry_after: int | None = None) -> JSONResponse:
        return error_response(status, message, retry_after, openai=request.url.path in openai_paths)

    @app.exception_handler(RequestError)
    async def refused(request: Request, exc: RequestError) -> JSONResponse:
        rejected(reasons.get(exc.status, "error"))
        return answer(request, exc.status, str(exc), exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, line = _validation_line(exc)
        rejected("invalid")
        return answer(request, status, line)

    @app.exception_handler(CodekilnError)
    async def failed(request: Request, exc: CodekilnError) -> JSONResponse:
        # Ours or a plugin's (a reward that raised): the request was fine, so 500, said in one line.
        return answer(request, 500, str(exc))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback after this handler answers.
        return answer(request, 500, f"internal error ({type(exc).__name__}); the service's log has the traceback")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return answer(request, exc.status_code, str(exc.detail))


def serve_app(app: FastAPI, *, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn until SIGINT or SIGTERM (requests in progress get a few seconds)."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                  timeout_graceful_shutdown=5)).run()
