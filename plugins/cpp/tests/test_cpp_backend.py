"""The C++ backend through the real verifier and sandbox (namespaces isolation), and its pure parts."""

from __future__ import annotations

import doctest
import importlib
import shutil
import subprocess

import pytest

import codekiln_cpp
from codekiln.plugins import make_plugins
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits
from codekiln.typespec import parse_type
from codekiln.verdict import Stage, VerdictStatus
from codekiln.verifier import Verifier, pipeline
from codekiln_cpp import CppBackend, build
from codekiln_cpp.translate import cpp_literal, cpp_type

ADD = Problem(
    id="add",
    description="Add two integers.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0), TestCase((10**12, 1), 10**12 + 1)),
)

# Every kind of the vocabulary, nested, both ways across the boundary.
RICH = Problem(
    id="rich",
    description="Index words by length, with their halves, and echo the rest.",
    signature=Signature(
        "rich",
        (Param("words", "list[str]"), Param("grid", "list[list[int]]"), Param("names", "dict[int, str]"),
         Param("maybe", "optional[float]"), Param("pair", "tuple[str, bool]")),
        "tuple[dict[int, list[tuple[str, float]]], list[list[int]], optional[str], dict[int, str], float, bool]",
    ),
    tests=(
        TestCase(
            (["ab", "c", "de"], [[1, 2], [], [-3]], {"7": "seven", "-1": "minus"}, 0.1, ["q\"\\\n\u00e9", True]),
            [{"2": [["ab", 1.0], ["de", 1.0]], "1": [["c", 0.5]]}, [[1, 2], [], [-3]], "q\"\\\n\u00e9",
             {"7": "seven", "-1": "minus"}, 0.30000000000000004, False],
        ),
        TestCase(([], [], {}, None, ["", False]), [{}, [], None, {}, -1.0, True]),
    ),
)
RICH_SOLUTION = """\
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using Index = std::map<long long, std::vector<std::tuple<std::string, double>>>;

std::tuple<Index, std::vector<std::vector<long long>>, std::optional<std::string>, std::map<long long, std::string>,
           double, bool>
rich(const std::vector<std::string>& words, std::vector<std::vector<long long>> grid,
     std::map<long long, std::string> names, std::optional<double> maybe, std::tuple<std::string, bool> pair) {
    Index index;
    for (const auto& word : words) index[word.size()].emplace_back(word, word.size() / 2.0);
    std::optional<std::string> text;
    if (maybe) text = std::get<0>(pair);
    double value = maybe ? *maybe + 0.2 : -1.0;
    return {index, grid, text, names, value, !std::get<1>(pair)};
}
"""

SCALE = Problem(
    id="scale",
    description="Multiply each value.",
    signature=Signature("scale", (Param("values", "list[float]"), Param("factor", "float")), "list[float]"),
    tests=(
        TestCase(([1.5, -0.0, 1e300, float("inf")], 2.0), [3.0, -0.0, 2e300, float("inf")]),
        TestCase(([float("nan"), 1.0], -1.0), [float("nan"), -1.0]),
        TestCase(([5e-324], 1.0), [5e-324]),
    ),
)


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=Limits(wall_time_s=3.0, cpu_time_s=3.0, memory_mb=256),
                  workers=1, cache=False) as v:
        yield v


def test_doctests():
    for name in ("backend", "build", "diagnostics", "translate"):
        module = importlib.import_module(f"codekiln_cpp.{name}")
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0, name


def test_available_and_grammar():
    backend = CppBackend()
    availability = backend.available()
    assert availability.ok and availability.version.startswith("g++")
    assert backend.tree_sitter_language() is not None


def test_missing_compiler_gives_masked_toolchain_missing(verifier, monkeypatch):
    monkeypatch.setattr(CppBackend, "compiler", "/nonexistent/g++")
    monkeypatch.delitem(pipeline._availability, "cpp", raising=False)  # the pipeline probes once per worker
    verdict = verifier.verify(ADD, "long long add(long long a, long long b) { return a + b; }", "cpp")
    assert verdict.status is VerdictStatus.TOOLCHAIN_MISSING and verdict.masked
    assert "apt-get install g++" in verdict.stderr_tail
    monkeypatch.undo()
    pipeline._availability.pop("cpp", None)


