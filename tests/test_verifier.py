"""The verifier's batch machinery: order, deduplication, caching, retries and masking, asyncio."""

from __future__ import annotations

import asyncio

import pytest

from codekiln.config import load_config
from codekiln.errors import DataError, RegistryError
from codekiln.jsonio import from_json, to_json
from codekiln.languages import CompileResult
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits
from codekiln.verdict import Verdict, VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.warm import note_fallback
from codekiln_python import PythonBackend

ADD = Problem(
    id="add",
    description="Add two integers.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((0, 0), 0)),
)
RIGHT = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a * b\n"


class CountingPython(PythonBackend):
    """The real Python backend under another name, counting compiles and failing the first ``flaky`` ones."""

    name = "counted"
    aliases = ()

    def __init__(self, flaky: int = 0) -> None:
        self.compiles = 0
        self.flaky = flaky

    def compile(self, source, problem, runner) -> CompileResult:
        self.compiles += 1
        if self.compiles <= self.flaky:
            raise OSError("simulated trouble of ours")
        return super().compile(source, problem, runner)


@pytest.fixture
def local_verifier():
    """In-process (workers=1), so a backend registered here is the one used."""
    with Verifier(make_plugins(), isolation="namespaces", limits=Limits(wall_time_s=3.0), workers=1) as verifier:
        yield verifier


def test_results_come_back_in_input_order(verifier):
    samples = [Sample(ADD, RIGHT, "python"), Sample(ADD, WRONG, "python"), Sample(ADD, RIGHT + "\n", "python")]
    statuses = [v.status for v in verifier.verify_batch(samples)]
    assert statuses == [VerdictStatus.PASSED, VerdictStatus.WRONG_ANSWER, VerdictStatus.PASSED]


def test_identical_work_is_done_once_and_then_cached(local_verifier):
    backend = CountingPython()
    local_verifier.languages.register(backend)
    samples = [Sample(ADD, RIGHT, "counted")] * 3 + [Sample(ADD, WRONG, "counted")]
    progress: list[int] = []
    verdicts = local_verifier.verify_batch(samples, progress=progress.append)
    assert [v.passed for v in verdicts] == [True, True, True, False]
    assert backend.compiles == 2
    assert sum(progress) == len(samples)
    local_verifier.verify_batch(samples)
    assert backend.compiles == 2  # all from the cache


def test_without_cache_every_batch_is_verified(tmp_path):
    with Verifier(make_plugins(), workers=1, cache=False) as verifier:
        backend = CountingPython()
        verifier.languages.register(backend)
        verifier.verify_batch([Sample(ADD, RIGHT, "counted")])
        verifier.verify_batch([Sample(ADD, RIGHT, "counted")])
        assert backend.compiles == 2


def test_a_flaky_failure_of_ours_is_retried_once(local_verifier):
    backend = CountingPython(flaky=1)
    local_verifier.languages.register(backend)
    verdict = local_verifier.verify(ADD, RIGHT, "counted")
    assert verdict.passed and backend.compiles == 2


def test_a_persistent_failure_of_ours_is_masked_not_scored(local_verifier):
    backend = CountingPython(flaky=10)
    local_verifier.languages.register(backend)
    verdict = local_verifier.verify(ADD, RIGHT, "counted")
    assert verdict.status is VerdictStatus.INFRA_ERROR and verdict.masked
    assert "OSError: simulated trouble of ours" in verdict.stderr_tail
    assert backend.compiles == 2
    backend.flaky = 0
    assert local_verifier.verify(ADD, RIGHT, "counted").passed  # masked verdicts are not cached


def test_unknown_language_fails_before_any_work(verifier):
    with pytest.raises(RegistryError, match=r"unknown language 'cobol'; available: .*python"):
        verifier.verify_batch([Sample(ADD, RIGHT, "python"), Sample(ADD, RIGHT, "cobol")])


def test_a_language_the_problem_has_no_tests_in_fails_before_any_work(verifier):
    """HumanEval's shape (tests in Python alone) asked in C++: nothing could test the answer, and compiling it
    alone would pass it, whatever it does. A problem without any tests stays a compile-only check."""
    twice = Problem(id="twice", description="Return twice x.", native={"python": NativeTests(
        prompt="def twice(x):\n", test="def check(candidate):\n    assert candidate(2) == 4\n", entry_point="twice")})
    with pytest.raises(DataError, match="problem 'twice' has tests in python only, none in cpp: ask it in one of"):
        verifier.verify_batch([Sample(ADD, RIGHT, "python"), Sample(twice, "int main() { return 0; }", "c++")])
    untested = Problem(id="untested", description="Write anything that compiles.")
    assert verifier.verify(untested, "int x = 1;", "cpp").passed


def test_aliases_work(verifier):
    assert verifier.verify(ADD, RIGHT, "py").passed


