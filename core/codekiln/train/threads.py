"""torch's CPU threads: every core while torch works alone, half while the verifier's workers run beside it.

Two busy parties on the same cores slow torch down many times over, so the phases that verify (GRPO's
rollouts, the evaluations, ``codekiln eval`` and ``serve``) leave half the cores to the verifier's workers.
SFT and GRPO's update run nothing else, so they take every core: on the 2-core development machine two
threads made the embedded default's SFT 1.6x as fast as one, with the same losses. ``threads`` in the config,
when set, is used in every phase.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

__all__ = ["alone", "beside_verifier", "sharing_cores"]


def alone(configured: int) -> int:
    """Threads for a phase in which torch runs alone: ``configured``, or every core."""
    return configured or os.cpu_count() or 1


def beside_verifier(configured: int) -> int:
    """Threads for a phase in which the verifier's workers run too: ``configured``, or half the cores."""
    return configured or max(1, (os.cpu_count() or 2) // 2)


@contextlib.contextmanager
def sharing_cores(configured: int, device: torch.device) -> Iterator[None]:
    """Within the block, torch on a CPU uses :func:`beside_verifier`'s threads; afterwards what it had."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(beside_verifier(configured))
    try:
        yield
    finally:
        torch.set_num_threads(before)
