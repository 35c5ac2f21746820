"""Attacks on the verifier's own process and on its verdict classes (issue 11, parts 2 and 3), in Python,
JavaScript and Java, through the real verifier (``isolation="namespaces"``, a pool of two workers).

Each attack is an answer that tries to stall or crash the verifier where it reads untrusted text outside
the sandbox (the answer's size, the fence scan, tree-sitter), to flood the verdict, or to have a wrong
answer masked as a failure of ours (``infra_error`` leaves the loss: a hiding place for a policy). For
every attack and language, :func:`check_attack` asserts:

(a) the expected status (one, or for the expansion attack the limit the machine reaches first), never
    ``passed`` and never masked;
(b) each stage within its budget: extraction linear (well under a second), the syntax stage within the
    parse budget, the run within the sample's wall limit (the tester's extra wait included); the compile
    stage is our toolchain's time, not the sample's;
(c) a bounded verdict: at most 20 diagnostics, every message capped, the whole verdict small;
(d) a healthy verifier: a correct answer submitted in the same batch (the pool's other worker) and one
    submitted after the attack (a worker that crashed would be replaced, and its sample masked) pass.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import pytest
from language_attacks import LIMITS

from codekiln.parsing import DEFAULT_BUDGET
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.verdict import Stage, Verdict, VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.pipeline import MAX_CODE_BYTES
from codekiln.verifier.relay import DEFAULT_TESTER_EXTRA_WALL_S

S = VerdictStatus
LANGUAGES = ("python", "javascript", "java")
TAGS = {"python": "python", "javascript": "javascript", "java": "java"}

ADD = Problem(
    id="add",
    description="Return the sum of a and b.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((5, -7), -2), TestCase((0, 0), 0)),
)
HALF = Problem(
    id="half",
    description="Return x / 2.",
    signature=Signature("half", (Param("x", "int"),), "float"),
    tests=(TestCase((3,), 1.5), TestCase((4,), 2.0)),
)
ADD_CODE = {
    "python": "def add(a, b):\n    return a + b WRONG  # MARKER\n",
    "javascript": "function add(a, b) {\n  return a + b WRONG;  // MARKER\n}\n",
    "java": "class Solution {\n    public static long add(long a, long b) {\n        return a + b WRONG;  // MARKER\n"
            "    }\n}\n",
}
#: A line comment in each language, to pad or to carry odd characters without changing the code.
COMMENT = {"python": "#", "javascript": "//", "java": "//"}
#: A few kilobytes of tokens that drive tree-sitter's error recovery far past the parse budget (measured
#: here: Java 12 KB 5 s and 1.1 GB, then SIGSEGV under a memory cap; JavaScript 14 KB 24 s; Python
#: 3 KB 2.5 s), after a correct answer.
PARSE_BOMB = {"python": ", not " * 3000, "javascript": ", x => " * 2500, "java": "> x ( " * 2500}


def correct(language: str) -> str:
    """A correct answer, unique per call so the verifier's cache cannot answer for it."""
    return ADD_CODE[language].replace("WRONG", "").replace("MARKER", secrets.token_hex(8))


def wrong(language: str) -> str:
    return ADD_CODE[language].replace("WRONG", "+ 1").replace("MARKER", secrets.token_hex(8))


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=2, cache=False) as verifier:
        yield verifier


def check_attack(verifier: Verifier, problem: Problem, language: str, answer: str,
                 expected: VerdictStatus | frozenset[VerdictStatus]) -> Verdict:
    """Verify the attack beside a correct answer, then check (a)-(d) of the module's docstring."""
    samples = [Sample(problem, answer, language), Sample(ADD, correct(language), language)]
    attack, beside = verifier.verify_batch(samples)
    assert attack.status in (expected if isinstance(expected, frozenset) else {expected}), _show(attack)
    assert not attack.passed and not attack.masked
    durations = {stage.stage: stage.duration_s for stage in attack.stages}
    assert durations.get(Stage.EXTRACT, 0.0) < 1.0
    assert durations.get(Stage.SYNTAX, 0.0) < DEFAULT_BUDGET.time_s + 1.0  # the trial's fork and wait
    # The run's processes stop at their wall limit (a native tester's 2 s later); starting and clearing two
    # sandboxes (and their cgroups) on a busy shared machine takes a few seconds more, ours, not the sample's.
    assert durations.get(Stage.RUN, 0.0) < LIMITS.wall_time_s + DEFAULT_TESTER_EXTRA_WALL_S + 3.0
    assert len(attack.diagnostics) <= 20
    assert all(len(d.message) <= 500 for d in attack.diagnostics)
    assert all(len(t.message or "") <= 500 for t in attack.tests)
    assert len(json.dumps(repr(attack))) < 64_000
    assert beside.passed, _show(beside)
    assert verifier.verify(ADD, correct(language), language).passed
    return attack


