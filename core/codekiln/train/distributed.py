"""Data-parallel training with ``torch.distributed``: one process per device, started by ``torchrun``.

Every rank runs the same loop on its share of the prompts: it generates, verifies and rewards its own groups
(groups never straddle ranks, so advantages stay local), then ``DistributedDataParallel`` averages the
gradients. Per-step metrics and the curriculum's outcomes are gathered so every rank updates its curriculum
identically and rank 0 alone writes the run directory. Without ``torchrun`` (``WORLD_SIZE`` unset) this is a
world of one and nothing here talks to other processes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs

T = TypeVar("T")

__all__ = ["World", "init_world"]


@attrs.frozen
class World:
    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def shard(self, items: Sequence[T]) -> list[T]:
        """This rank's share: every ``size``-th item starting at ``rank``."""
        return list(items[self.rank :: self.size])

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order (a list of one without torchrun)."""
        if not self.distributed:
            return [obj]
        import torch.distributed as dist

        gathered: list[Any] = [None] * self.size
        dist.all_gather_object(gathered, obj)
        return gathered

    def sum(self, value: float) -> float:
        return float(sum(self.gather(value)))

    def barrier(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def init_world(device_type: str) -> World:
    """Join the process group ``torchrun`` describes in the environment (gloo on CPU, NCCL on CUDA)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return World(rank=dist.get_rank(), size=dist.get_world_size())
