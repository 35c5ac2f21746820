"""The verification service over HTTP: a FastAPI app (``codekiln serve-verifier`` serves it with uvicorn).

Routes: ``POST /v1/verify`` (codekiln's own shape), ``POST /verify`` (NeMo Gym's), ``GET /healthz``,
``GET /metrics`` (Prometheus) and FastAPI's ``/openapi.json`` and ``/docs``. The two ``POST`` routes need
``Authorization: Bearer KEY`` when keys are configured (401 without one, 403 with a wrong one). Every error
is ``{"error": "<one line>"}``.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import Any

import attrs
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import CodekilnError
from ..scoring import Scored
from . import gym
from .verification import RequestError, VerificationService

__all__ = ["VerifyRequest", "VerifyResponse", "create_app", "exposure"]

#: What each refused status counts as in ``codekiln_rejected_requests``.
_REJECTION = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "invalid", 413: "too_large",
              422: "invalid", 429: "concurrency", 503: "queue_full"}


class SampleIn(BaseModel):
    """One sample: its problem by ``dataset`` and ``task_id``, or whole as ``problem``; its language and the
    model's text."""

    model_config = ConfigDict(extra="forbid")

    language: str
    completion: str
    dataset: str | None = None
    task_id: str | None = None
    problem: dict[str, Any] | None = Field(default=None, description="A problem in codekiln's JSON format.")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: list[SampleIn] = Field(min_length=1)


class ResultOut(BaseModel):
    status: str
    passed: bool
    #: True when the failure was ours (the sample says nothing of the model): no reward is given.
    masked: bool
    reward: float | None
    reward_components: dict[str, float | None]
    verdict: dict[str, Any] = Field(description="The Verdict as codekiln.jsonio.to_json writes it.")


class VerifyResponse(BaseModel):
    results: list[ResultOut]


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


class _BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413 before anything parses it, whether its size is
    declared (Content-Length) or not (chunked); the body read is held in memory, so never more than that."""

    def __init__(self, app: ASGIApp, limit: int, refused: Callable[[], None]) -> None:
        self.app, self.limit, self.refused = app, limit, refused

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
            message = await receive()
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
        self.refused()
        response = _error(413, f"the request body is over the limit of {self.limit} bytes")
        await response(scope, receive, send)


def _error(status: int, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": " ".join(message.split())}, status_code=status, headers=headers)


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


def create_app(service: VerificationService, api_keys: Collection[str] = ()) -> FastAPI:
    """The service's FastAPI app. ``api_keys`` empty: no key asked (serve it on loopback only)."""
    from .. import __version__

    keys = [key.encode() for key in api_keys]
    metrics = service.metrics
    app = FastAPI(title="codekiln verification service", version=__version__,
                  description="Verifies model-written code in a sandbox and scores it with codekiln's rewards.")
    app.add_middleware(_BodyLimit, limit=service.limits.max_body_bytes,
                       refused=lambda: metrics.rejected.labels("too_large").inc())

    @app.exception_handler(RequestError)
    async def refused(request: Request, exc: RequestError) -> JSONResponse:
        metrics.rejected.labels(_REJECTION.get(exc.status, "error")).inc()
        return _error(exc.status, str(exc), exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, line = _validation_line(exc)
        metrics.rejected.labels("invalid").inc()
        return _error(status, line)

    @app.exception_handler(CodekilnError)
    async def failed(request: Request, exc: CodekilnError) -> JSONResponse:
        # Ours or a plugin's (a reward that raised): the request was fine, so 500, said in one line.
        return _error(500, str(exc))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback after this handler answers.
        return _error(500, f"internal error ({type(exc).__name__}); the service's log has the traceback")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    def api_key(request: Request) -> str:
        """The caller's key (``""`` when none are configured); 401 without one, 403 with an unknown one."""
        if not keys:
            return ""
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise RequestError(401, "missing API key: send 'Authorization: Bearer KEY'")
        if not any(hmac.compare_digest(given.strip().encode(), key) for key in keys):
            raise RequestError(403, "unknown API key")
        return given.strip()

    async def timed(endpoint: str, work: Callable[[], Awaitable[Any]]) -> Any:
        start = time.perf_counter()
        try:
            return await work()
        finally:
            metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - start)

    @app.post("/v1/verify", response_model=VerifyResponse, summary="Verify and score a batch of samples")
    async def verify(body: VerifyRequest, key: str = Depends(api_key)) -> dict[str, Any]:
        async def work() -> dict[str, Any]:
            if len(body.samples) > service.limits.max_batch:  # before any dataset is loaded for it
                raise RequestError(413, f"{len(body.samples)} samples in one request; the limit is "
                                        f"{service.limits.max_batch}")
            samples = [await service.sample(f"samples[{i}]", s.model_dump(), s.completion)
                       for i, s in enumerate(body.samples)]
            async with service.admitted(key, len(samples)):
                outcomes = await service.verify(samples)
            return {"results": [outcome.to_json() for outcome in outcomes]}

        return await timed("/v1/verify", work)

    # exclude_unset: the echo holds what the request held, not the defaults of fields it left out.
    @app.post("/verify", response_model=gym.GymVerifyResponse, response_model_exclude_unset=True,
              summary="NeMo Gym's verify (one rollout)")
    async def gym_verify(body: gym.GymVerifyRequest, key: str = Depends(api_key)) -> dict[str, Any]:
        async def work() -> dict[str, Any]:
            text = gym.output_text(body.response)
            sample = await service.sample("verifier_metadata", body.verifier_metadata.model_dump(), text)
            async with service.admitted(key, 1):
                outcome: Scored = (await service.verify([sample]))[0]
            return gym.answer(body, outcome)

        return await timed("/verify", work)

    @app.get("/healthz", summary="Liveness and load")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "queue_depth": service.queue_depth, "languages": service.languages.names(),
                "datasets": service.dataset_names, "limits": attrs.asdict(service.limits)}

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


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


def run_verifier_service(service: VerificationService, *, host: str, port: int, api_keys: Collection[str],
                         announce: Callable[[str], None]) -> None:
    """Serve ``service`` with uvicorn until SIGINT or SIGTERM (requests in progress get a few seconds)."""
    import uvicorn

    who = exposure(host, api_keys)
    app = create_app(service, api_keys)
    announce(f"verification service on http://{host}:{port} ({who}; {service.verifier.workers} verifier "
             f"workers; OpenAPI at /docs)")
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                  timeout_graceful_shutdown=5)).run()
