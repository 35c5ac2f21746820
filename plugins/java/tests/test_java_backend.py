"""The Java backend through the real verifier and sandbox (namespaces isolation)."""

from __future__ import annotations

import re

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits, SandboxResult
from codekiln.verdict import Stage, VerdictStatus
from codekiln.verifier import Verifier
from codekiln.verifier.runner import SandboxRunner
from codekiln_java import JavaBackend
from codekiln_java.jdk import find_jdk

pytestmark = pytest.mark.skipif(find_jdk() is None, reason="no JDK installed")

ADD = Problem(
    id="add",
    description="Add two integers.",
    signature=Signature("add_numbers", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0), TestCase((10**12, 1), 10**12 + 1)),
)

PAIRS = Problem(
    id="pairs",
    description="Pair each word with half its length, grouped by length.",
    signature=Signature("pairs", (Param("words", "list[str]"),), "dict[int, list[tuple[str, float]]]"),
    tests=(TestCase((["ab", "c"],), {"2": [["ab", 1.0]], "1": [["c", 0.5]]}),),
)

FIRST_NEGATIVE = Problem(
    id="first_negative",
    description="The index and value of the first negative number, or none.",
    signature=Signature("first_negative", (Param("values", "list[optional[int]]"), Param("hint", "optional[str]")),
                        "optional[tuple[int, int]]"),
    tests=(TestCase(([1, None, -3], "x"), [2, -3]), TestCase(([], None), None), TestCase(([5], "y"), None)),
)

SPECIAL_FLOATS = Problem(
    id="special_floats",
    description="x, then infinity, then not-a-number.",
    signature=Signature("special", (Param("x", "float"),), "list[float]"),
    tests=(TestCase((1.5,), [1.5, float("inf"), float("nan")]), TestCase((2,), [2.0, float("inf"), float("nan")])),
)

DEPTH = Problem(
    id="depth",
    description="n, computed by recursion n levels deep.",
    signature=Signature("depth", (Param("n", "int"),), "int"),
    tests=(TestCase((100_000,), 100_000),),
)

ADD_RIGHT = "class Solution {\n    public static long addNumbers(long a, long b) {\n        return a + b;\n    }\n}\n"


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=256),
                  workers=1, cache=False) as v:
        yield v


def test_available_and_grammar():
    backend = JavaBackend()
    availability = backend.available()
    assert availability.ok and re.search(r"JDK \d+\.", availability.version), availability
    assert backend.tree_sitter_language() is not None


def test_no_jdk_is_a_hint_not_an_exception(monkeypatch):
    monkeypatch.setattr("codekiln_java.backend.find_jdk", lambda: None)
    availability = JavaBackend().available()
    assert not availability.ok and "apt-get install default-jdk-headless" in availability.hint


def test_passes_and_counts_tests(verifier):
    verdict = verifier.verify(ADD, ADD_RIGHT, "java")
    assert verdict.status is VerdictStatus.PASSED
    assert (verdict.tests_passed, verdict.tests_total) == (3, 3)
    assert [s.stage for s in verdict.stages] == [Stage.EXTRACT, Stage.SYNTAX, Stage.COMPILE, Stage.RUN]
    assert all(t.time_s is not None and t.time_s >= 0 for t in verdict.tests)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("public class Solution {\n    public static long addNumbers(long a, long b) { return a + b; }\n"
                     "}", id="public-class"),
        pytest.param("class Solution {\n    public long addNumbers(long a, long b) { return a + b; }\n}",
                     id="instance-method"),
        pytest.param("class Solution {\n    static long add_numbers(long a, long b) { return a + b; }\n}",
                     id="snake-case-name"),
        pytest.param("import java.util.List;\n\nstatic long addNumbers(long a, long b) {\n"
                     "    return sum(List.of(a, b));\n}\n"
                     "static long sum(List<Long> xs) { return xs.stream().mapToLong(x -> x).sum(); }\n"
                     "record Unused(int x) {}\n", id="bare-methods-with-imports"),
        pytest.param("package com.example;\n\nimport java.util.*;\n\nclass Solution {\n"
                     "    static long addNumbers(long a, long b) {\n"
                     "        return List.of(a, b).stream().mapToLong(x -> x).sum();\n    }\n}",
                     id="package-and-imports"),
        pytest.param("class Solution {\n    static long addNumbers(long a, long b) {\n"
                     "        return Stream.of(a, b).collect(Collectors.summingLong(x -> x));\n    }\n}",
                     id="no-imports"),
        pytest.param("public class Main {\n    public static void main(String[] args) {\n"
                     "        System.out.println(Solution.addNumbers(1, 2));\n    }\n}\n\n" + ADD_RIGHT,
                     id="public-main-demo"),
        pytest.param("class Solution {\n    static Long addNumbers(Long a, long b) { return a + b; }\n}", id="boxed"),
    ],
)
def test_accepted_shapes(verifier, code):
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.status is VerdictStatus.PASSED, verdict