def test_asyncio_api_matches_the_sync_one(verifier):
    samples = [Sample(ADD, RIGHT, "python"), Sample(ADD, WRONG, "python"), Sample(ADD, "def add(:", "python")]
    verdicts = asyncio.run(verifier.averify_batch(samples))
    assert [v.status for v in verdicts] == [
        VerdictStatus.PASSED, VerdictStatus.WRONG_ANSWER, VerdictStatus.SYNTAX_ERROR
    ]
    assert verdicts == verifier.verify_batch(samples)


def test_an_unavailable_isolation_level_is_refused_not_downgraded(monkeypatch, tmp_path):
    from codekiln.errors import IsolationUnavailable
    from codekiln.sandbox import _tools, available_levels

    monkeypatch.setattr(_tools, "BWRAP", str(tmp_path / "no-bwrap-here"))
    available_levels.cache_clear()
    try:
        with pytest.raises(IsolationUnavailable, match=r"needs bwrap.*apt-get install bubblewrap"):
            Verifier(make_plugins(), isolation="namespaces", workers=1)
        with Verifier(make_plugins(), isolation="none", workers=1) as verifier:  # a level that is there still works
            assert verifier.verify(ADD, RIGHT, "python").passed
    finally:
        monkeypatch.undo()
        available_levels.cache_clear()


def test_two_in_process_verifiers_keep_their_own_limits():
    slow = "def add(a, b):\n    import time\n    time.sleep(1.5)\n    return a + b\n"
    with Verifier(make_plugins(), workers=1, cache=False, limits=Limits(wall_time_s=0.5)) as strict, \
            Verifier(make_plugins(), workers=1, cache=False, limits=Limits(wall_time_s=5.0)) as lenient:
        assert strict.verify(ADD, slow, "python").status is VerdictStatus.TIMEOUT
        assert lenient.verify(ADD, slow, "python").passed


class WarmPython(PythonBackend):
    """The real Python backend with a pretend warm path: it asks the runner whether it may use it, and when
    told ``broken``, notes a fallback and goes on cold, as a real warm path must."""

    name = "warmed"
    aliases = ()

    def __init__(self, broken: bool) -> None:
        self.broken = broken
        self.asked: list[bool] = []

    def compile(self, source, problem, runner) -> CompileResult:
        self.asked.append(runner.warm(self.name))
        if runner.warm(self.name) and self.broken:
            note_fallback(self.name, "the warm process died")
        return super().compile(source, problem, runner)


def test_a_warm_path_falling_back_is_recorded_on_that_samples_verdict_only(local_verifier):
    backend = WarmPython(broken=True)
    local_verifier.languages.register(backend)
    first = local_verifier.verify(ADD, RIGHT, "warmed")
    assert first.passed and first.warm_fallbacks == ("warmed: the warm process died",)
    backend.broken = False
    second = local_verifier.verify(ADD, WRONG, "warmed")
    assert second.status is VerdictStatus.WRONG_ANSWER and second.warm_fallbacks == ()
    assert from_json(Verdict, to_json(first), where="verdict") == first  # services send verdicts as JSON


def test_the_config_switches_a_languages_warm_path_off():
    plugins = make_plugins()
    config = load_config(None, ["verifier.warm.python=false", "verifier.workers=1"])
    with Verifier.from_config(plugins, config) as verifier:
        assert not verifier.runner.warm("python") and verifier.runner.warm("java")
    with pytest.raises(RegistryError, match="unknown language 'cobol'"):
        Verifier(plugins, workers=1, warm={"cobol": False})


#: Strings holding characters that ``str.splitlines`` takes for line ends (U+2028, U+2029, U+0085, form feed)
#: and that a harness's JSON may leave unescaped: its result rows must still be read whole.
LINE_SEPARATORS = ("plain", "a\u2028b", "c\u2029d", "e\x85f", "g\x0ch")
ECHO = Problem(id="echo", description="Return s unchanged.", signature=Signature("echo", (Param("s", "str"),), "str"),
               tests=tuple(TestCase((text,), text) for text in LINE_SEPARATORS))
ECHOES = {
    "python": "def echo(s):\n    return s\n",
    "javascript": "function echo(s) {\n  return s;\n}\n",
    "java": "class Solution {\n    public static String echo(String s) {\n        return s;\n    }\n}\n",
    "cpp": "#include <string>\nstd::string echo(std::string s) {\n    return s;\n}\n",
}


@pytest.mark.parametrize("language", sorted(ECHOES))
def test_a_result_holding_a_unicode_line_separator_is_read_whole(verifier, language):
    verdict = verifier.verify(ECHO, ECHOES[language], language)
    assert verdict.passed and verdict.tests_passed == len(LINE_SEPARATORS), verdict


def test_an_answer_with_a_usage_block_after_its_solution_passes(verifier):
    """Joined, the usage block's statements would not compile in Java; extraction leaves it out."""
    answer = ("```java\nclass Solution {\n    public static long add(long a, long b) { return a + b; }\n}\n```\n"
              "Usage:\n```java\nlong sum = Solution.add(1, 2);\nSystem.out.println(sum);\n```\n")
    assert verifier.verify(ADD, answer, "java").passed
    assert not verifier.verify(ADD, answer.replace("a + b", "a - b"), "java").passed
