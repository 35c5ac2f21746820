"""The Ray verifier pool (``verifier.backend: ray``): the local verifier's API, the work on Ray actors.

- Each actor holds a single-process :class:`~codekiln.verifier.Verifier` in the plugin session the driver
  described (:meth:`codekiln.plugins.Plugins.spec`), so a blocked plugin is absent on the cluster too, and
  runs every sample in its node's sandbox with the config's isolation and limits.
- One sample at a time per actor, handed to whichever actor is free: a hanging sample holds one actor for
  its own time limit and delays nothing else.
- An actor that dies (a crash of ours, a node lost) is replaced and its sample tried once more on another;
  a second death returns a masked ``infra_error`` verdict, never the model's failure.
- The cluster: ``address`` (``verifier.ray.address``), else ``$RAY_ADDRESS``, else the Ray instance this
  process already joined, else a local one started here and shut down by :meth:`RayVerifier.close`.
  Every node needs codekiln, the language plugins and their toolchains installed.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import CodekilnError
from ..parsing import keep_trial_parsers
from ..sandbox import Isolation, Limits
from ..verdict import Verdict, VerdictStatus
from . import Sample, Verifier
from .backends import RemoteVerifier, VerifierBackendError

if TYPE_CHECKING:
    from ..plugins import Plugins, PluginsSpec

__all__ = ["RayVerifier"]

#: How long the actors may take to start (import codekiln, build the session) before the pool gives up.
_START_S = 120.0


class _VerifierActor:
    """What runs in each Ray actor: the driver's plugin session rebuilt, and a verifier in this process."""

    def __init__(self, spec: PluginsSpec, isolation: str, limits: Limits, warm: Mapping[str, bool]) -> None:
        keep_trial_parsers()  # an actor holds little: see codekiln.parsing
        try:
            self.plugins = spec.build()
            self.verifier = Verifier(self.plugins, isolation=isolation, limits=limits, workers=1, cache=False,
                                     warm=warm)
            self.failure = None
        except Exception as exc:  # said by ready() in one line, rather than in Ray's report of a dead actor
            self.failure = f"{type(exc).__name__}: {exc}"

    def ready(self) -> int:
        if self.failure is not None:
            raise VerifierBackendError(f"a verifier actor cannot start on its node ({self.failure}); every node "
                                       "needs codekiln, the plugins the session uses and their toolchains")
        return os.getpid()

    def verify(self, sample: Sample) -> Verdict:
        self.ready()
        return self.verifier.verify_batch([sample])[0]

    def plugin_names(self) -> list[str]:
        self.ready()
        return sorted(self.plugins.infos)