def test_signature_stub():
    backend = CppBackend()
    assert backend.signature_stub(ADD) == "long long add(long long a, long long b)"
    assert backend.signature_stub(RICH).startswith(
        "std::tuple<std::map<long long, std::vector<std::tuple<std::string, double>>>, "
        "std::vector<std::vector<long long>>, std::optional<std::string>, std::map<long long, std::string>, double, "
        "bool> rich(std::vector<std::string> words, ")


def test_literals():
    assert cpp_literal(-(2**63), parse_type("int")) == "(-9223372036854775807LL - 1)"
    assert cpp_literal('a"\\?\0é', parse_type("str")) == 'std::string("a\\042\\134\\077\\000\\303\\251", 7)'
    assert cpp_literal(float("-inf"), parse_type("float")) == "-std::numeric_limits<double>::infinity()"
    assert cpp_literal(None, parse_type("optional[list[int]]")) == "std::optional<std::vector<long long>>{}"
    assert cpp_type(parse_type("tuple[int, str]")) == "std::tuple<long long, std::string>"
    with pytest.raises(ValueError, match="long long"):
        cpp_literal(2**63, parse_type("int"))


def test_passes_and_counts_tests(verifier):
    verdict = verifier.verify(ADD, "long long add(long long a, long long b) { return a + b; }\n", "cpp")
    assert verdict.status is VerdictStatus.PASSED
    assert (verdict.tests_passed, verdict.tests_total) == (3, 3)
    assert [s.stage for s in verdict.stages] == [Stage.EXTRACT, Stage.SYNTAX, Stage.COMPILE, Stage.RUN]
    assert all(isinstance(t.time_s, float) for t in verdict.tests)


def test_rich_types_cross_the_boundary(verifier):
    verdict = verifier.verify(RICH, RICH_SOLUTION, "cpp")
    assert verdict.status is VerdictStatus.PASSED, verdict
    wrong = RICH_SOLUTION.replace("word.size() / 2.0", "word.size() / 4.0")
    verdict = verifier.verify(RICH, wrong, "cpp")
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    assert verdict.tests_passed == 1


def test_doubles_keep_their_value(verifier):
    code = ("#include <vector>\n"
            "std::vector<double> scale(std::vector<double> v, double f) { for (double& x : v) x *= f; return v; }")
    assert verifier.verify(SCALE, code, "cpp").passed
    verdict = verifier.verify(SCALE, code.replace("x *= f", "x *= f * 1.001"), "cpp")  # beyond the tolerance
    assert verdict.status is VerdictStatus.WRONG_ANSWER


def test_parameters_by_value_or_reference(verifier):
    for params in ("long long a, long long b", "const long long& a, const long long& b", "long long& a, long long& b"):
        assert verifier.verify(ADD, f"long long add({params}) {{ return a + b; }}", "cpp").passed, params


