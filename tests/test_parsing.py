"""Budgeted parsing (codekiln.parsing): hostile inputs end as UnparsableCode within the budget, this process
survives them, ordinary code pays little, and one text is parsed once per process."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python

from codekiln import parsing
from codekiln.parsing import ParseBudget, UnparsableCode, parse
from codekiln.plugins import make_plugins
from codekiln.problem import Problem
from codekiln.verdict import Stage, StageResult, Verdict, VerdictStatus

JAVA = tree_sitter.Language(tree_sitter_java.language())
JAVASCRIPT = tree_sitter.Language(tree_sitter_javascript.language())
PYTHON = tree_sitter.Language(tree_sitter_python.language())


@pytest.mark.parametrize(
    ("language", "bomb"),
    [(JAVA, "> x ( " * 2500), (JAVASCRIPT, ", x => " * 2500), (PYTHON, ", not " * 3000)],
    ids=["java", "javascript", "python"],
)
def test_a_parse_bomb_overruns_the_budget_and_this_process_survives(language, bomb):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    # Whichever budget the bomb overruns first depends on the machine's speed: the 1 s or the 256 MB (the
    # Java bomb reaches 256 MB in about a second).
    with pytest.raises(UnparsableCode, match=r"^the code is too hard to parse: (it took longer than 1 s|the parser "
                                             r"failed within 256 MB of memory \((SIGSEGV|SIGABRT|exit status \d+)\))$"):
        parse(language, bomb)
    assert time.monotonic() - start < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50_000  # KB: the child paid
    assert parse(language, "x").root_node is not None  # the parser was reset: nothing of the bomb resumes


def test_a_crash_or_a_memory_overrun_of_the_trial_is_the_codes_failure():
    # Under a small memory cap the Java bomb makes tree-sitter fail an allocation (it aborts or crashes).
    with pytest.raises(UnparsableCode, match=r"^the code is too hard to parse: the parser failed within 16 MB "
                                             r"of memory \((SIGSEGV|SIGABRT|exit status \d+)\)$"):
        parse(JAVA, "> x ( " * 2500, ParseBudget(time_s=30.0, memory_mb=16))


def test_text_that_is_not_unicode_is_refused_in_one_line():
    with pytest.raises(UnparsableCode, match=r"^the code is not valid Unicode: surrogates not allowed at character 4$"):
        parse(PYTHON, "x = \ud800")


def test_one_text_is_parsed_once():
    code = Path(parsing.__file__).with_name("code_profile.py").read_text()  # 12 KB of real Python
    tree = parse(PYTHON, code + "\n# fresh\n")
    assert parse(PYTHON, code + "\n# fresh\n") is tree
    assert not tree.root_node.has_error
    assert parse(PYTHON, code + "\n# other\n") is not tree


def test_the_code_rewards_abstain_on_an_answer_the_verifier_could_not_parse():
    """The same code is scored beside a wrong answer and left alone beside a syntax error (which may be a
    parse bomb: it is not parsed again in the trainer)."""
    from codekiln.builtin.rewards.quality import QualityReward

    reward = QualityReward()
    reward.bind_plugins(make_plugins())
    code = "def twice(x):\n    '''Double x.'''\n    return 2 * x\n"
    syntax_error = Verdict(VerdictStatus.SYNTAX_ERROR, "python", stages=(StageResult(Stage.SYNTAX, False),))
    scores = reward([code, code], problems=[Problem("p", "")] * 2, languages=["python"] * 2, codes=[code, code],
                    verdicts=[Verdict(VerdictStatus.WRONG_ANSWER, "python"), syntax_error])
    assert scores == [1.0, None]
