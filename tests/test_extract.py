"""Extracting code from model answers, the same way for every language."""

from __future__ import annotations

import time

import pytest

from codekiln.extract import extract_code, fenced_blocks

PY = ("python", "py")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```python\nx = 1\n```", "x = 1\n"),
        ("Sure! Here it is:\n\n```py\nx = 1\n```\n\nIt sets x.", "x = 1\n"),
        ("```\nx = 1\n```", "x = 1\n"),  # untagged
        ("```python\ndef a(): ...\n```\nand\n```python\ndef b(): ...\n```", "def a(): ...\n\ndef b(): ...\n"),
        ("```python\nx = 1\n", "x = 1\n"),  # generation stopped inside the fence
        ("    return x + 1\n", "    return x + 1\n"),  # a bare completion continuing a stub
        ("````python\nprint('```')\n````", "print('```')\n"),  # a longer fence holds a shorter one
        ("~~~python\nx = 1\n~~~", "x = 1\n"),
        ("```Python title=sol.py\nx = 1\n```", "x = 1\n"),
        ("```python\tsol.py\nx = 1\n```", "x = 1\n"),  # the info string's words split at a tab too
        ("Here:\r\n```python\r\nx = 1\r\n```\r\nDone.\r\n", "x = 1\r\n"),  # CRLF line ends close the fence
        # A fence in a list item: its indent is not the code's.
        ("1. Code:\n   ```python\n   def f():\n       return 1\n   ```\n", "def f():\n    return 1\n"),
        ("```python:solution.py\nx = 1\n```", "x = 1\n"),  # a file name after the tag
        ("```{.python}\nx = 1\n```", "x = 1\n"),  # pandoc's attribute form
        # A reasoning trace's draft is not the answer.
        ("<think>\n```python\nx = 0\n```\n</think>\n```python\nx = 1\n```", "x = 1\n"),
    ],
)
def test_extract_shapes(text, expected):
    assert extract_code(text, PY) == expected


def test_tagged_blocks_win_over_untagged_ones():
    text = "```\n$ python sol.py\n```\n```python\nx = 1\n```"
    assert extract_code(text, PY) == "x = 1\n"


def test_only_another_language_means_no_code():
    assert extract_code("```java\nclass A {}\n```", PY) == ""


def test_an_empty_answer_is_empty():
    assert extract_code("", PY) == ""


@pytest.mark.parametrize(
    "text",
    [
        "```" + " " * 100_000 + "`\n",  # a fence line padded with spaces, ending where no fence may
        "```python\n" + "x\n" * 50_000,  # a fence left open over many lines
        "```" * 30_000,
        "~~~ " + "`" * 100_000,
        ("```python\n```\n" * 20_000),
        "    ```\n" * 30_000,  # indented too far to be a fence
    ],
    ids=["padded-fence", "open-fence", "backticks", "tildes-then-backticks", "many-blocks", "indented"],
)
def test_extraction_is_linear_in_the_text(text):
    """Hostile shapes of 100 KB take milliseconds (the old fence regex took 35 s on the padded line; any
    quadratic pass over 100 KB takes seconds)."""
    start = time.perf_counter()
    extract_code(text, PY)
    assert time.perf_counter() - start < 1.0


def test_fences_follow_the_commonmark_rules_the_rewards_read():
    text = "Intro\n   ```py run\na\n  ````\nmid\n    ```\n~~~\nb\n```\n~~~~\n```x`y\nc\n"
    blocks, outside = fenced_blocks(text)
    assert [(b.tag, b.body, b.closed) for b in blocks] == [("py", "a\n", True), ("", "b\n```\n", True)]
    assert outside == "Intro\n\nmid\n    ```\n\n```x`y\nc\n"  # an info string with a backtick opens nothing
    assert extract_code(text, PY) == "a\n"


SOLUTION = {
    "python": "def running_max(values):\n    return values\n",
    "javascript": "function runningMax(values) {\n  return values;\n}\n",
    "java": "class Solution {\n    static List<Long> runningMax(List<Long> values) { return values; }\n}\n",
    "cpp": "std::vector<long long> running_max(std::vector<long long> values) { return values; }\n",
}
USAGE = {
    "python": ">>> running_max([1, 3, 2])\n[1, 3, 3]\n",
    "javascript": "const { runningMax } = require('./runningMax');\nconsole.log(runningMax([1, 3, 2]));\n",
    "java": "List<Long> result = Solution.runningMax(Arrays.asList(1L, 3L, 2L));\nSystem.out.println(result);\n",
    "cpp": "std::cout << running_max({1, 3, 2}).size();\n",
}


@pytest.mark.parametrize("language", sorted(SOLUTION))
def test_a_usage_block_after_the_solution_and_a_restated_draft_are_left_out(language):
    """Joined, a usage or output block after the solution, or a draft the answer restates in full, would not
    compile; the blocks are read by form (the language's code profile), never by what passes."""
    from codekiln.plugins import make_plugins
    from codekiln.problem import Problem

    backend = make_plugins().languages().get(language)
    problem = Problem(id="p", description="d")
    draft = SOLUTION[language].replace("values", "xs")
    helper = {"python": "def helper():\n    return 1\n", "javascript": "function helper() { return 1; }\n",
              "java": "class Helper { static int one() { return 1; } }\n", "cpp": "int helper() { return 1; }\n"}
    fence = f"```{language}\n"
    answer = (f"Draft:\n{fence}{draft}```\nHelper:\n{fence}{helper[language]}```\n"
              f"Final:\n{fence}{SOLUTION[language]}```\nUsage:\n{fence}{USAGE[language]}```\n")
    assert backend.extract(answer, problem) == helper[language] + "\n" + SOLUTION[language]
