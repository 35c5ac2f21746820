"""The ``quality`` reward in every language, against metric values worked out by hand."""

from __future__ import annotations

import pickle

import pytest

from codekiln import hookimpl
from codekiln.builtin.rewards.quality import QualityReward
from codekiln.errors import RegistryError
from codekiln.languages import LanguageBackend
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Problem
from codekiln.verdict import Verdict, VerdictStatus

from .session import bound

LANGUAGES = ("python", "javascript", "java", "cpp")

# Documented, short, well named: every metric scores 1.0.
CLEAN = {
    "python": 'def add(a, b):\n    """Return a + b."""\n    return a + b\n',
    "javascript": "// Return a + b.\nfunction add(a, b) {\n  return a + b;\n}\n",
    "java": "class Solution {\n  /** Return a + b. */\n  static int add(int a, int b) {\n    return a + b;\n  }\n}\n",
    "cpp": "// Return a + b.\nint add(int a, int b) {\n  return a + b;\n}\n",
}

# One undocumented function named against every convention (``process_Items``) whose loops nest four deep,
# with six decisions: if, &&/and, for, while, if, ||/or. Each function is exactly 55 lines long (padding
# below), and the program is 55 non-blank lines, 11 of them longer than the language's limit.
MESSY_HEAD = {
    "python": """def process_Items(a, b):
    total = 0
    if a and b:
        for i in range(a):
            while b:
                if i or b:
                    total += 1
""",
    "javascript": """function process_Items(a, b) {
  let total = 0;
  if (a && b) {
    for (let i = 0; i < a; i++) {
      while (b) {
        if (i || b) {
          total += 1;
        }
      }
    }
  }
""",
    "java": """class Solution { static int process_Items(int a, int b) {
  int total = 0;
  if (a > 0 && b > 0) {
    for (int i = 0; i < a; i++) {
      while (b > 0) {
        if (i > 0 || b > 0) {
          total += 1;
        }
      }
    }
  }
""",
    "cpp": """int process_Items(int a, int b) {
  int total = 0;
  if (a && b) {
    for (int i = 0; i < a; i++) {
      while (b) {
        if (i || b) {
          total += 1;
        }
      }
    }
  }
""",
}
MESSY_TAIL = {
    "python": "    return total\n",
    "javascript": "  return total;\n}\n",
    "java": "  return total;\n} }\n",
    "cpp": "  return total;\n}\n",
}
PAD = {"python": "    total += 0", "javascript": "  total += 0;", "java": "  total += 0;", "cpp": "  total += 0;"}
COMMENT = {"python": "  # ", "javascript": " // ", "java": " // ", "cpp": " // "}


def messy(language: str) -> str:
    head, tail = MESSY_HEAD[language], MESSY_TAIL[language]
    pad_lines = 55 - head.count("\n") - tail.count("\n")
    pad = [PAD[language] + (COMMENT[language] + "x" * 100 if i < 11 else "") for i in range(pad_lines)]
    return head + "\n".join(pad) + "\n" + tail


MESSY_SCORES = {
    "quality/complexity": 0.8,  # 1 + 6 decisions = 7: (15 - 7) / 10
    "quality/nesting": 2 / 3,  # if > for > while > if: 4 levels: (6 - 4) / 3
    "quality/function_length": 0.5,  # 55 lines: (80 - 55) / 50
    "quality/line_length": 0.8,  # 11 of 55 lines too long
    "quality/naming": 0.8,  # process_Items is wrong; a, b, total, i are right
    "quality/documentation": 0.0,
}


def judged(language: str) -> Verdict:
    return Verdict(VerdictStatus.WRONG_ANSWER, language)


def score(reward: QualityReward, codes: list[str], language: str, **columns) -> list[float | None]:
    columns = {"problems": [Problem("p", "")] * len(codes), "languages": [language] * len(codes),
               "verdicts": [judged(language)] * len(codes), "codes": codes, **columns}
    return reward(list(codes), **columns)


@pytest.mark.parametrize("language", LANGUAGES)
def test_clean_code_scores_one_on_every_metric(language):
    reward = bound(QualityReward())
    assert score(reward, [CLEAN[language]], language) == [1.0]
    assert reward.last_details == [{
        "quality/complexity": 1.0, "quality/nesting": 1.0, "quality/function_length": 1.0,
        "quality/line_length": 1.0, "quality/naming": 1.0, "quality/documentation": 1.0,
    }]


@pytest.mark.parametrize("language", LANGUAGES)
def test_messy_code_scores_by_hand(language):
    code = messy(language)
    assert len([line for line in code.splitlines() if line.strip()]) == 55
    reward = bound(QualityReward())
    [value] = score(reward, [code], language)
    expected = dict(MESSY_SCORES)
    if language == "java":
        expected["quality/naming"] = 5 / 6  # the class name Solution is right too
    assert reward.last_details[0] == pytest.approx(expected)
    assert value == pytest.approx(sum(expected.values()) / 6)


