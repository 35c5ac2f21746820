"""codekiln's rewards as verl's custom reward function.

Point verl at it in the trainer config::

    custom_reward_function:
      path: <site-packages>/codekiln/integrations/verl.py   # or any file that imports it
      name: compute_score          # compute_score_batch for verl's batch reward manager

Each row of the verl dataset names its problem in ``extra_info`` (``{"dataset": NAME, "task_id": ID,
"language": L}`` or ``{"problem": <problem JSON>, "language": L}``); a row may instead carry the problem JSON
as ``reward_model.ground_truth`` and its dataset name as ``data_source``. The rewards, sandbox and plugin
settings come from the codekiln config file named by ``CODEKILN_CONFIG`` (the defaults without it); the
scorer is built once per process, on first use.

The score is the weighted total of the configured rewards; the result also carries each component
(``codekiln/<name>``), ``passed`` and ``masked``, which verl logs. verl has no way to leave a sample out of the
loss from its reward function: a masked sample (a failure of the verifier, not of the model) scores 0.0 with
``masked`` 1.0, so it can be told apart and filtered.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..scoring import Scored, Scorer

__all__ = ["compute_score", "compute_score_batch"]

_scorer: Scorer | None = None


def compute_score(data_source: str | None, solution_str: str, ground_truth: Any = None,
                  extra_info: Mapping[str, Any] | None = None, **ignored: Any) -> dict[str, float]:
    """verl's reward-function signature: one response, its score and the components beside it."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


def compute_score_batch(data_sources: Sequence[str | None], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Sequence[Mapping[str, Any] | None],
                        **ignored: Any) -> list[dict[str, float]]:
    """verl's batch reward manager's signature: every response of the batch verified in one batch."""
    scorer = _get_scorer()
    problems, languages = [], []
    for index, (source, truth, info) in enumerate(zip(data_sources, ground_truths, extra_infos, strict=True)):
        info = dict(info or {})
        where = f"sample {index}"
        problem = scorer.problem(where=where, dataset=info.get("dataset") or (None if "problem" in info else source),
                                 task_id=info.get("task_id"), problem=info.get("problem") or
                                 (truth if info.get("task_id") is None else None))
        problems.append(problem)
        languages.append(scorer.language(info.get("language") or _only_language(problem, where)))
    return [_result(scored) for scored in scorer.score(problems, list(solution_strs), languages)]


def _result(scored: Scored) -> dict[str, float]:
    components = {f"codekiln/{name}": value for name, value in scored.breakdown.components.items()
                  if value is not None}
    return {"score": 0.0 if scored.masked else scored.breakdown.total, **components,
            "passed": float(scored.verdict.passed), "masked": float(scored.masked)}


def _only_language(problem: Any, where: str) -> str:
    from ..errors import DataError

    if len(problem.native) == 1:
        return next(iter(problem.native))
    raise DataError(f"{where}: extra_info has no 'language', and problem '{problem.id}' does not name one")


def _get_scorer() -> Scorer:
    global _scorer
    if _scorer is None:
        from ..config import load_config
        from ..plugins import make_plugins

        config = load_config(os.environ.get("CODEKILN_CONFIG"))
        _scorer = Scorer(config, make_plugins(block=config.plugins.block))
        atexit.register(_scorer.close)
    return _scorer
