"""What the verifier backends' tests share: a batch over several languages with right and wrong answers, and
the part of a verdict that must not depend on where it was verified."""

from __future__ import annotations

from codekiln.verifier import Sample

WRONG = {
    "python": "def all_unique(values):\n    return True\n",  # wrong answer
    "javascript": "function allUnique(values) {\n  return values.length ===\n",  # syntax error
    "cpp": "bool all_unique(std::vector<long long> values) { return undeclared; }\n",  # compile error
}


def mixed_batch(problems) -> list[Sample]:
    """Each language's reference for ``all_unique``, wrong answers in three, a duplicate, and a second problem."""
    problem = problems["all_unique"]
    samples = [Sample(problem, code, language) for language, code in sorted(problem.references.items())]
    samples += [Sample(problem, code, language) for language, code in WRONG.items()]
    samples.append(samples[-1])  # identical work: done once
    average = problems["average"]
    samples.append(Sample(average, average.references["python"], "python"))
    return samples


def essence(verdict) -> tuple:
    """A verdict without its timings (which differ from run to run)."""
    return (verdict.status, verdict.masked, verdict.tests_passed, verdict.tests_total,
            [(t.index, t.passed, t.message) for t in verdict.tests], [d.message for d in verdict.diagnostics],
            verdict.problem_id)


def trl_totals(verifier_section: dict, plugins, problems, check=None) -> tuple[type, list[float | None]]:
    """The TRL reward function's totals (all_tests 1, format 0.5) for a right and a wrong answer to ``average``,
    verified on the backend ``verifier_section`` configures, and the class of the verifier it used; ``check``
    is called with that verifier while it is open."""
    from codekiln.integrations.trl import reward_functions

    config = {"rewards": {"all_tests": 1.0, "format": 0.5}, "verifier": verifier_section}
    functions = reward_functions(config, plugins=plugins, language="python")
    scorer = functions[0]._batch.scorer
    try:
        right = f"```python\n{problems['average'].references['python']}```"
        wrong = "```python\ndef average(values):\n    return 0.0\n```"
        values = functions[0](prompts=["p", "p"], completions=[right, wrong], dataset=["builtin"] * 2,
                              task_id=["average"] * 2)
        if check is not None:
            check(scorer.verifier)
    finally:
        scorer.close()
    return type(scorer.verifier), values
