"""The verifier: batches of (problem, completion, language) in, one :class:`~codekiln.verdict.Verdict` each out.

- Identical work (same language, completion and problem) in a batch is done once; verdicts are cached by
  a content hash across batches.
- Work is spread over a pool of worker processes sized to the machine (``workers=0``), or run in this
  process (``workers=1``).
- A failure of ours (the sandbox or a toolchain misbehaving, a worker dying) is retried once, then
  returned as a masked ``infra_error`` verdict: never scored as the model's failure.
- Sync (:meth:`Verifier.verify_batch`) and asyncio (:meth:`Verifier.averify_batch`) APIs.
- Stopping leaves nothing behind: :meth:`Verifier.close` ends the workers at once (the runs of a sample in
  progress are killed, and the sample's own clean-up closes them), and a worker whose owner (the process that made
  the verifier) dies, even by SIGKILL, ends itself the same way. Once the workers are gone, the
  multiprocessing forkserver and resource tracker exit too: they live as long as a process using them.
- The language backends come from the plugin session it is given; each worker process rebuilds exactly
  that session from its description (:meth:`codekiln.plugins.Plugins.spec`), so a blocked plugin is absent
  there too.

>>> from codekiln.verifier import Verifier                                      # doctest: +SKIP
>>> with Verifier(plugins, isolation="namespaces") as verifier:                 # doctest: +SKIP
...     verdicts = verifier.verify_batch([Sample(problem, completion, "python")])
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import signal
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import CodekilnError
from ..jsonio import to_json
from ..parsing import keep_trial_parsers
from ..problem import Problem
from ..sandbox import Isolation, Limits
from ..sandbox import stop_all as stop_all_runs
from ..verdict import Verdict, VerdictStatus
from .pipeline import verify_one
from .runner import SandboxRunner
from .warm import close_all as close_warm

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import Plugins, PluginsSpec
    from .backends import BatchVerifier

__all__ = ["Sample", "Verifier", "verify_one"]

_CACHE_SIZE = 100_000


@attrs.frozen
class Sample:
    problem: Problem
    completion: str
    language: str


def _sample_key(sample: Sample, runner: SandboxRunner) -> str:
    payload = json.dumps(
        [sample.language, sample.completion, to_json(sample.problem), attrs.asdict(runner.limits)],
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# -- worker side ------------------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}
#: How long a worker has to tear down the sample it is verifying once told to stop, before it is killed
#: (generous: on a loaded machine a teardown can take seconds).
_STOP_S = 15.0


def _end_with_the_verifier() -> None:
    """Make this worker end cleanly on SIGTERM, which :meth:`Verifier.close` sends, and send it to itself when
    the process owning the verifier dies (even by SIGKILL, with no chance to close it). SIGINT is ignored: a
    terminal's Ctrl-C reaches the whole process group, and the owner handles it by closing the verifier.

    The forkserver, our parent, cannot be relied on for that: it lives as long as any worker does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    # A worker handed the executor's shutdown sentinel before our SIGTERM arrives exits normally, past the
    # handler (and past atexit): multiprocessing's exit finalizers are its way out.
    multiprocessing.util.Finalize(None, _close_warm_on_exit, exitpriority=10)
    # For a forkserver child, parent_process() is the process that asked for it, and its sentinel becomes
    # readable when that process has exited.
    owner = multiprocessing.parent_process()
    threading.Thread(target=_stop_when_gone, args=(owner.sentinel,), name="codekiln-owner", daemon=True).start()


