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
    entry = native.entry_function(PROBLEM.native["cpp"], CppBackend()._parse)
    assert entry.name == "close_doubled" and entry.params == ("numbers", "threshold", "tag", "seen")
    # The function's type from the declaration's own types, names left out: no &close_doubled anywhere.
    assert entry.typedef == ("typedef vector<float> kiln_signature(vector<float> , float , const string& , "
                             "map<char,int>& );")
    source = native.tester_source(PROBLEM.native["cpp"], entry)
    assert '#include "kiln_any.hpp"\n' + entry.typedef + "\nvector<float> close_doubled(" in source
    proxy = "{ return kiln::call_remote(static_cast<kiln_signature*>(nullptr), numbers, threshold, tag, seen); }"
    assert proxy in source
    assert "string shout(string s){ return s + \"!\"; }" in source  # the prompt's helpers stay for the tests
    assert source.endswith("#line 1\n" + TEST + "\n")
    assert "(::close_doubled)(a0, a1, a2, a3)" in native.solver_source(entry)


def _problem(declaration, test):
    includes = "#include<string>\n#include<vector>\n#include<algorithm>\n#include<cstring>\n"
    prompt = includes + "using namespace std;\n" + declaration
    # As HumanEval-X's CPP/38: the declaration field starts the body, and the entry point read from it is wrong.
    native = NativeTests(prompt, test, "num", prompt + "    int num = 1;\n")
    return Problem(id="CPP/name", description=prompt, native={"cpp": native})


# Names that taking the address (&name) cannot resolve: a C function's name overloaded under using namespace
# std, a std algorithm, an overload set of the prompt's own, a function-like macro; a prompt that ends in a comment
# inside the body. The function tested is the one the prompt leaves open, whatever entry point the loader read.
@pytest.mark.parametrize(
    ("declaration", "completion", "test"),
    [
        ("int strlen(string str){\n", "    return str.length();\n}\n",
         # string(...): with a literal, the C library's strlen(const char*) is the better match (as in CPP/23)
         'int main(){ assert(strlen(string("")) == 0); assert(strlen(string("abc")) == 3); }\n'),
        ("vector<int> unique(vector<int> l){\n",
         "    sort(l.begin(), l.end());\n    l.erase(std::unique(l.begin(), l.end()), l.end());\n    return l;\n}\n",
         "int main(){ assert(unique({3, 1, 3}) == vector<int>({1, 3})); }\n"),
        ("int twice(int x){ return 2 * x; }\nint twice(string s, int n = 2){\n", "    return s.size() * n;\n}\n",
         'int main(){ assert(twice("abc", 3) == 9); assert(twice(4) == 8); }\n'),
        ("#define shout(x) (x + 1)\nint (shout)(int x){\n", "    return x + 100;\n}\n",
         "int main(){ assert((shout)(1) == 101); }\n"),
        ("string decode(string s){\n    /* the prompt ends in a comment */\n",
         "    int num = s.size();\n    return s.substr(0, num - 1);\n}\n",
         'int main(){ assert(decode("abc") == "ab"); }\n'),
    ],
    ids=["strlen", "unique", "overloads", "macro", "comment-in-body"],
)
def test_any_name_a_benchmark_uses(verifier, declaration, completion, test):
    problem = _problem(declaration, "#undef NDEBUG\n#include<assert.h>\n" + test)
    verdict = verifier.verify(problem, completion, "cpp")
    assert verdict.status is VerdictStatus.PASSED, verdict
    wrong = verifier.verify(problem, "    return {};\n}\n", "cpp")
    assert wrong.status is VerdictStatus.WRONG_ANSWER and not wrong.masked, wrong


def test_right_and_wrong(verifier):
    verdict = verifier.verify(PROBLEM, RIGHT, "cpp")
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(PROBLEM, RIGHT.replace("2 * numbers[i]", "3 * numbers[i]"), "cpp")
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    # The assertion's own text, from the test program's __assert_fail (never from the solution's output).
    assert verdict.tests[0].message.startswith("assertion failed (line 10): issame(close_doubled(")