def _show(verdict: Verdict) -> str:
    return repr(verdict)[:2000]


# -- part 3: reading untrusted text outside the sandbox ------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_oversized_answer_is_refused_before_it_is_read(verifier, language):
    padding = f"{COMMENT[language]} {'x' * 99}\n" * (MAX_CODE_BYTES // 100 + 10)
    attack = check_attack(verifier, ADD, language, correct(language) + padding, S.SYNTAX_ERROR)
    assert attack.stages[0].stage is Stage.EXTRACT
    assert "longer than 200000 bytes" in attack.diagnostics[0].message


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_padded_fence_line_is_scanned_in_linear_time(verifier, language):
    # Not a fence (an info string may hold no backtick), padded the way that made the old regex backtrack.
    padded = "```" + " " * 150_000 + "`\n"
    answer = f"{padded}```{TAGS[language]}\n{wrong(language)}```\n"
    check_attack(verifier, ADD, language, answer, S.WRONG_ANSWER)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_parse_bomb_is_a_syntax_error_within_the_parse_budget(verifier, language):
    attack = check_attack(verifier, ADD, language, correct(language) + PARSE_BOMB[language], S.SYNTAX_ERROR)
    assert attack.diagnostics[0].message.startswith("the code is too hard to parse")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_diagnostics_flood_is_capped(verifier, language):
    flood = {
        # Compile warnings ("'is' with a literal"), a hundred times the cap (the red-team pass had 18,000 of
        # them in a 2.8 MB verdict; that many also outlast the run's time limit, printed in the sandbox).
        "python": "x = 1\n" + "x is 1\n" * 2_000 + wrong("python"),
        "javascript": correct("javascript") + "let = ;\n" * 10_000,
        "java": "class Solution {\n    static void flood() {\n" + '        int x = "a";\n' * 5_000 + "    }\n"
                "    public static long add(long a, long b) { return a + b; }\n}\n",
    }
    expected = {"python": S.WRONG_ANSWER, "javascript": S.SYNTAX_ERROR, "java": S.COMPILE_ERROR}
    attack = check_attack(verifier, ADD, language, flood[language], expected[language])
    assert attack.diagnostics


# -- part 2: wrong answers that tried to pass for failures of ours ------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_lone_surrogate_is_a_syntax_error_of_the_answer(verifier, language):
    answer = correct(language) + f"{COMMENT[language]} \ud800\n"
    attack = check_attack(verifier, ADD, language, answer, S.SYNTAX_ERROR)
    assert attack.diagnostics[0].message == "the answer is not valid Unicode: surrogates not allowed on line " \
        f"{answer.count(chr(10))}"


HUGE_FLOAT = {
    "python": "def half(x):\n    return 10 ** 400\n",
    "javascript": "function half(x) {\n  return 10n ** 400n;\n}\n",
    # Java declares the double it returns: the largest it can make is infinite.
    "java": "class Solution {\n    public static double half(long x) { return Double.MAX_VALUE * 10; }\n}\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_huge_number_where_a_float_is_expected_is_a_wrong_answer(verifier, language):
    attack = check_attack(verifier, HALF, language, HUGE_FLOAT[language], S.WRONG_ANSWER)
    assert all(not t.passed for t in attack.tests)


#: A benchmark test that serialises what the solution returned, as HumanEval-X's tests do; the answer is a
#: structure that shares one 64 KB string 20 levels deep: 64 KB as a graph, 64 GB once written out.
NATIVE_TESTS = {
    "python": NativeTests(
        prompt='def pair(x):\n    """Return [x, x]."""\n',
        test="import json\n\ndef check(candidate):\n    assert len(json.dumps(candidate(1))) == 5\n",
        entry_point="pair",
    ),
    "javascript": NativeTests(
        prompt="const pair = (x) => {\n",
        test="const testPair = () => {\n  console.assert(JSON.stringify(pair(1)) === '[1,1]')\n}\ntestPair()\n",
        entry_point="pair",
    ),
    "java": NativeTests(
        prompt="import java.util.*;\n\nclass Solution {\n    public List<Object> pair(int x) {\n",
        test="import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n"
             "        Solution s = new Solution();\n"
             "        if (!s.pair(1).toString().equals(\"[1, 1]\")) throw new AssertionError();\n    }\n}\n",
        entry_point="pair",
    ),
}
EXPANDING = {
    "python": "    value = ['x' * 2**16]\n    for _ in range(20):\n        value = [value, value]\n    return value\n",
    "javascript": "  let value = ['x'.repeat(2 ** 16)];\n  for (let i = 0; i < 20; i++) value = [value, value];\n"
                  "  return value;\n}\n",
    "java": "        List<Object> value = new ArrayList<>(List.of(\"x\".repeat(1 << 16)));\n"
            "        for (int i = 0; i < 20; i++) value = new ArrayList<>(List.of(value, value));\n"
            "        return value;\n    }\n}\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_answer_that_expands_in_the_test_program_is_the_codes_failure(verifier, language):
    problem = Problem(id=f"pair-{language}", description="Return [x, x].", native={language: NATIVE_TESTS[language]})
    attack = check_attack(verifier, problem, language, EXPANDING[language], EXPANDED_STATUSES)
    assert attack.tests_passed == 0


#: Whichever the machine reaches first: the time limit or the memory of the process that writes the
#: structure out (the solution's own, in Python and Java, which serialise the answer there; the test
#: program's, in JavaScript, which relays it as a graph), which Java reports as an OutOfMemoryError. A test
#: program that dies after receiving an answer is the code's runtime error (the relay's own tests).
EXPANDED_STATUSES = frozenset({S.TIMEOUT, S.MEMORY_LIMIT, S.RUNTIME_ERROR})


# -- every path to a masked verdict ----------------------------------------------------------------------------

#: Every line on the verifier's path (core and the Python, JavaScript and Java plugins; C++ keeps its own
#: list) that masks a verdict or raises (the verifier masks what ``verify_one`` raises, after one retry),
#: by a distinctive part of its text, with why a sample's code cannot reach it. The attacks above and in
#: ``test_attacks*.py`` then show it dynamically: none of them ends masked.
MASKING_PATHS = {
    "core/codekiln/verifier/__init__.py": {
        "VerdictStatus.INFRA_ERROR, sample.language, masked=True":
            "reached only through the raises listed here, or a worker dying twice: the code runs in the "
            "sandbox, and the one parse of it in a worker runs first in a capped child process (codekiln.parsing)",
    },
    "core/codekiln/verifier/backends.py": {
        "raise NotImplementedError": "the remote backends' base class: each backend implements it",
        "verifier.http.url is not set": "the verifier's configuration, checked before any sample",
        "cannot reach the verification service": "the service's health check, before any sample is sent",
        "/healthz answered": "the service's health check, before any sample is sent",
    },
    "core/codekiln/verifier/ray_pool.py": {
        "a verifier actor cannot start on its node": "an actor's start-up (plugins, toolchains), before any sample",
        "but Ray is not installed": "the verifier's configuration",
        "verifier actors did not start within": "the pool's start-up, before any sample",
        "raise _user_error(exc) from None": "a CodekilnError of the actor's own set-up or a bug of ours, raised to "
                                            "the caller, not masked; the sample's code runs in the actor's sandbox",
        "a verifier actor died while starting": "the pool's start-up, before any sample",
        "VerdictStatus.INFRA_ERROR, samples[index].language, masked=True":
            "an actor dying twice on one sample: as with a local worker, the code runs in the actor's sandbox "
            "(its own cgroup and limits), so it cannot end the actor",
        "cannot start or join": "the cluster's address, before any sample",
        "cannot reach the Ray cluster at": "the cluster's address, before any sample",
    },
    "core/codekiln/verifier/pipeline.py": {
        "VerdictStatus.TOOLCHAIN_MISSING, masked=True": "the toolchain probe runs before the answer is read",
        "compile step failed: {compiled.infra_error}": "each backend's infra_error is listed with its backend",
    },
    "core/codekiln/verifier/relay.py": {
        "harness did not start in the solution's sandbox":
            "the solver writes its ready row before it loads the solution, and a limit the code hit is "
            "the code's",
        "benchmark tests could not run":
            "the tester reports 'infra' only when the benchmark's own test code does not compile or needs "
            "a module that is not installed: trusted text, the same for every answer",
        "wrote a verdict it has no name for": "the tester's verdicts are written by our harness, in another "
                                              "sandbox than the solution's",
        "the {language} test program did not start": "the tester's ready row comes before any call",
        "ended before calling the solution":
            "no answer of the solution reached the tester: what it did cannot have ended it",
    },
    "core/codekiln/languages.py": {
        "harness did not start: {tail}":
            "the harness writes its ready row before it loads the solution; a limit the code hit is the code's",
        "does not render signatures": "a capability of the plugin, asked of a problem, not of an answer",
        "cannot run a benchmark's own test code yet": "a capability of the plugin (a PluginError, not masked)",
    },
    "core/codekiln/parsing.py": {
        "the code is not valid Unicode": "not masked: the pipeline reports it as the code's syntax_error",
        "the code is too hard to parse": "not masked: the pipeline reports it as the code's syntax_error",
    },
    "plugins/java/codekiln_java/backend.py": {
        'infra_error="no JDK found"': "a missing toolchain",
        "javac went past its {result.limit_hit} limit\")":
            "wall time ran out before CPU time: a busy machine; the code's CPU or memory overrun is a "
            "compile error",
        "javac failed without a diagnostic":
            "javac ended in failure with no error, no limit and no out-of-resources report: a crash of our "
            "compiler (deep nesting, its one known crash on code, is reported as the code's)",
        "does not fit Java's long": "the problem's own test values",
        "a JVM needs a memory limit of at least": "the verifier's configuration",
        "does not compile with the proxy Solution": "the benchmark's own test code and prompt, without the answer",
    },
    "plugins/java/codekiln_java/native.py": {
        "declares no class Solution": "the benchmark's own prompt",
    },
    "plugins/java/codekiln_java/source.py": {
        "Java tuples have at most": "the problem's signature",
    },
    "plugins/java/codekiln_java/jdk.py": {
        "compiling the Java harness runtime failed": "our own runtime, built once before any answer",
        "javac wrote no CDS archive": "our own runtime's class-data archive, built once before any answer",
    },
    "plugins/javascript/codekiln_javascript/backend.py": {
        "raise RuntimeError(node)": "a missing toolchain",
        "node --check failed": "node ended in failure with no syntax message and no limit: a crash of our "
                               "toolchain (too deep a nesting is node's RangeError, reported as the code's)",
        "the JavaScript harness did not start": "the ready row comes before the solution is loaded",
    },
}
_MASKING_LINE = re.compile(r"masked=True|infra_error=|\braise\s+(?!SystemExit)\w")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_every_path_to_a_masked_verdict_is_listed_with_why_code_cannot_reach_it():
    unlisted, stale = [], []
    folders = ["core/codekiln/verifier", "plugins/python/codekiln_python", "plugins/javascript/codekiln_javascript",
               "plugins/java/codekiln_java"]
    files = {"core/codekiln/languages.py", "core/codekiln/parsing.py"}
    for folder in folders:
        files.update(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / folder).glob("*.py"))
    files.discard("plugins/python/codekiln_python/harness.py")  # runs in the sandbox: its raises are rows
    for path in sorted(files):
        listed = MASKING_PATHS.get(path, {})
        lines = (PROJECT_ROOT / path).read_text().splitlines()
        hits = [line.strip() for line in lines if _MASKING_LINE.search(line) and not line.strip().startswith("#")]
        unlisted += [f"{path}: {hit}" for hit in hits if not any(snippet in hit for snippet in listed)]
        stale += [f"{path}: {snippet}" for snippet in listed if not any(snippet in hit for hit in hits)]
    assert not unlisted, "a new path to a masked verdict: list it in MASKING_PATHS with why code cannot reach it"
    assert not stale, "MASKING_PATHS lists a path that is gone"


#: The same in a benchmark's own tests, which compare floats themselves (HumanEval's ``abs(x - y) < 1e-6``):
#: the comparison raising on the answer (OverflowError, JavaScript's "Cannot mix BigInt") fails the test.
#: Java's benchmarks declare the double they return: nothing beyond a float reaches their comparisons.
NATIVE_HALF = {
    "python": (NativeTests(prompt='def half(x):\n    """Return x / 2."""\n',
                           test="def check(candidate):\n    assert abs(candidate(3) - 1.5) < 1e-6\n",
                           entry_point="half"),
               "    return 10 ** 400\n"),
    "javascript": (NativeTests(prompt="const half = (x) => {\n",
                               test="const testHalf = () => {\n  console.assert(Math.abs(half(3) - 1.5) < 1e-6)\n}\n"
                                    "testHalf()\n",
                               entry_point="half"),
                   "  return 10n ** 400n;\n}\n"),
}


@pytest.mark.parametrize("language", sorted(NATIVE_HALF))
def test_a_huge_number_in_a_benchmarks_own_float_comparison_fails_the_test(verifier, language):
    tests, answer = NATIVE_HALF[language]
    problem = Problem(id=f"half-{language}", description="Return x / 2.", native={language: tests})
    check_attack(verifier, problem, language, answer, S.WRONG_ANSWER)


# -- state kept outside the sandbox: the kernel's keyrings -----------------------------------------------------

#: Keyrings are keyed by user namespace and uid, not by the sandbox's namespaces: a key that every uid may read
#: (KEYCTL_SETPERM) outlives its run. A correct answer stores its results there, and a later wrong one, under
#: another uid, in another sandbox, reads them back: it passes without computing anything unless the calls fail.
KEYRING = '''
import ctypes, json
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_NAME = b"{name}"

def _store(table):
    data = json.dumps(table).encode()
    key = _libc.syscall({add_key}, b"user", _NAME, data, len(data), ctypes.c_long(-4))  # add_key(..., @u)
    if key >= 0:
        _libc.syscall({keyctl}, 5, ctypes.c_long(key), ctypes.c_ulong(0x3f3f3f3f))  # KEYCTL_SETPERM: everyone

def _recall():
    table = {{}}
    for line in open("/proc/keys"):
        if _NAME.decode() + ":" in line:
            buffer = ctypes.create_string_buffer(1 << 14)
            size = _libc.syscall({keyctl}, 11, ctypes.c_long(int(line.split()[0], 16)), buffer, 1 << 14)  # READ
            if size > 0:
                table.update(json.loads(buffer.raw[:size]))
    return table
'''


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the attack's call numbers are x86-64's")
def test_a_later_answer_cannot_read_what_an_earlier_one_kept_in_a_keyring(verifier):
    library = KEYRING.format(name=f"kiln-{secrets.token_hex(6)}", add_key=248, keyctl=250)
    keeper = library + ("\nseen = {}\ndef add(a, b):\n    seen[repr((a, b))] = a + b\n    _store(seen)\n"
                        "    return a + b\n")
    reader = library + "\ntable = _recall()\ndef add(a, b):\n    return table.get(repr((a, b)), 12345)\n"
    assert verifier.verify(ADD, keeper, "python").passed  # its results were stored, where the calls work
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=1, cache=False) as other:
        check_attack(other, ADD, "python", reader, S.WRONG_ANSWER)