def test_rich_types_cross_the_boundary(verifier):
    code = """\
class Solution {
    static Map<Long, List<Pair<String, Double>>> pairs(List<String> words) {
        Map<Long, List<Pair<String, Double>>> result = new HashMap<>();
        for (String w : words) {
            result.computeIfAbsent((long) w.length(), k -> new ArrayList<>()).add(Pair.with(w, w.length() / 2.0));
        }
        return result;
    }
}
"""
    assert verifier.verify(PAIRS, code, "java").passed
    # A raw type smuggles String keys into the map: the keys are compared by type, outside.
    wrong = """\
class Solution {
    @SuppressWarnings("unchecked")
    static Map<Long, List<Pair<String, Double>>> pairs(List<String> words) {
        Map raw = new HashMap();
        for (String w : words) {
            raw.put(String.valueOf(w.length()), List.of(Pair.with(w, w.length() / 2.0)));
        }
        return raw;
    }
}
"""
    verdict = verifier.verify(PAIRS, wrong, "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict


def test_optional_values_and_tuples(verifier):
    code = """\
import org.javatuples.Pair;

class Solution {
    public static Pair<Long, Long> firstNegative(List<Long> values, String hint) {
        for (int i = 0; i < values.size(); i++) {
            Long v = values.get(i);
            if (v != null && v < 0) return Pair.with((long) i, v);
        }
        return null;
    }
}
"""
    verdict = verifier.verify(FIRST_NEGATIVE, code, "java")
    assert verdict.status is VerdictStatus.PASSED, verdict


def test_special_floats_and_int_to_float(verifier):
    code = "class Solution {\n    static List<Double> special(double x) {\n" \
           "        return List.of(x, Double.POSITIVE_INFINITY, Double.NaN);\n    }\n}\n"
    assert verifier.verify(SPECIAL_FLOATS, code, "java").passed


def test_arguments_are_fresh_for_every_call(verifier):
    problem = Problem(id="drain", description="", signature=Signature("drain", (Param("xs", "list[int]"),), "int"),
                      tests=(TestCase(([1, 2],), 2), TestCase(([1, 2],), 2)))
    code = "class Solution {\n    static long drain(List<Long> xs) {\n        int n = xs.size();\n" \
           "        xs.clear();\n        return n;\n    }\n}\n"
    assert verifier.verify(problem, code, "java").passed


def test_wrong_answer_says_what_was_expected(verifier):
    verdict = verifier.verify(ADD, ADD_RIGHT.replace("a + b", "a - b"), "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    assert verdict.tests_passed == 0
    assert verdict.tests[0].message == "expected 3, got -1"


def test_exception_is_a_runtime_error_with_its_line(verifier):
    code = "class Solution {\n    static long addNumbers(long a, long b) {\n" \
           "        if (b == 2) throw new IllegalStateException(\"two\");\n        return a + b;\n    }\n}\n"
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert verdict.tests[0].message == "IllegalStateException: two (line 3)"
    assert verdict.tests_passed == 2  # the other two still ran


def test_failure_while_loading_the_class(verifier):
    code = "class Solution {\n    static final int[] TABLE = new int[-1];\n" \
           "    static long addNumbers(long a, long b) { return a + b; }\n}\n"
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert verdict.tests[0].message.startswith("NegativeArraySizeException: -1 (line 2)")


def test_a_missing_method_is_a_compile_error_naming_the_declaration(verifier):
    verdict = verifier.verify(ADD, "class Solution {\n    static long plus(long a, long b) { return a + b; }\n}\n",
                              "java")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert "`public static long addNumbers(long a, long b)`" in diagnostic.message
    assert "cannot find symbol" in diagnostic.message


def test_other_parameter_types_are_a_compile_error_on_the_method(verifier):
    code = "import java.util.*;\n\nclass Solution {\n    static int addNumbers(int a, int b) {\n" \
           "        return a + b;\n    }\n}\n"
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert diagnostic.line == 4
    assert "Long cannot be converted to int" in diagnostic.message


def test_syntax_error_has_a_position_in_the_submitted_code(verifier):
    verdict = verifier.verify(ADD, "Here:\n```java\nclass Solution {\n    static long addNumbers(long a, long b) {\n"
                                   "        return a +;\n    }\n}\n```", "java")
    assert verdict.status is VerdictStatus.SYNTAX_ERROR
    [diagnostic] = verdict.stage(Stage.SYNTAX).diagnostics
    assert (diagnostic.line, diagnostic.column) == (3, 19)


def test_compile_error_keeps_line_and_column(verifier):
    code = "class Solution {\n    static long addNumbers(long a, long b) {\n\treturn a + c;\n    }\n}\n"
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert (diagnostic.line, diagnostic.column) == (3, 13)
    assert diagnostic.message == "cannot find symbol (symbol: variable c; location: class Solution)"


def test_lint_warnings_are_kept(verifier):
    code = "class Solution {\n    static long addNumbers(long a, long b) {\n        List raw = new ArrayList();\n" \
           "        return a + b;\n    }\n}\n"
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.passed
    warnings = verdict.stage(Stage.COMPILE).diagnostics
    assert {w.severity for w in warnings} == {"warning"} and {w.line for w in warnings} == {3}
    assert warnings[0].message.startswith("[rawtypes] found raw type: List")


def test_no_code_at_all(verifier):
    verdict = verifier.verify(ADD, "```python\ndef add_numbers(a, b):\n    return a + b\n```", "java")
    assert verdict.status is VerdictStatus.SYNTAX_ERROR
    assert verdict.stage(Stage.EXTRACT).diagnostics[0].message == "no java code found in the answer"


def test_problem_without_tests_is_checked_up_to_compilation(verifier):
    bare = Problem(id="bare", description="anything that compiles")
    assert verifier.verify(bare, "class Anything { int x; }", "java").passed
    assert verifier.verify(bare, "class Anything { int x = y; }", "java").status is VerdictStatus.COMPILE_ERROR


def test_deep_recursion_has_room(verifier):
    code = "class Solution {\n    static long depth(long n) {\n" \
           "        return n == 0 ? 0 : 1 + depth(n - 1);\n    }\n}\n"
    assert verifier.verify(DEPTH, code, "java").passed


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("while (true) { }", VerdictStatus.TIMEOUT),
        ("long[][] hog = new long[4096][];\n        for (int i = 0; i < hog.length; i++) hog[i] = new long[1 << 17];\n"
         "        return hog.length;", VerdictStatus.MEMORY_LIMIT),
        ("long[] hog = new long[Integer.MAX_VALUE - 8];\n        return hog.length;", VerdictStatus.MEMORY_LIMIT),
        ('while (true) System.out.println("x".repeat(10000));', VerdictStatus.OUTPUT_LIMIT),
        ("return addNumbers(a, b);", VerdictStatus.RUNTIME_ERROR),
    ],
    ids=["timeout", "heap", "one-huge-array", "output", "stack-overflow"],
)
def test_limits(verifier, body, status):
    code = f"class Solution {{\n    static long addNumbers(long a, long b) {{\n        {body}\n    }}\n}}\n"
    assert verifier.verify(ADD, code, "java").status is status


