"""HumanEval-X problems: the solution and the benchmark's test code in two sandboxes, relayed by the verifier."""

from __future__ import annotations

import json

import pytest

from codekiln.builtin.datasets.loaders import HumanEvalXDataset
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Problem
from codekiln.sandbox import Limits
from codekiln.verdict import Stage, VerdictStatus
from codekiln.verifier import Verifier
from codekiln_cpp import CppBackend, native

# Shaped like HumanEval-X: a commented prompt, a helper the tests use, and a test main with asserts.
DECLARATION = """#include<stdio.h>
#include<vector>
#include<string>
#include<map>
#include<math.h>
using namespace std;
string shout(string s){ return s + "!"; }
vector<float> close_doubled(vector<float> numbers, float threshold, const string& tag, map<char,int>& seen){
"""
PROMPT = "/*\nDouble the numbers closer than threshold to another one.\n*/\n" + DECLARATION
TEST = """#undef NDEBUG
#include<assert.h>
bool issame(vector<float> a, vector<float> b){
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) if (fabs(a[i] - b[i]) > 1e-4) return false;
    return true;
}
int main(){
    map<char,int> m = {{'a', 1}};
    assert (issame(close_doubled({1.0, 2.0, 2.1}, 0.3, "x\\n\\"y", m), {4.0, 4.2}));
    assert (issame(close_doubled({}, 0.3, shout("q"), m), {}));
    assert (issame(close_doubled({0.1, 5.0}, 10.0, "", m), {0.2, 10.0}));
}
"""
RIGHT = """    vector<float> out;
    for (size_t i = 0; i < numbers.size(); i++)
        for (size_t j = 0; j < numbers.size(); j++)
            if (i != j && fabs(numbers[i] - numbers[j]) < threshold) { out.push_back(2 * numbers[i]); break; }
    return out;
}
"""
PROBLEM = Problem(id="CPP/x", description=PROMPT,
                  native={"cpp": NativeTests(PROMPT, TEST, "close_doubled", DECLARATION)})


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=Limits(wall_time_s=3.0, cpu_time_s=3.0), workers=1,
                  cache=False) as v:
        yield v


def test_the_test_program_calls_a_proxy():
    source = native.tester_source(PROBLEM.native["cpp"], CppBackend()._parse)
    assert "{ return kiln::call_remote(&close_doubled, numbers, threshold, tag, seen); }" in source
    assert "string shout(string s){ return s + \"!\"; }" in source  # the prompt's helpers stay for the tests
    assert source.endswith(TEST + "\n")


def test_right_and_wrong(verifier):
    verdict = verifier.verify(PROBLEM, RIGHT, "cpp")
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(PROBLEM, RIGHT.replace("2 * numbers[i]", "3 * numbers[i]"), "cpp")
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    assert verdict.tests[0].message.startswith("assertion failed: ") and "Assertion" in verdict.tests[0].message


@pytest.mark.parametrize(
    ("completion", "status", "message"),
    [
        ("    throw std::out_of_range(\"nope\");\n}\n", VerdictStatus.RUNTIME_ERROR, "std::out_of_range: nope"),
        ("    exit(0);\n}\n", VerdictStatus.RUNTIME_ERROR, "the solution's process ended before answering"),
        ("    int* p = nullptr; *p = 1; return {};\n}\n", VerdictStatus.RUNTIME_ERROR, "(signal 11)"),
        # Forged answers and a forged "done" on the solver's own fd 3 reach the tests as data only.
        ("    write(3, \"{\\\"done\\\":true}\\n\", 14); pause(); return {};\n}\n#include <unistd.h>\n",
         VerdictStatus.RUNTIME_ERROR, "the solution's answer could not be read"),
        ("    puts(\"{\\\"done\\\":true}\"); return {};\n}\n", VerdictStatus.WRONG_ANSWER, "assertion failed"),
    ],
)
def test_failures_and_attacks(verifier, completion, status, message):
    verdict = verifier.verify(PROBLEM, completion, "cpp")
    assert verdict.status is status, verdict
    assert message in verdict.tests[0].message


def test_a_main_of_the_solution_is_a_compile_error(verifier):
    verdict = verifier.verify(PROBLEM, RIGHT + "int main() { return 0; }\n", "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert "the solution defines main()" in verdict.diagnostics[0].message


def test_diagnostics_are_on_completion_lines(verifier):
    verdict = verifier.verify(PROBLEM, "    vector<float> out;\n    return outt;\n}\n", "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert [(d.line, d.column) for d in verdict.stage(Stage.COMPILE).diagnostics] == [(2, 12)]


def test_a_humaneval_x_row(verifier, tmp_path):
    row = {
        "task_id": "CPP/0",
        "prompt": "#include<vector>\nusing namespace std;\nvector<int> double_all(vector<int> xs){\n",
        "declaration": "#include<vector>\nusing namespace std;\nvector<int> double_all(vector<int> xs){\n",
        "canonical_solution": "    for (auto& x : xs) x *= 2;\n    return xs;\n}\n",
        "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n"
                "    assert(double_all({1, 2}) == vector<int>({2, 4}));\n}\n",
        "example_test": "",
    }
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(row) + "\n")
    [problem] = HumanEvalXDataset().load(str(path))
    assert verifier.verify(problem, problem.references["cpp"], "cpp").passed
    assert verifier.verify(problem, "    return xs;\n}\n", "cpp").status is VerdictStatus.WRONG_ANSWER


def test_an_absurdly_deep_forged_answer_is_the_codes_failure_never_ours(verifier):
    # Written straight onto the solver's answer channel (fd 3): an "error" row nested 100000 deep. Reading
    # it must not raise (that would mask the sample); the code's failure is scored.
    forged = (
        "    FILE* channel = fdopen(3, \"w\");\n"
        "    fputs(\"{\\\"error\\\":\", channel);\n"
        "    for (int i = 0; i < 100000; i++) fputc('[', channel);\n"
        "    for (int i = 0; i < 100000; i++) fputc(']', channel);\n"
        "    fputs(\"}\\n\", channel);\n"
        "    fflush(channel);\n"
        "    return {};\n"
        "}\n"
    )
    verdict = verifier.verify(PROBLEM, forged, "cpp")
    assert verdict.stage(Stage.COMPILE).ok, verdict
    assert verdict.status is VerdictStatus.RUNTIME_ERROR and not verdict.masked, verdict
