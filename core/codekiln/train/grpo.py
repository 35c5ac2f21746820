"""One GRPO step: tasks → groups of completions → verdicts → rewards → advantages → clipped update.

The pieces of arithmetic (advantages, the clipped loss, k3 KL) live in :mod:`codekiln.train.objectives`
where they are tested against hand-computed values; this module wires them to generation, verification and
the optimiser.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import torch

from ..config import Config
from ..curricula import Curriculum, Outcome, Task
from ..rewards import RewardSet
from ..verdict import RewardBreakdown
from ..verifier import Verifier
from . import objectives, threads
from .batching import TokenRows, pad_rows
from .completions import Generator
from .distributed import World
from .metrics import mean, verdict_rates
from .rollout import Rollout, SamplingSettings, generate_and_verify
from .sft import SFTExample, example_rows, sft_loss

__all__ = ["GRPOStep", "ScoredGroup"]


@attrs.frozen
class ScoredGroup:
    rollouts: list[Rollout]
    breakdowns: list[RewardBreakdown]

    @property
    def rewards(self) -> list[float]:
        """Each sample's total reward; NaN where the sample must not count (masked verdict, or every reward
        component abstained)."""
        return [math.nan if r.verdict.masked or b.masked else b.total for r, b in zip(self.rollouts, self.breakdowns)]


@attrs.define
class GRPOStep:
    config: Config
    model: Any  # the module to train (possibly wrapped in DistributedDataParallel)
    policy_model: Any  # the bare model (generation, reference copy)
    tokenizer: Any
    generator: Generator
    verifier: Verifier
    rewards: RewardSet
    curriculum: Curriculum
    optimizer: Any
    scheduler: Any
    device: torch.device
    world: World
    prompt_for: Callable[[Task], tuple[str, list[str]]]  # task -> (prompt text, stop strings)
    reference_model: Any = None
    #: The reference solutions of ``grpo.sft_coef``'s loss (none when it is off).
    sft_examples: Sequence[SFTExample] = ()
    #: The task keys the curriculum chose in the last step (every rank's), for the run's log.
    last_choices: list[str] = attrs.field(factory=list)

    def run(self, step: int) -> dict[str, float]:
        grpo = self.config.grpo
        started = time.perf_counter()
        with threads.sharing_cores(self.config.threads, self.device):  # the verifier runs while it samples
            kept, seen, timings = self._collect(step)
        self._update_curriculum(seen)
        train_started = time.perf_counter()
        train_stats = self._update(kept, step) if self.world.sum(len(kept)) > 0 else {}
        train_s = time.perf_counter() - train_started
        metrics = self._metrics(seen, kept, timings, train_stats)
        metrics.update({"time/train": train_s, "step_seconds": time.perf_counter() - started,
                        "lr": self.optimizer.param_groups[0]["lr"], "grpo/step": float(step),
                        "grpo/groups_kept": self.world.sum(len(kept)) / max(1, grpo.prompts_per_step)})
        metrics.update(self.curriculum.metrics())
        return metrics

    # -- sampling -----------------------------------------------------------------------------------------------

    def _collect(self, step: int) -> tuple[list[ScoredGroup], list[ScoredGroup], dict[str, float]]:
        """Groups to train on (equal-reward groups dropped when dynamic sampling is on) and every group seen."""
        grpo = self.config.grpo
        kept: list[ScoredGroup] = []
        seen: list[ScoredGroup] = []
        timings = {"time/generate": 0.0, "time/verify": 0.0, "tokens": 0.0}
        rounds = 1 + (grpo.max_refill_rounds if grpo.filter_equal_groups else 0)
        quota = len(self.world.shard(range(grpo.prompts_per_step)))  # this rank's groups per step
        for round_number in range(rounds):
            # Every rank asks the curriculum the same question, so their curricula stay identical.
            tasks = self.world.shard(self.curriculum.select(grpo.prompts_per_step))[: quota - len(kept)]
            groups = self._sample(tasks, seed=self._seed(step, round_number), timings=timings)
            seen.extend(groups)
            kept.extend(g for g in groups if not (grpo.filter_equal_groups and self._all_equal(g)))
            if not grpo.filter_equal_groups or self.world.sum(quota - len(kept)) == 0:
                break
        return kept, seen, timings

    def _seed(self, step: int, round_number: int) -> int:
        return (self.config.seed * 1_000_003 + step * 101 + round_number) * max(1, self.world.size) + self.world.rank

    def _sample(self, tasks: Sequence[Task], *, seed: int, timings: dict[str, float]) -> list[ScoredGroup]:
        if not tasks:
            return []
        generation = self.config.generation
        prompts, stops = zip(*(self.prompt_for(task) for task in tasks))
        sampling = SamplingSettings(generation.temperature, generation.top_p, generation.top_k,
                                    generation.max_new_tokens)
        groups, spent = generate_and_verify(tasks, prompts, stops, generator=self.generator, verifier=self.verifier,
                                            n=self.config.grpo.group_size, sampling=sampling, seed=seed)
        timings["time/generate"] += spent.generate_s
        timings["time/verify"] += spent.verify_s
        timings["tokens"] += sum(len(r.completion.token_ids) for group in groups for r in group)
        scored = []
        for group in groups:
            breakdowns = self.rewards(
                [r.completion.text for r in group],
                problems=[r.task.problem for r in group], languages=[r.task.language for r in group],
                verdicts=[r.verdict for r in group], codes=[r.code for r in group],
                completion_lengths=[len(r.completion.token_ids) for r in group],
                truncated=[r.completion.truncated for r in group],
                max_new_tokens=generation.max_new_tokens,
            )
            scored.append(ScoredGroup(group, breakdowns))
        return scored

    @staticmethod
    def _all_equal(group: ScoredGroup) -> bool:
        rewards = torch.tensor(group.rewards, dtype=torch.float32)
        return bool(objectives.equal_reward_groups(rewards, len(group.rollouts))[0])

    def _update_curriculum(self, seen: list[ScoredGroup]) -> None:
        mine = []
        for group in seen:
            judged = [r for r in group.rollouts if not r.verdict.masked]  # our failures say nothing of the model
            valid = [x for x in group.rewards if not math.isnan(x)]
            task = group.rollouts[0].task
            mine.append(Outcome(problem_id=task.problem.id, language=task.language,
                                pass_rate=mean([float(r.verdict.passed) for r in judged]), samples=len(judged),
                                mean_reward=mean(valid) if valid else None))
        self.curriculum.update([o for outcomes in self.world.gather(mine) for o in outcomes])
        self.last_choices = [key for keys in self.world.gather([g.rollouts[0].task.key for g in seen])
                             for key in keys]

    # -- the update -----------------------------------------------------------------------------------------------

    def _update(self, groups: list[ScoredGroup], step: int) -> dict[str, float]:
        grpo = self.config.grpo
        rows, advantages = self._rows(groups)
        if rows is not None:
            rows = rows.to(self.device)
            advantages = advantages.to(self.device)
        # Normalisers over the whole batch on every rank, so micro-batch losses add up to the batch loss and
        # DDP's gradient average equals the single-process gradient.
        local_tokens = float(rows.loss_mask.sum()) if rows is not None else 0.0
        local_rows = float((rows.loss_mask.sum(dim=1) > 0).sum()) if rows is not None else 0.0
        total_tokens = max(1.0, self.world.sum(local_tokens))
        total_sequences = max(1.0, self.world.sum(local_rows))
        old_logprobs = ref_logprobs = None
        trained = 0
        if rows is not None:
            rows, advantages, trained = self._rows_to_train(rows, advantages)
            if grpo.updates_per_batch > 1:
                old_logprobs = self._logprobs(self.policy_model, rows)
            if self.reference_model is not None:
                ref_logprobs = self._logprobs(self.reference_model, rows)
        stats: dict[str, list[float]] = defaultdict(list)
        stats["trained_fraction"].append(trained / local_rows if local_rows else 0.0)
        self.model.train()
        for _ in range(grpo.updates_per_batch):
            self.optimizer.zero_grad(set_to_none=True)
            loss = 0.0
            for piece in self._micro_batches(rows):
                loss += self._backward(piece, rows, advantages, old_logprobs, ref_logprobs, total_tokens,
                                       total_sequences, stats)
            if grpo.sft_coef > 0:
                loss += self._sft_backward(step, stats)
            stats["loss"].append(loss)  # each micro-batch's loss is its share of the step's: they add up
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), grpo.max_grad_norm)
            stats["grad_norm"].append(float(grad_norm))
            self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.generator.sync_weights(self.policy_model)
        return {key: mean(values) for key, values in stats.items()}

    def _rows_to_train(self, rows: TokenRows, advantages: torch.Tensor) -> tuple[TokenRows, torch.Tensor, int]:
        """The rows whose gradient can be non-zero, longest first. Without a KL term a row of advantage 0 adds
        exactly nothing to the loss or to its gradient (its tokens still count in the normalisers, taken
        before), so its forward and backward passes are skipped: on a hard set most groups are all-fail. The
        order by length keeps each micro-batch's padding short (:meth:`TokenRows.trimmed`). Also returns how
        many rows carry a signal. A step without any still runs one micro-batch (its gradient is 0), so that
        every step logs its entropy and clip fractions."""
        counted = rows.loss_mask.sum(dim=1) > 0
        keep = counted & (advantages != 0) if self.config.grpo.kl_coef == 0 else counted
        index = torch.nonzero(keep).squeeze(1)
        trained = len(index)
        if trained == 0:
            index = torch.nonzero(counted).squeeze(1)[: self.config.grpo.micro_batch_size]
        lengths = rows.attention_mask.sum(dim=1)[index]
        index = index[torch.argsort(lengths, descending=True, stable=True)]
        return rows.select(index), advantages[index], trained

    def _micro_batches(self, rows: TokenRows | None) -> list[slice]:
        # A rank without rows still joins every collective: it runs one empty backward.
        count = 0 if rows is None else rows.input_ids.shape[0]
        size = self.config.grpo.micro_batch_size
        pieces = [slice(i, i + size) for i in range(0, count, size)]
        steps = max(self.world.gather(len(pieces)))
        return pieces + [slice(0, 0)] * (steps - len(pieces))

    def _backward(self, piece: slice, rows: TokenRows | None, advantages: torch.Tensor, old_logprobs: Any,
                  ref_logprobs: Any, total_tokens: float, total_sequences: float,
                  stats: dict[str, list[float]]) -> float:
        """Backward pass of one micro-batch; returns its loss (its share of the step's loss)."""
        grpo = self.config.grpo
        if rows is None or piece.start >= rows.input_ids.shape[0]:
            # Zero loss through every parameter keeps DDP's gradient all-reduce in step with the other ranks.
            (sum(p.sum() for p in self.model.parameters()) * 0.0).backward()
            return 0.0
        part = rows.select(piece).trimmed()
        labels = part.loss_mask.shape[1]
        logits = self.model(input_ids=part.input_ids, attention_mask=part.attention_mask).logits[:, :-1]
        logprobs = objectives.token_logprobs(logits, part.input_ids[:, 1:], temperature=self._temperature())
        old = old_logprobs[piece, :labels] if old_logprobs is not None else logprobs.detach()
        ref = ref_logprobs[piece, :labels] if ref_logprobs is not None else None
        loss, step_stats = objectives.policy_loss(
            logprobs, old, advantages[piece], part.loss_mask, epsilon_low=grpo.epsilon_low,
            epsilon_high=grpo.epsilon_high, aggregation=grpo.loss_aggregation, ref_logprobs=ref,
            kl_coef=grpo.kl_coef, total_tokens=total_tokens, total_sequences=total_sequences)
        (loss * self.world.size).backward()  # DDP averages gradients over ranks; the loss is already global
        with torch.no_grad():
            entropy = objectives.token_entropy(logits)
            stats["entropy"].append(float((entropy * part.loss_mask).sum() / part.loss_mask.sum().clamp(min=1)))
        loss_share = step_stats.pop("loss")
        for key, value in step_stats.items():
            stats[key].append(value)
        return loss_share

    def _sft_backward(self, step: int, stats: dict[str, list[float]]) -> float:
        """Backward pass of ``sft_coef`` × the SFT loss of a few reference solutions drawn for this step (each
        rank its own); returns that share of the step's loss."""
        grpo = self.config.grpo
        draw = torch.Generator().manual_seed(self._seed(step, 0))
        picks = torch.randperm(len(self.sft_examples), generator=draw)[: grpo.sft_batch_size].tolist()
        rows = example_rows([self.sft_examples[i] for i in picks], self.tokenizer.pad_token_id).to(self.device)
        loss = sft_loss(self.model, rows)
        (grpo.sft_coef * loss).backward()  # DDP averages the ranks' gradients: the mean over their draws
        stats["sft_loss"].append(float(loss.detach()))
        return grpo.sft_coef * float(loss.detach())

    def _temperature(self) -> float:
        return self.config.generation.temperature or 1.0

    @torch.no_grad()
    def _logprobs(self, model: Any, rows: TokenRows) -> torch.Tensor:
        pieces = []
        for start in range(0, rows.input_ids.shape[0], self.config.grpo.micro_batch_size):
            ids = rows.input_ids[start : start + self.config.grpo.micro_batch_size]
            mask = rows.attention_mask[start : start + self.config.grpo.micro_batch_size]
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
            pieces.append(objectives.token_logprobs(logits, ids[:, 1:], temperature=self._temperature()))
        return torch.cat(pieces)

    def _rows(self, groups: list[ScoredGroup]) -> tuple[TokenRows | None, torch.Tensor]:
        """Token rows of every sample that counts, and each row's advantage."""
        if not groups:
            return None, torch.zeros(0)
        grpo = self.config.grpo
        rewards = torch.tensor([x for g in groups for x in g.rewards], dtype=torch.float32)
        advantages = objectives.group_advantages(rewards, grpo.group_size, scale=grpo.scale_rewards,
                                                 leave_one_out=grpo.leave_one_out)
        pairs, kept_advantages, masks = [], [], []
        prompt_ids: dict[str, list[int]] = {}  # a group shares its prompt: tokenize it once
        for index, rollout in enumerate(r for g in groups for r in g.rollouts):
            if not rollout.completion.token_ids:
                continue  # nothing was generated: no token to learn from
            if rollout.prompt not in prompt_ids:
                prompt_ids[rollout.prompt] = self.tokenizer(rollout.prompt, add_special_tokens=False)["input_ids"]
            pairs.append((prompt_ids[rollout.prompt], list(rollout.completion.token_ids)))
            counts = not (math.isnan(float(rewards[index])) or (grpo.mask_truncated and rollout.completion.truncated))
            masks.append(counts)
            kept_advantages.append(float(advantages[index]))
        if not pairs:
            return None, torch.zeros(0)
        rows = pad_rows(pairs, pad_id=self.tokenizer.pad_token_id)
        sample_mask = torch.tensor(masks, dtype=torch.float32).unsqueeze(1)
        return TokenRows(rows.input_ids, rows.attention_mask, rows.loss_mask * sample_mask), \
            torch.tensor(kept_advantages, dtype=torch.float32)

    # -- metrics -------------------------------------------------------------------------------------------------

    def _metrics(self, seen: list[ScoredGroup], kept: list[ScoredGroup], timings: dict[str, float],
                 train_stats: dict[str, float]) -> dict[str, float]:
        records = [(r.verdict, b, len(r.completion.token_ids), r.completion.truncated)
                   for g in seen for r, b in zip(g.rollouts, g.breakdowns)]
        gathered = [x for part in self.world.gather(records) for x in part]
        metrics = verdict_rates([v for v, _, _, _ in gathered])
        totals = [b.total for v, b, _, _ in gathered if not (v.masked or b.masked)]
        metrics["reward/total"] = mean(totals)
        components: dict[str, list[float]] = defaultdict(list)
        for verdict, breakdown, _, _ in gathered:
            if verdict.masked or breakdown.masked:
                continue
            for name, value in breakdown.components.items():
                if value is not None:
                    components[f"reward/{name}"].append(value)
            for name, value in breakdown.details.items():
                components[f"reward/{name}"].append(value)
        metrics.update({name: mean(values) for name, values in components.items()})
        lengths = [n for _, _, n, _ in gathered]
        metrics["completion_length/mean"] = mean(lengths)
        metrics["completion_length/max"] = float(max(lengths, default=0))
        metrics["truncated_fraction"] = mean([float(t) for _, _, _, t in gathered])
        for key, values in zip(("time/generate", "time/verify"),
                               zip(*self.world.gather((timings["time/generate"], timings["time/verify"])))):
            metrics[key] = max(values)  # ranks work in parallel: the slowest sets the pace
        metrics["tokens_per_s"] = self.world.sum(timings["tokens"]) / max(metrics["time/generate"], 1e-9)
        for key, value in train_stats.items():
            metrics[key] = mean(self.world.gather(value))
        metrics["groups_filtered"] = float(self.world.sum(len(seen) - len(kept)))
        return metrics