def test_a_limit_too_small_for_a_jvm_is_ours_not_the_answers():
    # Straight to the backend: a second Verifier in this process would replace the module's runner.
    backend = JavaBackend()
    source = backend.assemble(ADD_RIGHT, ADD)
    compiled = backend.compile(source, ADD, SandboxRunner())
    with pytest.raises(RuntimeError, match="at least 96 MB"):  # raised: the verifier masks it as infra_error
        backend.run_signature_tests(source, compiled, ADD, SandboxRunner(Limits(memory_mb=64)))


# -- HumanEval-X's own tests (native) --------------------------------------------------------------------------

_NATIVE_PROMPT = """\
import java.util.*;
import java.lang.*;

class Solution {
    /**
    Double every number.
     */
    public List<Integer> doubleAll(List<Integer> xs) {
"""
_NATIVE_TEST = """\
public class Main {
    public static void main(String[] args) {
        Solution s = new Solution();
        List<Boolean> correct = Arrays.asList(
                s.doubleAll(new ArrayList<>(Arrays.asList(1, 2))).equals(Arrays.asList(2, 4)),
                s.doubleAll(new ArrayList<>(List.of())).equals(List.of()),
                s.doubleAll(new ArrayList<>(Arrays.asList(-3))).equals(Arrays.asList(-6))
        );
        if (correct.contains(false)) {
            throw new AssertionError();
        }
    }
}
"""
DOUBLE_ALL = Problem(id="Java/900", description=_NATIVE_PROMPT,
                     native={"java": NativeTests(_NATIVE_PROMPT, _NATIVE_TEST, "doubleAll")})