def _stop_when_gone(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os.kill(os.getpid(), signal.SIGTERM)


def _close_warm_on_exit() -> None:
    _worker["stopping"] = _worker["busy"] = True  # a SIGTERM now lets this clean-up finish, not cut it short
    close_warm()


def _stop_worker(signum: int, frame: Any) -> None:
    _worker["stopping"] = True
    if not _worker.get("busy"):
        close_warm()  # waiting for work: only what the warm paths keep is open
        os._exit(128 + signum)
    # Raising here could land between a sandbox's start and the ``with`` that closes it. Its runs are killed
    # instead and new ones refused, so the sample ends at once through its own clean-up, and
    # _verify_in_worker exits then.
    stop_all_runs()


def _init_worker(plugins: PluginsSpec, runner: SandboxRunner) -> None:
    _end_with_the_verifier()
    keep_trial_parsers()  # a worker holds little: one kept trial parser per language beats a fork per sample
    _worker["languages"] = plugins.build().languages()
    _worker["runner"] = runner


def _verify_in_worker(sample: Sample) -> Verdict:
    if _worker.get("stopping"):  # work queued before the stop: not started
        os._exit(128 + signal.SIGTERM)
    _worker["busy"] = True
    try:
        return _verify(_worker["languages"], _worker["runner"], sample)
    finally:
        _worker["busy"] = False
        if _worker.get("stopping"):
            # Stopped during the sample, whose runs are closed now: exit rather than go back to waiting for
            # work that a dead owner would never send.
            close_warm()
            os._exit(128 + signal.SIGTERM)


def _verify(languages: Any, runner: SandboxRunner, sample: Sample) -> Verdict:
    backend = languages.get(sample.language)
    last_error = None
    for _attempt in range(2):  # one retry: a flaky failure of ours should not cost the sample
        try:
            return verify_one(backend, sample.problem, sample.completion, runner)
        except CodekilnError:
            raise
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}"
    return _infra_verdict(sample, last_error)


def _infra_verdict(sample: Sample, error: str | None) -> Verdict:
    return Verdict(VerdictStatus.INFRA_ERROR, sample.language, masked=True, stderr_tail=error or "",
                   problem_id=sample.problem.id)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up on the way out must not be cut short
    raise SystemExit(128 + signum)


# -- parent side ------------------------------------------------------------------------------------------------


