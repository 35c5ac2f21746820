"""A dataset plugin: a few warm-up problems built in code, in codekiln's language-neutral form.

Shown in docs/howto/dataset-plugin.md. Each problem has a signature and test cases, so every installed
language plugin can verify answers to it.
"""

from __future__ import annotations

from codekiln import hookimpl
from codekiln.datasets import DatasetLoader
from codekiln.problem import Param, Problem, Signature, TestCase

_OPERATIONS = {"add": ("the sum", lambda a, b: a + b), "multiply": ("the product", lambda a, b: a * b)}
_ARGUMENTS = [(0, 0), (2, 3), (-4, 7), (12, -12)]


class ArithmeticDataset(DatasetLoader):
    """Two-integer arithmetic problems: ``add`` and ``multiply``.

    >>> [p.id for p in ArithmeticDataset().load(None)]
    ['arithmetic/add', 'arithmetic/multiply']
    """

    name = "arithmetic"
    needs_path = False  # ships its problems; a file format would say True and be named FORMAT:PATH

    def load(self, path: str | None) -> list[Problem]:
        problems = []
        for function, (what, compute) in _OPERATIONS.items():
            signature = Signature(function, (Param("a", "int"), Param("b", "int")), returns="int")
            problems.append(Problem(
                id=f"arithmetic/{function}",
                description=f"Return {what} of the integers a and b.",
                signature=signature,
                tests=tuple(TestCase(args=(a, b), expected=compute(a, b)) for a, b in _ARGUMENTS),
                difficulty=1,
                tags=("warm-up",),
            ))
        return problems


@hookimpl
def codekiln_register_datasets(registry):
    registry.register(ArithmeticDataset)
