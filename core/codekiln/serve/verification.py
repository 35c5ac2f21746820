"""What the verification service does, apart from HTTP: resolve samples, admit them, verify, reward.

- A sample names its problem by ``dataset`` and ``task_id`` (a dataset registered in the session that needs
  no path, or one the operator named with ``--dataset``) or carries it whole as ``problem`` (codekiln's own
  problem JSON, :mod:`codekiln.jsonio`). Datasets load once per process, lazily, on first use.
- Admission: at most ``per_key_concurrency`` requests of one API key at once (more: 429), at most
  ``queue_size`` samples admitted and not yet verified in the whole service (more: 503); both answers carry
  ``Retry-After``.
- Verification runs in the :class:`~codekiln.verifier.Verifier`'s worker processes through its asyncio API,
  and the rewards in a thread, so the event loop stays free: a hanging sample holds one worker for its own
  time limit and delays nothing else.
- The reward is the configured :class:`~codekiln.rewards.RewardSet`'s total; a masked verdict (the failure
  was ours) is reported as masked, with no reward, never as 0.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs

from ..datasets import load_dataset
from ..errors import CodekilnError, DataError, RegistryError
from ..jsonio import problem_from_row
from ..problem import Problem
from ..scoring import Scored, reward_verdicts
from ..verdict import Verdict
from ..verifier import Sample
from .http import RequestError
from .metrics import ServiceMetrics

if TYPE_CHECKING:
    from ..plugins import Plugins
    from ..rewards import RewardSet
    from ..verifier import Verifier

__all__ = ["COLUMNS", "ServiceLimits", "VerificationService", "check_rewards"]

#: The reward columns the service has for each sample (no token counts: it sees text, not tokens).
COLUMNS = ("completions", "problems", "languages", "verdicts", "codes")
#: Seconds a client is told to wait before trying again after a 429 or a 503.
RETRY_AFTER_S = 1


@attrs.frozen
class ServiceLimits:
    #: Samples in one request (more: 413).
    max_batch: int = attrs.field(default=64, validator=attrs.validators.gt(0))
    #: Samples admitted and not yet verified, all keys together (more: 503).
    queue_size: int = attrs.field(default=256, validator=attrs.validators.gt(0))
    #: Requests of one API key in progress at once (more: 429).
    per_key_concurrency: int = attrs.field(default=4, validator=attrs.validators.gt(0))
    #: Bytes of one request body (more: 413).
    max_body_bytes: int = attrs.field(default=8 * 1024 * 1024, validator=attrs.validators.gt(0))
    #: The most a problem sent whole in a request may raise its own limits to (``time_limit_s``,
    #: ``memory_limit_mb``): ``codekiln serve-verifier`` passes its ``sandbox`` settings. A client cannot buy a
    #: worker for an hour, or memory the operator did not give.
    max_time_s: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    max_memory_mb: int = attrs.field(default=1024, validator=attrs.validators.gt(0))

    def __attrs_post_init__(self) -> None:
        if self.max_batch > self.queue_size:
            raise ValueError(f"max_batch ({self.max_batch}) exceeds queue_size ({self.queue_size}): "
                             "such a request could never be admitted")


def check_rewards(rewards: RewardSet) -> None:
    """Refuse, in one line, a reward that needs a column the service cannot give it (token counts)."""
    for name, reward in rewards.rewards.items():
        needed = [p.name for p in inspect.signature(reward.__call__).parameters.values()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
                  and p.name not in COLUMNS]
        if needed:
            raise RegistryError(f"reward '{name}' needs {', '.join(needed)}, which the verification service does "
                                f"not have (it sees {', '.join(COLUMNS)}); leave it out of the rewards")


class VerificationService:
    """The service's state: the session, the verifier, the rewards, loaded datasets, admission, metrics."""

    def __init__(self, plugins: Plugins, verifier: Verifier, rewards: RewardSet, *,
                 datasets: Sequence[str] = (), limits: ServiceLimits | None = None) -> None:
        check_rewards(rewards)
        self.plugins = plugins
        self.verifier = verifier
        self.rewards = rewards
        self.limits = limits or ServiceLimits()
        self.metrics = ServiceMetrics()
        self.languages = plugins.languages()
        self._registry = plugins.datasets()
        # The names a client may use: every registered dataset that needs no path, and the operator's specs.
        self.dataset_names = sorted({name for name in self._registry.names() if not self._registry.get(name).needs_path}
                                    | set(datasets))
        self._datasets: dict[str, dict[str, Problem]] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._depth = 0
        self._per_key: dict[str, int] = {}
        # Rewards keep per-call state (``last_details``): two requests' threads must not score at once.
        self._scoring = threading.Lock()

    # -- samples ----------------------------------------------------------------------------------------------

    async def sample(self, where: str, data: Mapping[str, Any], completion: str) -> Sample:
        """The :class:`Sample` a request describes (``data``: ``language`` and ``dataset``/``task_id`` or
        ``problem``); an unknown language (400), dataset or task (404) or a malformed problem (422) raises."""
        try:
            language = self.languages.get(data["language"]).name
        except RegistryError as exc:
            raise RequestError(400, f"{where}.language: {exc}") from None
        if (data.get("problem") is None) == (data.get("dataset") is None or data.get("task_id") is None):
            raise RequestError(422, f"{where}: give either 'problem' or both 'dataset' and 'task_id'")
        if data.get("problem") is not None:
            try:
                problem = self._within_limits(problem_from_row(data["problem"], where=f"{where}.problem"))
            except DataError as exc:
                raise RequestError(422, str(exc)) from None
        else:
            problem = await self._task(where, data["dataset"], data["task_id"])
        try:
            problem.check_testable(language)
        except DataError as exc:
            raise RequestError(422, f"{where}: {exc}") from None
        return Sample(problem, completion, language)

    def _within_limits(self, problem: Problem) -> Problem:
        """A problem a client sent, its own limits held to :class:`ServiceLimits`' maxima."""
        time_s, memory_mb = problem.time_limit_s, problem.memory_limit_mb
        return attrs.evolve(problem, time_limit_s=time_s and min(time_s, self.limits.max_time_s),
                            memory_limit_mb=memory_mb and min(memory_mb, self.limits.max_memory_mb))

    async def _task(self, where: str, dataset: str, task_id: str) -> Problem:
        if dataset not in self.dataset_names:
            raise RequestError(404, f"{where}.dataset: unknown dataset '{dataset}'; available: "
                                    f"{', '.join(self.dataset_names)}")
        if dataset not in self._datasets:
            async with self._loading.setdefault(dataset, asyncio.Lock()):  # loaded once, however many ask
                if dataset not in self._datasets:
                    self._datasets[dataset] = await asyncio.to_thread(self._load, dataset)
        problem = self._datasets[dataset].get(task_id)
        if problem is None:
            raise RequestError(404, f"{where}.task_id: no task '{task_id}' in dataset '{dataset}'")
        return problem

    def _load(self, dataset: str) -> dict[str, Problem]:
        try:
            problems = load_dataset(dataset, self._registry)
        except CodekilnError as exc:
            raise RequestError(500, f"dataset '{dataset}' failed to load: {exc}") from None
        return {problem.id: problem for problem in problems}

    # -- admission --------------------------------------------------------------------------------------------

    @property
    def queue_depth(self) -> int:
        return self._depth

    @asynccontextmanager
    async def admitted(self, key: str, samples: int) -> AsyncIterator[None]:
        """Hold one of ``key``'s request slots and ``samples`` places in the queue while the block runs."""
        if self._per_key.get(key, 0) >= self.limits.per_key_concurrency:
            raise RequestError(429, f"this API key already has {self.limits.per_key_concurrency} requests in "
                                    "progress; retry later", retry_after=RETRY_AFTER_S)
        if self._depth + samples > self.limits.queue_size:
            raise RequestError(503, f"the queue is full ({self._depth} of {self.limits.queue_size} samples); "
                                    "retry later", retry_after=RETRY_AFTER_S)
        self._per_key[key] = self._per_key.get(key, 0) + 1
        self._depth += samples
        self.metrics.queue_depth.set(self._depth)
        try:
            yield
        finally:
            self._depth -= samples
            self.metrics.queue_depth.set(self._depth)
            self._per_key[key] -= 1
            if not self._per_key[key]:
                del self._per_key[key]

    # -- verification -----------------------------------------------------------------------------------------

    async def verify(self, samples: Sequence[Sample]) -> list[Scored]:
        """Verdicts from the verifier's workers, then rewards in a thread; in input order."""
        verdicts = await self.verifier.averify_batch(samples)
        outcomes = await asyncio.to_thread(self._reward, samples, verdicts)
        for outcome in outcomes:
            verdict = outcome.verdict
            self.metrics.verdicts.labels(verdict.status.value, verdict.language).inc()
            self.metrics.sample_seconds.labels(verdict.language).observe(sum(verdict.timings.values()))
        return outcomes

    def _reward(self, samples: Sequence[Sample], verdicts: Sequence[Verdict]) -> list[Scored]:
        with self._scoring:
            return reward_verdicts(self.rewards, self.languages, samples, verdicts)
