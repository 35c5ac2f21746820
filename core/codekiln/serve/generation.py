"""What ``codekiln serve`` does apart from HTTP: choose the model, generate, verify, rank, store, count.

- **Arms.** With ``--model-b``, each client goes to model B with probability ``split``, decided by a hash of
  its key (its address without keys), so a client always meets the same model; the arm is stored and
  labels the metrics.
- **Constraints.** ``/v1/generate`` samples ``candidates`` answers per try, verifies them in the sandbox
  (:class:`~codekiln.verifier.Verifier`) and scores them with the built-in rewards ``quality``, ``security``
  and ``constraints`` (:data:`SERVE_REWARDS`, through :func:`codekiln.scoring.reward_verdicts`). An answer
  meets the request when its verdict passes (syntax, compilation, the tests if any) and every active
  constraint holds (and, with ``refuse_insecure``, it has no high-severity finding). The first try with such
  an answer ends the search; after ``tries`` without one, the best answer comes back marked as not meeting,
  with the reasons.
- **Fallback.** A model that raises or runs past ``timeout_s`` is counted and, when a fallback model is
  configured, the fallback answers (the answer says so); without one the request fails with the model's
  reason (500, or 504 for a timeout). Nothing fails silently.
- **Protection.** Per-client rate limit with the ``limits`` library (429 with ``Retry-After``) and a bounded
  number of requests admitted at once (503).
- Every answer is stored in the :class:`~codekiln.serve.store.GenerationStore`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs

from ..builtin.rewards.constraints import CONSTRAINTS
from ..errors import CodekilnError, ConfigError, DataError, RegistryError
from ..feedback import render_feedback
from ..jsonio import problem_from_row, to_json
from ..problem import Problem
from ..scoring import Scored, reward_verdicts
from ..train.prompts import problem_prompt
from ..verdict import Stage
from ..verifier import Sample
from .http import ApiKeys, RequestError
from .metrics import GenerationMetrics
from .models import ModelFailure, SamplingParams, ServedModel
from .store import Generation

if TYPE_CHECKING:
    from ..plugins import Plugins
    from ..scoring import Scorer
    from ..train.completions import Completion
    from .store import GenerationStore

__all__ = ["SERVE_REWARDS", "Arms", "Candidate", "Completed", "GenerationLimits", "GenerationService", "Job",
           "serve_config"]

#: The rewards every answer of ``/v1/generate`` is scored with.
SERVE_REWARDS = {"quality": 1.0, "security": 1.0, "constraints": 1.0}
#: Seconds a client is told to wait after a 503.
RETRY_AFTER_S = 1


@attrs.frozen
class GenerationLimits:
    #: Bytes of one request body (more: 413).
    max_body_bytes: int = attrs.field(default=1024 * 1024, validator=attrs.validators.gt(0))
    #: Requests admitted and not yet answered, all clients together (more: 503).
    queue_size: int = attrs.field(default=32, validator=attrs.validators.gt(0))
    #: Requests per client, in the ``limits`` library's notation (more: 429).
    rate: str = attrs.field(default="60/minute")
    #: Seconds one model call may take before the fallback answers (or the request fails with 504).
    timeout_s: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    #: The most new tokens, candidates per try and tries a request may ask for (more: 422).
    max_tokens: int = attrs.field(default=1024, validator=attrs.validators.gt(0))
    max_candidates: int = attrs.field(default=8, validator=attrs.validators.gt(0))
    max_tries: int = attrs.field(default=5, validator=attrs.validators.gt(0))
    #: The most completions (prompts times ``n``) one OpenAI-style request may ask for (more: 422). The model
    #: generates one batch at a time and a batch whose request timed out still runs to its end, so this bounds
    #: how long one request can hold the model for everyone else.
    max_completions: int = attrs.field(default=16, validator=attrs.validators.gt(0))

    @rate.validator
    def _parses(self, attribute: attrs.Attribute, value: str) -> None:
        _parse_rate(value)


def _parse_rate(rate: str) -> Any:
    import limits

    try:
        parsed = limits.parse(rate)
    except ValueError:
        parsed = None
    if parsed is None or parsed.amount < 1:
        raise ValueError(f"rate limit {rate!r}: write a positive number of requests per unit, such as 60/minute "
                         "or 10/second")
    return parsed


@attrs.frozen
class Arms:
    """The served models: ``a``, optionally ``b`` (which gets ``split`` of the clients) and a ``fallback``."""

    a: ServedModel
    b: ServedModel | None = None
    fallback: ServedModel | None = None
    split: float = attrs.field(default=0.5, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])

    def all(self) -> list[ServedModel]:
        return [m for m in (self.a, self.b, self.fallback) if m is not None]

    def for_client(self, client: str) -> tuple[ServedModel, str | None]:
        """The model and arm of ``client``: sticky, by a hash of its identity; arm None without model B."""
        if self.b is None:
            return self.a, None
        bucket = int(hashlib.sha256(client.encode()).hexdigest()[:8], 16) / 2**32
        return (self.b, "b") if bucket < self.split else (self.a, "a")

    def named(self, name: str) -> ServedModel:
        for model in self.all():
            if model.name == name:
                return model
        raise RequestError(404, f"unknown model '{name}'; served: {', '.join(m.name for m in self.all())}, or "
                                "'auto' for the A/B assignment")


@attrs.frozen
class Job:
    """A ``/v1/generate`` request, resolved: the problem to verify against and what the model is asked."""

    problem: Problem
    language: str
    #: The request in natural language; each model renders it in its own prompt format.
    request_text: str
    #: The problem ships its own prompt for this language (HumanEval): the model continues it as it is.
    native: bool
    params: SamplingParams
    tries: int
    #: Stored with the generation: the problem's id when the request named one.
    problem_id: str | None = None


@attrs.frozen
class Candidate:
    """One sampled answer, verified and scored."""

    model: ServedModel
    prompt: str
    completion: Completion
    scored: Scored
    findings: tuple[dict[str, Any], ...]
    constraints: Mapping[str, bool]
    reasons: tuple[str, ...]

    @property
    def compiled(self) -> bool:
        return bool(getattr(self.scored.verdict.stage(Stage.COMPILE), "ok", False))

    @property
    def quality(self) -> float | None:
        return self.scored.breakdown.components.get("quality")

    @property
    def met(self) -> bool:
        return not self.reasons

    def rank(self) -> tuple:
        """Better answers sort higher: meeting, passing, compiling, more tests and constraints, quality."""
        verdict, components = self.scored.verdict, self.scored.breakdown.components
        tests = verdict.tests_passed / verdict.tests_total if verdict.tests_total else 0.0
        return (self.met, verdict.passed, self.compiled, tests, components.get("constraints") or 0.0,
                self.quality or 0.0, components.get("security") or 0.0)


#: The problem an OpenAI-style answer's code is extracted against: it has none of its own.
_UNVERIFIED = Problem(id="request", description="")


@attrs.frozen
class Choice:
    """One OpenAI-style completion: the id it is stored under, and, when the request named a language, the
    security findings in its code and whether the policy withheld it."""

    generation_id: str
    completion: Completion
    security: list[dict[str, Any]] | None = None
    refused: bool = False


@attrs.frozen
class Completed:
    """The answer to an OpenAI-style request: who answered (and why the fallback did), and per prompt its
    completions."""

    model: ServedModel
    arm: str | None
    fallback: dict[str, str] | None
    choices: list[list[Choice]]


def serve_config(config: Any) -> Any:
    """``config`` with the service's rewards (:data:`SERVE_REWARDS`) and only their parameters."""
    return attrs.evolve(config, rewards=dict(SERVE_REWARDS),
                        reward_params={k: v for k, v in config.reward_params.items() if k in SERVE_REWARDS})