def test_python_elif_chain_and_comprehension_count_as_decisions():
    code = ("def sign(x):\n    '''Sign of x.'''\n    if x > 0:\n        return 1\n    elif x < 0:\n        return -1\n"
            "    return [y for y in (0,) if y][0]\n")
    reward = bound(QualityReward(weights={"complexity": 1.0}))
    # if, elif, for-clause, if-clause: complexity 5, still within the first band.
    assert score(reward, [code], "python") == [1.0]
    many = code.replace("    return [y", "    x = 1 if x else 2 if x else 3 if x else 4 if x else 5\n    return [y")
    # four conditional expressions more: 9 -> (15 - 9) / 10
    assert score(reward, [many], "python") == [pytest.approx(0.6)]


@pytest.mark.parametrize(("language", "code"), [
    ("javascript", "function f(x) {\n  if (x) { return 1; } else if (!x) { return 2; } else { return 3; }\n}\n"),
    ("java", "class S {\n  int f(int x) {\n    if (x > 0) { return 1; } else if (x < 0) { return 2; }"
             " else { return 3; }\n  }\n}\n"),
    ("cpp", "int f(int x) {\n  if (x) { return 1; } else if (!x) { return 2; } else { return 3; }\n}\n"),
])
def test_else_if_is_a_decision_but_not_deeper_nesting(language, code):
    reward = bound(QualityReward())
    score(reward, [code], language)
    assert reward.last_details[0]["quality/nesting"] == 1.0  # one level
    assert reward.last_details[0]["quality/documentation"] == 0.0


def test_weights_pick_the_metrics():
    reward = bound(QualityReward(weights={"documentation": 1.0, "naming": 3.0}))
    assert score(reward, [messy("python")], "python") == [pytest.approx(0.75 * 0.8)]
    assert set(reward.last_details[0]) == set(MESSY_SCORES)  # every metric is still reported


def test_metrics_with_nothing_to_measure_are_left_out():
    reward = bound(QualityReward())
    assert score(reward, ["x = 1\n"], "python") == [1.0]
    assert set(reward.last_details[0]) == {"quality/complexity", "quality/nesting", "quality/line_length",
                                           "quality/naming"}
    only_docs = bound(QualityReward(weights={"documentation": 1.0}))
    assert score(only_docs, ["x = 1\n"], "python") == [None]


def test_native_problem_is_read_with_its_prompt():
    problem = Problem("HumanEval/0", "", native={"python": NativeTests(
        prompt='def double(x):\n    """Return twice x."""\n', test="", entry_point="double")})
    reward = bound(QualityReward())
    body = "    return 2 * x\n"
    assert reward([body], problems=[problem], languages=["python"], verdicts=[judged("python")],
                  codes=[body]) == [1.0]
    assert reward.last_details[0]["quality/documentation"] == 1.0  # the prompt's docstring documents it
    score(reward, [body], "python")
    assert "quality/documentation" not in reward.last_details[0]  # alone, the body defines no function


class _NoProfile(LanguageBackend):
    name = "plain"
    file_extension = ".txt"

    def tree_sitter_language(self):
        raise AssertionError("never asked for: the reward abstains first")

    def available(self):
        raise AssertionError

    def compile(self, source, problem, runner):
        raise AssertionError

    def run_signature_tests(self, source, compiled, problem, runner):
        raise AssertionError


class _PlainPlugin:
    @hookimpl
    def codekiln_register_languages(self, registry):
        registry.register(_NoProfile())


def test_abstains(codekiln_plugins, register_plugin):
    reward = bound(QualityReward())
    masked = Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)
    codes = [CLEAN["python"], "", "   \n", "def f(:\n", CLEAN["python"]]
    verdicts = [masked, judged("python"), judged("python"), Verdict(VerdictStatus.COMPILE_ERROR, "python"),
                judged("python")]
    languages = ["python"] * 4 + ["brainfuck"]
    assert reward(codes, problems=[Problem("p", "")] * 5, languages=languages, verdicts=verdicts,
                  codes=codes) == [None] * 5
    assert reward.last_details == [{}] * 5

    with register_plugin(_PlainPlugin(), name="plain"):
        reward.bind_plugins(codekiln_plugins)
        assert score(reward, ["x"], "plain") == [None]


def test_missing_or_misaligned_column_is_named():
    reward = bound(QualityReward())
    with pytest.raises(ValueError, match="reward 'quality' needs the 'codes' column"):
        reward(["x"], problems=[Problem("p", "")], languages=["python"], verdicts=[judged("python")])
    with pytest.raises(ValueError, match="1 completions but 2 entries in 'languages'"):
        score(reward, ["x"], "python", languages=["python", "python"])


def test_bad_parameters():
    with pytest.raises(ValueError, match=r"weights: unknown metric\(s\) \['speed'\]; known: complexity"):
        QualityReward(weights={"speed": 1.0})
    with pytest.raises(ValueError, match=r"weights\.naming must be a number >= 0"):
        QualityReward(weights={"naming": -1})
    with pytest.raises(ValueError, match="at least one metric"):
        QualityReward(weights={"naming": 0})
    rewards = make_plugins(autoload=False, warn=lambda line: None).rewards()
    with pytest.raises(RegistryError, match="reward 'quality': bad parameters \\['max_depth'\\]"):
        rewards.create("quality", max_depth=3)