# As HumanEval-X's compare_one: Object arguments, an Optional<Object> result, and a test comparing strings
# with == (true in one JVM, where both are the same literal; the values are interned to keep it true).
_OBJECTS_PROMPT = """\
import java.util.*;

class Solution {
    public String describe(Object x) {
        return x.getClass().getSimpleName();
    }

    public Optional<Object> larger(Object a, Object b) {
"""
_OBJECTS_TEST = """\
public class Main {
    public static void main(String[] args) {
        Solution s = new Solution();
        List<Boolean> correct = Arrays.asList(
                (int) s.larger(1, 2).get() == 2,
                (double) s.larger(1, 2.5).get() == 2.5,
                (String) s.larger("1", "2").get() == "2",
                s.larger(3, 3).isEmpty(),
                s.describe('c').equals("Character") && s.describe(5L).equals("Long"),
                s.describe(List.of(Map.of(1, "a"))).equals("ArrayList")
        );
        if (correct.contains(false)) {
            throw new AssertionError("wrong: " + correct);
        }
    }
}
"""
LARGER = Problem(id="Java/901", description=_OBJECTS_PROMPT,
                 native={"java": NativeTests(_OBJECTS_PROMPT, _OBJECTS_TEST, "larger")})
_OBJECTS_RIGHT = """\
        double x = Double.parseDouble(a.toString()), y = Double.parseDouble(b.toString());
        return x == y ? Optional.empty() : Optional.of(x > y ? a : b);
    }
}
"""


def _double_all(body: str) -> str:
    return f"        {body}\n    }}\n}}\n"


