"""Rollouts: prompts → completions → verdicts, with verification overlapped with generation.

The tasks are generated in chunks; as soon as a chunk's completions exist they go to the verifier on a
background thread (its workers are separate processes), and the next chunk is generated meanwhile. So the
CPU or GPU generating and the sandbox workers verifying are busy at the same time.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Sequence
from typing import Any

import attrs

from ..curricula import Task
from ..verdict import Verdict
from ..verifier import Sample, Verifier
from .completions import Completion, Generator

__all__ = ["Rollout", "SamplingSettings", "generate_and_verify"]


@attrs.frozen
class SamplingSettings:
    temperature: float
    top_p: float
    top_k: int
    max_new_tokens: int


@attrs.frozen
class Rollout:
    """One completion of one task and what verifying it said."""

    task: Task
    prompt: str
    completion: Completion
    #: The code the language backend extracted from the completion (what was verified).
    code: str
    verdict: Verdict


@attrs.define
class Timings:
    generate_s: float = 0.0
    verify_s: float = 0.0  # time spent waiting for verdicts after generation finished


def generate_and_verify(tasks: Sequence[Task], prompts: Sequence[str], stops: Sequence[Sequence[str]], *,
                        generator: Generator, verifier: Verifier, n: int, sampling: SamplingSettings, seed: int,
                        chunks: int = 2) -> tuple[list[list[Rollout]], Timings]:
    """``n`` rollouts per task (one group each), in task order."""
    timings = Timings()
    size = max(1, -(-len(tasks) // max(1, chunks)))
    pieces = [range(start, min(start + size, len(tasks))) for start in range(0, len(tasks), size)]
    groups: list[list[Rollout]] = [[] for _ in tasks]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify") as pool:
        pending: list[tuple[range, list[list[Completion]], concurrent.futures.Future]] = []
        for number, piece in enumerate(pieces):
            started = time.perf_counter()
            completions = _generate(generator, [prompts[i] for i in piece], [stops[i] for i in piece], n,
                                    sampling, seed + number)
            timings.generate_s += time.perf_counter() - started
            samples = [Sample(tasks[i].problem, c.text, tasks[i].language)
                       for i, group in zip(piece, completions) for c in group]
            pending.append((piece, completions, pool.submit(verifier.verify_batch, samples)))
        started = time.perf_counter()
        for piece, completions, future in pending:
            verdicts = iter(future.result())
            for i, group in zip(piece, completions):
                backend = verifier.languages.get(tasks[i].language)
                for completion in group:
                    code = backend.extract(completion.text, tasks[i].problem)
                    groups[i].append(Rollout(tasks[i], prompts[i], completion, code, next(verdicts)))
        timings.verify_s = time.perf_counter() - started
    return groups, timings


def _generate(generator: Generator, prompts: list[str], stops: list[Sequence[str]], n: int,
              sampling: SamplingSettings, seed: int) -> list[list[Completion]]:
    # Prompts that share stop strings are generated together (one call each set; usually there is one).
    out: list[Any] = [None] * len(prompts)
    by_stop: dict[tuple[str, ...], list[int]] = {}
    for index, stop in enumerate(stops):
        by_stop.setdefault(tuple(stop), []).append(index)
    for stop, indices in by_stop.items():
        results = generator.generate([prompts[i] for i in indices], n=n, temperature=sampling.temperature,
                                     top_p=sampling.top_p, top_k=sampling.top_k,
                                     max_new_tokens=sampling.max_new_tokens, stop=list(stop), seed=seed)
        for index, result in zip(indices, results):
            out[index] = result
    return out
