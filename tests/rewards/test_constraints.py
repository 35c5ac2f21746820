"""The ``constraints`` reward in every language, against values worked out by hand."""

from __future__ import annotations

import json
import pickle

import pytest

from codekiln.builtin.rewards.constraints import ConstraintsReward
from codekiln.errors import DataError, RegistryError
from codekiln.jsonio import from_json, to_json
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature
from codekiln.verdict import Verdict, VerdictStatus

from .session import bound

ALL = {"max_lines": 5, "required_docstring": True, "type_hints": True}

# Per language: code meeting every constraint (5 non-blank lines or fewer, documented, typed), and code
# failing each one it can fail (6 non-blank lines, an undocumented function, an undeclared type).
GOOD = {
    "python": 'def add(a: int, b: int) -> int:\n    """Sum."""\n\n    return a + b\n',
    "javascript": "// Sum.\nfunction add(a, b) {\n  return a + b;\n}\n",
    "java": "class Solution {\n  // Sum.\n  static int add(int a, int b) {\n    return a + b;\n  } }\n",
    "cpp": "/** Sum. */\ntemplate <typename T>\nT add(T a, T b) {\n  return a + b;\n}\n",
}
BAD = {
    # 6 lines; sub undocumented; add leaves b and its return type unannotated (self needs none).
    "python": "class Adder:\n    def add(self, a: int, b):\n        'Sum.'\n        return a + b\n"
              "    def sub(self) -> int:\n        return 0\n",
    # 6 lines; sub's comment is separated from it by a blank line, so it documents nothing.
    "javascript": "// Sum.\nfunction add(a, b) {\n  return a + b;\n}\n// Difference.\n\nconst sub = (a, b) => a - b;\n",
    # 6 lines; the constructor is undocumented.
    "java": "class Solution {\n  Solution() {}\n  // Sum.\n  static int add(int a, int b) {\n"
            "    return a + b;\n  } }\n",
    # 6 lines; sub undocumented; `auto b` and the deduced `auto` return type leave types undeclared.
    "cpp": "// Sum.\nauto add(int a, auto b) {\n  return a + b;\n}\nint sub(int a) {\n  return -a; }\n",
}
# Which constraints BAD breaks, per language; JavaScript has no types to declare, so type_hints is left out.
BAD_MET = {
    "python": {"constraints/max_lines": 0.0, "constraints/required_docstring": 0.0, "constraints/type_hints": 0.0},
    "javascript": {"constraints/max_lines": 0.0, "constraints/required_docstring": 0.0},
    "java": {"constraints/max_lines": 0.0, "constraints/required_docstring": 0.0, "constraints/type_hints": 1.0},
    "cpp": {"constraints/max_lines": 0.0, "constraints/required_docstring": 0.0, "constraints/type_hints": 0.0},
}
LANGUAGES = tuple(GOOD)


def score(reward, codes, language, problems=None, **columns):
    columns = {"problems": problems or [Problem("p", "")] * len(codes), "languages": [language] * len(codes),
               "verdicts": [Verdict(VerdictStatus.PASSED, language)] * len(codes), "codes": codes, **columns}
    return reward(list(codes), **columns)


