"""Where verification runs, chosen by ``verifier.backend`` in the config; one API whatever the backend.

- ``local`` (the default): :class:`codekiln.verifier.Verifier`, worker processes on this machine.
- ``ray``: :class:`codekiln.verifier.ray_pool.RayVerifier`, Ray actors on a cluster (``verifier.ray.address``,
  else ``$RAY_ADDRESS``, else a Ray instance started on this machine for the run).
- ``http``: :class:`HttpVerifier`, a verification service (``codekiln serve-verifier``) at
  ``verifier.http.url``, through :class:`codekiln.client.VerifierClient`.

:func:`verifier_from_config` builds the configured one; :meth:`codekiln.verifier.Verifier.from_config` is that
function, so the trainer, the integrations' :class:`~codekiln.scoring.Scorer` and the services get every
backend. Each has ``verify``, ``verify_batch(samples, progress=None)``, ``averify_batch``, ``close``, the
context manager and ``languages`` (this process's registry: languages are checked here before any work
leaves, and the trainer extracts the verified code with it). The remote backends deduplicate a batch and
cache verdicts as the local verifier does, here in the calling process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from ..errors import CodekilnError, ConfigError
from ..jsonio import to_json
from ..problem import Problem
from ..sandbox import Limits
from ..verdict import Verdict
from . import Sample, Verifier

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import Plugins
    from ..registry import LanguageRegistry

__all__ = ["BatchVerifier", "HttpVerifier", "RemoteVerifier", "VerifierBackendError", "verifier_from_config"]

_CACHE_SIZE = 100_000


class VerifierBackendError(CodekilnError):
    """The configured verifier backend cannot run here: not installed, or its cluster or service unreachable."""


class BatchVerifier(Protocol):
    """What every backend offers (the local :class:`~codekiln.verifier.Verifier` included)."""

    languages: LanguageRegistry

    def verify(self, problem: Problem, completion: str, language: str) -> Verdict: ...
    def verify_batch(self, samples: Sequence[Sample],
                     progress: Callable[[int], None] | None = None) -> list[Verdict]: ...
    async def averify_batch(self, samples: Sequence[Sample]) -> list[Verdict]: ...
    def close(self) -> None: ...


def verifier_from_config(plugins: Plugins, config: Config) -> BatchVerifier:
    """The verifier a config's ``sandbox`` and ``verifier`` sections describe, for the session ``plugins``."""
    settings, sandbox = config.verifier, config.sandbox
    limits = Limits(wall_time_s=sandbox.wall_time_s, cpu_time_s=sandbox.cpu_time_s, memory_mb=sandbox.memory_mb)
    if settings.backend == "http":
        key = os.environ.get(settings.http.api_key_env) if settings.http.api_key_env else None
        return HttpVerifier(plugins, settings.http.url, api_key=key, timeout_s=settings.http.timeout_s,
                            cache=settings.cache)
    if settings.backend == "ray":
        from .ray_pool import RayVerifier

        return RayVerifier(plugins, address=settings.ray.address, workers=settings.workers,
                           isolation=sandbox.isolation, limits=limits, cache=settings.cache, warm=settings.warm)
    return Verifier(plugins, isolation=sandbox.isolation, workers=settings.workers, cache=settings.cache,
                    warm=settings.warm, limits=limits)