class Verifier:
    """Verifies samples in a sandbox; use as a context manager (or call :meth:`close`) to stop the workers.

    While its workers run, a SIGTERM that would kill this process outright (the default disposition, in a
    script of a user's) raises ``SystemExit(143)`` in the main thread instead, so that the ``with`` block is
    left and the process exits normally: its workers stopped, multiprocessing's temporary directory removed.
    """

    def __init__(
        self,
        plugins: Plugins,
        *,
        isolation: Isolation | str = Isolation.NAMESPACES,
        limits: Limits | None = None,
        workers: int = 0,
        cache: bool = True,
        warm: Mapping[str, bool] | None = None,
    ) -> None:
        # This process's own registry: to validate languages up front, and to verify when workers=1.
        self.languages = plugins.languages()
        cold = {self.languages.get(name).name for name, on in (warm or {}).items() if not on}
        self.runner = SandboxRunner(limits or Limits(), isolation, cold)  # an unavailable level fails here, named
        self.workers = workers or os.cpu_count() or 1
        self.plugins = plugins
        # What the workers rebuild the session from; taken now so a plugin they cannot load fails here, named.
        self._spec = plugins.spec() if self.workers > 1 else None
        self._cache: OrderedDict[str, Verdict] | None = OrderedDict() if cache else None
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._took_sigterm = False

    @classmethod
    def from_config(cls, plugins: Plugins, config: Config) -> BatchVerifier:
        """The verifier a config's ``sandbox`` and ``verifier`` sections describe, for the session ``plugins``:
        what the trainer, the services and the integrations verify with. ``verifier.backend`` picks this
        class (``local``), Ray actors (``ray``) or a verification service (``http``):
        :mod:`codekiln.verifier.backends`."""
        from .backends import verifier_from_config

        return verifier_from_config(plugins, config)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers now: queued work is cancelled, work in progress abandoned (its sandboxes torn
        down), and no process of the pool is left when this returns."""
        self._stop_pool()
        if self._took_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self._took_sigterm = False

    def _stop_pool(self) -> None:
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        workers = list((pool._processes or {}).values())  # the executor has no public way to stop busy workers
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(_STOP_S)
            if worker.is_alive():  # stuck past its clean-up: the sandbox's own --die-with-parent finishes it
                worker.kill()
                worker.join()
        pool.shutdown(wait=True)

    def verify(self, problem: Problem, completion: str, language: str) -> Verdict:
        return self.verify_batch([Sample(problem, completion, language)])[0]

    def verify_batch(self, samples: Sequence[Sample], progress: Callable[[int], None] | None = None) -> list[Verdict]:
        """Verdicts in input order. ``progress(n)`` is told how many samples each finished piece of work
        settled (cached and duplicate samples included), so a progress bar reaches the batch size."""
        keys, todo, done = self._plan(samples)
        copies = Counter(keys)
        report = progress or (lambda n: None)
        report(sum(copies[key] for key in done))
        if self.workers == 1 or len(todo) <= 1:
            for key, sample in todo.items():
                self._store(done, key, _verify(self.languages, self.runner, sample))
                report(copies[key])
        else:
            futures = {self._submit(sample): key for key, sample in todo.items()}
            for future in concurrent.futures.as_completed(futures):
                key = futures[future]
                self._store(done, key, self._result_or_retry(future, todo[key]))
                report(copies[key])
        return [done[key] for key in keys]

    async def averify_batch(self, samples: Sequence[Sample]) -> list[Verdict]:
        """The asyncio twin of :meth:`verify_batch`: the event loop stays free while workers verify."""
        keys, todo, done = self._plan(samples)
        pending = {key: asyncio.wrap_future(self._submit(sample)) for key, sample in todo.items()}
        for key, future in pending.items():
            try:
                verdict = await future
            except concurrent.futures.process.BrokenProcessPool:
                verdict = await asyncio.to_thread(self._result_or_retry, None, todo[key])
            self._store(done, key, verdict)
        return [done[key] for key in keys]

    # -- internals -------------------------------------------------------------------------------------------

    def _plan(self, samples: Sequence[Sample]) -> tuple[list[str], dict[str, Sample], dict[str, Verdict]]:
        """Each sample's key, the distinct work still to do, and the verdicts already known (cached)."""
        names = {language: self.languages.get(language).name for language in {s.language for s in samples}}
        for sample in samples:  # an unknown or broken language, or one without tests, fails before any work starts
            sample.problem.check_testable(names[sample.language])
        keys = [_sample_key(s, self.runner) for s in samples]
        todo: dict[str, Sample] = {}
        done: dict[str, Verdict] = {}
        for key, sample in zip(keys, samples):
            if self._cache is not None and key in self._cache:
                done[key] = self._cache[key]
                self._cache.move_to_end(key)  # least recently used goes first
            elif key not in todo:
                todo[key] = sample
        return keys, todo, done

    def _submit(self, sample: Sample) -> concurrent.futures.Future:
        if self._pool is None:
            if not self._took_sigterm and threading.current_thread() is threading.main_thread() \
                    and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _exit_on_sigterm)
                self._took_sigterm = True
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_init_worker,
                initargs=(self._spec or self.plugins.spec(), self.runner),
            )
        return self._pool.submit(_verify_in_worker, sample)

    def _result_or_retry(self, future: concurrent.futures.Future | None, sample: Sample) -> Verdict:
        try:
            if future is not None:
                return future.result()
        except concurrent.futures.process.BrokenProcessPool:
            pass
        # A worker died (a crash of ours): start a fresh pool and try once more.
        self._stop_pool()
        try:
            return self._submit(sample).result()
        except concurrent.futures.process.BrokenProcessPool as exc:
            return _infra_verdict(sample, f"verifier worker died: {exc}")

    def _store(self, done: dict[str, Verdict], key: str, verdict: Verdict) -> None:
        done[key] = verdict
        if self._cache is not None and not verdict.masked:  # a masked verdict deserves another try later
            self._cache[key] = verdict
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
