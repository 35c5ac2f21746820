"""The GRPO objective in plain torch: group-relative advantages, per-token log-probabilities, the clipped
policy loss with an optional KL penalty, and the learning-rate schedule.

Conventions shared by every function here:

- A group is the ``group_size`` completions sampled for one prompt; groups lie contiguously in the batch.
- A reward of NaN marks a masked sample (verification failed on our side, not the model's): it takes no
  part in its group's statistics and its advantage is 0, so it adds nothing to the loss.
- Per-token tensors are ``(batch, time)``; ``mask`` is 1 where a completion token counts.

Settings a user chooses (the schedule, the temperature) raise :class:`~codekiln.errors.ConfigError`;
shape mismatches are programming errors and raise ``ValueError``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import Tensor

from codekiln.errors import ConfigError

__all__ = [
    "equal_reward_groups",
    "group_advantages",
    "k3_kl",
    "lr_lambda",
    "optimizer_and_schedule",
    "policy_loss",
    "token_entropy",
    "token_logprobs",
]


def _grouped(rewards: Tensor, group_size: int) -> Tensor:
    if rewards.dim() != 1 or group_size < 1 or rewards.numel() % group_size:
        raise ValueError(
            f"rewards must be 1-D with a length divisible by group_size={group_size}, got shape "
            f"{tuple(rewards.shape)}"
        )
    return rewards.float().view(-1, group_size)


def group_advantages(
    rewards: Tensor,
    group_size: int,
    *,
    scale: bool = True,
    leave_one_out: bool = False,
    eps: float = 1e-4,
) -> Tensor:
    """Each sample's reward minus its group's baseline, optionally divided by the group's spread.

    The baseline is the mean of the group's valid rewards, or with ``leave_one_out`` (RLOO) the mean of
    the *other* valid rewards, which equals ``n / (n - 1) * (r - mean)``. ``scale=True`` divides by the
    group's standard deviation plus ``eps`` (GRPO); ``scale=False`` keeps the raw difference (Dr. GRPO),
    which does not up-weight groups whose rewards barely differ.

    The standard deviation is the unbiased one (divides by ``n - 1``), as ``torch.std`` and TRL's
    GRPOTrainer compute it, so that advantages match TRL's for the same rewards.

    A group with fewer than two valid samples has no baseline to compare against: its advantages are 0.
    Returns a float tensor shaped like ``rewards``.
    """
    grouped = _grouped(rewards, group_size)
    valid = ~torch.isnan(grouped)
    count = valid.sum(dim=1, keepdim=True).float()
    mean = torch.where(valid, grouped, 0.0).sum(dim=1, keepdim=True) / count.clamp(min=1)
    centered = torch.where(valid, grouped - mean, 0.0)
    advantages = centered * count / (count - 1).clamp(min=1) if leave_one_out else centered
    if scale:
        std = (centered.pow(2).sum(dim=1, keepdim=True) / (count - 1).clamp(min=1)).sqrt()
        advantages = advantages / (std + eps)
    advantages = torch.where(valid & (count >= 2), advantages, 0.0)
    return advantages.view(-1)


def equal_reward_groups(rewards: Tensor, group_size: int, *, atol: float = 1e-6) -> Tensor:
    """One bool per group: True when all its valid rewards are equal within ``atol``.

    Such a group has all-zero advantages and teaches nothing; dynamic sampling (DAPO) drops it. A group
    with fewer than two valid samples counts as equal for the same reason.
    """
    grouped = _grouped(rewards, group_size)
    valid = ~torch.isnan(grouped)
    highest = torch.where(valid, grouped, -math.inf).max(dim=1).values
    lowest = torch.where(valid, grouped, math.inf).min(dim=1).values
    return (valid.sum(dim=1) < 2) | (highest - lowest <= atol)


def token_logprobs(logits: Tensor, labels: Tensor, *, temperature: float = 1.0) -> Tensor:
    """``log p(label)`` per position, ``(B, T)``, from logits ``(B, T, V)`` already aligned with ``labels``.

    Logits are divided by ``temperature`` (the sampling temperature, so the ratio compares the policy that
    generated). Computed one sequence at a time as ``logit[label] - logsumexp(logits)`` in float32: the
    full ``(B, T, V)`` log-softmax is never materialised, and bf16 logits do not lose the precision the
    importance ratio needs. Positions whose label is negative (the usual ``-100`` padding) get 0.
    """
    if temperature <= 0:
        raise ConfigError(f"temperature for log-probabilities must be > 0, got {temperature}")
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match labels {tuple(labels.shape)}")
    ignored = labels < 0
    labels = labels.clamp(min=0)
    rows = []
    for row_logits, row_labels in zip(logits, labels):
        row_logits = row_logits.float() / temperature
        picked = row_logits.gather(-1, row_labels.unsqueeze(-1)).squeeze(-1)
        rows.append(picked - torch.logsumexp(row_logits, dim=-1))
    return torch.stack(rows).masked_fill(ignored, 0.0)


def token_entropy(logits: Tensor) -> Tensor:
    """Entropy of the next-token distribution at each position, ``(B, T)``, one sequence at a time."""
    rows = []
    for row_logits in logits:
        row_logits = row_logits.float()
        probs = torch.softmax(row_logits, dim=-1)
        rows.append(torch.logsumexp(row_logits, dim=-1) - (probs * row_logits).sum(dim=-1))
    return torch.stack(rows)


def k3_kl(logprobs: Tensor, ref_logprobs: Tensor) -> Tensor:
    """Schulman's k3 estimator of KL(policy || reference) per token: ``exp(d) - d - 1`` with
    ``d = ref_logprobs - logprobs``. Unbiased for samples from the policy, never negative, 0 where the two
    agree."""
    diff = ref_logprobs - logprobs
    return torch.exp(diff) - diff - 1


def policy_loss(
    logprobs: Tensor,
    old_logprobs: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    epsilon_low: float,
    epsilon_high: float,
    aggregation: Literal["token", "sequence"],
    ref_logprobs: Tensor | None = None,
    kl_coef: float = 0.0,
    total_tokens: float | None = None,
    total_sequences: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """The clipped GRPO surrogate loss and its statistics.

    Per token: ``-min(ratio * A, clip(ratio, 1 - epsilon_low, 1 + epsilon_high) * A)`` with
    ``ratio = exp(logprobs - old_logprobs)``, plus ``kl_coef * k3`` when ``ref_logprobs`` is given and
    ``kl_coef > 0``. Separate low and high bounds allow DAPO's clip-higher.

    ``aggregation="token"`` averages over all counted tokens (DAPO); ``"sequence"`` averages each sequence
    over its tokens, then over sequences (the original GRPO). The denominators ``total_tokens`` and
    ``total_sequences`` default to this batch's counts; the trainer passes the whole batch's counts when it
    splits the batch into micro-batches, so that the micro-batch losses sum to the full-batch loss.
    Denominators below 1 count as 1 (a batch with nothing to learn from gives a loss of 0).

    Tokens outside ``mask`` are excluded before any arithmetic, so arbitrary values there (a masked
    sample's missing log-probabilities) give neither NaN nor gradient.

    Returns the scalar loss and python floats over the counted tokens: ``loss``, ``clip_fraction`` (tokens
    whose clipped term was the active one), ``clip_low_fraction``, ``clip_high_fraction``, ``kl`` (mean
    k3; 0.0 without a reference), ``ratio_mean`` and ``tokens`` (how many tokens counted).
    """
    if not (logprobs.shape == old_logprobs.shape == mask.shape) or advantages.shape != logprobs.shape[:1]:
        raise ValueError(
            f"policy_loss needs (B, T) log-probabilities and mask and (B,) advantages, got logprobs "
            f"{tuple(logprobs.shape)}, old_logprobs {tuple(old_logprobs.shape)}, mask {tuple(mask.shape)}, "
            f"advantages {tuple(advantages.shape)}"
        )
    counted = mask.bool()
    weights = counted.to(logprobs.dtype)
    ratio = torch.exp(torch.where(counted, logprobs - old_logprobs, 0.0))
    adv = advantages.to(logprobs.dtype).unsqueeze(1)
    clipped_ratio = ratio.clamp(1 - epsilon_low, 1 + epsilon_high)
    per_token = -torch.min(ratio * adv, clipped_ratio * adv)
    kl = None
    if ref_logprobs is not None:
        kl = k3_kl(torch.where(counted, logprobs, 0.0), torch.where(counted, ref_logprobs, 0.0))
        if kl_coef > 0:
            per_token = per_token + kl_coef * kl

    if aggregation == "token":
        denominator = total_tokens if total_tokens is not None else weights.sum().item()
        loss = (per_token * weights).sum() / max(denominator, 1.0)
    elif aggregation == "sequence":
        seq_tokens = weights.sum(dim=1)
        per_sequence = (per_token * weights).sum(dim=1) / seq_tokens.clamp(min=1)
        denominator = total_sequences if total_sequences is not None else (seq_tokens > 0).sum().item()
        loss = per_sequence.sum() / max(denominator, 1.0)
    else:
        raise ConfigError(f"unknown loss aggregation '{aggregation}'; available: sequence, token")

    with torch.no_grad():
        tokens = weights.sum().item()

        def masked_mean(values: Tensor) -> float:
            return (values.to(weights.dtype) * weights).sum().item() / tokens if tokens else 0.0

        clip_low = masked_mean((ratio < 1 - epsilon_low) & (adv < 0))
        clip_high = masked_mean((ratio > 1 + epsilon_high) & (adv > 0))
        stats = {
            "loss": loss.item(),
            "clip_fraction": clip_low + clip_high,
            "clip_low_fraction": clip_low,
            "clip_high_fraction": clip_high,
            "ratio_mean": masked_mean(ratio),
            "tokens": tokens,
        }
        if kl is not None:  # logged only when computed (kl_coef > 0): a 0 would read as "no drift"
            stats["kl"] = masked_mean(kl)
    return loss, stats


def optimizer_and_schedule(parameters: Any, *, learning_rate: float, schedule: Literal["constant", "linear", "cosine"],
                           warmup_steps: int, total_steps: int) -> tuple[torch.optim.AdamW, Any]:
    """The optimiser of SFT and GRPO (AdamW with torch's defaults and no weight decay: what ``transformers``'
    Trainer builds with ``weight_decay=0``) and its learning-rate schedule (:func:`lr_lambda`)."""
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.0)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(schedule, warmup_steps, total_steps))


def lr_lambda(
    schedule: Literal["constant", "linear", "cosine"], warmup_steps: int, total_steps: int
) -> Callable[[int], float]:
    """The learning-rate multiplier per optimiser step, for ``torch.optim.lr_scheduler.LambdaLR``.

    Linear warm-up from 0 over ``warmup_steps`` (step ``s < warmup`` gives ``s / warmup``, as in
    ``transformers``' schedules), then 1 (``constant``), a straight line to 0 at ``total_steps``
    (``linear``), or half a cosine to 0 at ``total_steps`` (``cosine``). Picklable.
    """
    if schedule not in ("constant", "linear", "cosine"):
        raise ConfigError(f"unknown learning-rate schedule '{schedule}'; available: constant, cosine, linear")
    if warmup_steps < 0 or total_steps < 0:
        raise ConfigError(f"warmup_steps and total_steps must be >= 0, got {warmup_steps} and {total_steps}")
    return functools.partial(_lr_factor, schedule, warmup_steps, total_steps)


def _lr_factor(schedule: str, warmup_steps: int, total_steps: int, step: int) -> float:
    if step < warmup_steps:
        return step / warmup_steps
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    if schedule == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))