def test_full_solution_and_stub_continuation(verifier):
    answer = "```c++\n#include <bits/stdc++.h>\nusing namespace std;\n\nlong long add(long long a, long long b) {\n" \
             "    return a + b;\n}\n```"
    assert verifier.verify(ADD, answer, "cpp").passed
    assert verifier.verify(ADD, "    long long sum = a + b;\n    return sum;\n}\n", "cpp").passed
    assert verifier.verify(ADD, " {\n    return a + b;\n}\n", "cpp").passed
    verdict = verifier.verify(ADD, "    long long sum = a + b;\n    return sum + c;\n}\n", "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert [(d.line, d.column) for d in verdict.diagnostics] == [(2, 18)]  # lines of the submitted body


@pytest.mark.parametrize("head", ["#include <vector>\n", ""], ids=["include", "no-include"])
def test_whole_program_that_tree_sitter_misreads_is_not_a_body(verifier, head):
    # A body that is one statement macro with no `;` (g++ accepts it): tree-sitter finds no function definition,
    # yet the code closes no brace it did not open, so it is no continuation of the stub.
    macro = "#define ADD_BODY(x, y) \\\n    long long sum = (x) + (y); \\\n    return sum;\n\n"
    code = f"{head}{macro}long long add(long long a, long long b) {{\n    ADD_BODY(a, b)\n}}\n"
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.passed, verdict.diagnostics
    assert verifier.verify(ADD, f"{macro}    ADD_BODY(a, b)\n}}\n", "cpp").passed  # the same as a body


def test_compile_error_lines_are_the_submitted_lines(verifier):
    answer = ("Try this:\n```cpp\n#include <vector>\n\n"
              "long long add(long long a, long long b) {\n    return a + c;\n}\n```")
    verdict = verifier.verify(ADD, answer, "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert (diagnostic.line, diagnostic.column, diagnostic.severity) == (4, 16, "error")
    assert "'c' was not declared" in diagnostic.message


def test_error_inside_the_standard_library_points_at_the_solution(verifier):
    code = ("#include <map>\n#include <vector>\n\nlong long add(long long a, long long b) {\n"
            "    std::map<std::vector<int>, int> m;\n    m.find(3);\n    return a + b;\n}\n")
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert {d.line for d in verdict.diagnostics} == {6}


def test_warnings_are_kept(verifier):
    code = "long long add(long long a, long long b) {\n    int unused;\n    return a + b;\n}\n"
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.passed
    [warning] = verdict.stage(Stage.COMPILE).diagnostics
    assert (warning.severity, warning.line, warning.column) == ("warning", 2, 9)
    assert "unused variable" in warning.message


@pytest.mark.parametrize("main", ["int main() {\n    std::cout << add(1, 2) << std::endl;\n    return 0;\n}\n",
                                  "#define int long long\nsigned main() { return 0; }\n"])
def test_a_main_of_the_solutions_own_is_renamed_and_never_runs(verifier, main):
    """Chat answers show the function at work in a main(); the test program's is the one that runs."""
    code = "#include <iostream>\nlong long add(long long a, long long b) { return a + b; }\n" + main
    assert verifier.verify(ADD, code, "cpp").status is VerdictStatus.PASSED
    assert verifier.verify(ADD, code.replace("a + b", "a - b"), "cpp").status is VerdictStatus.WRONG_ANSWER


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("#include <vector>\nlong long add(std::vector<long long> a, long long b) { return b; }",
         "the function must match the declared signature"),
        ("long long plus(long long a, long long b) { return a + b; }", "'::add' has not been declared"),
        ("long long add(long long a, long long b);", "add(long long, long long) is declared but never defined"),
    ],
)
def test_signature_mismatches_are_compile_errors(verifier, code, message):
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    assert any(message in d.message for d in verdict.diagnostics), verdict.diagnostics


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("std::vector<long long> v; return v.at(a);", VerdictStatus.RUNTIME_ERROR, "std::out_of_range: vector"),
        ("throw 42;", VerdictStatus.RUNTIME_ERROR, "int"),
        ("return a / (b - b);", VerdictStatus.RUNTIME_ERROR, "SIGFPE"),
        ("return a == 7 ? 0 : add(a, b) * 2;", VerdictStatus.RUNTIME_ERROR, "SIGSEGV"),  # a stack overflow
        ("std::vector<long long> v(1LL << 40); return v[1];", VerdictStatus.MEMORY_LIMIT,
         "MemoryError: std::bad_alloc"),
        ("for (;;) std::puts(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\");", VerdictStatus.OUTPUT_LIMIT, None),
    ],
)
def test_failures_while_running(verifier, body, status, message):
    code = f"#include <cstdio>\n#include <vector>\nlong long add(long long a, long long b) {{ {body} }}\n"
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.status is status, verdict
    if message:
        assert verdict.tests[0].message.startswith(message) or message in verdict.tests[0].message


def test_a_problem_without_tests_is_compiled_only(verifier):
    problem = Problem(id="free", description="Anything that compiles.")
    assert verifier.verify(problem, "int helper() { return 1; }\n", "cpp").passed
    assert verifier.verify(problem, "int helper() { return x; }\n", "cpp").status is VerdictStatus.COMPILE_ERROR


def test_a_value_cpp_cannot_hold_is_our_failure(verifier):
    huge = Problem(id="huge", description="", signature=ADD.signature, tests=(TestCase((2**70, 1), 2**70 + 1),))
    verdict = verifier.verify(huge, "long long add(long long a, long long b) { return a + b; }", "cpp")
    assert verdict.status is VerdictStatus.INFRA_ERROR and verdict.masked


def test_a_global_named_like_a_std_name_it_never_included_compiles(verifier):
    # The precompiled header includes <algorithm> and <list>: under `using namespace std` these globals are ambiguous
    # with std::count and std::list. A compile that fails with it is done again without it, as g++ alone does it.
    code = ("#include <vector>\nusing namespace std;\nlong long count = 0;\nint list = 1;\n"
            "long long add(long long a, long long b) { count = a + b; return count * list; }\n")
    assert verifier.verify(ADD, code, "cpp").passed


