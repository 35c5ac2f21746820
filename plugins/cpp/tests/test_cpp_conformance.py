"""codekiln's language conformance suite, run against the C++ backend."""

from __future__ import annotations

import re

import pytest

from codekiln.datasets import load_dataset
from codekiln.plugins import make_plugins
from codekiln.problem import Problem
from codekiln.testing import LanguageConformance
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample
from codekiln_cpp.translate import cpp_type

_RIGHT = "long long add(long long a, long long b) { return a + b; }\n"

# The harness writes its own rows; these try to end the run early, forge rows, or hijack the harness.
_ATTACKS = {
    "exit_in_global_constructor": (
        "#include <cstdlib>\nstatic int early = (std::exit(0), 0);\n" + _RIGHT,
        VerdictStatus.RUNTIME_ERROR,
    ),
    "abort_in_global_constructor": (
        "#include <cstdlib>\nstatic int early = (std::abort(), 0);\n" + _RIGHT,
        VerdictStatus.RUNTIME_ERROR,
    ),
    "quick_exit_in_call": (
        "#include <cstdlib>\nlong long add(long long a, long long b) { std::_Exit(0); }\n",
        VerdictStatus.RUNTIME_ERROR,
    ),
    "atexit_handler_claims_success": (
        "#include <cstdio>\n#include <cstdlib>\n"
        "static void claim() {\n"
        "    std::FILE* f = std::fopen(\"results.jsonl\", \"a\");\n"
        "    std::fputs(\"{\\\"done\\\":true}\\n\", f);\n"
        "    std::puts(\"All tests passed\");\n"
        "}\n"
        "long long add(long long a, long long b) { std::atexit(claim); std::exit(0); }\n",
        VerdictStatus.RUNTIME_ERROR,
    ),
    "terminate_handler_exits_zero": (
        "#include <cstdlib>\n#include <exception>\n"
        "static void boom() noexcept { throw 1; }\n"
        "long long add(long long a, long long b) {\n"
        "    std::set_terminate([] { std::_Exit(0); });\n"
        "    boom();\n"
        "    return a + b;\n"
        "}\n",
        VerdictStatus.RUNTIME_ERROR,
    ),
    "defines_main": (  # renamed, it never runs: the rows it would forge are never written
        "#include <cstdio>\nint main() { std::puts(\"{\\\"value\\\":3}\"); return 0; }\n"
        + _RIGHT.replace("a + b", "a - b"),
        VerdictStatus.WRONG_ANSWER,
    ),
    "define_tricks_against_the_harness": (
        "#define main kiln_not_main\n#define write(...) 0\n#define send(...) 0\n#define put(...) 0\n"
        "int main() { return 0; }\n"
        "long long add(long long a, long long b) { return a - b; }\n",
        VerdictStatus.WRONG_ANSWER,
    ),
    "forges_rows_on_every_descriptor": (
        "#include <unistd.h>\n"
        "static int forged = [] {\n"
        "    const char rows[] = \"{\\\"ready\\\":true}\\n{\\\"passed\\\":true}\\n{\\\"passed\\\":true}\\n\"\n"
        "                        \"{\\\"passed\\\":true}\\n{\\\"done\\\":true}\\n\";\n"
        "    for (int fd = 1; fd < 64; ++fd) (void)!write(fd, rows, sizeof rows - 1);\n"
        "    _exit(0);\n"
        "    return 0;\n"
        "}();\n" + _RIGHT,
        VerdictStatus.WRONG_ANSWER,
    ),
    "lying_conversion_operator": (
        "struct Yes {\n"
        "    operator long long() const { return 0; }\n"
        "    template <class T> bool operator==(const T&) const { return true; }\n"
        "};\n"
        "Yes add(long long a, long long b) { return {}; }\n",
        VerdictStatus.WRONG_ANSWER,
    ),
    "prints_success": (
        "#include <cstdio>\n"
        "long long add(long long a, long long b) { std::puts(\"PASS\\n{\\\"value\\\":3}\"); return 0; }\n",
        VerdictStatus.WRONG_ANSWER,
    ),
    "fork_bomb": (
        "#include <cstdio>\n#include <cstdlib>\n#include <unistd.h>\n"
        "long long add(long long a, long long b) {\n"
        "    for (;;) if (fork() < 0) { std::perror(\"fork\"); std::abort(); }\n"
        "}\n",
        VerdictStatus.RUNTIME_ERROR,
    ),
    "ifunc_resolver_exits_before_main": (
        "#include <unistd.h>\n"
        "extern \"C\" long long kiln_sum(long long a, long long b) { return a + b; }\n"
        "extern \"C\" void* kiln_resolve() { _exit(0); }\n"
        "extern \"C\" long long kiln_pick(long long, long long) __attribute__((ifunc(\"kiln_resolve\")));\n"
        "long long add(long long a, long long b) { return kiln_pick(a, b); }\n",
        VerdictStatus.COMPILE_ERROR,  # refused: it would run while the program loads, before the harness
    ),
    "elf_interpreter_of_its_choosing": (
        "__attribute__((section(\".interp\"), used)) static const char interp[] = \"/nonexistent/ld.so\";\n"
        "long long add(long long a, long long b) { return a - b; }\n",
        VerdictStatus.WRONG_ANSWER,
    ),
    "daemon_child": (
        "#include <unistd.h>\n"
        "long long add(long long a, long long b) {\n"
        "    if (fork() == 0) { setsid(); for (;;) sleep(1); }\n"
        "    return a + b + 1;\n"
        "}\n",
        VerdictStatus.WRONG_ANSWER,
    ),
}


