"""Tests for codekiln-myreward. The fixtures come from codekiln's pytest plugin, loaded automatically."""

import doctest
import pickle

import codekiln_myreward
from codekiln_myreward import OneCodeBlockReward


def test_registers_under_its_name(codekiln_plugins, register_plugin):
    with register_plugin(codekiln_myreward):
        rewards = codekiln_plugins.rewards()
        assert rewards.get("myreward") is OneCodeBlockReward
        assert rewards.owner("myreward") == "codekiln_myreward"
    assert not codekiln_plugins.failures


def test_scores_one_block_only():
    reward = OneCodeBlockReward()
    answers = [
        "```python\nprint(1)\n```",
        "Some prose.\n\n```\nx = 1\n```\nMore prose.",
        "no code at all",
        "```python\na = 1\n```\n```python\nb = 2\n```",
        "```python\nnever closed",
    ]
    assert reward(answers) == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_ignores_columns_it_does_not_use():
    reward = OneCodeBlockReward()
    assert reward(["```\nx\n```"], verdicts=[None], problems=[None], language="python") == [1.0]


def test_survives_pickling():
    # The trainer may send rewards to worker processes.
    reward = pickle.loads(pickle.dumps(OneCodeBlockReward()))
    assert reward(["```\nx\n```"]) == [1.0]


def test_docstring_examples():
    results = doctest.testmod(codekiln_myreward)
    assert results.attempted > 0
    assert results.failed == 0