@pytest.mark.parametrize(
    ("completion", "status", "message"),
    [
        ("    throw std::out_of_range(\"nope\");\n}\n", VerdictStatus.RUNTIME_ERROR, "std::out_of_range: nope"),
        ("    exit(0);\n}\n", VerdictStatus.RUNTIME_ERROR, "the solution's process ended before answering"),
        ("    int* p = nullptr; *p = 1; return {};\n}\n", VerdictStatus.RUNTIME_ERROR,
         "the solution's process ended before answering"),
        # A forged verdict on the solver's own fd 3 reaches the tests as an answer, data only.
        ("    FILE* out = fdopen(3, \"w\"); fputs(\"{\\\"check\\\":\\\"passed\\\"}\\n\", out); fflush(out);\n"
         "    getchar(); return {};\n}\n",
         VerdictStatus.RUNTIME_ERROR, "the solution's answer could not be read"),
        ("    puts(\"{\\\"check\\\":\\\"passed\\\"}\"); return {};\n}\n", VerdictStatus.WRONG_ANSWER,
         "assertion failed"),
    ],
)
def test_failures_and_attacks(verifier, completion, status, message):
    verdict = verifier.verify(PROBLEM, completion, "cpp")
    assert verdict.status is status, verdict
    assert message in verdict.tests[0].message


def test_a_main_of_the_solutions_own_is_renamed_and_never_runs(verifier):
    assert verifier.verify(PROBLEM, RIGHT + "int main() { return 0; }\n", "cpp").status is VerdictStatus.PASSED
    wrong = RIGHT.replace("2 * numbers[i]", "3 * numbers[i]") + "int main() { return 0; }\n"
    assert verifier.verify(PROBLEM, wrong, "cpp").status is VerdictStatus.WRONG_ANSWER


def test_globals_named_like_names_of_our_headers_compile(verifier):
    # Neither the standard headers of the precompiled header (std::count) nor the C headers of the programs' own
    # code (<unistd.h>'s dup, <strings.h>'s index) may collide with the solution's names.
    completion = RIGHT + "int count = 0, dup = 0;\nlong index = 0;\nint touch() { return count + dup + int(index); }\n"
    assert verifier.verify(PROBLEM, completion, "cpp").passed


