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

Multi-turn debugging: :class:`CodekilnInteraction` is a verl interaction (``verl.interactions.base``'s
``BaseInteraction``, for verl's tool agent loop with ``multi_turn.interaction_config_path``). It verifies each
answer and answers a failed one with codekiln's feedback, as the NeMo RL environment does
(:mod:`codekiln.integrations.nemo_rl`: ``max_turns``, ``show_expected``, ``public_tests``), and its score for the
turn that ends the episode is the episode's reward. A row that carries ``extra_info.interaction_kwargs`` is judged
by it: :func:`compute_score` then returns the last turn's score from ``extra_info["turn_scores"]`` instead of
verifying the whole decoded response, which holds every answer and every feedback turn.
"""

from __future__ import annotations

import atexit
import logging
import os
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from ..scoring import Scored, Scorer
from .nemo_rl import _ActorEnvironment

__all__ = ["CodekilnInteraction", "compute_score", "compute_score_batch"]

_scorer: Scorer | None = None
_log = logging.getLogger(__name__)


def compute_score(data_source: str | None, solution_str: str, ground_truth: Any = None,
                  extra_info: Mapping[str, Any] | None = None, **ignored: Any) -> dict[str, float]:
    """verl's reward-function signature: one response, its score and the components beside it."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


def compute_score_batch(data_sources: Sequence[str | None], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Sequence[Mapping[str, Any] | None],
                        **ignored: Any) -> list[dict[str, float]]:
    """verl's batch reward manager's signature: every response of the batch verified in one batch."""
    results: list[dict[str, float] | None] = [None] * len(solution_strs)
    rows = []  # (index, source, truth, info) of the responses to verify here
    for index, (source, truth, info) in enumerate(zip(data_sources, ground_truths, extra_infos, strict=True)):
        info = dict(info or {})
        if "interaction_kwargs" in info:  # multi-turn: CodekilnInteraction judged each answer
            results[index] = _episode_result(info)
        else:
            rows.append((index, source, truth, info))
    if rows:
        scorer = _get_scorer()
        problems, languages = [], []
        for index, source, truth, info in rows:
            where = f"sample {index}"
            problem = scorer.problem(where=where,
                                     dataset=info.get("dataset") or (None if "problem" in info else source),
                                     task_id=info.get("task_id"), problem=info.get("problem") or
                                     (truth if info.get("task_id") is None else None))
            problems.append(problem)
            languages.append(scorer.language(info.get("language") or _only_language(problem, where)))
        scored = scorer.score(problems, [solution_strs[index] for index, *_ in rows], languages)
        for (index, *_), answer in zip(rows, scored):
            results[index] = _result(answer)
    return results  # type: ignore[return-value]


def _episode_result(info: Mapping[str, Any]) -> dict[str, float]:
    """A multi-turn episode's reward: the score :class:`CodekilnInteraction` gave its last judged answer, 0 for
    the turns it went on from (verl appends each to ``turn_scores``). None judged (verl ended the episode before
    its first feedback turn: the response length, ``max_assistant_turns``, or no interaction configured) is 0."""
    judged = [float(score) for score in info.get("turn_scores") or ()]
    if not judged:
        _log.warning("codekiln: a row with interaction_kwargs ended before the interaction judged an answer; it "
                     "scores 0 (is multi_turn.interaction_config_path set, and max_assistant_turns ≥ max_turns?)")
    return {"score": judged[-1] if judged else 0.0, "codekiln/answers_judged": float(len(judged))}


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


class _Episodes(_ActorEnvironment):
    """The NeMo RL environment's episodes (verify, reward, feedback) under the interaction's name and keys."""

    what = "codekiln verl interaction"
    own_keys = ("languages", "max_turns", "show_expected", "public_tests")


class CodekilnInteraction:
    """verl's ``BaseInteraction``: multi-turn debugging with codekiln's feedback.

    verl builds it from an interaction config file (``class_name:
    codekiln.integrations.verl.CodekilnInteraction``); ``config`` holds codekiln config sections (``rewards``,
    ``reward_params``, ``sandbox``, ``verifier``, ``plugins``) and the episode's keys (``languages``,
    ``max_turns``, ``show_expected``, ``public_tests``), as the NeMo RL environment's, beside the ``name`` verl
    adds. Each row's ``extra_info.interaction_kwargs`` names its problem as the environment's metadata does,
    with the interaction's ``name``: ``{"name": "codekiln", "dataset": ..., "task_id": ..., "language": ...}`` or
    ``{"name": "codekiln", "problem": <problem JSON>, "language": ...}``.

    ``generate_response`` verifies the conversation's last assistant message and returns ``(done, message,
    score, summary)``: done when the answer passed, was masked, or was the ``max_turns``-th; the message is the
    feedback (or a closing line); the score is the weighted total of the configured rewards for the answer that
    ends the episode and 0 for one that goes on. Nothing is kept per episode but the last score, which
    ``calculate_score`` returns (verl's tool agent loop never calls ``finalize_interaction``, so that store is
    bounded).
    """

    _KEPT_SCORES = 4096

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        settings = dict(config)
        self.name = str(settings.pop("name", "codekiln"))
        self._episodes = _Episodes(settings)
        self._scores: OrderedDict[str, float] = OrderedDict()
        atexit.register(self._episodes.shutdown)

    async def start_interaction(self, instance_id: str | None = None, **kwargs: Any) -> str:
        """Check the row's problem and language now (a bad row fails here, in one line); return the id."""
        instance_id = instance_id or uuid.uuid4().hex
        self._episodes.task(f"interaction {instance_id}", _metadata(kwargs))
        return instance_id

    async def generate_response(self, instance_id: str, messages: Sequence[Mapping[str, Any]],
                                **kwargs: Any) -> tuple[bool, str, float, dict[str, Any]]:
        result = await self._episodes.step([messages], [_metadata(kwargs)])
        score = float(result.rewards[0])
        self._scores[instance_id] = score
        self._scores.move_to_end(instance_id)
        while len(self._scores) > self._KEPT_SCORES:
            self._scores.popitem(last=False)
        return bool(result.terminateds[0]), result.observations[0]["content"], score, result.metadata[0]["codekiln"]

    async def calculate_score(self, instance_id: str, **kwargs: Any) -> float:
        """The score of the episode's last judged answer (0.0 before any)."""
        return self._scores.get(instance_id, 0.0)

    async def finalize_interaction(self, instance_id: str, **kwargs: Any) -> None:
        self._scores.pop(instance_id, None)


def _metadata(interaction_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A row's ``interaction_kwargs`` as the environment's metadata: all but verl's ``name``."""
    return {key: value for key, value in interaction_kwargs.items() if key != "name"}
