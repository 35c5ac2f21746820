"""The JavaScript backend through the real verifier and sandbox (namespaces isolation)."""

from __future__ import annotations

import doctest
import json
import math

import pytest

import codekiln_javascript.backend
from codekiln.builtin.datasets.loaders import HumanEvalXDataset
from codekiln.datasets import load_dataset
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits
from codekiln.verdict import Stage, VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln_javascript import JavaScriptBackend

S = VerdictStatus

ADD = Problem(
    id="add",
    description="Add two integers.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0), TestCase((10**12, 1), 10**12 + 1)),
)

PAIRS = Problem(
    id="pairs",
    description="Pair each word with half its length, grouped by length.",
    signature=Signature("pairs_by_length", (Param("words", "list[str]"),), "dict[int, list[tuple[str, float]]]"),
    tests=(TestCase((["ab", "c"],), {"2": [["ab", 1.0]], "1": [["c", 0.5]]}),),
)

LOOKUP = Problem(
    id="lookup",
    description="The value of key in table, or null.",
    signature=Signature("lookup", (Param("table", "dict[int, str]"), Param("key", "int")), "optional[str]"),
    tests=(TestCase(({"1": "one", "-2": "minus two"}, -2), "minus two"), TestCase(({"1": "one"}, 3), None)),
)

SCALE = Problem(
    id="scale",
    description="Multiply x by k.",
    signature=Signature("scale", (Param("x", "float"), Param("k", "float")), "float"),
    tests=(TestCase((1.5, 2.0), 3.0), TestCase((math.inf, 2.0), math.inf), TestCase((-0.1, 3.0), -0.30000000000000004)),
)

HUGE = Problem(
    id="huge",
    description="2 to the power n.",
    signature=Signature("power_of_two", (Param("n", "int"),), "int"),
    tests=(TestCase((3,), 8), TestCase((60,), 2**60), TestCase((80,), 2**80)),
)

DOUBLE_PROMPT = "const helper = (x) => x;\n/* Return every number doubled.\n  >>> doubleAll([1, 2])\n  [2, 4]\n  */\n" \
                "const doubleAll = (xs) => {\n"
DOUBLE_TEST = ("const testDoubleAll = () => {\n"
               "  console.assert(JSON.stringify(doubleAll([1, 2])) === JSON.stringify([2, 4]))\n"
               "  console.assert(doubleAll([]).length === 0)\n"
               "  console.assert(helper(doubleAll([-3])[0]) === -6)\n"
               "}\n\ntestDoubleAll()\n")
NATIVE = Problem(id="JavaScript/0", description=DOUBLE_PROMPT,
                 native={"javascript": NativeTests(DOUBLE_PROMPT, DOUBLE_TEST, "doubleAll")})
RIGHT_COMPLETION = "  return xs.map((x) => 2 * x);\n}\n\n"


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=Limits(wall_time_s=3.0, cpu_time_s=3.0, memory_mb=256),
                  workers=1, cache=False) as v:
        yield v


def test_available_and_grammar():
    backend = JavaScriptBackend()
    assert backend.available().ok and backend.available().version.startswith("Node.js v")
    assert backend.tree_sitter_language() is not None


def test_registered_under_its_aliases(codekiln_plugins, register_plugin):
    import codekiln_javascript

    with register_plugin(codekiln_javascript):
        languages = codekiln_plugins.languages()
        assert {languages.get(name).name for name in ("javascript", "js", "node")} == {"javascript"}


def test_docstring_examples():
    assert doctest.testmod(codekiln_javascript.backend).failed == 0


def test_passes_and_counts_tests(verifier):
    verdict = verifier.verify(ADD, "function add(a, b) {\n  return a + b;\n}\n", "javascript")
    assert verdict.status is S.PASSED
    assert (verdict.tests_passed, verdict.tests_total) == (3, 3)
    assert [s.stage for s in verdict.stages] == [Stage.EXTRACT, Stage.SYNTAX, Stage.COMPILE, Stage.RUN]
    assert all(t.time_s is not None for t in verdict.tests)


@pytest.mark.parametrize("code", [
    "const add = (a, b) => a + b;\n",
    "let add = function (a, b) { return a + b; };\n",
    "var add = (a, b) => a + b;\nmodule.exports = { add };\n",
    "'use strict';\nfunction add(a, b) { return a + b; }\n",
    "const { strictEqual } = require('assert');\n"
    "function add(a, b) { strictEqual(typeof a, 'number'); return a + b; }\n",
])
def test_the_function_is_found_however_it_is_declared(verifier, code):
    assert verifier.verify(ADD, code, "javascript").passed


