"""Supervised fine-tuning on reference solutions: the loss counts the answer's tokens, never the prompt's.

Examples are the (prompt, reference) pairs of the run's training tasks; the validation tasks' pairs give a
validation loss after every epoch. Rows are padded per batch, or packed into full-length rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import torch

from ..config import SFTConfig
from .batching import TokenRows, pack_rows, pad_rows
from .distributed import World

__all__ = ["SFTExample", "example_rows", "sft_epoch", "sft_loss", "tokenize_examples", "validation_loss"]


@attrs.frozen
class SFTExample:
    prompt_ids: tuple[int, ...]
    target_ids: tuple[int, ...]


def tokenize_examples(pairs: Sequence[tuple[str, str]], tokenizer: Any,
                      max_length: int) -> tuple[list[SFTExample], int]:
    """Token ids of each (prompt, target); targets cut to fit ``max_length``. Returns the examples and how
    many were cut. Prompt and target are tokenized apart, as generation sees them."""
    examples, cut = [], 0
    for prompt, target in pairs:
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
        room = max_length - len(prompt_ids)
        if room < 1:
            cut += 1
            continue
        if len(target_ids) > room:
            cut += 1
            target_ids = target_ids[:room]
        examples.append(SFTExample(tuple(prompt_ids), tuple(target_ids)))
    return examples, cut


def example_rows(examples: Sequence[SFTExample], pad_id: int) -> TokenRows:
    """The examples as padded rows whose loss counts the target's tokens."""
    return pad_rows([(example.prompt_ids, example.target_ids) for example in examples], pad_id=pad_id)


def _batches(examples: Sequence[SFTExample], config: SFTConfig, pad_id: int, order: list[int]) -> list[TokenRows]:
    if not config.packing:
        return [example_rows([examples[i] for i in order[start : start + config.batch_size]], pad_id)
                for start in range(0, len(order), config.batch_size)]
    pairs = [(examples[i].prompt_ids, examples[i].target_ids) for i in order]
    packed = pack_rows(pairs, length=config.max_length, pad_id=pad_id)
    rows = range(0, packed.input_ids.shape[0], config.batch_size)
    return [TokenRows(packed.input_ids[r : r + config.batch_size], packed.attention_mask[r : r + config.batch_size],
                      packed.loss_mask[r : r + config.batch_size]) for r in rows]


def sft_loss(model: Any, rows: TokenRows) -> torch.Tensor:
    """Mean token loss of the rows' targets."""
    return model(input_ids=rows.input_ids, attention_mask=rows.attention_mask, labels=rows.labels).loss


def sft_epoch(model: Any, examples: Sequence[SFTExample], *, config: SFTConfig, optimizer: Any, scheduler: Any,
              pad_id: int, device: torch.device, epoch: int, seed: int, world: World,
              on_step: Callable[[dict[str, float]], None]) -> None:
    """One pass over ``examples`` in a seeded order; ``on_step`` gets each optimiser step's metrics."""
    order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
    model.train()
    batches = _batches(examples, config, pad_id, order)
    if world.distributed:  # every rank must take the same number of steps, or DDP's all-reduce waits forever
        batches = (batches * world.size)[: max(world.size, len(batches) - len(batches) % world.size)]
    for rows in world.shard(batches):
        started = time.perf_counter()
        rows = rows.to(device)
        loss = sft_loss(model, rows)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        tokens = float(rows.loss_mask.sum())
        on_step({"sft/loss": float(loss.detach()), "sft/epoch": float(epoch + 1),
                 "sft/lr": optimizer.param_groups[0]["lr"],
                 "sft/tokens_per_s": tokens / max(time.perf_counter() - started, 1e-9)})


@torch.no_grad()
def validation_loss(model: Any, examples: Sequence[SFTExample], *, config: SFTConfig, pad_id: int,
                    device: torch.device) -> float | None:
    """Mean token loss over the validation examples (None without any)."""
    if not examples:
        return None
    model.eval()
    total, tokens = 0.0, 0.0
    for rows in _batches(examples, config, pad_id, list(range(len(examples)))):
        rows = rows.to(device)
        count = float(rows.loss_mask.sum())
        total += float(sft_loss(model, rows)) * count
        tokens += count
    model.train()
    return total / tokens if tokens else None
