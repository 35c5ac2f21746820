"""NeMo Gym's verify contract (``POST /verify``), with the field names of ``nemo_gym/base_resources_server.py``.

The request carries ``responses_create_params`` (what the model was asked), ``response`` (an OpenAI Responses
API object: the model's text is in ``output``, items of type ``message`` whose content parts of type
``output_text`` hold the text) and ``verifier_metadata`` (the problem, as in ``/v1/verify`` less the
completion). The answer is the request, echoed, plus ``reward``, ``mask_sample``, ``failure_kind`` and
``failure_reason`` (NeMo Gym's ``BaseVerifyResponse``), and codekiln's ``verdict``.

A masked verdict (the failure was ours) answers ``mask_sample: true`` and ``failure_kind: "verifier_error"``
(a name of NeMo Gym's shared vocabulary) with reward 0.0, which NeMo Gym leaves out of training and scores.
A wrong answer is a valid measurement of the model: reward as computed, no failure kind.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..jsonio import to_json
from ..scoring import Scored
from .http import RequestError

__all__ = ["GymVerifyRequest", "GymVerifyResponse", "answer", "output_text"]

#: NeMo Gym's name (nemo_gym.failure_kinds) for a verifier failing rather than the evaluated model.
VERIFIER_ERROR = "verifier_error"


class GymProblem(BaseModel):
    """``verifier_metadata``: the problem by ``dataset`` and ``task_id`` or whole as ``problem``, and the
    language; other keys (a difficulty, a source) are kept and echoed."""

    model_config = ConfigDict(extra="allow")

    language: str
    dataset: str | None = None
    task_id: str | None = None
    problem: dict[str, Any] | None = None


class GymVerifyRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    responses_create_params: dict[str, Any]
    response: dict[str, Any] = Field(description="An OpenAI Responses API object holding the model's text.")
    verifier_metadata: GymProblem


class GymVerifyResponse(GymVerifyRequest):
    reward: float
    mask_sample: bool = False
    failure_kind: str | None = None
    failure_reason: str | None = None
    verdict: dict[str, Any]


def output_text(response: dict[str, Any]) -> str:
    """The model's text: every ``output_text`` part of every ``message`` item of ``response["output"]``."""
    output = response.get("output")
    if not isinstance(output, list):
        raise RequestError(422, "response.output: expected the list of output items of a Responses API object")
    parts = []
    for item in output:
        if isinstance(item, dict) and item.get("type") == "message":
            for part in item.get("content") or ():
                if isinstance(part, dict) and part.get("type") == "output_text":
                    text = part.get("text")
                    if not isinstance(text, str):
                        raise RequestError(422, "response.output: an output_text part has no string 'text'")
                    parts.append(text)
    return "".join(parts)


def answer(request: GymVerifyRequest, outcome: Scored) -> dict[str, Any]:
    verdict = outcome.verdict
    reason = None
    if verdict.masked:
        reason = " ".join((verdict.stderr_tail or f"verification ended with {verdict.status.value}").split())[:500]
    elif outcome.masked:
        reason = "no configured reward had a value for this sample"
    return {**request.model_dump(exclude_unset=True), "reward": outcome.reward or 0.0, "mask_sample": outcome.masked,
            "failure_kind": VERIFIER_ERROR if outcome.masked else None, "failure_reason": reason,
            "verdict": to_json(verdict)}
