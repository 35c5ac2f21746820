"""A Python client of the verification service (``codekiln serve-verifier``), sync and asyncio.

A sample is a :class:`~codekiln.verifier.Sample` (sent with its whole problem) or a mapping in the service's
own shape (``{"dataset": ..., "task_id": ..., "language": ..., "completion": ...}``, which names a problem the
service holds). Each comes back as a :class:`RemoteResult`: the :class:`~codekiln.verdict.Verdict`, the reward
(None when the verdict is masked: the failure was the verifier's, not the model's) and its components.

Batches larger than ``batch_size`` go as several requests. A request that fails on the way (no connection, a
timeout, 429, 502, 503 or 504) is retried up to ``retries`` times, waiting what the service's ``Retry-After``
asks or else an exponential backoff with jitter; verification has no side effects, so a retry is always
safe. Any other refusal raises :class:`VerifierServiceError` with the service's one-line reason.

>>> from codekiln.client import VerifierClient                                   # doctest: +SKIP
>>> with VerifierClient("http://127.0.0.1:8000", api_key="k1") as client:        # doctest: +SKIP
...     [result] = client.verify_batch([{"dataset": "builtin", "task_id": "add", "language": "python",
...                                      "completion": "def add(a, b):\\n    return a + b\\n"}])
>>> result.verdict.passed, result.reward                                         # doctest: +SKIP
(True, 1.0)
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import httpx

from .errors import CodekilnError
from .jsonio import from_json, to_json
from .verdict import Verdict
from .verifier import Sample

__all__ = ["RemoteResult", "VerifierClient", "VerifierServiceError"]

#: Answers worth another try: the service is busy (429, 503) or a proxy in front of it failed (502, 504).
_RETRY_STATUS = frozenset({429, 502, 503, 504})


class VerifierServiceError(CodekilnError):
    """The service refused a request, or could not be reached within the retries; one line saying why."""


@attrs.frozen
class RemoteResult:
    verdict: Verdict
    #: The configured rewards' total; None when the verdict is masked (leave the sample out of the loss).
    reward: float | None
    masked: bool
    components: Mapping[str, float | None] = attrs.field(factory=dict)


class VerifierClient:
    """Talks to one verification service; use as a (sync or async) context manager, or call :meth:`close`
    / :meth:`aclose`. ``api_key`` defaults to ``$CODEKILN_API_KEY``."""

    def __init__(self, url: str, *, api_key: str | None = None, timeout_s: float = 300.0, retries: int = 5,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0, batch_size: int = 64) -> None:
        if batch_size < 1 or retries < 0:
            raise ValueError("batch_size must be >= 1 and retries >= 0")
        self.url = url.rstrip("/")
        key = api_key if api_key is not None else os.environ.get("CODEKILN_API_KEY")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        # A batch takes as long as its slowest sample: the read timeout is generous, connecting is not.
        self._timeout = httpx.Timeout(timeout_s, connect=min(10.0, timeout_s))
        self.retries, self.backoff_s, self.max_backoff_s = retries, backoff_s, max_backoff_s
        self.batch_size = batch_size
        self._sync: httpx.Client | None = None
        self._async: httpx.AsyncClient | None = None

    # -- lifetime ---------------------------------------------------------------------------------------------

    def __enter__(self) -> VerifierClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> VerifierClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
            self._async = None
        self.close()

    # -- verification -----------------------------------------------------------------------------------------

    def verify_batch(self, samples: Sequence[Sample | Mapping[str, Any]]) -> list[RemoteResult]:
        """One result per sample, in order."""
        if self._sync is None:
            self._sync = httpx.Client(base_url=self.url, headers=self._headers, timeout=self._timeout)
        results: list[RemoteResult] = []
        for chunk in self._chunks(samples):
            results += self._send(chunk)
        return results

    async def averify_batch(self, samples: Sequence[Sample | Mapping[str, Any]]) -> list[RemoteResult]:
        """The asyncio twin of :meth:`verify_batch`."""
        if self._async is None:
            self._async = httpx.AsyncClient(base_url=self.url, headers=self._headers, timeout=self._timeout)
        results: list[RemoteResult] = []
        for chunk in self._chunks(samples):
            results += await self._asend(chunk)
        return results

    # -- internals --------------------------------------------------------------------------------------------

    def _chunks(self, samples: Sequence[Sample | Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
        rows = [_wire(sample) for sample in samples]
        return [rows[i:i + self.batch_size] for i in range(0, len(rows), self.batch_size)]

    def _send(self, rows: list[dict[str, Any]]) -> list[RemoteResult]:
        assert self._sync is not None
        last = ""
        for attempt in range(self.retries + 1):
            try:
                response = self._sync.post("/v1/verify", json={"samples": rows})
            except httpx.TransportError as exc:
                response, last = None, _describe(exc)
            else:
                if response.status_code not in _RETRY_STATUS:
                    return _results(response, rows)
                last = _refusal(response)
            if attempt < self.retries:
                time.sleep(self._wait(attempt, response))
        raise VerifierServiceError(f"{self.url}: no answer after {self.retries + 1} attempts; last: {last}")

    async def _asend(self, rows: list[dict[str, Any]]) -> list[RemoteResult]:
        assert self._async is not None
        last = ""
        for attempt in range(self.retries + 1):
            try:
                response = await self._async.post("/v1/verify", json={"samples": rows})
            except httpx.TransportError as exc:
                response, last = None, _describe(exc)
            else:
                if response.status_code not in _RETRY_STATUS:
                    return _results(response, rows)
                last = _refusal(response)
            if attempt < self.retries:
                await asyncio.sleep(self._wait(attempt, response))
        raise VerifierServiceError(f"{self.url}: no answer after {self.retries + 1} attempts; last: {last}")

    def _wait(self, attempt: int, response: httpx.Response | None) -> float:
        """What the service asked for (Retry-After, in seconds), else exponential backoff with jitter."""
        asked = response.headers.get("retry-after", "") if response is not None else ""
        if asked.strip().isdigit():
            return min(float(asked), self.max_backoff_s)
        return min(self.backoff_s * 2 ** attempt, self.max_backoff_s) * random.uniform(0.5, 1.0)


def _wire(sample: Sample | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(sample, Sample):
        return {"problem": to_json(sample.problem), "language": sample.language, "completion": sample.completion}
    return dict(sample)


def _describe(exc: httpx.TransportError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _refusal(response: httpx.Response) -> str:
    try:
        reason = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        reason = response.text[:200] or response.reason_phrase
    return f"{response.status_code}: {reason}"


def _results(response: httpx.Response, sent: list[dict[str, Any]]) -> list[RemoteResult]:
    """The service's results, each checked against the sample it answers: a buggy or hostile service must not
    have a wrong answer scored as a pass (nor crash the caller with a traceback)."""
    if response.status_code != 200:
        raise VerifierServiceError(f"the verification service refused the request ({_refusal(response)})")
    try:
        rows = response.json()["results"]
    except (ValueError, KeyError, TypeError):
        raise VerifierServiceError("the verification service answered something that is not a result list") from None
    if not isinstance(rows, list) or len(rows) != len(sent):
        count = len(rows) if isinstance(rows, list) else "no list of"
        raise VerifierServiceError(f"the verification service answered {count} results for {len(sent)} samples")
    return [_result(f"result {index}", row, sample) for index, (row, sample) in enumerate(zip(rows, sent))]


def _result(where: str, row: Any, sample: Mapping[str, Any]) -> RemoteResult:
    def bad(why: str) -> VerifierServiceError:
        return VerifierServiceError(f"the verification service's {where} {why}")

    if not isinstance(row, dict):
        raise bad("is not an object")
    try:
        # Fields a newer service adds are left out: a fleet is upgraded one service at a time.
        verdict = from_json(Verdict, row.get("verdict"), where=where, extra_keys="ignore")
    except CodekilnError as exc:
        raise VerifierServiceError(f"the verification service's {exc}") from None
    reward, masked, components = row.get("reward"), row.get("masked"), row.get("reward_components", {})
    if not isinstance(masked, bool) or masked != verdict.masked:
        raise bad(f"has masked {masked!r}, where its verdict says {verdict.masked}")
    if not (reward is None if masked else _finite(reward)):
        raise bad(f"has reward {reward!r}: a finite number, or null for a masked verdict")
    if not isinstance(components, dict) or not all(isinstance(k, str) and (v is None or _finite(v))
                                                   for k, v in components.items()):
        raise bad("has reward_components that are not names with numbers")
    problem = sample.get("problem") or {}
    asked = problem.get("id") if isinstance(problem, dict) else None
    asked = asked or sample.get("task_id")
    if asked is not None and verdict.problem_id != asked:
        raise bad(f"answers problem {verdict.problem_id!r}, where the sample asked {asked!r}")
    if verdict.passed:
        tests = problem.get("tests") if isinstance(problem, dict) else None
        if verdict.tests_passed != verdict.tests_total or (tests and verdict.tests_total != len(tests)):
            raise bad(f"passes with {verdict.tests_passed} of {verdict.tests_total} tests"
                      + (f", where the problem has {len(tests)}" if tests else ""))
    return RemoteResult(verdict, reward, masked, components)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