def test_pickles_without_its_caches():
    reward = bound(QualityReward(weights={"naming": 1.0, "nesting": 1.0}))
    before = score(reward, [messy("cpp")], "cpp")
    assert reward._analyzers  # built during the call, then dropped on the way to another process
    copy = pickle.loads(pickle.dumps(reward))
    assert "_analyzers" not in copy.__dict__
    assert copy.weights == reward.weights
    assert score(copy, [messy("cpp")], "cpp") == before


def test_registered_as_a_builtin_plugin():
    plugins = make_plugins(autoload=False, warn=lambda line: None)
    rewards = plugins.rewards()
    assert rewards.owner("quality") == "builtin.quality"
    assert isinstance(rewards.create("quality"), QualityReward)
    assert "quality" not in make_plugins(autoload=False, block=["builtin.quality"]).rewards()


def test_cpp_goto_is_a_decision():
    # A loop written with labels and gotos: 2 ifs, 3 gotos.
    code = ("// Sum the numbers below n.\nint sum_below(int n) {\n  int i = 0, total = 0;\nloop:\n"
            "  if (i >= n) goto done;\n  total += i;\n  if (total > 100) goto done;\n  i++;\n  goto loop;\ndone:\n"
            "  return total;\n}\n")
    reward = bound(QualityReward(weights={"complexity": 1.0}))
    assert score(reward, [code], "cpp") == [pytest.approx(0.9)]  # complexity 1 + 5 = 6: (15 - 6) / 10


# A loop whose body is a block, written bare and as a lambda called where it is defined.
IIFE = {
    "cpp": ("""// Count the odd numbers below n.
int count_odd(int n) {
  int total = 0;
  for (int i = 0; i < n; i++) {
    {BLOCK}
  }
  return total;
}
""", """{
      if (i % 2 && i > 0 || i == 1) {
        if (total >= 0) {
          total++;
        }
      }
    }""", "[&] {BLOCK}();"),
    "javascript": ("""// Count the odd numbers below n.
function countOdd(n) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    {BLOCK}
  }
  return total;
}
""", """{
      if (i % 2 && i > 0 || i === 1) {
        if (total >= 0) {
          total++;
        }
      }
    }""", "(() => {BLOCK})();"),
}


@pytest.mark.parametrize("language", IIFE)
def test_a_lambda_called_where_it_is_defined_counts_for_the_function_around_it(language):
    template, block, wrapper = IIFE[language]
    bare = template.replace("{BLOCK}", block)
    wrapped = template.replace("{BLOCK}", wrapper.replace("{BLOCK}", block))
    reward = bound(QualityReward())
    score(reward, [bare, wrapped], language)
    # for, if, &&, ||, if: complexity 6; for > block > if > if: 4 levels. Both ways, in one function.
    for details in reward.last_details:
        assert details["quality/complexity"] == pytest.approx(0.9)
        assert details["quality/nesting"] == pytest.approx(2 / 3)
        assert details["quality/documentation"] == 1.0


def test_python_lambda_called_where_it_is_defined_counts_for_the_function_around_it():
    choice = " else ".join(f"{k} if x > {k}" for k in range(6)) + " else 6"  # 6 conditional expressions
    code = f'def pick(x):\n    """Pick one."""\n    if x:\n        return (lambda: {choice})()\n    return 0\n'
    reward = bound(QualityReward(weights={"complexity": 1.0}))
    assert score(reward, [code], "python") == [pytest.approx(0.7)]  # 1 + if + 6: (15 - 8) / 10


# Documentation without a word in it: an empty docstring, a bare comment.
EMPTY_DOC = {
    "python": ['def add(a, b):\n    ""\n    return a + b\n', 'def add(a, b):\n    """ ... """\n    return a + b\n'],
    "javascript": ["//\nfunction add(a, b) {\n  return a + b;\n}\n",
                   "/** */\nfunction add(a, b) {\n  return a + b;\n}\n"],
    "java": ["class Solution {\n  //\n  static int add(int a, int b) {\n    return a + b;\n  }\n}\n",
             "class Solution {\n  /** */\n  static int add(int a, int b) {\n    return a + b;\n  }\n}\n"],
    "cpp": ["//\nint add(int a, int b) {\n  return a + b;\n}\n",
            "/* -- */\nint add(int a, int b) {\n  return a + b;\n}\n"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_documentation_without_a_word_documents_nothing(language):
    reward = bound(QualityReward(weights={"documentation": 1.0}))
    assert score(reward, EMPTY_DOC[language], language) == [0.0, 0.0]
    if language != "python":  # a run of comment lines documents when one of them holds a word
        comment = "//" if language != "java" else "  //"
        code = EMPTY_DOC[language][0].replace(comment, comment + " Sum.\n" + comment, 1)
        assert score(reward, [code], language) == [1.0]


def test_python_parenthesised_lambda_is_a_function():
    code = "count = (\n    # how many\n    lambda items: len(items)\n)\n"
    reward = bound(QualityReward(weights={"documentation": 1.0}))
    assert score(reward, [code, code.replace("(\n", "((").replace("\n)", "))")], "python") == [0.0, 0.0]
