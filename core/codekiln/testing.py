"""A pytest plugin for codekiln plugin authors (loaded automatically once codekiln is installed).

Hermetic caches: before any conftest or test module is imported, every cache codekiln and the libraries it
uses write (see :func:`codekiln.cache.hermetic_environment`) is pointed below one directory made for this
test session, in ``os.environ`` so that subprocesses follow too, and removed when the session ends. A run on
a used machine thus behaves as on a fresh one, whatever an older version left in ``~/.cache`` or ``/tmp``.

- :class:`LanguageConformance`: the suite every language backend must pass; subclass it in your tests.
- :func:`verify_warm` and :func:`kill_zygote`: for testing a warm path that forks its runs from a
  :class:`codekiln.sandbox.Zygote`.

Fixtures:

- ``codekiln_plugins``: a fresh plugin session with only the built-ins, no entry points, so a test sees
  exactly the plugins it registers itself. Tests are entry points: hand the session to what the test builds
  (``Verifier(codekiln_plugins, ...)``, ``RewardSet.from_config(config, codekiln_plugins)``).
- ``register_plugin``: a context manager registering a plugin for the duration of a ``with`` block::

      def test_my_reward(codekiln_plugins, register_plugin):
          with register_plugin(my_plugin_module):
              assert "my_reward" in codekiln_plugins.rewards()
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import pytest

from codekiln.cache import hermetic_environment
from codekiln.parsing import DEFAULT_BUDGET
from codekiln.plugins import Plugins, make_plugins, registered
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits
from codekiln.verdict import Stage, Verdict, VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.pipeline import MAX_CODE_BYTES
from codekiln.verifier.warm import close_all as close_warm

__all__ = [
    "CONFORMANCE_FLOAT_PROBLEM",
    "CONFORMANCE_PROBLEM",
    "LanguageConformance",
    "codekiln_plugins",
    "descendant_processes",
    "register_plugin",
    "sandbox_processes",
    "uptime",
]


_SESSION_CACHE_KEY = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Called for installed plugins only, before the conftests (and what they import) load.
    root = tempfile.mkdtemp(prefix="codekiln-test-session-")
    # The process isolation level shows the host filesystem to the sandbox's uids: they read the C++ cache.
    os.chmod(root, 0o755)
    early_config.stash[_SESSION_CACHE_KEY] = root
    os.environ.update(hermetic_environment(root))


def pytest_unconfigure(config: pytest.Config) -> None:
    root = config.stash.get(_SESSION_CACHE_KEY, None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def codekiln_plugins() -> Plugins:
    """A plugin session without autoload: the built-ins only. Hand it to what a test builds (a
    ``Verifier``, ``RewardSet.from_config``); a plugin registered in it with ``register_plugin`` reaches the
    verifier's worker processes when it is a module importable by name."""
    return make_plugins(autoload=False, block=(), trace=False)


@pytest.fixture
def register_plugin(codekiln_plugins: Plugins) -> Callable[..., AbstractContextManager[Any]]:
    """``with register_plugin(plugin, name=None):`` registers ``plugin`` in ``codekiln_plugins``."""

    def register(plugin: Any, name: str | None = None) -> AbstractContextManager[Any]:
        return registered(codekiln_plugins, plugin, name)

    return register


# ---------------------------------------------------------------------------------------------------------
# The language-backend conformance suite
# ---------------------------------------------------------------------------------------------------------

#: The problem every conformance suite solves: small, so each language's snippets stay short.
CONFORMANCE_PROBLEM = Problem(
    id="conformance_add",
    description="Return the sum of two integers.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((-7, 7), 0), TestCase((2**40, 1), 2**40 + 1)),
    difficulty=1,
)

#: The problem of :attr:`LanguageConformance.huge_float`: ``half(x: int) -> float``.
CONFORMANCE_FLOAT_PROBLEM = Problem(
    id="conformance_half",
    description="Return half of an integer.",
    signature=Signature("half", (Param("x", "int"),), "float"),
    tests=(TestCase((3,), 1.5), TestCase((4,), 2.0)),
)

_SANDBOX_UIDS = range(61000, 62000)