def test_diagnostics_are_on_completion_lines(verifier):
    verdict = verifier.verify(PROBLEM, "    vector<float> out;\n    return outt;\n}\n", "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert [(d.line, d.column) for d in verdict.stage(Stage.COMPILE).diagnostics] == [(2, 12)]


def _chat(code: str) -> str:
    return f"Here is the complete function:\n```cpp\n{code}```\n"


def test_an_answer_restating_the_function_is_judged_as_its_completion(verifier):
    # Chat models answer with the whole function, includes and the prompt's helper too: it replaces the prompt's
    # function instead of following its header (the helper's second definition would not compile either).
    verdict = verifier.verify(PROBLEM, _chat(PROMPT + RIGHT), "cpp")
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(PROBLEM, _chat(DECLARATION.split("string shout")[0] + DECLARATION.splitlines()[-1]
                                             + "\n" + RIGHT), "cpp")  # no helper: the prompt's stays
    assert verdict.status is VerdictStatus.PASSED, verdict
    verdict = verifier.verify(PROBLEM, _chat(PROMPT + RIGHT.replace("2 * numbers[i]", "3 * numbers[i]")), "cpp")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict
    # A completion that closes the function and then overloads it still continues the prompt.
    overload = RIGHT + "vector<float> close_doubled(vector<float> numbers){ return numbers; }\n"
    assert verifier.verify(PROBLEM, overload, "cpp").passed
    # Diagnostics stay on the answer's own lines.
    verdict = verifier.verify(PROBLEM, _chat(DECLARATION + "    vector<float> out;\n    return outt;\n}\n"), "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert [(d.line, d.column) for d in verdict.stage(Stage.COMPILE).diagnostics] == [(10, 12)]


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


def test_boost_any_crosses_between_the_programs(verifier):
    if not CppBackend().requirements()[0].ok:
        pytest.skip("Boost is not installed: apt-get install libboost-dev")
    prompt = ("#include<string>\n#include<boost/any.hpp>\n#include<list>\nusing namespace std;\n"
              "boost::any bigger(std::list<boost::any> values){\n")
    test = ("#undef NDEBUG\n#include<assert.h>\nint main(){\n"
            "    assert(boost::any_cast<double>(bigger({1, 2.5, 'c', string(\"x\")})) == 2.5);\n"
            "    assert(boost::any_cast<string>(bigger({string(\"only\"), {}})) == \"only\");\n"
            "    assert(bigger({}).empty());\n}\n")
    problem = Problem(id="CPP/any", description=prompt, native={"cpp": NativeTests(prompt, test, "bigger")})
    right = ("    boost::any best;\n    for (auto& v : values) {\n"
             "        if (v.type() == typeid(double) || (best.empty() && v.type() == typeid(string))) best = v;\n"
             "    }\n    return best;\n}\n")
    assert verifier.verify(problem, right, "cpp").passed
    verdict = verifier.verify(problem, "    return values.front();\n}\n", "cpp")
    assert verdict.status is VerdictStatus.WRONG_ANSWER, verdict


def test_a_library_the_problem_needs_and_the_machine_lacks_is_masked_naming_the_fix(verifier, monkeypatch):
    from codekiln_cpp import build

    monkeypatch.setattr(build, "EXTRAS", (*build.EXTRAS, build.Extra("Kiln", "kiln/absent.hpp", None, "libkiln-dev")))
    prompt = "#include<kiln/absent.hpp>\nint f(int x){\n"
    problem = Problem(id="CPP/absent", description=prompt, native={"cpp": NativeTests(prompt, "int main(){}\n", "f")})
    verdict = verifier.verify(problem, "    return x;\n}\n", "cpp")
    assert verdict.status is VerdictStatus.INFRA_ERROR and verdict.masked
    fix = "CPP/absent needs Kiln (<kiln/absent.hpp>), not installed: apt-get install libkiln-dev"
    assert fix in verdict.stderr_tail
    # The same include in a solution is the solution's compile error.
    verdict = verifier.verify(PROBLEM, "#include<kiln/absent.hpp>\n" + RIGHT, "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR and not verdict.masked


def test_doctor_names_each_requirement_and_its_fix(monkeypatch):
    from codekiln import doctor
    from codekiln.plugins import make_plugins

    monkeypatch.setenv("CODEKILN_CPP_LINK", "crypto, kilnnosuch")
    report = doctor.diagnose(make_plugins())
    needs = {r["name"]: r for r in report["languages"]["cpp"]["requirements"]}
    assert needs["Boost (<boost/any.hpp>)"]["ok"] is CppBackend().requirements()[0].ok
    assert needs["-lkilnnosuch (CODEKILN_CPP_LINK)"] == {
        "name": "-lkilnnosuch (CODEKILN_CPP_LINK)", "ok": False,
        "fix": "not installed: install the package that provides libkilnnosuch.so, or leave it out of "
               "CODEKILN_CPP_LINK"}
    text = doctor.format_report(report)
    assert "-lkilnnosuch (CODEKILN_CPP_LINK): MISSING: not installed: install the package" in text
    monkeypatch.setenv("CODEKILN_CPP_LINK", "")
    [openssl] = [r for r in CppBackend().requirements() if r.name.startswith("OpenSSL")]
    assert not openssl.ok and openssl.fix == "not linked: add crypto to CODEKILN_CPP_LINK"