def _work_key(sample: Sample) -> str:
    payload = json.dumps([sample.language, sample.completion, to_json(sample.problem)], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class RemoteVerifier:
    """The part of the Verifier API that does not depend on where the work runs: languages checked here,
    identical work in a batch done once, verdicts cached across batches (a masked one is not: it deserves
    another try). A backend implements :meth:`_verify_distinct`."""

    def __init__(self, plugins: Plugins, *, cache: bool) -> None:
        self.plugins = plugins
        self.languages = plugins.languages()
        self._cache: OrderedDict[str, Verdict] | None = OrderedDict() if cache else None

    def __enter__(self) -> RemoteVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what the backend holds; subclasses extend it."""

    def verify(self, problem: Problem, completion: str, language: str) -> Verdict:
        return self.verify_batch([Sample(problem, completion, language)])[0]

    def verify_batch(self, samples: Sequence[Sample], progress: Callable[[int], None] | None = None) -> list[Verdict]:
        """Verdicts in input order; ``progress(n)`` is told how many samples each settled verdict covers."""
        keys, todo, done = self._plan(samples)
        copies = Counter(keys)
        report = progress or (lambda n: None)
        report(sum(copies[key] for key in done))
        work = list(todo)

        def settle(index: int, verdict: Verdict) -> None:
            self._store(done, work[index], verdict)
            report(copies[work[index]])

        self._verify_distinct(list(todo.values()), settle)
        return [done[key] for key in keys]

    async def averify_batch(self, samples: Sequence[Sample]) -> list[Verdict]:
        """The asyncio twin of :meth:`verify_batch`: the remote work is waited for in a thread, so the event
        loop stays free (and the cache is only touched here, on the loop)."""
        keys, todo, done = self._plan(samples)
        verdicts: list[Verdict | None] = [None] * len(todo)

        def settle(index: int, verdict: Verdict) -> None:
            verdicts[index] = verdict

        await asyncio.to_thread(self._verify_distinct, list(todo.values()), settle)
        for key, verdict in zip(todo, verdicts, strict=True):
            assert verdict is not None
            self._store(done, key, verdict)
        return [done[key] for key in keys]

    def _verify_distinct(self, samples: list[Sample], settle: Callable[[int, Verdict], None]) -> None:
        """Verify each sample, calling ``settle(index, verdict)`` once per sample as its verdict arrives."""
        raise NotImplementedError

    def _plan(self, samples: Sequence[Sample]) -> tuple[list[str], dict[str, Sample], dict[str, Verdict]]:
        for language in {s.language for s in samples}:
            self.languages.get(language)  # an unknown or blocked language fails before any work leaves
        keys = [_work_key(s) for s in samples]
        todo: dict[str, Sample] = {}
        done: dict[str, Verdict] = {}
        for key, sample in zip(keys, samples):
            if self._cache is not None and key in self._cache:
                done[key] = self._cache[key]
                self._cache.move_to_end(key)
            elif key not in todo:
                todo[key] = sample
        return keys, todo, done

    def _store(self, done: dict[str, Verdict], key: str, verdict: Verdict) -> None:
        done[key] = verdict
        if self._cache is not None and not verdict.masked:
            self._cache[key] = verdict
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)


class HttpVerifier(RemoteVerifier):
    """Verifies on a verification service (``codekiln serve-verifier``): each sample goes with its whole
    problem, and the service's sandbox limits and workers apply. The client retries what fails on the way
    (no connection, 429, 503) with backoff; a service that stays unreachable, or refuses the request (a
    wrong API key, a language it lacks), raises :class:`~codekiln.client.VerifierServiceError` in one line.
    The service's own failures come back as masked verdicts, as they would locally."""

    def __init__(self, plugins: Plugins, url: str | None, *, api_key: str | None = None, timeout_s: float = 300.0,
                 cache: bool = True) -> None:
        from ..client import VerifierClient

        if not url:
            raise ConfigError("verifier.backend is 'http' but verifier.http.url is not set: set it to a running "
                              "`codekiln serve-verifier`, e.g. verifier.http.url=http://127.0.0.1:8000")
        super().__init__(plugins, cache=cache)
        _check_reachable(url)
        self.client = VerifierClient(url, api_key=api_key, timeout_s=timeout_s)

    def close(self) -> None:
        self.client.close()

    def _verify_distinct(self, samples: list[Sample], settle: Callable[[int, Verdict], None]) -> None:
        for index, result in enumerate(self.client.verify_batch(samples) if samples else []):
            settle(index, result.verdict)


def _check_reachable(url: str) -> None:
    """Fail now, in one line, rather than at the first batch after the client's retries."""
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=10.0)
    except httpx.HTTPError as exc:
        raise VerifierBackendError(f"cannot reach the verification service at {url} ({type(exc).__name__}: {exc}); "
                                   "start it with `codekiln serve-verifier` or fix verifier.http.url") from None
    if response.status_code != 200:
        raise VerifierBackendError(f"{url}/healthz answered {response.status_code}: is verifier.http.url a "
                                   "`codekiln serve-verifier`?")
