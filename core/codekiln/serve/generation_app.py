"""The generation service over HTTP: a FastAPI app (``codekiln serve`` serves it with uvicorn).

Routes: ``POST /v1/generate`` (verified code under constraints), the OpenAI-compatible ``POST /v1/completions``,
``POST /v1/chat/completions`` and ``GET /v1/models``, ``GET /v1/generations`` (the history, newest first) and
``GET /v1/generations/{id}``, the human review page (``/review``, :mod:`.review`), ``GET /healthz``,
``GET /metrics`` and FastAPI's ``/openapi.json`` and ``/docs``. Everything but ``/healthz``, ``/metrics`` and
the schema needs ``Authorization: Bearer KEY`` when keys are configured. Every error is
``{"error": "<one line>"}``, or OpenAI's ``{"error": {"message": "<one line>", ...}}`` on the OpenAI routes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Literal

import attrs
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field

from .generation import GenerationService
from .http import (
    ApiKeys,
    BodyLimit,
    LoopbackHosts,
    RequestError,
    exposure,
    install_error_handlers,
    require_api_key,
    serve_app,
)
from .models import SamplingParams
from .review import review_router

__all__ = ["OPENAI_PATHS", "create_app", "run_generation_service"]

#: The OpenAI-compatible routes: their errors take OpenAI's shape, which OpenAI's clients show.
OPENAI_PATHS = frozenset({"/v1/completions", "/v1/chat/completions", "/v1/models"})


class Constraints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_lines: int | None = Field(default=None, ge=1, description="At most this many non-blank lines.")
    required_docstring: bool = Field(default=False, description="Every function documented.")
    type_hints: bool = Field(default=False, description="Every parameter and return type declared.")


class GenerateIn(BaseModel):
    """What to write: a ``prompt`` (with an optional ``signature`` and ``tests`` in codekiln's problem JSON), or
    a ``problem_id`` of a served dataset; in ``language``, under ``constraints``."""

    model_config = ConfigDict(extra="forbid")

    language: str
    model: str = Field(default="auto", description="A served model's name, or 'auto' for the A/B assignment.")
    prompt: str | None = None
    problem_id: str | None = None
    dataset: str = "builtin"
    signature: dict[str, Any] | None = Field(default=None, description='{"name", "params": [{"name", "type"}], '
                                                                       '"returns"}')
    tests: list[dict[str, Any]] | None = Field(default=None, description='[{"args": [...], "expected": ...}]')
    constraints: Constraints = Field(default_factory=Constraints)
    candidates: int = Field(default=2, ge=1, description="Answers sampled per try.")
    tries: int = Field(default=3, ge=1, description="Rounds of sampling before the best answer is returned.")
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    seed: int | None = Field(default=None, description="Repeatable answers: the request is then generated alone, "
                                                       "not in a batch with others.")


class GenerateOut(BaseModel):
    id: str
    model: str
    model_version: str
    arm: str | None
    fallback: dict[str, str] | None = Field(description="Set when the fallback model answered: the failed "
                                                        "model and why.")
    code: str | None = Field(description="None when refused by the security policy.")
    refused: bool
    met_constraints: bool
    reasons: list[str]
    status: str
    passed: bool
    compiled: bool
    tests_passed: int
    tests_total: int
    warnings: list[dict[str, Any]]
    quality: float | None
    security: list[dict[str, Any]]
    constraints: dict[str, bool]
    candidates: int
    tries: int
    latency_s: float
    tokens: int
    verdict: dict[str, Any] = Field(description="The Verdict as codekiln.jsonio.to_json writes it.")


class _OpenAIIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(default="auto", description="A served model's name, or 'auto' for the A/B assignment.")
    temperature: float = Field(default=1.0, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    n: int = Field(default=1, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: Literal[False] = Field(default=False, description="Streaming is not supported.")
    user: str | None = None
    language: str | None = Field(default=None, description="codekiln's extension: the code's language; each "
                                 "answer's code is then security-scanned (choices[i].codekiln.security).")


class CompletionIn(_OpenAIIn):
    prompt: str | list[str]
    max_tokens: int = Field(default=16, ge=1)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class ChatIn(_OpenAIIn):
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)


def _stops(stop: str | list[str] | None) -> tuple[str, ...]:
    return (stop,) if isinstance(stop, str) else tuple(stop or ())


def create_app(service: GenerationService, api_keys: Collection[str] = ()) -> FastAPI:
    """The service's FastAPI app. ``api_keys`` empty: no key asked, and only a ``Host`` naming loopback is
    answered (serve it on loopback only)."""
    from .. import __version__

    metrics = service.metrics
    app = FastAPI(title="codekiln generation service", version=__version__,
                  description="Generates code, verifies it in a sandbox, and answers with the verdict.")
    app.state.api_keys = ApiKeys(api_keys)
    app.add_middleware(BodyLimit, limit=service.limits.max_body_bytes,
                       refused=lambda reason: metrics.rejected.labels(reason).inc(), openai_paths=OPENAI_PATHS)
    if not api_keys:  # added last, so it runs first: a page's rebound request gets no further
        app.add_middleware(LoopbackHosts, refused=lambda reason: metrics.rejected.labels(reason).inc(),
                           openai_paths=OPENAI_PATHS)
    install_error_handlers(app, lambda reason: metrics.rejected.labels(reason).inc(), openai_paths=OPENAI_PATHS)
    app.include_router(review_router(service.store, api_keys))

    def client(request: Request, key: str) -> str:
        """Whom the rate limit and the A/B assignment follow: the key's hash, else the caller's address."""
        return ApiKeys.client_id(key) or (request.client.host if request.client else "")

    @app.post("/v1/generate", response_model=GenerateOut, summary="Generate verified code under constraints")
    async def generate(body: GenerateIn, request: Request, key: str = Depends(require_api_key)) -> dict[str, Any]:
        who = client(request, key)
        async with service.admitted(who):
            params = SamplingParams(n=body.candidates, max_new_tokens=body.max_tokens, temperature=body.temperature,
                                    top_p=body.top_p, seed=body.seed)
            job = await service.job(language=body.language, prompt=body.prompt, problem_id=body.problem_id,
                                    dataset=body.dataset, signature=body.signature, tests=body.tests,
                                    constraints=body.constraints.model_dump(exclude_defaults=True), params=params,
                                    tries=body.tries)
            return await service.generate(job, model_name=body.model, key=key, client=who,
                                          request=body.model_dump(exclude_unset=True))

    async def openai(body: _OpenAIIn, request: Request, key: str, max_tokens: int, prompts: list[str] | None,
                     messages: list[dict[str, str]] | None, shape: Callable[[str, Any], dict[str, Any]],
                     kind: str) -> dict[str, Any]:
        who = client(request, key)
        async with service.admitted(who):
            params = SamplingParams(n=body.n, max_new_tokens=max_tokens, temperature=body.temperature,
                                    top_p=body.top_p, stop=_stops(body.stop), seed=body.seed)
            done = await service.complete(body.model, prompts, messages, params, key=key, client=who,
                                          request=body.model_dump(exclude_unset=True), language=body.language)
        choices, completion_tokens = [], 0
        for group in done.choices:
            for choice in group:
                completion = choice.completion
                # OpenAI's own value for an answer its policy withheld.
                finish = "content_filter" if choice.refused else "length" if completion.truncated else "stop"
                shaped = shape("" if choice.refused else completion.text, finish)
                if choice.security is not None:
                    shaped["codekiln"] = {"security": choice.security, "refused": choice.refused}
                choices.append({"index": len(choices), **shaped})
                completion_tokens += len(completion.token_ids)
        texts = prompts if prompts is not None else [done.model.chat_prompt(messages or [])]
        prompt_tokens = sum(done.model.count_tokens(text) for text in texts)
        return {"id": f"{kind}-{done.choices[0][0].generation_id}", "object": kind, "created": int(time.time()),
                "model": done.model.name, "system_fingerprint": done.model.version, "choices": choices,
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens},
                "codekiln": {"arm": done.arm, "fallback": done.fallback,
                             "generation_ids": [c.generation_id for group in done.choices for c in group]}}

    @app.post("/v1/completions", summary="OpenAI-compatible text completion (not verified)")
    async def completions(body: CompletionIn, request: Request, key: str = Depends(require_api_key)) -> dict:
        prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt
        if not prompts:
            raise RequestError(422, "prompt: give at least one prompt")
        return await openai(body, request, key, body.max_tokens, prompts, None,
                            lambda text, finish: {"text": text, "finish_reason": finish, "logprobs": None},
                            "text_completion")

    @app.post("/v1/chat/completions", summary="OpenAI-compatible chat completion (not verified)")
    async def chat_completions(body: ChatIn, request: Request, key: str = Depends(require_api_key)) -> dict:
        max_tokens = body.max_completion_tokens or body.max_tokens or 256
        messages = [message.model_dump() for message in body.messages]
        return await openai(body, request, key, max_tokens, None, messages,
                            lambda text, finish: {"message": {"role": "assistant", "content": text},
                                                  "finish_reason": finish},
                            "chat.completion")

    @app.get("/v1/models", summary="The served models (OpenAI-compatible)")
    def models(key: str = Depends(require_api_key)) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": m.name, "object": "model", "owned_by": "codekiln",
                                            "version": m.version} for m in service.arms.all()]}

    @app.get("/v1/generations", summary="Stored generations, newest first")
    # Plain functions: FastAPI runs them in its thread pool, so the store's reads never block the event loop.
    def history(limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0), model: str | None = None,
                      key: str = Depends(require_api_key)) -> dict[str, Any]:
        found = service.store.history(limit=limit, offset=offset, model=model)
        return {"generations": [attrs.asdict(g) for g in found]}

    @app.get("/v1/generations/{generation_id}", summary="One stored generation")
    def generation(generation_id: str, key: str = Depends(require_api_key)) -> dict[str, Any]:
        found = service.store.get(generation_id)
        if found is None:
            raise RequestError(404, f"no generation '{generation_id}' in the store")
        return attrs.asdict(found)

    @app.get("/healthz", summary="Liveness and load")
    async def healthz() -> dict[str, Any]:
        arms = service.arms
        return {"status": "ok", "queue_depth": service.queue_depth,
                "models": {"a": arms.a.name, "b": arms.b and arms.b.name,
                           "fallback": arms.fallback and arms.fallback.name},
                "generate_calls": {m.name: m.calls for m in arms.all()},  # batches: fewer than the requests
                "split": arms.split if arms.b else None, "limits": attrs.asdict(service.limits)}

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


def run_generation_service(service: GenerationService, *, host: str, port: int, api_keys: Collection[str],
                           announce: Callable[[str], None]) -> None:
    """Serve ``service`` with uvicorn until SIGINT or SIGTERM (requests in progress get a few seconds)."""
    who = exposure(host, api_keys)
    app = create_app(service, api_keys)
    names = ", ".join(f"{arm} {m.name}" for arm, m in (("a", service.arms.a), ("b", service.arms.b),
                                                        ("fallback", service.arms.fallback)) if m is not None)
    announce(f"generation service on http://{host}:{port} ({who}; models: {names}; OpenAPI at /docs)")
    serve_app(app, host=host, port=port)
