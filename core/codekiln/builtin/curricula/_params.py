"""Checks shared by the built-in curricula: each bad value becomes one ConfigError line naming the
curriculum and the parameter, and the draw that keeps a step's tasks distinct where it can."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from codekiln.curricula import Curriculum, Task


def number(curriculum: Curriculum, param: str, value: Any, *, low: float, high: float | None = None) -> float:
    """``value`` as a float in ``[low, high]`` (``high`` None: no upper bound)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise curriculum.param_error(param, f"expected a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise curriculum.param_error(param, f"must be {bounds}, got {value!r}")
    return float(value)


def integer(curriculum: Curriculum, param: str, value: Any, *, low: int) -> int:
    """``value`` as an int, at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise curriculum.param_error(param, f"expected an integer, got {value!r}")
    if value < low:
        raise curriculum.param_error(param, f"must be at least {low}, got {value}")
    return value


def draw(rng: random.Random, pools: Sequence[Sequence[Task]], taken: set[str]) -> Task:
    """One task from the first of ``pools`` that has one not yet ``taken`` this step; once every task of
    every pool is taken, a repeat from the first non-empty pool. Records the choice in ``taken``."""
    pools = [pool for pool in pools if pool]
    for pool in pools:
        candidates = [task for task in pool if task.key not in taken]
        if candidates:
            break
    else:
        candidates = pools[0]
    task = rng.choice(candidates)
    taken.add(task.key)
    return task