def test_a_program_larger_than_a_streams_output_cap_is_collected_whole(verifier):
    # 20 MB of .rodata: more than the 16 MiB a stream keeps, within the 64 MiB a compile may write.
    code = ("static const long long table[2500000] = {0, 1, 2};\n"
            "long long add(long long a, long long b) { return a + b + table[(a & 1) + 3]; }\n")
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.passed, verdict


def test_precompiled_header_is_used():
    backend = CppBackend()
    version = backend.available().version
    for variant in ("common", *build.LIGHT_VARIANTS, "full"):
        header = build.precompiled_header(backend.compiler, version, variant)
        assert header is not None
        done = subprocess.run([backend.compiler, *build.FLAGS, "-H", "-include", header, "-fsyntax-only", "-x", "c++",
                               "-"], input="int main() {}\n", capture_output=True, text=True, check=True)
        assert f"! {header}.gch" in done.stderr


@pytest.mark.parametrize(("unit", "variant"), [
    ('#include "solution.cpp"\n#include <vector>\n', "lean"),  # our adapter includes the solution
    ("#include <vector>\n#include<algorithm>\n  #  include <cmath>\n#include <stdio.h>\n", "lean"),
    ("int add(int a, int b) { return a + b; }\n", "lean"),
    ("#include <vector>\n#include <string>\n", "lean-string"),
    ('#include "solution.cpp"\n#include <string>\n#include <vector>\n', "lean-string"),
    ("#include <string>\n#include <iostream>\n", "common"),
    ("#include <iostream>\n", "common"),
    ("#include <random>\n", "common"),  # not a header of ours, and it brings in <string>
    ('#include "helpers.h"\n', "common"),
    ("#include <vector>\n#include <bits/stdc++.h>\n", "full"),
    ('#include "bits/stdc++.h"\n', "full"),
])
def test_a_unit_takes_the_lightest_header_that_holds_what_it_includes(unit, variant):
    assert build.plain_variant(unit) == variant


def test_a_unit_that_uses_a_common_header_without_including_it_still_compiles(verifier):
    backend = CppBackend()
    version = backend.available().version
    uses = {"std::string s;\n": ("lean-string", "common"), "std::ostringstream out;\n": ("common",)}
    for code, declared_in in uses.items():
        for variant in ("common", *build.LIGHT_VARIANTS):
            header = build.precompiled_header(backend.compiler, version, variant)
            done = subprocess.run([backend.compiler, *build.FLAGS, "-include", header, "-fsyntax-only", "-x", "c++",
                                   "-"], input=code, capture_output=True, text=True, check=False)
            assert (done.returncode == 0) is (variant in declared_in), (code, variant, done.stderr[-500:])
    # The lighter headers leave out <string> or the streams. A solution that uses them without including them
    # compiles all the same, as with the common header: a forgotten include of a common header is no error. A name
    # no header declares is still the compiler's error, with its diagnostics.
    for include, body in (("<vector>", 'std::string s = "x"; return a + b + s.size() - 1;'),
                          ("<vector>", "std::ostringstream out; out << a + b; return std::stoll(out.str());"),
                          ("<string>", "std::ostringstream out; out << a + b; return std::stoll(out.str());")):
        code = f"#include {include}\nlong long add(long long a, long long b) {{ {body} }}\n"
        assert build.plain_variant(code) in build.LIGHT_VARIANTS
        verdict = verifier.verify(ADD, code, "cpp")
        assert verdict.passed, (body, verdict)
    code = "#include <vector>\nlong long add(long long a, long long b) { return std::plus_all(a, b); }\n"
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR and not verdict.masked
    assert "'plus_all' is not a member of 'std'" in " ".join(d.message for d in verdict.diagnostics)


def test_harness_object_is_cached_per_problem(verifier, tmp_path, monkeypatch):
    from codekiln_cpp import translate

    # A cache of its own (the verifier runs in this process), holding what an older version left: an object
    # keyed on the harness source alone. The backend's own key names what it builds; the stale one is unused.
    monkeypatch.setenv("CODEKILN_CACHE_DIR", str(tmp_path))
    backend = CppBackend()
    version = backend.available().version
    build.store_object(translate.harness_source(ADD), backend.compiler, version, b"an older version's object")
    key = backend.harness_key(ADD)
    assert build.cached_object(key, backend.compiler, version) is None
    assert verifier.verify(ADD, "long long add(long long a, long long b) { return a + b; }", "cpp").passed
    assert build.cached_object(key, backend.compiler, version).startswith(b"\x7fELF")
    assert str(tmp_path) in build.cache_dir()