class TestCppConformance(LanguageConformance):
    language = "cpp"
    fence_tag = "cpp"
    right = _RIGHT
    wrong = "long long add(long long a, long long b) { return a - b; }\n"
    syntax_error = "long long add(long long a, long long b) { return a + ; }\n"
    compile_error = "long long add(long long a, long long b) { return a + c; }\n"
    runtime_error = (
        "#include <stdexcept>\n"
        "long long add(long long a, long long b) { throw std::runtime_error(\"boom\"); }\n"
    )
    infinite_loop = "long long add(long long a, long long b) { for (volatile long long i = 0;; i = i + 1) {} }\n"
    attacks = _ATTACKS
    # Scope and template tokens: tree-sitter-cpp took 18 s on 15 KB of them here, past the parse budget.
    parse_bomb = "::<" * 4000
    huge_float = "#include <limits>\ndouble half(long long x) { return std::numeric_limits<double>::max() * 10; }\n"

    def test_wrong_variant_of_every_reference_fails(self, conformance_verifier):
        problems = load_dataset("builtin", make_plugins(autoload=False).datasets())
        problems = [p for p in problems if "cpp" in p.references]
        assert len(problems) == 64
        samples = [Sample(p, wrong_variant(p), self.language) for p in problems]
        verdicts = conformance_verifier.verify_batch(samples)
        statuses = {s.problem.id: v.status for s, v in zip(samples, verdicts)}
        assert statuses == {p.id: VerdictStatus.WRONG_ANSWER for p in problems}


# Changes any value of the vocabulary's C++ types: overloads chosen by the declared return type.
_PERTURB = """
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>
long long kiln_perturb(long long v) { return v + 1; }
double kiln_perturb(double v) { return v - v == 0 ? v + 1.0 : 0.0; }  // inf + 1 == inf
bool kiln_perturb(bool v) { return !v; }
std::string kiln_perturb(std::string v) { return v + "!"; }
template <class T> std::vector<T> kiln_perturb(std::vector<T> v);
template <class K, class V> std::map<K, V> kiln_perturb(std::map<K, V> v);
template <class T> std::optional<T> kiln_perturb(std::optional<T> v);
template <class... T> std::tuple<T...> kiln_perturb(std::tuple<T...> v);
template <class T> std::vector<T> kiln_perturb(std::vector<T> v) { v.push_back(T{}); return v; }
template <class K, class V> std::map<K, V> kiln_perturb(std::map<K, V> v) {
    if (v.empty()) v.emplace(K{}, V{}); else v.erase(v.begin());
    return v;
}
template <class T> std::optional<T> kiln_perturb(std::optional<T> v) {
    return v ? std::nullopt : std::optional<T>(T{});
}
template <class... T> std::tuple<T...> kiln_perturb(std::tuple<T...> v) {
    std::get<0>(v) = kiln_perturb(std::get<0>(v));
    return v;
}
"""


@pytest.mark.slow
class TestCppConformanceCold(TestCppConformance):
    """The same suite with the warm path off (``verifier.warm.cpp: false``): each run of a program in a sandbox
    started for it (the suite above runs warm, the default)."""

    warm = False


def wrong_variant(problem: Problem) -> str:
    """The problem's reference with its function renamed, and a wrapper of the real name that changes
    what the reference returns."""
    signature = problem.signature
    renamed = re.sub(rf"\b{signature.name}\b", f"{signature.name}_reference", problem.references["cpp"])
    params = ", ".join(f"{cpp_type(t)} {p.name}" for p, t in zip(signature.params, signature.param_types()))
    args = ", ".join(p.name for p in signature.params)
    wrapper = (f"{cpp_type(signature.return_type())} {signature.name}({params}) "
               f"{{ return kiln_perturb({signature.name}_reference({args})); }}\n")
    return _PERTURB + renamed + wrapper
