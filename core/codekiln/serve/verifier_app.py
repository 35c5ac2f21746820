"""The verification service over HTTP: a FastAPI app (``codekiln serve-verifier`` serves it with uvicorn).

Routes: ``POST /v1/verify`` (codekiln's own shape), ``POST /verify`` (NeMo Gym's), ``GET /healthz``,
``GET /metrics`` (Prometheus) and FastAPI's ``/openapi.json`` and ``/docs``. The two ``POST`` routes need
``Authorization: Bearer KEY`` when keys are configured (401 without one, 403 with a wrong one). Every error
is ``{"error": "<one line>"}``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import attrs
from fastapi import Depends, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field

from ..scoring import Scored
from . import gym
from .http import (
    REJECTION,
    ApiKeys,
    BodyLimit,
    LoopbackHosts,
    RequestError,
    exposure,
    install_error_handlers,
    require_api_key,
    serve_app,
)
from .verification import VerificationService

__all__ = ["VerifyRequest", "VerifyResponse", "create_app", "run_verifier_service"]

#: What each refused status counts as in ``codekiln_rejected_requests``: a 429 is the per-key concurrency limit.
_REJECTION = {**REJECTION, 429: "concurrency"}


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


def create_app(service: VerificationService, api_keys: Collection[str] = ()) -> FastAPI:
    """The service's FastAPI app. ``api_keys`` empty: no key asked, and only a ``Host`` naming loopback is
    answered (serve it on loopback only)."""
    from .. import __version__

    metrics = service.metrics
    app = FastAPI(title="codekiln verification service", version=__version__,
                  description="Verifies model-written code in a sandbox and scores it with codekiln's rewards.")
    app.state.api_keys = ApiKeys(api_keys)
    app.add_middleware(BodyLimit, limit=service.limits.max_body_bytes,
                       refused=lambda reason: metrics.rejected.labels(reason).inc())
    if not api_keys:  # added last, so it runs first: a page's rebound request gets no further
        app.add_middleware(LoopbackHosts, refused=lambda reason: metrics.rejected.labels(reason).inc())
    install_error_handlers(app, lambda reason: metrics.rejected.labels(reason).inc(), _REJECTION)

    async def timed(endpoint: str, work: Callable[[], Awaitable[Any]]) -> Any:
        start = time.perf_counter()
        try:
            return await work()
        finally:
            metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - start)

    @app.post("/v1/verify", response_model=VerifyResponse, summary="Verify and score a batch of samples")
    async def verify(body: VerifyRequest, key: str = Depends(require_api_key)) -> dict[str, Any]:
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
    async def gym_verify(body: gym.GymVerifyRequest, key: str = Depends(require_api_key)) -> dict[str, Any]:
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


def run_verifier_service(service: VerificationService, *, host: str, port: int, api_keys: Collection[str],
                         announce: Callable[[str], None]) -> None:
    """Serve ``service`` with uvicorn until SIGINT or SIGTERM (requests in progress get a few seconds)."""
    who = exposure(host, api_keys)
    app = create_app(service, api_keys)
    announce(f"verification service on http://{host}:{port} ({who}; {service.verifier.workers} verifier "
             f"workers; OpenAPI at /docs)")
    serve_app(app, host=host, port=port)