class RayVerifier(RemoteVerifier):
    """Verifies on ``workers`` Ray actors (0: one per CPU of the cluster); use as a context manager or call
    :meth:`close`, which ends the actors (and the Ray instance, when this pool started it)."""

    def __init__(self, plugins: Plugins, *, address: str | None = None, workers: int = 0,
                 isolation: Isolation | str = Isolation.NAMESPACES, limits: Limits | None = None, cache: bool = True,
                 warm: Mapping[str, bool] | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise VerifierBackendError("verifier.backend is 'ray' but Ray is not installed: "
                                       "pip install 'codekiln[ray]'") from None
        super().__init__(plugins, cache=cache)
        self._ray = ray
        spec = plugins.spec()  # a plugin the actors cannot load fails here, named
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(_VerifierActor)
        self._args = (spec, Isolation(isolation).value, limits or Limits(), dict(warm or {}))
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._replacing = threading.Lock()
        self._actors: list[Any] = []
        self._started_ray = _join_cluster(ray, address)
        try:
            self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            self._actors = [self._new_actor() for _ in range(self.workers)]
            self._wait_ready(self._actors)
        except BaseException:
            self.close()  # the actors that did start, and the Ray instance if this started it
            raise
        for actor in self._actors:
            self._idle.put(actor)

    def close(self) -> None:
        """End the actors now (the runs in progress die with them), and the Ray instance if it is ours."""
        actors, self._actors = self._actors, []
        for actor in actors:
            self._ray.kill(actor)
        if self._started_ray:
            self._ray.shutdown()
            self._started_ray = False

    def worker_plugins(self) -> list[list[str]]:
        """The plugins each actor's session holds: to see that a block list (or an extra plugin) holds on the
        cluster."""
        return self._ray.get([actor.plugin_names.remote() for actor in self._actors], timeout=_START_S)

    # -- internals ------------------------------------------------------------------------------------------------

    def _new_actor(self) -> Any:
        return self._actor_class.remote(*self._args)

    def _wait_ready(self, actors: list[Any]) -> None:
        ray = self._ray
        try:
            ray.get([actor.ready.remote() for actor in actors], timeout=_START_S)
        except ray.exceptions.GetTimeoutError:
            cpus = ray.cluster_resources().get("CPU", 0)
            raise VerifierBackendError(f"{len(actors)} verifier actors did not start within {_START_S:.0f} s on a "
                                       f"Ray cluster of {cpus:g} CPUs: lower verifier.workers") from None
        except ray.exceptions.RayTaskError as exc:
            raise _user_error(exc) from None
        except ray.exceptions.RayActorError as exc:
            raise VerifierBackendError(f"a verifier actor died while starting: {_actor_failure(exc)}") from None

    def _verify_distinct(self, samples: list[Sample], settle: Callable[[int, Verdict], None]) -> None:
        ray = self._ray
        waiting = [(index, 0) for index in reversed(range(len(samples)))]  # (sample, earlier attempts), popped
        running: dict[Any, tuple[int, int, Any]] = {}
        try:
            while waiting or running:
                while waiting:
                    actor = self._take_actor(wait=not running)
                    if actor is None:
                        break
                    index, attempts = waiting.pop()
                    running[actor.verify.remote(samples[index])] = (index, attempts, actor)
                [ref], _ = ray.wait(list(running), num_returns=1)
                index, attempts, actor = running.pop(ref)
                try:
                    verdict = ray.get(ref)
                except ray.exceptions.RayActorError as exc:
                    actor = self._replace(actor)
                    if attempts == 0:  # a crash of ours should not cost the sample: once more, on another actor
                        waiting.append((index, 1))
                        continue
                    verdict = Verdict(VerdictStatus.INFRA_ERROR, samples[index].language, masked=True,
                                      problem_id=samples[index].problem.id,
                                      stderr_tail=f"verifier actor died: {_actor_failure(exc)}")
                except ray.exceptions.RayTaskError as exc:
                    raise _user_error(exc) from None
                finally:
                    self._idle.put(actor)
                settle(index, verdict)
        finally:
            for _index, _attempts, actor in running.values():  # after an error: their work is queued on them
                self._idle.put(actor)

    def _take_actor(self, *, wait: bool) -> Any:
        """A free actor; None when none is free and the caller has work of its own in progress to wait for."""
        try:
            return self._idle.get(block=wait)
        except queue.Empty:
            return None

    def _replace(self, dead: Any) -> Any:
        self._ray.kill(dead)
        actor = self._new_actor()
        with self._replacing:  # batches in several threads (the service's requests) may replace at once
            self._actors = [actor if a is dead else a for a in self._actors]
        return actor


def _join_cluster(ray: Any, address: str | None) -> bool:
    """Connect to the cluster to use; True when this call started a Ray instance (to shut down later)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        _check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise VerifierBackendError(f"cannot start or join {where}: {exc}; fix verifier.ray.address "
                                   "(or $RAY_ADDRESS), or leave both unset to start a local one") from None
    return address is None


def _check_reachable(address: str) -> None:
    """A ``host:port`` address that nothing answers on fails in a second, instead of Ray's minutes of retries."""
    host, sep, port = address.rpartition(":")
    if address == "auto" or "://" in address or not sep or not port.isdigit():
        return  # "auto" and ray:// (Ray Client) addresses: Ray resolves and reports them itself
    try:
        socket.create_connection((host, int(port)), timeout=5.0).close()
    except OSError as exc:
        raise VerifierBackendError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}): start it "
                                   "with `ray start --head`, or fix verifier.ray.address (or $RAY_ADDRESS)") from None


def _user_error(exc: Any) -> Exception:
    """What an actor's method raised: a CodekilnError (one line, the user's to fix) as itself, anything else
    (a bug) with Ray's traceback."""
    return exc.cause if isinstance(exc.cause, CodekilnError) else exc


def _actor_failure(exc: Exception) -> str:
    """The first line of what Ray says about a dead actor (its message runs over many lines)."""
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(exc).__name__