def non_blank(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


@pytest.mark.parametrize("language", LANGUAGES)
def test_code_meeting_every_constraint_scores_one(language):
    reward = bound(ConstraintsReward(**ALL))
    assert non_blank(GOOD[language]) <= 5
    assert score(reward, [GOOD[language]], language) == [1.0]
    met = {"constraints/max_lines": 1.0, "constraints/required_docstring": 1.0, "constraints/type_hints": 1.0}
    if language == "javascript":
        del met["constraints/type_hints"]
    assert reward.last_details == [met]


@pytest.mark.parametrize("language", LANGUAGES)
def test_broken_constraints_by_hand(language):
    reward = bound(ConstraintsReward(**ALL))
    assert non_blank(BAD[language]) == 6
    [value] = score(reward, [BAD[language]], language)
    assert reward.last_details == [BAD_MET[language]]
    assert value == pytest.approx({"python": 0.0, "javascript": 0.0, "java": 1 / 3, "cpp": 0.0}[language])


def test_python_type_hints_and_docstrings_one_by_one():
    typed = bound(ConstraintsReward(type_hints=True))
    documented = bound(ConstraintsReward(required_docstring=True))
    codes = [
        "def f(x: int) -> int:\n    return x\n",  # typed, undocumented
        "def f(x: int):\n    '''F.'''\n    return x\n",  # no return type
        "def f(*args: int, **kw: str) -> None:\n    pass\n",  # star parameters annotated
        "def f(*args, x: int = 1) -> None:\n    pass\n",  # *args not annotated
        "class C:\n    def m(self, x: int) -> int:\n        '''M.'''\n        return x\n",  # self needs none
        "x = 1\n",  # no function, and none expected (the problem has no signature): nothing to type or document
        "key = lambda x, y=1: x\n",  # a function PEP 8 asks to write as a def: neither typed nor documented
        "key: Callable[[int], int] = lambda x: x\n",  # its annotation declares the types; still undocumented
        "def f(x: int) -> int:\n    '''F.'''\n    key = lambda y: y\n    return key(x)\n",  # a local lambda: a detail
    ]
    assert score(typed, codes, "python") == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    assert score(documented, codes, "python") == [0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize(("language", "code"), [
    ("python", "sum_list = lambda values: sum(values)\n"),
    ("python", "sum_list = sum\n"),
    ("cpp", "#include <vector>\n\nauto sum_list = [](std::vector<long long> values) {\n    long long total = 0;\n"
            "    for (long long v : values) total += v;\n    return total;\n};\n"),
])
def test_a_solution_without_a_function_does_not_meet_the_function_constraints(language, code):
    # The entry point bound to a lambda, or to another callable: the function constraints would otherwise be
    # met by having no function to check, and a trainer would teach a model to write its answers that way.
    signature = Signature("sum_list", (Param("values", "list[int]"),), "int")
    problem = Problem("sum_list", "", signature=signature)
    reward = bound(ConstraintsReward(required_docstring=True, type_hints=True))
    assert score(reward, [code], language, problems=[problem]) == [0.0]


def test_python_parenthesised_lambda_and_wordless_documentation_miss_the_function_constraints():
    typed = bound(ConstraintsReward(type_hints=True))
    documented = bound(ConstraintsReward(required_docstring=True))
    codes = [
        "key = (\n    lambda x: x\n)\n",  # a lambda bound to a name, parentheses or not
        'def f(x: int) -> int:\n    ""\n    return x\n',  # an empty docstring
    ]
    assert score(typed, codes, "python") == [0.0, 1.0]
    assert score(documented, codes, "python") == [0.0, 0.0]
    for language, code in [("javascript", "//\nfunction f(x) {\n  return x;\n}\n"),
                           ("java", "class S {\n  /** */\n  int f(int x) { return x; }\n}\n"),
                           ("cpp", "//\nint f(int x) { return x; }\n")]:
        assert score(documented, [code], language) == [0.0], language


def test_cpp_lambdas_bound_at_file_scope_are_functions():
    typed = bound(ConstraintsReward(type_hints=True))
    documented = bound(ConstraintsReward(required_docstring=True))
    codes = [
        "auto f = [](int a) { return a; };\n",  # return type deduced
        "// F.\nauto f = [](int a) -> int { return a; };\n",  # declared, documented
        "auto f = [] { return 1; };\n",  # no parameter list: deduced
        "std::function<int(int)> f = [](int a) { return a; };\n",  # typed by its variable
        "// F.\nint f(int a) {\n  auto g = [](int b) { return b; };\n  return g(a);\n}\n",  # a local lambda: a detail
    ]
    assert score(typed, codes, "cpp") == [0.0, 1.0, 0.0, 1.0, 1.0]
    assert score(documented, codes, "cpp") == [0.0, 1.0, 0.0, 0.0, 1.0]


def test_cpp_trailing_return_type_declares_the_type():
    reward = bound(ConstraintsReward(type_hints=True))
    codes = ["auto f(int a) -> int { return a; }\n", "auto f(int a) { return a; }\n",
             "int f(auto a) { return a; }\n"]
    assert score(reward, codes, "cpp") == [1.0, 0.0, 0.0]


def test_problem_constraints_override_the_configured_ones():
    reward = bound(ConstraintsReward(max_lines=2, required_docstring=True))
    code = GOOD["python"]  # 3 non-blank lines, documented
    problems = [Problem("a", ""), Problem("b", "", constraints={"max_lines": 10}),
                Problem("c", "", constraints={"max_lines": None, "required_docstring": False}),
                Problem("d", "", constraints={"type_hints": True, "time_budget": 3})]  # unknown keys: not ours
    assert score(reward, [code] * 4, "python", problems=problems) == [0.5, 1.0, None, pytest.approx(2 / 3)]
    assert reward.last_details[2] == {}
    assert reward.last_details[3] == {"constraints/max_lines": 0.0, "constraints/required_docstring": 1.0,
                                      "constraints/type_hints": 1.0}


def test_max_lines_counts_the_code_not_a_benchmark_prompt():
    prompt = 'def double(x: int) -> int:\n    """Return twice x."""\n'
    problem = Problem("HumanEval/0", "", native={"python": NativeTests(prompt=prompt, test="", entry_point="double")},
                      constraints={"max_lines": 1, "required_docstring": True, "type_hints": True})
    reward = bound(ConstraintsReward())
    assert score(reward, ["    return 2 * x\n"], "python", problems=[problem]) == [1.0]
    assert score(reward, ["    y = 2 * x\n    return y\n"], "python", problems=[problem]) == [pytest.approx(2 / 3)]


def test_abstains_when_no_constraint_applies():
    assert score(bound(ConstraintsReward()), [GOOD["python"]], "python") == [None]
    assert score(bound(ConstraintsReward(type_hints=True)), [GOOD["javascript"]], "javascript") == [None]
    masked = Verdict(VerdictStatus.TOOLCHAIN_MISSING, "java", masked=True)
    reward = bound(ConstraintsReward(**ALL))
    codes = [GOOD["java"], "", "class {"]
    verdicts = [masked, Verdict(VerdictStatus.PASSED, "java"), Verdict(VerdictStatus.SYNTAX_ERROR, "java")]
    assert reward(codes, problems=[Problem("p", "")] * 3, languages=["java"] * 3, codes=codes,
                  verdicts=verdicts) == [None, None, None]
    assert score(reward, ["x"], "cobol") == [None]


def test_bad_problem_constraint_names_the_problem():
    reward = bound(ConstraintsReward())
    problem = Problem("p7", "", constraints={"max_lines": "ten"})
    with pytest.raises(DataError, match=r"problem 'p7': constraints\.max_lines must be a positive integer or null, "
                                        r"got 'ten'"):
        score(reward, [GOOD["python"]], "python", problems=[problem])


def test_bad_parameters():
    with pytest.raises(ValueError, match="max_lines must be a positive integer or null, got 0"):
        ConstraintsReward(max_lines=0)
    with pytest.raises(ValueError, match="type_hints must be true or false, got 'yes'"):
        ConstraintsReward(type_hints="yes")
    rewards = make_plugins(autoload=False, warn=lambda line: None).rewards()
    with pytest.raises(RegistryError, match=r"reward 'constraints': bad parameters \['docstrings'\]"):
        rewards.create("constraints", docstrings=True)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="reward 'constraints' needs the 'problems' column"):
        bound(ConstraintsReward(max_lines=3))(["x"], languages=["python"], codes=["x"],
                                       verdicts=[Verdict(VerdictStatus.PASSED, "python")])


def test_problem_constraints_survive_json():
    problem = Problem("p", "", constraints={"max_lines": 12, "type_hints": True})
    assert from_json(Problem, json.loads(json.dumps(to_json(problem))), where="x") == problem
    assert from_json(Problem, {"id": "q", "description": ""}, where="x").constraints == {}


def test_pickles_and_is_registered():
    rewards = make_plugins(autoload=False, warn=lambda line: None).rewards()
    assert rewards.owner("constraints") == "builtin.constraints"
    reward = bound(rewards.create("constraints", max_lines=5, type_hints=True))
    before = score(reward, [BAD["cpp"]], "cpp")
    copy = pickle.loads(pickle.dumps(reward))
    assert copy.defaults == {"max_lines": 5, "required_docstring": False, "type_hints": True}
    assert score(copy, [BAD["cpp"]], "cpp") == before == [0.0]
