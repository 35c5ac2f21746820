"""Extracting code from model answers, the same way for every language."""

from __future__ import annotations

import pytest

from codekiln.extract import extract_code

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