def test_rich_types_cross_the_boundary(verifier):
    as_object = ("function pairsByLength(words) {\n  const out = {};\n"
                 "  for (const w of words) (out[w.length] ||= []).push([w, w.length / 2]);\n  return out;\n}\n")
    assert verifier.verify(PAIRS, as_object, "javascript").passed
    as_map = ("function pairsByLength(words) {\n"
              "  return new Map(words.map((w) => [w.length, [[w, w.length / 2]]]));\n}\n")
    assert verifier.verify(PAIRS, as_map, "javascript").passed
    string_keys = as_map.replace("[w.length, [[", "[String(w.length), [[")  # a Map keyed by strings
    verdict = verifier.verify(PAIRS, string_keys, "javascript")
    assert verdict.status is S.WRONG_ANSWER and "got {'2':" in verdict.tests[0].message


def test_dict_arguments_are_plain_objects_and_optional_is_null(verifier):
    code = "function lookup(table, key) {\n  return Object.hasOwn(table, key) ? table[key] : null;\n}\n"
    assert verifier.verify(LOOKUP, code, "javascript").passed
    undefined = "function lookup(table, key) {\n  return table[key];\n}\n"  # undefined reads as null
    assert verifier.verify(LOOKUP, undefined, "javascript").passed
    as_map = "function lookup(table, key) {\n  return table instanceof Map ? table.get(key) : 'not a Map';\n}\n"
    assert verifier.verify(LOOKUP, as_map, "javascript").status is S.WRONG_ANSWER


def test_floats_and_infinities(verifier):
    assert verifier.verify(SCALE, "function scale(x, k) {\n  return x * k;\n}\n", "javascript").passed
    verdict = verifier.verify(SCALE, "function scale(x, k) {\n  return x * k + 1e-3;\n}\n", "javascript")
    assert verdict.status is S.WRONG_ANSWER


def test_an_int_result_must_be_an_integer(verifier):
    verdict = verifier.verify(ADD, "function add(a, b) {\n  return a + b + 0.5;\n}\n", "javascript")
    assert verdict.status is S.WRONG_ANSWER
    assert verdict.tests[0].message == "expected 3, got 3.5"
    verdict = verifier.verify(ADD, "function add(a, b) {\n  return String(a + b);\n}\n", "javascript")
    assert verdict.tests[0].message == "expected 3, got '3'"
    verdict = verifier.verify(ADD, "function add(a, b) {\n  return a + b === 3;\n}\n", "javascript")
    assert verdict.tests[0].message == "expected 3, got True"


def test_large_integers_are_reported_exactly(verifier):
    # 2 ** 60 is exact as a double; 2 ** 80 too. BigInt results are exact at any size.
    assert verifier.verify(HUGE, "function powerOfTwo(n) {\n  return 2 ** n;\n}\n", "javascript").passed
    assert verifier.verify(HUGE, "function powerOfTwo(n) {\n  return 2n ** BigInt(n);\n}\n", "javascript").passed


def test_wrong_answer_says_what_was_expected(verifier):
    verdict = verifier.verify(ADD, "function add(a, b) {\n  return a - b;\n}\n", "javascript")
    assert verdict.status is S.WRONG_ANSWER
    assert verdict.tests_passed == 0
    assert verdict.tests[0].message == "expected 3, got -1"


def test_exception_is_a_runtime_error(verifier):
    code = "function add(a, b) {\n  if (b === 2) throw new RangeError('two');\n  return a + b;\n}\n"
    verdict = verifier.verify(ADD, code, "javascript")
    assert verdict.status is S.RUNTIME_ERROR
    assert verdict.tests[0].message == "RangeError: two"
    assert verdict.tests_passed == 2  # the other two still ran


def test_thrown_non_errors_are_described(verifier):
    verdict = verifier.verify(ADD, "function add(a, b) {\n  throw 'boom';\n}\n", "javascript")
    assert verdict.status is S.RUNTIME_ERROR and verdict.tests[0].message == "Uncaught string: boom"


def test_failure_at_load_and_missing_function(verifier):
    verdict = verifier.verify(ADD, "throw new TypeError('nope');\n", "javascript")
    assert verdict.status is S.RUNTIME_ERROR and verdict.tests[0].message == "TypeError: nope"
    verdict = verifier.verify(ADD, "function plus(a, b) {\n  return a + b;\n}\n", "javascript")
    assert verdict.status is S.RUNTIME_ERROR
    assert "defines no function named 'add'" in verdict.tests[0].message


