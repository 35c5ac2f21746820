"""Sample files for ``codekiln verify``: one JSON object per line with ``task_id``, ``completion`` and
optionally ``language``; results written one row per sample, in input order."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import DataError
from .jsonio import iter_jsonl, to_json
from .problem import Problem
from .verdict import Verdict
from .verifier import Sample

__all__ = ["read_sample_rows", "read_samples", "summarize", "write_results"]


def read_samples(path: Path, problems: Sequence[Problem], default_language: str | None = None) -> list[Sample]:
    """Samples joined with their problems; a bad row fails naming its line, before any work starts."""
    return [sample for _, sample, _ in read_sample_rows(path, problems, default_language)]


def read_sample_rows(path: Path, problems: Sequence[Problem],
                     default_language: str | None = None) -> list[tuple[str, Sample, dict[str, Any]]]:
    """Like :func:`read_samples`, with each sample's place in the file (``path:line``) and its whole row, for
    callers that read more fields (``codekiln eval`` reads ``latency_s`` and ``tokens``)."""
    by_id = {p.id: p for p in problems}
    samples = []
    for number, row in iter_jsonl(Path(path)):
        where = f"{path}:{number}"
        if not isinstance(row, dict):
            raise DataError(f"{where}: expected an object with 'task_id' and 'completion'")
        missing = [key for key in ("task_id", "completion") if key not in row]
        if missing:
            raise DataError(f"{where}: missing field(s) {', '.join(missing)}")
        for key in ("task_id", "completion", "language"):  # "language" may be left out
            value = row.get(key)
            if not isinstance(value, str) and not (key == "language" and value is None):
                raise DataError(f"{where}: field '{key}' must be a string")
        problem = by_id.get(row["task_id"])
        if problem is None:
            raise DataError(f"{where}: unknown task_id {row['task_id']!r} in this dataset")
        language = row.get("language") or default_language or _only_language(problem, where)
        samples.append((where, Sample(problem, row["completion"], language), row))
    if not samples:
        raise DataError(f"{path}: no samples in the file")
    return samples


def _only_language(problem: Problem, where: str) -> str:
    if len(problem.native) == 1:
        return next(iter(problem.native))
    if not problem.native:
        return "python"
    raise DataError(f"{where}: task {problem.id!r} exists in several languages; add a 'language' field")


def write_results(path: Path, samples: Sequence[Sample], verdicts: Sequence[Verdict]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for sample, verdict in zip(samples, verdicts):
            row: dict[str, Any] = {
                "task_id": sample.problem.id,
                "language": sample.language,
                "status": verdict.status.value,
                "passed": verdict.passed,
                "tests_passed": verdict.tests_passed,
                "tests_total": verdict.tests_total,
                "masked": verdict.masked,
                "verdict": to_json(verdict),
            }
            handle.write(json.dumps(row) + "\n")


def summarize(samples: Sequence[Sample], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Per language: samples, passed, pass rate, and counts per status."""
    summary: dict[str, Any] = {}
    for sample, verdict in zip(samples, verdicts):
        entry = summary.setdefault(sample.language, {"samples": 0, "passed": 0, "statuses": Counter()})
        entry["samples"] += 1
        entry["passed"] += verdict.passed
        entry["statuses"][verdict.status.value] += 1
    for entry in summary.values():
        entry["pass_rate"] = entry["passed"] / entry["samples"]
        entry["statuses"] = dict(sorted(entry["statuses"].items()))
    return summary