def test_plugin_registers_the_backend(codekiln_plugins, register_plugin):
    with register_plugin(codekiln_cpp):
        backend = codekiln_plugins.languages().get("c++")
    assert backend.name == "cpp" and backend.file_extension == ".cpp"
    assert {"cpp", "c++", "cxx"} <= set(backend.fence_tags)


def test_pair_converts_to_a_two_element_tuple(verifier):
    problem = Problem(id="ends", description="First and last.",
                      signature=Signature("ends", (Param("values", "list[int]"),), "optional[tuple[int, int]]"),
                      tests=(TestCase(([4, 5, 6],), [4, 6]), TestCase(([],), None)))
    code = ("#include <optional>\n#include <utility>\n#include <vector>\nusing namespace std;\n"
            "optional<pair<long long, long long>> ends(const vector<long long>& v) {\n"
            "    if (v.empty()) return nullopt;\n    return make_pair(v.front(), v.back());\n}\n")
    assert verifier.verify(problem, code, "cpp").passed


def test_every_reference_defines_the_stub():
    from codekiln.datasets import load_dataset
    from codekiln.plugins import make_plugins

    problems = load_dataset("builtin", make_plugins(autoload=False).datasets())
    backend = CppBackend()
    missing = [p.id for p in problems if backend.signature_stub(p) + " {\n" not in p.references.get("cpp", "")]
    assert missing == []


def test_a_forged_compiler_failure_is_not_masked(verifier):
    code = 'static_assert(false, "\\ncc1plus: out of memory allocating");\n' \
           "long long add(long long a, long long b) { return a + b; }\n"
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.status is VerdictStatus.COMPILE_ERROR and not verdict.masked


def test_the_compiler_has_the_last_word_on_syntax(verifier):
    # tree-sitter-cpp reads typeid of a type as an error (HumanEval-X's CPP/22 and CPP/137 use it): g++ decides.
    code = ("#include <typeinfo>\n"
            "long long add(long long a, long long b) { return typeid(int) == typeid(a) ? 0 : a + b; }\n")
    verdict = verifier.verify(ADD, code, "cpp")
    assert verdict.passed, verdict
    assert verdict.stage(Stage.SYNTAX).ok and not verdict.stage(Stage.SYNTAX).diagnostics
    # Where both agree the syntax is wrong, it is a syntax error, with tree-sitter's positions and g++'s words.
    verdict = verifier.verify(ADD, "long long add(long long a, long long b) {\n    return a + ;\n}\n", "cpp")
    assert verdict.status is VerdictStatus.SYNTAX_ERROR and not verdict.masked
    assert verdict.stage(Stage.SYNTAX).diagnostics[0].line == 2
    assert "expected primary-expression" in verdict.stage(Stage.COMPILE).diagnostics[0].message


def test_programs_link_only_the_libraries_they_may_need(monkeypatch):
    compiler = CppBackend.compiler
    if not build.has_library(compiler, "crypto"):
        pytest.skip("libcrypto is not installed here (apt-get install libssl-dev)")
    # An extra's library (crypto, for OpenSSL) only when the program includes a header of its folder.
    assert "-lcrypto" not in build.link_options(compiler, "#include <vector>\nint f();\n")
    assert "-lcrypto" in build.link_options(compiler, "#include<openssl/md5.h>\nint f();\n")
    assert "-lcrypto" in build.link_options(compiler, '#  include "openssl/evp.h"\n')
    # A library named in CODEKILN_CPP_LINK that no extra declares is linked into every program.
    monkeypatch.setenv(build.LINK_ENV, "m")
    assert build.link_options(compiler, "int f();\n")[-2:] == ["-Wl,--as-needed", "-lm"]
    monkeypatch.setenv(build.LINK_ENV, "")
    assert "-lcrypto" not in build.link_options(compiler, "#include <openssl/md5.h>\n")


def test_the_fast_linker_is_gold_where_the_compiler_can_use_it():
    expected = ("-fuse-ld=gold",) if shutil.which("ld.gold") else ()
    assert build.fast_linker(CppBackend.compiler) == expected
    assert build.link_options(CppBackend.compiler, "")[: len(expected)] == list(expected)