def test_snake_case_names_are_not_found():
    problem = Problem(id="p", description="", signature=Signature("running_max", (Param("v", "list[int]"),), "int"),
                      tests=(TestCase(([1],), 1),))
    with Verifier(make_plugins(), isolation="namespaces", workers=1, cache=False) as verifier:
        right = verifier.verify(problem, "function runningMax(v) {\n  return Math.max(...v);\n}\n", "javascript")
        snake = verifier.verify(problem, "function running_max(v) {\n  return Math.max(...v);\n}\n", "javascript")
    assert right.passed
    assert snake.status is S.RUNTIME_ERROR and "no function named 'runningMax'" in snake.tests[0].message


def test_process_exit_is_one_failed_call(verifier):
    code = "function add(a, b) {\n  if (a === 1) process.exit(0);\n  return a + b;\n}\n"
    verdict = verifier.verify(ADD, code, "javascript")
    assert verdict.status is S.RUNTIME_ERROR
    assert verdict.tests[0].message == "ProcessExit: process.exit(0) was called"
    assert verdict.tests_passed == 2


def test_printing_does_not_disturb_the_results(verifier):
    code = ("function add(a, b) {\n  console.log('{\"i\":0,\"value\":3}');\n  process.stdout.write('PASS\\n');\n"
            "  console.error('debug');\n  return a + b;\n}\n")
    verdict = verifier.verify(ADD, code, "javascript")
    assert verdict.passed
    assert "PASS" in verdict.stderr_tail and "PASS" not in verdict.stdout_tail


def test_syntax_error_has_a_position_in_the_submitted_code(verifier):
    verdict = verifier.verify(ADD, "Here:\n```js\nfunction add(a, b) {\n  return (a +\n}\n```", "javascript")
    assert verdict.status is S.SYNTAX_ERROR
    diagnostic = verdict.stage(Stage.SYNTAX).diagnostics[0]
    assert diagnostic.line is not None and diagnostic.line >= 1 and diagnostic.column is not None


def test_compile_error_the_grammar_accepts(verifier):
    code = "function add(a, b) {\n  const c = 1;\n  let c = 2;\n  return a + b;\n}\n"
    verdict = verifier.verify(ADD, code, "javascript")
    assert verdict.status is S.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert (diagnostic.message, diagnostic.line, diagnostic.column) == (
        "SyntaxError: Identifier 'c' has already been declared", 3, 7)


def test_es_module_syntax_is_a_compile_error(verifier):
    # The solution is a CommonJS script, as the harness loads it; node --check must not guess otherwise.
    verdict = verifier.verify(ADD, "import fs from 'fs';\nexport function add(a, b) {\n  return a + b;\n}\n",
                              "javascript")
    assert verdict.status is S.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert diagnostic.line == 1 and "import statement outside a module" in diagnostic.message


def test_no_code_at_all(verifier):
    verdict = verifier.verify(ADD, "```python\ndef add(a, b):\n    return a + b\n```", "javascript")
    assert verdict.status is S.SYNTAX_ERROR
    assert verdict.stage(Stage.EXTRACT).diagnostics[0].message == "no javascript code found in the answer"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("function add(a, b) {\n  for (;;) {}\n}\n", S.TIMEOUT),
        ("function add(a, b) {\n  const hog = [];\n  for (;;) hog.push(new Array(1e6).fill(a / 3));\n}\n",
         S.MEMORY_LIMIT),
        ("function add(a, b) {\n  return new Array(2 ** 28).fill(0);\n}\n", S.MEMORY_LIMIT),
        ("function add(a, b) {\n  for (;;) console.log('x'.repeat(10000));\n}\n", S.OUTPUT_LIMIT),
        ("function add(a, b) {\n  return add(a, b);\n}\n", S.RUNTIME_ERROR),
        ("function add(a, b) {\n  const x = [];\n  x.push(x);\n  return x;\n}\n", S.RUNTIME_ERROR),  # a cycle
        ("async function add(a, b) {\n  return a + b;\n}\n", S.RUNTIME_ERROR),  # a Promise is not a value
    ],
    ids=["loop", "heap", "one_huge_allocation", "output", "recursion", "cycle", "promise"],
)
def test_limits_and_crashes(verifier, code, status):
    assert verifier.verify(ADD, code, "javascript").status is status