def uptime() -> float:
    """Seconds since boot: the clock process start times are kept in."""
    with open("/proc/uptime", encoding="ascii") as handle:
        return float(handle.read().split()[0])


def descendant_processes(program: str, *args: str) -> list[int]:
    """Pids of this process's live descendants running ``program`` (its file name) with ``args`` among their
    arguments: a warm path's processes, for a test to break them (kill one, see the sample fall back)."""
    procs: dict[int, tuple[int, list[bytes]]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                procs[int(entry)] = (parent, handle.read().split(b"\0"))
        except (OSError, IndexError, ValueError):
            continue
    wanted = [arg.encode() for arg in args]
    found = []
    for pid, (parent, cmdline) in procs.items():
        if os.path.basename(cmdline[0]) == program.encode() and all(arg in cmdline[1:] for arg in wanted):
            while parent > 1 and parent != os.getpid():
                parent = procs.get(parent, (0, []))[0]
            if parent == os.getpid():
                found.append(pid)
    return found


def verify_warm(verifier: Verifier, zygote: Any, problem: Problem, code: str, language: str, runs: int) -> Verdict:
    """``verifier``'s verdict on ``code``, checked to have taken ``runs`` runs of ``zygote`` (a
    :class:`codekiln.sandbox.Zygote` that a warm path forks its runs from) and no fallback to the cold path."""
    before = zygote.runs
    verdict = verifier.verify(problem, code, language)
    assert verdict.warm_fallbacks == (), verdict.warm_fallbacks
    assert zygote.runs - before == runs, f"{zygote.runs - before} runs of the zygote, not {runs}"
    return verdict


def kill_zygote(zygote: Any, timeout_s: float = 5.0) -> None:
    """Kill ``zygote``'s process (SIGKILL, as a crash would end it) and wait until it is seen gone."""
    os.kill(zygote.pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while zygote.pid is not None and time.monotonic() < deadline:
        time.sleep(0.01)


def sandbox_processes(since: float = 0.0, until: float = float("inf")) -> list[int]:
    """Pids of live processes under a sandbox uid that started between ``since`` and ``until`` (as given by
    :func:`uptime`): after a run there must be none of its own. The window keeps a check from counting the
    runs of another process verifying code on the same machine at the same time."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid not in _SANDBOX_UIDS:
                continue
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[-1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        started = int(fields[19]) / ticks
        if fields[0] != "Z" and since - 1.0 <= started <= until + 1.0:  # zombies hold nothing
            pids.append(int(entry))
    return pids


def _assert_none_left(since: float, until: float) -> None:
    # What a warm path keeps for the next sample (a process started ahead) is not the run's: ended first.
    close_warm()
    # A second of grace: the kernel may still be tearing down what the sandbox killed.
    deadline = time.monotonic() + 2.0
    while sandbox_processes(since, until) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sandbox_processes(since, until), "a process of the run survived it"


class LanguageConformance:
    """The conformance suite for a language backend, a third party's included.

    Subclass it in a test module (the class name must start with ``Test``) and fill in the snippets for
    your language; pytest then runs every check below against your backend, through the real verifier
    and sandbox::

        class TestJavaConformance(LanguageConformance):
            language = "java"
            fence_tag = "java"
            right = "class Solution { static long add(long a, long b) { return a + b; } }"
            ...

    Each snippet solves (or fails to solve) :data:`CONFORMANCE_PROBLEM`, ``add(a: int, b: int) -> int``.
    ``attacks`` maps a name to ``(code, expected_status)``: programs that try to escape or to fake a pass.

    The hardening checks (see "Guarantees and budgets" in ``docs/verification.md``) need nothing more for an
    oversized answer, a padded fence line and a lone surrogate. Two need snippets, and are skipped with a
    reason without them: ``parse_bomb``, a few kilobytes that drive your grammar's tree-sitter parser past
    the parse budget, and ``huge_float``, an answer to :data:`CONFORMANCE_FLOAT_PROBLEM` (``half(x: int) ->
    float``) returning a number beyond any float, or the largest your language's float type can hold. Each
    must end as the code's failure, within the stage budgets, never masked, and leave the verifier healthy.

    A plugin that runs a benchmark's own tests (``run_native_tests``) fills in ``native_tests`` (a benchmark
    problem in its language), ``native_right`` (a right answer to it) and ``forged_verdict`` (a wrong answer
    that also writes forged verdict rows to every descriptor and process it can reach: pid 1, ``pidfd_getfd``,
    ``/proc/*/fd``); the kit checks that the right answer passes and the forger neither passes nor is masked.
    """

    language: str
    fence_tag: str
    right: str
    wrong: str
    syntax_error: str
    #: Code that parses but does not compile; None for a language with no such stage.
    compile_error: str | None = None
    runtime_error: str
    infinite_loop: str
    attacks: ClassVar[dict[str, tuple[str, VerdictStatus]]] = {}
    parse_bomb: ClassVar[str | None] = None
    huge_float: ClassVar[str | None] = None
    native_tests: ClassVar[NativeTests | None] = None
    native_right: ClassVar[str | None] = None
    forged_verdict: ClassVar[str | None] = None
    isolation: ClassVar[str] = "namespaces"
    limits: ClassVar[Limits] = Limits(wall_time_s=5.0, cpu_time_s=5.0)
    #: Whether the backend may use its warm path (``verifier.warm.<language>``); a subclass with False runs the
    #: suite on the cold path.
    warm: ClassVar[bool] = True

    @pytest.fixture(scope="class")
    @classmethod
    def conformance_verifier(cls):
        # The suite is an entry point: its session loads every installed plugin, the backend under test too.
        with Verifier(make_plugins(), isolation=cls.isolation, limits=cls.limits, workers=0, cache=False,
                      warm={cls.language: cls.warm}) as verifier:
            yield verifier

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "attack" in metafunc.fixturenames:
            metafunc.parametrize("attack", sorted(self.attacks), ids=sorted(self.attacks))

    def verify(self, verifier: Verifier, code: str) -> Verdict:
        return verifier.verify(CONFORMANCE_PROBLEM, code, self.language)

    def test_toolchain_available(self, conformance_verifier):
        backend = conformance_verifier.languages.get(self.language)
        availability = backend.available()
        assert availability.ok, availability.hint
        assert availability.version

    def test_right_answer_passes(self, conformance_verifier):
        verdict = self.verify(conformance_verifier, self.right)
        assert verdict.status is VerdictStatus.PASSED, verdict
        assert verdict.tests_passed == verdict.tests_total == len(CONFORMANCE_PROBLEM.tests)

    def test_extraction_from_prose_and_fences(self, conformance_verifier):
        answer = f"Here is my solution.\n\n```{self.fence_tag}\n{self.right}\n```\n\nIt adds the numbers."
        assert self.verify(conformance_verifier, answer).passed

    def test_wrong_answer(self, conformance_verifier):
        verdict = self.verify(conformance_verifier, self.wrong)
        assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict
        assert verdict.tests_passed < verdict.tests_total

    def test_syntax_error_has_a_position(self, conformance_verifier):
        verdict = self.verify(conformance_verifier, self.syntax_error)
        assert verdict.status is VerdictStatus.SYNTAX_ERROR, verdict
        assert any(d.line is not None and d.column is not None for d in verdict.diagnostics)

    def test_compile_error(self, conformance_verifier):
        if self.compile_error is None:
            pytest.skip(f"{self.language} has no compile stage distinct from parsing")
        verdict = self.verify(conformance_verifier, self.compile_error)
        assert verdict.status is VerdictStatus.COMPILE_ERROR, verdict
        assert verdict.diagnostics and all(d.line is None or d.line >= 1 for d in verdict.diagnostics)

    def test_runtime_error(self, conformance_verifier):
        verdict = self.verify(conformance_verifier, self.runtime_error)
        assert verdict.status is VerdictStatus.RUNTIME_ERROR, verdict

    def test_infinite_loop_times_out(self, conformance_verifier):
        since = uptime()
        verdict = self.verify(conformance_verifier, self.infinite_loop)
        assert verdict.status is VerdictStatus.TIMEOUT, verdict
        _assert_none_left(since, uptime())

    def test_attack_is_contained(self, conformance_verifier, attack):
        code, expected = self.attacks[attack]
        since = uptime()
        verdict = self.verify(conformance_verifier, code)
        until = uptime()
        assert not verdict.passed
        assert verdict.status is expected, verdict
        _assert_none_left(since, until)
        assert self.verify(conformance_verifier, self.right).passed  # the verifier still works

    def check_hardened(self, verifier: Verifier, code: str, expected: VerdictStatus,
                       problem: Problem = CONFORMANCE_PROBLEM) -> Verdict:
        """The code's failure, never masked, each stage within its budget; the verifier healthy after."""
        verdict = verifier.verify(problem, code, self.language)
        assert verdict.status is expected and not verdict.masked, verdict
        durations = {stage.stage: stage.duration_s for stage in verdict.stages}
        assert durations.get(Stage.EXTRACT, 0.0) < 1.0
        assert durations.get(Stage.SYNTAX, 0.0) < DEFAULT_BUDGET.time_s + 1.0
        assert durations.get(Stage.RUN, 0.0) < self.limits.wall_time_s + 3.0
        assert len(verdict.diagnostics) <= 20
        assert self.verify(verifier, self.right).passed
        return verdict

    def test_oversized_answer_is_refused_unread(self, conformance_verifier):
        self.check_hardened(conformance_verifier, self.right + "\n" + "x" * MAX_CODE_BYTES, VerdictStatus.SYNTAX_ERROR)

    def test_padded_fence_line_is_scanned_in_linear_time(self, conformance_verifier):
        answer = "```" + " " * 150_000 + f"`\n```{self.fence_tag}\n{self.wrong}\n```\n"
        self.check_hardened(conformance_verifier, answer, VerdictStatus.WRONG_ANSWER)

    def test_lone_surrogate_is_a_syntax_error(self, conformance_verifier):
        verdict = self.check_hardened(conformance_verifier, self.right + "\n\ud800", VerdictStatus.SYNTAX_ERROR)
        assert verdict.diagnostics[0].message.startswith("the answer is not valid Unicode")

    def test_parse_bomb_is_a_syntax_error_within_the_budget(self, conformance_verifier):
        if self.parse_bomb is None:
            pytest.skip(f"no parse_bomb given for {self.language}")
        verdict = self.check_hardened(conformance_verifier, self.right + "\n" + self.parse_bomb,
                                      VerdictStatus.SYNTAX_ERROR)
        assert verdict.diagnostics[0].message.startswith("the code is too hard to parse")

    def test_huge_float_is_a_wrong_answer(self, conformance_verifier):
        if self.huge_float is None:
            pytest.skip(f"no huge_float given for {self.language}")
        self.check_hardened(conformance_verifier, self.huge_float, VerdictStatus.WRONG_ANSWER,
                            CONFORMANCE_FLOAT_PROBLEM)

    def test_forged_verdict_rows_never_pass(self, conformance_verifier):
        if None in (self.native_tests, self.native_right, self.forged_verdict):
            pytest.skip(f"no native_tests, native_right and forged_verdict given for {self.language}")
        problem = Problem(id="conformance_native", description="", native={self.language: self.native_tests})
        right, forged = conformance_verifier.verify_batch([Sample(problem, self.native_right, self.language),
                                                           Sample(problem, self.forged_verdict, self.language)])
        assert right.passed, right
        assert not forged.passed and not forged.masked, forged

    def test_builtin_references_pass(self, conformance_verifier):
        from .datasets import load_dataset

        problems = [p for p in load_dataset("builtin", conformance_verifier.plugins.datasets())
                    if self.language in p.references]
        if not problems:
            pytest.skip(f"no built-in problem has a {self.language} reference")
        samples = [Sample(p, p.references[self.language], self.language) for p in problems]
        verdicts = conformance_verifier.verify_batch(samples)
        failed = {s.problem.id: (v.status.value, v.tests[:1], v.stderr_tail[-300:])
                  for s, v in zip(samples, verdicts) if not v.passed}
        assert failed == {}