def test_native_tests_pass_and_fail(verifier):
    right = _double_all("List<Integer> out = new ArrayList<>();\n        for (int x : xs) out.add(2 * x);\n"
                        "        return out;")
    verdict = verifier.verify(DOUBLE_ALL, right, "java")
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(DOUBLE_ALL, right.replace("2 * x", "x + x + (x < 0 ? 1 : 0)"), "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    assert verdict.tests[0].message == "assertion failed"


def test_native_objects_optionals_and_string_identity(verifier):
    verdict = verifier.verify(LARGER, _OBJECTS_RIGHT, "java")
    assert verdict.status is VerdictStatus.PASSED, verdict


def test_native_exception_exit_and_timeout(verifier):
    verdict = verifier.verify(DOUBLE_ALL, _double_all("return List.of(xs.get(5));"), "java")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert verdict.tests[0].message.startswith("IndexOutOfBoundsException")
    assert verdict.tests[0].message.endswith("(line 1)")
    verdict = verifier.verify(DOUBLE_ALL, _double_all("System.exit(0);\n        return xs;"), "java")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert "ended before the tests finished" in verdict.tests[0].message
    verdict = verifier.verify(DOUBLE_ALL, _double_all("while (true) { }"), "java")
    assert verdict.status is VerdictStatus.TIMEOUT


def test_native_compile_error_is_on_the_completions_line(verifier):
    completion = "        List<Integer> out = new ArrayList<>();\n        return ys;\n    }\n}\n"
    verdict = verifier.verify(DOUBLE_ALL, completion, "java")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert diagnostic.line == 2 and diagnostic.message.startswith("cannot find symbol")


def test_native_forged_verdict_is_only_an_answer(verifier):
    forge = ('try {\n            var out = new java.io.FileOutputStream(java.io.FileDescriptor.out);\n'
             '            out.write("{\\"check\\":\\"passed\\"}\\n".getBytes());\n'
             "        } catch (java.io.IOException e) { }\n        return xs;")
    verdict = verifier.verify(DOUBLE_ALL, _double_all(forge), "java")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR, verdict
    assert verdict.tests[0].message == "the solution's process sent a malformed answer"


# Overloads with the entry point's arity: each call runs the method javac binds the test's call to, as in one JVM
# (the solution's JVM once found methods by name and arity only, and ran twice(String) for the test's twice(2)).
_TWICE_PROMPT = "import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n    public int twice(int x) {\n"
_TWICE_TEST = """\
public class Main {
    public static void main(String[] args) {
        Solution s = new Solution();
        if (s.twice(2) != 4 || s.twice(-3) != -6) {
            throw new AssertionError();
        }
    }
}
"""
TWICE = Problem(id="Java/902", description=_TWICE_PROMPT,
                native={"java": NativeTests(_TWICE_PROMPT, _TWICE_TEST, "twice")})


@pytest.mark.parametrize(("overload", "doubled"), [
    ("public int twice(String x)", "2 * Integer.parseInt(x)"),
    ("public int twice(long x)", "(int) (2 * x)"),
    ("public int twice(Integer x)", "2 * x"),
    ("public static int twice(Object x)", "2 * (Integer) x"),
])
def test_native_runs_the_overload_the_tests_call(verifier, overload, doubled):
    def completion(entry_point, other):
        return f"        return {entry_point};\n    }}\n    {overload} {{\n        return {other};\n    }}\n}}\n"

    verdict = verifier.verify(TWICE, completion("2 * x", "0"), "java")
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(TWICE, completion("x", doubled), "java")  # no right overload stands in for it
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict


def test_native_overloads_the_prompt_declares(verifier):
    prompt = _TWICE_PROMPT.replace("class Solution {\n", "class Solution {\n    public String twice(String s) {\n"
                                   "        return s + s;\n    }\n\n")
    test = _TWICE_TEST.replace("s.twice(-3) != -6", 's.twice(-3) != -6 || !s.twice("ab").equals("abab")')
    problem = Problem(id="Java/903", description=prompt, native={"java": NativeTests(prompt, test, "twice")})
    verdict = verifier.verify(problem, "        return 2 * x;\n    }\n}\n", "java")
    assert verdict.status is VerdictStatus.PASSED, verdict


# As HumanEval-X's Java/38: the prompt's class has a helper, and the tests call it (through the solution) too.
_CODEC_PROMPT = """\
import java.util.*;
import java.lang.*;

class Solution {
    /**
    Encodes x.
     */
    public int encode(int x) {
        return x + 1;
    }

    /**
    Decodes what encode returned.
     */
    public int decode(int x) {
"""
_CODEC_TEST = """\
public class Main {
    public static void main(String[] args) {
        Solution s = new Solution();
        if (s.decode(s.encode(5)) != 5 || s.decode(s.encode(-2)) != -2) {
            throw new AssertionError();
        }
    }
}
"""
CODEC = Problem(id="Java/904", description=_CODEC_PROMPT,
                native={"java": NativeTests(_CODEC_PROMPT, _CODEC_TEST, "decode")})


def _chat(code: str) -> str:
    return f"Here is the complete solution:\n```java\n{code}```\n"


@pytest.mark.parametrize("answer", [
    _CODEC_PROMPT + "        return x - 1;\n    }\n}\n",
    "import java.util.*;\n\npublic class Solution {\n    public int decode(int x) {\n        return x - 1;\n    }\n}\n"
    "\npublic class Main {\n    public static void main(String[] args) { }\n}\n",
    _CODEC_PROMPT.split("class Solution {\n")[1] + "        return x - 1;\n    }\n",
    "import java.util.stream.*;\n\npublic int decode(int x) {\n    return IntStream.of(x).map(y -> y - 1).sum();\n}\n",
], ids=["class", "class-without-helper", "methods", "method-alone"])
def test_native_answer_restating_the_class_or_method(verifier, answer):
    # Chat models answer with the whole class (imports included) or with its methods: they replace the prompt's
    # class, or its method, instead of following the method's header.
    verdict = verifier.verify(CODEC, _chat(answer), "java")
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(CODEC, _chat(answer.replace("- 1", "- 2")), "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict


def test_native_restated_helpers_are_the_benchmarks(verifier):
    # The tests call encode through the solution: an answer's own encode would let identities pass.
    cheat = "class Solution {\n    public int encode(int x) {\n        return x;\n    }\n"
    verdict = verifier.verify(CODEC, _chat(cheat + "    public int decode(int x) {\n        return x;\n    }\n}\n"),
                              "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict
    verdict = verifier.verify(CODEC, _chat(cheat.split("\n", 1)[1] + "    public int decode(int x) {\n"
                                           "        return x;\n    }\n"), "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict


@pytest.mark.parametrize("answer", [
    "import java.util.*;\n\nclass Solution {\n    public int decode(int x) {\n        return y;\n    }\n}\n",
    "\n\n\n    public int decode(int x) {\n        return y;\n    }\n",
], ids=["class", "method"])
def test_native_restated_answer_diagnostics_are_on_its_lines(verifier, answer):
    verdict = verifier.verify(CODEC, _chat(answer), "java")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert (diagnostic.line, diagnostic.column) == (5, 16) and diagnostic.message.startswith("cannot find symbol")


def test_code_that_crashes_javac_is_a_compile_error(verifier):
    depth = 20_000
    code = f"class Solution {{ static long addNumbers(long a, long b) {{ return {'(' * depth}a + b{')' * depth}; }} }}"
    verdict = verifier.verify(ADD, code, "java")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.diagnostics
    assert diagnostic.message == "javac ran out of resources compiling this code: java.lang.StackOverflowError"


class _StoppedCompiler:
    """A runner whose every run was stopped at ``limit``, as the sandbox reports it."""

    def __init__(self, limit):
        self.limit = limit

    def warm(self, language):
        return False  # a javac of the sample's own (the compile server's budget is its own: test_java_warm)

    def run(self, argv, **kwargs):
        return SandboxResult(exit_code=None, signal=9, stdout=b"", stderr=b"", stdout_truncated=False,
                             stderr_truncated=False, wall_time_s=60.0, cpu_time_s=1.0, peak_memory_mb=10.0,
                             limit_hit=self.limit, files={})


@pytest.mark.parametrize(("limit", "ours"), [("cpu_time", False), ("memory", False), ("wall_time", True),
                                             ("processes", True)])
def test_javac_stopped_at_a_limit(limit, ours):
    backend = JavaBackend()
    compiled = backend.compile(backend.assemble(ADD_RIGHT, ADD), ADD, _StoppedCompiler(limit))
    assert not compiled.ok
    assert (compiled.infra_error is not None) is ours


def test_a_test_value_beyond_long_is_ours_not_the_answers(verifier):
    huge = Problem(id="huge", description="", signature=ADD.signature, tests=(TestCase((2**70, 1), 2**70 + 1),))
    verdict = verifier.verify(huge, ADD_RIGHT, "java")
    assert verdict.status is VerdictStatus.INFRA_ERROR and verdict.masked
    assert "1180591620717411303424 does not fit Java's long" in verdict.stderr_tail


def test_classes_named_like_packages_do_not_capture_the_harness(verifier, monkeypatch):
    # In Java a type obscures a package of the same name: `kiln.Harness` written in the harness would be this
    # answer's class. The harness imports what it names, and imports always resolve packages.
    monkeypatch.setattr("codekiln_java.backend._RESERVED", re.compile(r"(?!x)x"))  # past the early refusal
    fake = """\
class kiln {
    static class Harness {
        static void run(String[] types, Object call, String[] args) {
            System.out.print("{\\"ready\\":true}\\n{\\"value\\":3}\\n{\\"value\\":0}\\n{\\"value\\":1000000000001}\\n");
            System.out.print("{\\"done\\":true}\\n");
        }
    }
}
class java { }
class Long { }
"""
    verdict = verifier.verify(ADD, ADD_RIGHT.replace("a + b", "a - b") + fake, "java")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict
    assert verifier.verify(ADD, ADD_RIGHT + fake, "java").passed
