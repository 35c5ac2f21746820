"""Ways a passing answer gamed the static code rewards, end to end through the real Scorer and verifier: each
answer passes its tests and must still lose what it tried to keep."""

from __future__ import annotations

from codekiln.config import config_from_dict
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.scoring import Scorer

ADD = Problem(id="add", description="Return a + b.", signature=Signature("add", (
    Param("a", "int"), Param("b", "int")), "int"), tests=(TestCase((1, 2), 3), TestCase((5, -7), -2)))


def fenced(language: str, code: str) -> str:
    return f"```{language}\n{code}```"


TYPED = "def add(a: int, b: int) -> int:"
# The dangerous line sits in a branch the tests never take.
ANSWERS = {
    "python parenthesised lambda": ("python", fenced("python", "add = (\n    lambda a, b: a + b\n)\n")),
    "python empty docstring": ("python", fenced("python", f'{TYPED}\n    ""\n    return a + b\n')),
    "python prose in the info string": ("python", "```python Sure! Here is the function you asked for.\n"
                                                  f'{TYPED}\n    """Add."""\n    return a + b\n```'),
    "javascript Function without new": ("javascript", fenced("javascript", (
        "// Add two numbers.\nfunction add(a, b) {\n  if (a === 123456789) {\n    Function(\"return 1\")();\n  }\n"
        "  return a + b;\n}\n"))),
    "java exec on a Runtime variable": ("java", fenced("java", (
        "class Solution {\n    // Add two numbers.\n    public static long add(long a, long b) throws Exception {\n"
        "        if (a == 123456789L) {\n            Runtime rt = Runtime.getRuntime();\n"
        '            rt.exec("true");\n        }\n        return a + b;\n    }\n}\n'))),
    "cpp execve": ("cpp", fenced("cpp", (
        "#include <unistd.h>\n// Add two numbers.\nlong long add(long long a, long long b) {\n"
        '    if (a == 123456789) {\n        char* args[] = {nullptr};\n        execve("/bin/true", args, args);\n'
        "    }\n    return a + b;\n}\n"))),
}
# What each answer scores on the rewards it gamed (before: 1.0 each, or quality left out).
EXPECTED = {
    "python parenthesised lambda": {"quality": 0.0, "constraints": 0.0},
    "python empty docstring": {"quality": 0.0, "constraints": 0.0},
    "python prose in the info string": {"format": 0.5},
    "javascript Function without new": {"security": 0.5},
    "java exec on a Runtime variable": {"security": 0.5},
    "cpp execve": {"security": 0.5},
}


def test_gamed_answers_pass_and_still_lose(plugins, verifier):
    config = config_from_dict({
        "rewards": {"all_tests": 1.0, "quality": 0.5, "constraints": 0.5, "security": 0.5, "format": 0.2},
        "reward_params": {"quality": {"weights": {"documentation": 1.0}}, "constraints": {"required_docstring": True},
                          "format": {"allow_prose": False}}})
    names = list(ANSWERS)
    scores = Scorer(config, plugins, verifier=verifier).score(
        [ADD] * len(names), [ANSWERS[name][1] for name in names], [ANSWERS[name][0] for name in names])
    for name, scored in zip(names, scores):
        assert scored.verdict.passed, name
        got = {reward: scored.breakdown.components[reward] for reward in EXPECTED[name]}
        assert got == EXPECTED[name], name