def test_signature_stub_names_the_function_in_camel_case():
    problem = next(p for p in load_dataset("builtin", make_plugins(autoload=False).datasets())
                   if p.id == "two_sum_indices")
    assert JavaScriptBackend().signature_stub(problem) == (
        "/**\n * @param {number[]} values\n * @param {number} target\n * @returns {[number, number]|null}\n */\n"
        "function twoSumIndices(values, target) {"
    )


# -- the built-in references --------------------------------------------------------------------------------

# Appended to a reference: the entry point now returns a value that differs from the right one in every test,
# whatever its type, so the verifier must answer wrong_answer for each problem.
_BREAK_RETURN = """
{name} = ((original) => (...args) => {{
  const value = original(...args);
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'number') return value + Math.max(1, Math.abs(value));
  if (typeof value === 'string') return value + '!';
  if (Array.isArray(value)) return [...value, value.length ? value[0] : 0];
  if (value instanceof Map) return new Map([...value, ['_kiln_extra', 0]]);
  if (value !== null && typeof value === 'object') return {{ ...value, _kiln_extra: 0 }};
  return 0;
}})({name});
"""


def test_every_reference_with_a_broken_return_value_fails(verifier):
    problems = load_dataset("builtin", make_plugins(autoload=False).datasets())
    samples = []
    for problem in problems:
        name = codekiln_javascript.backend.camel_case(problem.signature.name)
        samples.append(Sample(problem, problem.references["javascript"] + _BREAK_RETURN.format(name=name),
                              "javascript"))
    verdicts = verifier.verify_batch(samples)
    statuses = {s.problem.id: v.status for s, v in zip(samples, verdicts)}
    assert {i for i, status in statuses.items() if status is not S.WRONG_ANSWER} == set()
    assert all(v.tests_passed == 0 for v in verdicts)


def test_every_builtin_problem_has_a_javascript_reference():
    problems = load_dataset("builtin", make_plugins(autoload=False).datasets())
    assert [p.id for p in problems if "javascript" not in p.references] == []


# -- native (HumanEval-X) tests ------------------------------------------------------------------------------


def test_native_tests_pass_and_fail(verifier):
    assert verifier.verify(NATIVE, RIGHT_COMPLETION, "javascript").passed
    verdict = verifier.verify(NATIVE, "  return xs.map((x) => x + 2);\n}\n", "javascript")  # right for 2 only
    assert verdict.status is S.WRONG_ANSWER
    assert verdict.tests[0].message == "assertion failed"


def test_native_assert_module_and_messages(verifier):
    test = "const assert = require('assert');\nassert.deepStrictEqual(doubleAll([1]), [2], 'doubles one');\n"
    problem = Problem(id="JavaScript/1", description="",
                      native={"javascript": NativeTests(DOUBLE_PROMPT, test, "doubleAll")})
    assert verifier.verify(problem, RIGHT_COMPLETION, "javascript").passed
    verdict = verifier.verify(problem, "  return xs;\n}\n", "javascript")
    assert verdict.status is S.WRONG_ANSWER and verdict.tests[0].message.startswith("assertion failed: doubles one")


def test_native_diagnostics_map_to_completion_lines(verifier):
    verdict = verifier.verify(NATIVE, "  const ys = xs.map((x) => 2 * x);\n  return ys +;\n}\n", "javascript")
    assert verdict.status is S.SYNTAX_ERROR
    assert verdict.diagnostics[0].line == 2
    verdict = verifier.verify(NATIVE, "  let xs = 1;\n  return xs;\n}\n", "javascript")
    assert verdict.status is S.COMPILE_ERROR and verdict.diagnostics[0].line == 1


def _chat(code: str) -> str:
    return f"Here is the complete function:\n```javascript\n{code}```\n"


def test_native_answer_restating_the_function(verifier):
    # Chat models answer with the whole function, the prompt's helper too: it replaces the prompt's function
    # instead of following its header (and the helper's second `const` would be a SyntaxError).
    assert verifier.verify(NATIVE, _chat(DOUBLE_PROMPT + RIGHT_COMPLETION), "javascript").passed
    alone = "function doubleAll(xs) {\n  return xs.map((x) => helper(2 * x));\n}\n"  # the prompt's helper stays
    assert verifier.verify(NATIVE, _chat(alone), "javascript").passed
    verdict = verifier.verify(NATIVE, _chat(DOUBLE_PROMPT + "  return xs.map((x) => x + 2);\n}\n"), "javascript")
    assert verdict.status is S.WRONG_ANSWER
    verdict = verifier.verify(NATIVE, _chat("const doubleAll = (xs) => {\n  let ys = 1;\n  let ys = 2;\n}\n"),
                              "javascript")
    assert verdict.status is S.COMPILE_ERROR and verdict.diagnostics[0].line == 3


