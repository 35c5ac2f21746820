"""The ``format`` and ``length`` rewards, against values worked out by hand from their documented tables."""

from __future__ import annotations

import pickle

import pytest

from codekiln.builtin.rewards.shape import FormatReward, LengthReward
from codekiln.errors import ConfigError, RegistryError
from codekiln.extract import fenced_blocks

from .session import bound

# One small function per language, and the fence tag each backend knows it by.
CODE = {
    "python": ("python", "def f(x):\n    return x + 1\n"),
    "javascript": ("js", "function f(x) {\n  return x + 1;\n}\n"),
    "java": ("java", "class Solution {\n  static long f(long x) { return x + 1; }\n}\n"),
    "cpp": ("cpp", "long long f(long long x) {\n  return x + 1;\n}\n"),
}
OTHER_TAG = {"python": "java", "javascript": "python", "java": "cpp", "cpp": "js"}
LANGUAGES = sorted(CODE)


def fenced(tag: str, code: str) -> str:
    return f"```{tag}\n{code}```"


def answers(language: str) -> dict[str, str]:
    tag, code = CODE[language]
    block = fenced(tag, code)
    return {
        "one tagged block": block,
        "one tagged block, prose around": f"Here is the function:\n\n{block}\n\nIt adds one.",
        "one untagged block": fenced("", code),
        "untagged block, prose around": f"Sure.\n{fenced('', code)}\nDone.",
        "two tagged blocks": f"{block}\n{block}",
        "two blocks, untagged, prose": f"First:\n{fenced('', code)}\nThen:\n{fenced('', code)}",
        "bare code": code,
        "block left open": f"```{tag}\n{code}",
        "another language only": fenced(OTHER_TAG[language], code),
        "empty block": fenced(tag, ""),
        "empty answer": "",
    }


# answer -> (default params, allow_prose=False, require_fence=True); faults cost 0.5 each.
EXPECTED = {
    "one tagged block": (1.0, 1.0, 1.0),
    "one tagged block, prose around": (1.0, 0.5, 1.0),
    "one untagged block": (0.5, 0.5, 0.5),
    "untagged block, prose around": (0.5, 0.0, 0.5),
    "two tagged blocks": (0.5, 0.5, 0.5),
    "two blocks, untagged, prose": (0.0, 0.0, 0.0),
    "bare code": (1.0, 1.0, 0.0),
    "block left open": (0.0, 0.0, 0.0),
    "another language only": (0.0, 0.0, 0.0),
    "empty block": (0.0, 0.0, 0.0),
    "empty answer": (0.0, 0.0, 0.0),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_format_scores_the_documented_table_in_every_language(language):
    texts = answers(language)
    rewards = [bound(FormatReward()), bound(FormatReward(allow_prose=False)), bound(FormatReward(require_fence=True))]
    for column, reward in enumerate(rewards):
        got = reward(list(texts.values()), languages=[language] * len(texts), verdicts=[None] * len(texts))
        expected = [EXPECTED[name][column] for name in texts]
        assert dict(zip(texts, got)) == dict(zip(texts, expected)), f"{language}, params #{column}"


@pytest.mark.parametrize(("language", "tag"), [("python", "py"), ("javascript", "javascript"), ("cpp", "c++"),
                                               ("cpp", "cc"), ("python", "Python3")])
def test_format_knows_every_fence_tag_of_the_backend(language, tag):
    assert bound(FormatReward(allow_prose=False))([fenced(tag, "x\n")], languages=[language]) == [1.0]


def test_format_mixes_languages_in_one_batch_and_pickles():
    reward = pickle.loads(pickle.dumps(bound(FormatReward())))
    texts = [fenced("python", "x = 1\n"), fenced("python", "x = 1\n"), fenced("java", "class A {}\n")]
    assert reward(texts, languages=["python", "cpp", "java"]) == [1.0, 0.0, 1.0]


def test_prose_in_the_fence_info_string_is_prose():
    code = "def f(x):\n    return x + 1\n"
    texts = [f"```python Sure! Here is the function you asked for.\n{code}```",
             f"```python title=solution.py\n{code}```", f"```python solution.py\n{code}```",
             f"```python\n{code}```\n~~~ Here it is.\n~~~"]
    strict = bound(FormatReward(allow_prose=False))
    # Words after the tag are prose, unless a file name or an attribute; the last answer has two blocks too.
    assert strict(texts, languages=["python"] * 4) == [0.5, 1.0, 1.0, 0.0]
    assert bound(FormatReward())(texts, languages=["python"] * 4) == [1.0, 1.0, 1.0, 0.5]


def test_fenced_blocks_tells_closed_from_open_and_keeps_the_prose():
    blocks, outside = fenced_blocks("Intro\n~~~~ JS extra\na\n~~~~\nmid\n```\nb\n")
    assert [(b.tag, b.body, b.closed) for b in blocks] == [("js", "a\n", True), ("", "b\n", False)]
    assert outside == "Intro\n\nmid\n"  # the closing fence's line break stays outside


def test_format_rejects_bad_params_and_unknown_languages():
    with pytest.raises(ValueError, match="allow_prose must be true or false"):
        FormatReward(allow_prose="no")
    with pytest.raises(RegistryError, match=r"unknown language 'cobol'; available: .*python"):
        bound(FormatReward())(["x"], languages=["cobol"])


# -- length -------------------------------------------------------------------------------------------------


def test_length_default_buffer_is_a_quarter_of_max_new_tokens():
    # max 200 from the column, buffer 50: 0 up to 150, then (150 - L) / 50, -1 at 200 (truncated).
    lengths = [0, 150, 151, 175, 190, 199, 200]
    got = LengthReward()(["x"] * len(lengths), completion_lengths=lengths, max_new_tokens=200)
    assert got == [0.0, 0.0, -0.02, -0.5, -0.8, -0.98, -1.0]


def test_length_with_its_own_maximum_and_buffer():
    # max 100, buffer 40: penalty from 60; (60 - L) / 40.
    reward = LengthReward(max_tokens=100, buffer=40)
    got = reward(["x"] * 5, completion_lengths=[60, 70, 90, 100, 140], max_new_tokens=512)
    assert got == [0.0, -0.25, -0.75, -1.0, -1.0]


def test_length_truncated_completion_gets_minus_one_even_under_a_larger_maximum():
    reward = LengthReward(max_tokens=1000, buffer=10)
    assert reward(["x", "x"], completion_lengths=[64, 63], max_new_tokens=64) == [-1.0, 0.0]


def test_length_buffer_edge_cases():
    # No buffer: a hard cliff at the maximum. A buffer past the maximum: the penalty starts at once.
    assert LengthReward(max_tokens=10, buffer=0)(["x"] * 2, completion_lengths=[9, 10]) == [0.0, -1.0]
    assert LengthReward(max_tokens=10, buffer=20)(["x"] * 3, completion_lengths=[0, 5, 10]) == [0.0, -0.5, -1.0]


def test_length_needs_a_maximum_and_valid_params():
    with pytest.raises(ConfigError, match=r"needs reward_params.length.max_tokens, or the max_new_tokens column"):
        LengthReward()(["x"], completion_lengths=[3])
    with pytest.raises(ValueError, match="max_tokens must be a positive integer"):
        LengthReward(max_tokens=0)
    with pytest.raises(ValueError, match="buffer must be an integer >= 0"):
        LengthReward(buffer=2.5)
    assert pickle.loads(pickle.dumps(LengthReward(max_tokens=8))).max_tokens == 8