class GenerationService:
    """The service's state: models, scorer (verifier, rewards, problems), store, limits, metrics."""

    def __init__(self, plugins: Plugins, scorer: Scorer, store: GenerationStore, arms: Arms, *,
                 limits: GenerationLimits | None = None, refuse_insecure: bool = False,
                 datasets: Sequence[str] = ()) -> None:
        import limits as ratelimits

        if sorted(scorer.rewards.names) != sorted(SERVE_REWARDS):
            raise ConfigError(f"the generation service scores with {', '.join(SERVE_REWARDS)}; build its Scorer "
                              "from serve_config(config)")
        self.scorer, self.store, self.arms = scorer, store, arms
        self.limits = limits or GenerationLimits()
        self.refuse_insecure = refuse_insecure
        self.metrics = GenerationMetrics()
        registry = plugins.datasets()
        # The datasets a client may name: those that need no path, and the ones the operator gave.
        self.dataset_names = sorted({n for n in registry.names() if not registry.get(n).needs_path} | set(datasets))
        self._rate = _parse_rate(self.limits.rate)
        self._limiter = ratelimits.strategies.MovingWindowRateLimiter(ratelimits.storage.MemoryStorage())
        self._depth = 0
        # Rewards keep per-call state (``last_details``, ``last_findings``): one scoring at a time.
        self._scoring = threading.Lock()

    # -- admission --------------------------------------------------------------------------------------------

    @property
    def queue_depth(self) -> int:
        return self._depth

    @asynccontextmanager
    async def admitted(self, client: str) -> AsyncIterator[None]:
        """Count one of ``client``'s requests against its rate (429) and hold a place in the queue (503)."""
        if not self._limiter.hit(self._rate, client):
            reset = self._limiter.get_window_stats(self._rate, client).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            raise RequestError(429, f"rate limit of {self.limits.rate} reached for this client; retry in {wait} s",
                               retry_after=wait)
        if self._depth >= self.limits.queue_size:
            raise RequestError(503, f"the queue is full ({self._depth} requests in progress); retry later",
                               retry_after=RETRY_AFTER_S)
        self._depth += 1
        self.metrics.queue_depth.set(self._depth)
        try:
            yield
        finally:
            self._depth -= 1
            self.metrics.queue_depth.set(self._depth)

    def check_sampling(self, params: SamplingParams, tries: int = 1) -> None:
        limits = self.limits
        for name, value, most in (("max_tokens", params.max_new_tokens, limits.max_tokens),
                                  ("n", params.n, limits.max_candidates), ("tries", tries, limits.max_tries)):
            if value > most:
                raise RequestError(422, f"{name}: {value} is over this service's limit of {most}")

    # -- requests ---------------------------------------------------------------------------------------------

    async def job(self, *, language: str, prompt: str | None, problem_id: str | None, dataset: str,
                  signature: dict[str, Any] | None, tests: list[dict[str, Any]] | None,
                  constraints: Mapping[str, Any], params: SamplingParams, tries: int) -> Job:
        """The :class:`Job` a ``/v1/generate`` request describes; unknown names and bad input raise."""
        self.check_sampling(params, tries)
        try:
            language = self.scorer.language(language)
        except RegistryError as exc:
            raise RequestError(400, f"language: {exc}") from None
        if problem_id is not None:
            if prompt is not None or signature is not None or tests is not None:
                raise RequestError(422, "give either problem_id or a prompt (with its signature and tests), not both")
            problem = await self._named_problem(dataset, problem_id)
            problem = attrs.evolve(problem, constraints={**problem.constraints, **constraints})
        else:
            if not prompt or not prompt.strip():
                raise RequestError(422, "prompt: say what to write (or give a problem_id)")
            if tests and signature is None:
                raise RequestError(422, "tests: tests need the function's signature")
            row = {"id": "request", "description": prompt, "constraints": dict(constraints)}
            row.update({"signature": signature} if signature is not None else {})
            row.update({"tests": tests} if tests else {})
            try:
                problem = problem_from_row(row, where="request")
            except DataError as exc:
                raise RequestError(422, str(exc).removeprefix("request: ").removeprefix("request.")) from None
        native = language in problem.native
        if problem.signature is None and not native:
            request_text = problem.description
        else:
            try:
                request_text = problem_prompt(problem, language, self.scorer.languages.get(language))
            except DataError as exc:
                raise RequestError(422, str(exc)) from None
        return Job(problem, language, request_text, native, params, tries, problem_id)

    async def _named_problem(self, dataset: str, task_id: str) -> Problem:
        if dataset not in self.dataset_names:
            raise RequestError(404, f"dataset: unknown dataset '{dataset}'; available: {', '.join(self.dataset_names)}")
        try:  # the first request of a dataset loads it (in a thread: it reads files)
            return await asyncio.to_thread(self.scorer.problem, where="request", dataset=dataset, task_id=task_id)
        except DataError as exc:
            raise RequestError(404, f"problem_id: no problem '{task_id}' in dataset '{dataset}'") from exc
        except CodekilnError as exc:
            raise RequestError(500, f"dataset '{dataset}' failed to load: {exc}") from None

    def choose(self, model_name: str, client: str) -> tuple[ServedModel, str | None]:
        """The model a request names and its arm (None), or for ``auto`` the client's A/B assignment."""
        if model_name == "auto":
            return self.arms.for_client(client)
        return self.arms.named(model_name), None

    async def generate(self, job: Job, *, model_name: str, key: str, client: str,
                       request: Mapping[str, Any]) -> dict[str, Any]:
        """Sample, verify and rank up to ``job.tries`` times; store and count the answer; its JSON."""
        start = time.perf_counter()
        primary, arm = self.choose(model_name, client)
        model, best, fallback, sampled = primary, None, None, 0

        def render(model: ServedModel, attempt: int) -> tuple[list[str], SamplingParams]:
            seed = None if job.params.seed is None else job.params.seed + attempt  # each try samples anew
            params = attrs.evolve(job.params, seed=seed, stop=(*job.params.stop, *model.stop(job.native)))
            return [model.prompt(job.request_text, language=job.language, native=job.native)], params

        try:
            for attempt in range(job.tries):
                model, note, prompts, groups = await self._call(model, functools.partial(render, attempt=attempt))
                fallback = fallback or note
                sampled += len(groups[0])
                for candidate in await self._judge(job, model, prompts[0], groups[0]):
                    if best is None or candidate.rank() > best.rank():
                        best = candidate
                if best.met:
                    break
        except CodekilnError:  # no model answered, or scoring failed (a reward that raised): counted, then said
            self._count(model.name, job.language, arm, "error", time.perf_counter() - start)
            raise
        answered_arm = "fallback" if best.model is not primary else arm
        return await self._answer(job, best, answered_arm, fallback, sampled, attempt + 1, key, request, start)

    async def _call(self, model: ServedModel, render: Callable[[ServedModel], tuple[list[str], SamplingParams]]) \
            -> tuple[ServedModel, dict[str, str] | None, list[str], list[list[Completion]]]:
        """Generate with ``model``, or with the fallback when it fails: the model that answered, a note of
        the failure when the fallback answered, the prompts and the completions."""
        fallback = None
        while True:
            prompts, params = render(model)
            try:
                return model, fallback, prompts, await model.generate(prompts, params, self.limits.timeout_s)
            except ModelFailure as failure:
                model, fallback = self._fall_back(model, failure)

    def _fall_back(self, model: ServedModel, failure: ModelFailure) -> tuple[ServedModel, dict[str, str]]:
        """The fallback model after ``model`` failed; the failure raised as a refusal when there is none."""
        self.metrics.model_failures.labels(model.name, failure.kind).inc()
        fallback = self.arms.fallback
        if fallback is None or model is fallback:
            status = 504 if failure.kind == "timeout" else 500
            also = "; the fallback failed too" if model is fallback else "; no fallback model is configured"
            raise RequestError(status, f"{failure}{also}")
        return fallback, {"model": model.name, "reason": str(failure)}

    async def _judge(self, job: Job, model: ServedModel, prompt: str,
                     completions: Sequence[Completion]) -> list[Candidate]:
        samples = [Sample(job.problem, c.text, job.language) for c in completions]
        verdicts = await self.scorer.verifier.averify_batch(samples)

        def score() -> tuple[list[Scored], list[list[Any]]]:
            with self._scoring:
                scored = reward_verdicts(self.scorer.rewards, self.scorer.languages, samples, verdicts,
                                         completion_lengths=[len(c.token_ids) for c in completions],
                                         truncated=[c.truncated for c in completions],
                                         max_new_tokens=job.params.max_new_tokens)
                return scored, list(self.scorer.rewards.rewards["security"].last_findings)

        scored, findings = await asyncio.to_thread(score)
        candidates = []
        for completion, outcome, found in zip(completions, scored, findings):
            shown = tuple(attrs.asdict(f) for f in found)
            constraints = {name: value == 1.0 for name in CONSTRAINTS
                           if (value := outcome.breakdown.details.get(f"constraints/{name}")) is not None}
            reasons = self._reasons(job, outcome, constraints, shown)
            candidates.append(Candidate(model, prompt, completion, outcome, shown, constraints, reasons))
        return candidates

    def _reasons(self, job: Job, outcome: Scored, constraints: Mapping[str, bool],
                 findings: Sequence[dict[str, Any]]) -> tuple[str, ...]:
        """Why an answer does not meet the request; empty when it does."""
        verdict = outcome.verdict
        reasons = []
        feedback = render_feedback(verdict, show_expected=True)  # for the user, who wrote the tests
        if feedback is None:
            reasons.append(f"verification failed on the service's side ({verdict.status.value}): "
                           f"{' '.join(verdict.stderr_tail.split())[:300] or 'no detail'}")
        elif feedback:
            reasons += feedback.splitlines()[:-1]  # the last line asks a model to fix the code: not for users
        active = {**self.scorer.rewards.rewards["constraints"].defaults, **job.problem.constraints}
        code = outcome.code
        if constraints.get("max_lines") is False:
            lines = sum(1 for line in code.splitlines() if line.strip())
            reasons.append(f"max_lines: {lines} non-blank lines, over the limit of {active['max_lines']}")
        if constraints.get("required_docstring") is False:
            reasons.append("required_docstring: a function has no docstring")
        if constraints.get("type_hints") is False:
            reasons.append("type_hints: a parameter or return type is not declared")
        if self.refuse_insecure:
            reasons += [f"security: high-severity finding {f['name']} at line {f['line']}"
                        for f in findings if f["severity"] == "high"]
        return tuple(reasons)

    async def _answer(self, job: Job, best: Candidate, arm: str | None, fallback: dict[str, str] | None,
                      sampled: int, tries: int, key: str, request: Mapping[str, Any], start: float) -> dict[str, Any]:
        verdict = best.scored.verdict
        refused = self.refuse_insecure and any(f["severity"] == "high" for f in best.findings)
        code = None if refused else best.scored.code
        latency = time.perf_counter() - start
        stored = Generation(
            model=best.model.name, model_version=best.model.version, arm=arm, client=ApiKeys.client_id(key),
            prompt=best.prompt, request=dict(request), language=job.language, problem_id=job.problem_id,
            code=code or "", status=verdict.status.value, passed=verdict.passed, compiled=best.compiled,
            quality=best.quality, security=list(best.findings), met_constraints=best.met, reasons=list(best.reasons),
            latency_s=latency, tokens=len(best.completion.token_ids))
        await asyncio.to_thread(self.store.add, stored)
        outcome = "refused" if refused else "met" if best.met else "not_met"
        self._count(best.model.name, job.language, arm, outcome, latency, compiled=best.compiled, quality=best.quality)
        return {
            "id": stored.id, "model": stored.model, "model_version": stored.model_version, "arm": arm,
            "fallback": fallback, "code": code, "refused": refused, "met_constraints": best.met,
            "reasons": list(best.reasons), "status": verdict.status.value, "passed": verdict.passed,
            "compiled": best.compiled, "tests_passed": verdict.tests_passed, "tests_total": verdict.tests_total,
            "warnings": [attrs.asdict(d) for d in verdict.diagnostics if d.severity == "warning"],
            "quality": best.quality, "security": list(best.findings), "constraints": dict(best.constraints),
            "candidates": sampled, "tries": tries, "latency_s": latency, "tokens": stored.tokens,
            "verdict": to_json(verdict),
        }

    # -- OpenAI-compatible completions ------------------------------------------------------------------------

    async def complete(self, model_name: str, prompts: Sequence[str] | None, messages: Sequence[dict[str, str]] | None,
                       params: SamplingParams, *, key: str, client: str, request: Mapping[str, Any],
                       language: str | None = None) -> Completed:
        """Plain generation, not verified: ``n`` completions of each prompt (or of the chat ``messages``), each
        stored. With ``language``, the code in each completion is scanned by the ``security`` reward (and
        withheld under ``refuse_insecure`` when a finding is high-severity)."""
        self.check_sampling(params)
        count = 1 if messages is not None else len(prompts or ())
        if count * params.n > self.limits.max_completions:
            raise RequestError(422, f"prompt: {count} prompt(s) with n={params.n} ask for {count * params.n} "
                                    f"completions, over this service's limit of {self.limits.max_completions} per "
                                    "request")
        if language is not None:
            try:
                language = self.scorer.language(language)
            except RegistryError as exc:
                raise RequestError(400, f"language: {exc}") from None
        start = time.perf_counter()
        primary, arm = self.choose(model_name, client)

        def render(model: ServedModel) -> tuple[list[str], SamplingParams]:
            return (list(prompts) if messages is None else [model.chat_prompt(messages)]), params

        try:
            model, fallback, texts, groups = await self._call(primary, render)
        except RequestError:
            self._count(primary.name, "none", arm, "error", time.perf_counter() - start)
            raise
        arm = "fallback" if model is not primary else arm
        latency = time.perf_counter() - start
        answered = []
        for text, group in zip(texts, groups):
            choices = []
            for completion in group:
                security = None if language is None else await asyncio.to_thread(self._scan, completion.text, language)
                refused = self.refuse_insecure and any(f["severity"] == "high" for f in security or ())
                stored = Generation(model=model.name, model_version=model.version, arm=arm,
                                    client=ApiKeys.client_id(key), prompt=text, request=dict(request),
                                    language=language or "", code="" if refused else completion.text,
                                    security=security or [], latency_s=latency, tokens=len(completion.token_ids))
                await asyncio.to_thread(self.store.add, stored)
                choices.append(Choice(stored.id, completion, security, refused))
            answered.append(choices)
        self._count(model.name, language or "none", arm, "unverified", latency)
        return Completed(model, arm, fallback, answered)

    def _scan(self, text: str, language: str) -> list[dict[str, Any]]:
        """The security findings in the code of an unverified answer (none where the scan abstains)."""
        code = self.scorer.languages.get(language).extract(text, _UNVERIFIED)
        with self._scoring:
            findings = self.scorer.rewards.rewards["security"].scan(code, language) if code.strip() else None
        return [attrs.asdict(f) for f in findings or ()]

    # -- metrics ----------------------------------------------------------------------------------------------

    def _count(self, model: str, language: str, arm: str | None, outcome: str, seconds: float, *,
               compiled: bool = False, quality: float | None = None) -> None:
        labels = (model, language, arm or "")
        self.metrics.generations.labels(*labels, outcome).inc()
        self.metrics.seconds.labels(*labels).observe(seconds)
        if compiled:
            self.metrics.compiled.labels(*labels).inc()
        if quality is not None:
            self.metrics.quality.labels(*labels).observe(quality)

    def close(self) -> None:
        for model in self.arms.all():
            model.close()