@pytest.mark.parametrize(
    ("completion", "status", "message"),
    [
        ("  throw new Error('nope');\n}\n", S.RUNTIME_ERROR, "Error: nope"),
        ("  process.exit(0);\n}\n", S.RUNTIME_ERROR, "ProcessExit: process.exit(0) was called"),
        ("};\nprocess.exit(0);\n", S.RUNTIME_ERROR, "ProcessExit: process.exit(0) was called"),
        ("  return () => 1;\n}\n", S.RUNTIME_ERROR, None),
        ("  for (;;) {}\n}\n", S.TIMEOUT, None),
        ("  const hog = [];\n  for (;;) hog.push(new Array(1e6).fill(xs.length / 3));\n}\n", S.MEMORY_LIMIT, None),
        ("  process.kill(process.pid, 'SIGKILL');\n}\n", S.RUNTIME_ERROR,
         "the solution's process ended before the tests finished"),
    ],
    ids=["throws", "exit_in_call", "exit_at_load", "returns_function", "loop", "memory", "killed"],
)
def test_native_failures(verifier, completion, status, message):
    verdict = verifier.verify(NATIVE, completion, "javascript")
    assert verdict.status is status
    assert not verdict.masked
    if message is not None:
        assert verdict.tests[0].message == message


def test_native_tests_are_out_of_the_solutions_reach(verifier):
    # Everything the solution's process can see: files, other processes' command lines and descriptors.
    snoop = (
        "  const fs = require('fs');\n  const seen = [];\n"
        "  const read = (p) => {\n"
        "    try {\n"
        "      const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);\n"
        "      const buffer = Buffer.alloc(1 << 16);\n"
        "      seen.push(buffer.toString('utf8', 0, fs.readSync(fd, buffer)));\n"
        "      fs.closeSync(fd);\n"
        "    } catch (e) {}\n"
        "  };\n"
        "  for (const name of fs.readdirSync('.')) read(name);\n"
        "  for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {\n"
        "    if (Number(pid) === process.pid) continue;  // its own request pipe: reading it would swallow a call\n"
        "    read(`/proc/${pid}/cmdline`);\n"
        "    try { for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) read(`/proc/${pid}/fd/${fd}`); } catch (e) {}\n"
        "  }\n"
        "  if (seen.some((text) => text.includes('console.assert'))) return [2, 4];\n"
        "  return [12345];\n}\n"
    )
    verdict = verifier.verify(NATIVE, snoop, "javascript")
    assert verdict.status is S.WRONG_ANSWER


def test_native_forged_answers_count_as_the_solutions_own(verifier):
    # The solution may write on its own answer channel: what it writes is its answer, and must be right.
    forge = "  require('fs').writeSync(3, '{\"value\":\"AA==\"}\\n');\n  return xs.map((x) => 2 * x);\n}\n"
    verdict = verifier.verify(NATIVE, forge, "javascript")
    assert verdict.status is S.RUNTIME_ERROR and "malformed" in verdict.tests[0].message


def test_native_test_code_that_cannot_run_is_masked(verifier):
    test = "const md5 = require('js-md5');\nconsole.assert(doubleAll([1])[0] === 2);\n"
    problem = Problem(id="JavaScript/162", description="",
                      native={"javascript": NativeTests(DOUBLE_PROMPT, test, "doubleAll")})
    verdict = verifier.verify(problem, RIGHT_COMPLETION, "javascript")
    assert verdict.status is S.INFRA_ERROR and verdict.masked
    assert "js-md5" in verdict.stderr_tail


def test_humaneval_x_rows_verify_end_to_end(tmp_path, verifier):
    row = {"task_id": "JavaScript/0", "prompt": DOUBLE_PROMPT, "declaration": "const doubleAll = (xs) => {\n",
           "canonical_solution": RIGHT_COMPLETION, "test": DOUBLE_TEST, "example_test": ""}
    data = tmp_path / "x.jsonl"
    data.write_text(json.dumps(row) + "\n")
    [problem] = HumanEvalXDataset().load(str(data))
    assert problem.native["javascript"].entry_point == "doubleAll"
    assert verifier.verify(problem, problem.references["javascript"], "javascript").passed
