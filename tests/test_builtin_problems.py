"""The built-in problem set: its shape, and every reference passing through the real verifier."""

from __future__ import annotations

from collections import Counter

from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample

# Appended to a reference: the entry point now returns a value that differs from the right one in every
# test, whatever its type, so the verifier must answer wrong_answer for each problem.
_BREAK_RETURN = '''

def _kiln_perturb(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + max(1.0, abs(value)) if isinstance(value, float) else value + 1
    if isinstance(value, str):
        return value + "!"
    if isinstance(value, list | tuple):
        return type(value)([*value, value[0] if value else 0])
    if isinstance(value, dict):
        return {{**value, "_kiln_extra": 0}}
    return 0


_kiln_original = {name}


def {name}(*args):
    return _kiln_perturb(_kiln_original(*args))
'''


def test_the_set_is_graded_and_complete(builtin_problems):
    assert len(builtin_problems) >= 60
    assert len({p.id for p in builtin_problems}) == len(builtin_problems)
    by_difficulty = Counter(p.difficulty for p in builtin_problems)
    assert set(by_difficulty) == {1, 2, 3, 4, 5} and min(by_difficulty.values()) >= 10
    for problem in builtin_problems:
        assert problem.signature is not None, problem.id
        assert len(problem.tests) >= 5, problem.id
        assert len({repr(t.expected) for t in problem.tests}) >= 2, f"{problem.id}: a constant would pass"
        assert "python" in problem.references, problem.id
        assert problem.description.strip(), problem.id


def test_every_python_reference_passes(verifier, builtin_problems):
    samples = [Sample(p, p.references["python"], "python") for p in builtin_problems]
    verdicts = verifier.verify_batch(samples)
    failures = {s.problem.id: (v.status, v.tests) for s, v in zip(samples, verdicts) if not v.passed}
    assert failures == {}
    assert all(v.tests_passed == v.tests_total == len(s.problem.tests) for s, v in zip(samples, verdicts))


def test_every_reference_with_a_broken_return_value_fails(verifier, builtin_problems):
    samples = [
        Sample(p, p.references["python"] + _BREAK_RETURN.format(name=p.signature.name), "python")
        for p in builtin_problems
    ]
    verdicts = verifier.verify_batch(samples)
    statuses = {s.problem.id: v.status for s, v in zip(samples, verdicts)}
    assert {i for i, status in statuses.items() if status is not VerdictStatus.WRONG_ANSWER} == set()
    assert all(v.tests_passed == 0 for v in verdicts)
