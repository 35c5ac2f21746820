"""GRPO, codekiln's trainer against TRL's ``GRPOTrainer`` on CPU, in one run: how fast, and how well it learns.

Both frameworks train the same SFT-ed model on the same prompts with the same group size, generation budget,
stop strings, learning rate, loss and reward, for the same number of steps, one after the other in this
process. The first table gives samples (completions) per second and generated tokens per second, and
codekiln's rate divided by TRL's; the second gives each side's reward over the steps and the pass rate of its
trained model on held-out problems, next to the starting model's.

What is the same on both sides:

- the model: the embedded default (``codekiln.train.policy.default_model_dir``: a byte-level BPE tokenizer
  trained on the built-in problems and a randomly initialised 3-layer Qwen2), first fine-tuned here by
  codekiln's SFT on the ``sft`` split of the task families (``families?per_family=--per-family``, Python,
  ``--sft-epochs`` epochs at peak learning rate ``--sft-learning-rate``; ``--start default`` skips it and
  starts from the untrained model, whose rewards are all 0), then loaded fresh from that directory by each
  side, float32 on the CPU;
- the prompts: ``--prompts-pool`` problems of the families' ``rl`` split (whose references the model never
  saw), rendered exactly as codekiln's trainer renders them (:func:`codekiln.train.prompts.render_prompt`,
  completion format: the request and an opened fence). codekiln reads them from a temporary ``jsonl:``
  dataset; TRL gets the same texts as the ``prompt`` column of a ``datasets.Dataset`` and the problem ids in a
  ``problem_id`` column;
- stopping: both end a completion at the closing code fence (codekiln's stop strings; TRL through
  ``generation_kwargs={"stop_strings": ...}``, with the tokenizer handed to ``generate``, which TRL's own
  call leaves out) or at an end-of-sequence token;
- the evaluation: each trained model, and the starting one, answers every problem of the families'
  ``heldout`` split (new combinations of the parts the splits teach) greedily, verified by codekiln
  (:func:`codekiln.train.evaluate.evaluate`), so "held-out pass" is the same measurement for both;
- each step: ``--prompts`` prompts × ``--group-size`` completions of at most ``--max-new-tokens`` tokens,
  sampled at temperature 1 (no top-p, no top-k), one optimiser step (AdamW, constant learning rate, no weight
  decay, gradient norm clipped to 1) on micro-batches of ``--micro-batch`` samples; no KL term and so no
  reference model; the clipped surrogate with epsilon 0.2 / 0.28, advantages scaled by the group's standard
  deviation, the loss averaged over every completion token of the step (TRL's ``loss_type="dapo"``,
  codekiln's ``loss_aggregation="token"``); one update per batch, so neither side computes old log-probs;
- the reward: codekiln's default reward set (``all_tests`` 1.0, ``tests`` 0.5, ``compiles`` 0.2,
  ``syntax`` 0.1: a random model earns something from the syntax and compile parts, so groups are not all
  equal) on verdicts from :class:`codekiln.verifier.Verifier` at the same isolation level, limits, worker
  count and cache setting. On the TRL side a reward function (:class:`CodekilnReward`) maps each completion
  back to its problem through the ``problem_id`` column, verifies the batch and scores it with the same
  :class:`codekiln.rewards.RewardSet`, so the cost of rewarding is the same work on both sides.

What differs, or might seem to (printed under the table too):

- generation: both use Hugging Face ``generate`` with the KV cache (codekiln's ``generation.backend=hf``),
  with the same stop strings. The token counts are each side's own.
- codekiln verifies the first half of a step's groups while it generates the second half (verification runs
  in separate processes); TRL generates the whole batch, then calls the reward function.
- a group whose rewards are all equal has zero advantages: codekiln skips those rows' forward and backward
  passes (without a KL term they add nothing to the gradient) and cuts each micro-batch to its longest row;
  TRL runs every row at the batch's full padded length. The gradients are the same
  (``tests/train/test_objective_vs_trl.py``).
- the bookkeeping around the step: TRL's ``Trainer`` loop, accelerate and its metrics; codekiln's metrics,
  curriculum and logger plugins.

The measurement. "loop s" is the time of the training steps themselves: codekiln's ``step_seconds`` summed over
its ``metrics.jsonl`` rows (generation, verification, rewards, update, inside ``GRPOStep.run``); for TRL, a
``TrainerCallback`` that adds up each optimiser step from ``on_step_begin`` to ``on_step_end`` (generation,
rewards, forward and backward passes, optimiser step). samples/s and tokens/s are computed on it, and the
ratio compares those. "call s" is the whole call, for the record: codekiln's ``train()`` (model load,
verifier, the final checkpoint, the summary and plot), TRL's ``GRPOTrainer(...)`` and ``train()``. Tokens are
the generated completion tokens: codekiln's ``completion_length/mean`` × samples per step, summed over steps;
TRL's ``completion_ids`` lengths as its reward function receives them (the same figure as its logged
``completions/mean_length``). The phase split gives codekiln's ``time/generate``, ``time/verify`` (the wait
for verdicts after generation ended) and ``time/train``; for TRL, the time in its generation method (a
subclass times ``_generate_single_turn``) and in the reward function (verification and rewards).

Threads. Both frameworks run in this one process with the same torch thread count in every phase,
``--torch-threads`` (default 1): codekiln's run is configured with it (``threads``, which otherwise gives
torch every core for the update and half of them while the verifier works), and it is set again before each
framework's run, since a codekiln run leaves torch at the count of its last phase. torch's own default, one
thread per core, collapses when another process holds a core: on the shared 2-core VM this was written on,
one decoding step of the default model (batch 16) took about 6 ms with one thread and about 240 ms with two
while another process kept one core busy. One thread keeps the figures about the frameworks rather than about
the neighbours; ``--torch-threads 0`` gives both one thread per core on a machine of your own. The verifier's
worker processes are not affected by it.

    .venv/bin/python benchmarks/grpo_vs_trl.py [--steps S] [--prompts P] [--group-size G] [--max-new-tokens T]
                                               [--micro-batch M] [--prompts-pool K] [--torch-threads N]
                                               [--per-family F] [--sft-epochs E] [--sft-learning-rate LR]
                                               [--start sft|default]
                                               [--learning-rate LR] [--seeds N] [--first-seed S] [--json]
                                               [--only codekiln|trl]

``--seeds N`` trains each side N times, with GRPO seeds 0..N-1 (sampling and the order of prompts; ``--first-seed S``
gives S..S+N-1, so that two calls add up to more seeds), from the same
starting model, the frameworks taking turns. The rates are computed over all of a side's runs (its samples and
tokens over its summed loop time), with the slowest and fastest run's samples/s beside them; the learning figures
are given per seed and as the mean and standard deviation over the seeds, and the held-out goal (codekiln's pass
rate at least TRL's, within the seeds' spread) is checked on them: met when codekiln's mean is at least TRL's
minus the larger of the two sides' standard deviations.
The verifier's pool uses forkserver, whose workers import this module again as ``__mp_main__``: nothing but
imports and definitions may run at module level, and the heavy imports (torch, transformers, trl) happen
inside functions.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import codekiln
import codekiln.datasets
import codekiln.plugins
from codekiln.config import Config, load_config
from codekiln.jsonio import to_json
from codekiln.problem import Problem
from codekiln.rewards import RewardSet
from codekiln.train.completions import build_completion
from codekiln.verifier import Sample, Verifier

LANGUAGE = "python"
#: The seed of what both sides share: the families' problems, the starting model's SFT, the evaluations.
SEED = 0
#: Issue 12's bar: codekiln's samples/s at least this many times TRL's.
SPEED_GOAL = 1.5


class Measurement:
    """One framework's runs, one per GRPO seed."""

    def __init__(self, framework: str) -> None:
        self.framework = framework
        self.runs: list[dict[str, Any]] = []

    def add(self, run: dict[str, Any]) -> None:
        self.runs.append(run)

    def total(self, key: str) -> float:
        return sum(run[key] for run in self.runs)

    @property
    def samples_per_s(self) -> float:
        return self.total("samples") / self.total("loop_s")

    @property
    def tokens_per_s(self) -> float:
        return self.total("tokens") / self.total("loop_s")

    @property
    def phases_s(self) -> dict[str, float]:
        return {name: sum(run["phases_s"][name] for run in self.runs) for name in self.runs[0]["phases_s"]}

    @property
    def heldout(self) -> list[float]:
        return [run["heldout_pass"] for run in self.runs]

    def as_json(self) -> dict[str, Any]:
        return {"framework": self.framework, "samples_per_s": self.samples_per_s, "tokens_per_s": self.tokens_per_s,
                "runs": self.runs}


def mean_and_spread(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the standard deviation over the seeds (0 for one seed)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def heldout_goal_met(codekiln: Sequence[float], trl: Sequence[float]) -> bool:
    """Issue 12's learning bar: codekiln's final held-out pass rate at least TRL's, within the seeds' spread (the
    larger of the two sides' standard deviations; with one seed each there is no spread to allow)."""
    (ours, our_spread), (theirs, their_spread) = mean_and_spread(codekiln), mean_and_spread(trl)
    return ours >= theirs - max(our_spread, their_spread) - 1e-9  # a tie on the bound is met, rounding aside


# -- the shared set-up --------------------------------------------------------------------------------------


class Setup:
    """The starting model, the prompts both frameworks train on and the held-out problems both are judged on."""

    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        from codekiln.train.policy import default_model_dir
        from codekiln.train.prompts import default_stop, problem_prompt, render_prompt

        self.workdir = workdir
        plugins = codekiln.plugins.make_plugins()
        self.cache = workdir / "cache"
        self.families = f"families?seed={SEED}&per_family={args.per_family}"
        problems = codekiln.datasets.load_dataset(self.families, plugins.datasets())
        rl = [p for p in problems if p.split == "rl"]
        if len(rl) < args.prompts_pool:
            raise SystemExit(f"only {len(rl)} problems in the families' rl split; --prompts-pool must be at most "
                             "that (or raise --per-family)")
        self.problems: list[Problem] = rl[: args.prompts_pool]
        self.heldout: list[Problem] = [p for p in problems if p.split == "heldout"]
        self.model_dir = default_model_dir(self.cache, plugins)
        if args.start == "sft":
            self.model_dir = self._sft(args)
        backend = plugins.languages().get(LANGUAGE)
        tokenizer = _tokenizer(self.model_dir)

        def prompt(problem: Problem) -> str:
            return render_prompt(tokenizer, problem_prompt(problem, LANGUAGE, backend), language=LANGUAGE,
                                 fmt="completion", native=False)

        self.prompts = [prompt(p) for p in self.problems]
        self.heldout_prompts = [prompt(p) for p in self.heldout]
        self.stop = default_stop("completion", native=False)
        self.dataset_file = workdir / "problems.jsonl"
        self.dataset_file.write_text("".join(json.dumps(to_json(p)) + "\n" for p in self.problems),
                                     encoding="utf-8")

    def _sft(self, args: argparse.Namespace) -> Path:
        """codekiln's SFT on the families' sft split; its model is where both sides start."""
        from codekiln.train.trainer import train

        run_dir = self.workdir / "sft"
        config = load_config(None, [
            f"seed={SEED}", "device=cpu", f"run_dir={run_dir}", f"model.cache_dir={self.cache}",
            f"data.dataset={self.families}&splits=sft", f"data.languages=[{LANGUAGE}]", f"sft.epochs={args.sft_epochs}",
            f"sft.learning_rate={args.sft_learning_rate}", "grpo.enabled=false", "eval.enabled=false",
            "generation.backend=hf", "generation.prompt_format=completion",
        ])
        started = time.perf_counter()
        train(config, codekiln.plugins.make_plugins(), overwrite=True, show_progress=False)
        print(f"SFT on the families' sft split: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return run_dir / "final"


def _tokenizer(model_dir: Path) -> Any:
    import transformers

    return transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)


def torch_threads(args: argparse.Namespace) -> int:
    """The torch thread count both frameworks run on: ``--torch-threads``, or one per core for 0."""
    return args.torch_threads or os.cpu_count() or 1


def codekiln_config(setup: Setup, args: argparse.Namespace, run_dir: Path, seed: int = SEED) -> Config:
    return load_config(None, [
        f"seed={seed}", "device=cpu", f"run_dir={run_dir}", f"model.path={setup.model_dir}",
        f"threads={torch_threads(args)}",
        f"data.dataset=jsonl:{setup.dataset_file}", f"data.languages=[{LANGUAGE}]",
        "sft.enabled=false", "eval.enabled=false", "generation.backend=hf", "generation.prompt_format=completion",
        f"generation.max_new_tokens={args.max_new_tokens}", "generation.temperature=1.0", "generation.top_p=1.0",
        "generation.top_k=0", f"grpo.steps={args.steps}", f"grpo.prompts_per_step={args.prompts}",
        f"grpo.group_size={args.group_size}", f"grpo.learning_rate={args.learning_rate}", "grpo.kl_coef=0",
        "grpo.loss_aggregation=token", "grpo.scale_rewards=true", "grpo.updates_per_batch=1",
        "grpo.max_grad_norm=1.0", "grpo.lr_schedule=constant", f"grpo.micro_batch_size={args.micro_batch}",
        "grpo.checkpoint_every=0",
        # TRL has no dynamic sampling: codekiln's (drop equal-reward groups, draw more prompts) would generate up to
        # three times the samples a step counts.
        "grpo.filter_equal_groups=false",
    ])


# -- codekiln -----------------------------------------------------------------------------------------------


def run_codekiln(setup: Setup, args: argparse.Namespace, run_dir: Path, seed: int) -> dict[str, Any]:
    from codekiln.train.trainer import train

    config = codekiln_config(setup, args, run_dir, seed)
    plugins = codekiln.plugins.make_plugins()
    started = time.perf_counter()
    train(config, plugins, overwrite=True, show_progress=False)
    call_s = time.perf_counter() - started
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    steps = [row for row in rows if "grpo/step" in row]
    if len(steps) != args.steps:
        raise RuntimeError(f"codekiln logged {len(steps)} GRPO steps, expected {args.steps}")
    per_step = args.prompts * args.group_size
    phases = {name: sum(row[f"time/{name}"] for row in steps) for name in ("generate", "verify", "train")}
    loop_s = sum(row["step_seconds"] for row in steps)
    phases["other"] = loop_s - sum(phases.values())
    return {
        "steps": len(steps), "samples": per_step * len(steps),
        "tokens": round(sum(row["completion_length/mean"] * per_step for row in steps)),
        "loop_s": loop_s, "call_s": call_s, "phases_s": phases,
        "reward_mean": statistics.fmean(row["reward/total"] for row in steps),
        "rewards": [row["reward/total"] for row in steps], "model_dir": str(run_dir / "final"),
    }


# -- TRL ----------------------------------------------------------------------------------------------------


class CodekilnReward:
    """A TRL reward function: verifies each completion with codekiln's :class:`Verifier` and scores it with
    codekiln's :class:`RewardSet`, as codekiln's trainer does. It finds each completion's problem through the
    dataset's ``problem_id`` column, and counts the samples, tokens and seconds it sees."""

    __name__ = "codekiln"

    def __init__(self, problems: Sequence[Problem], verifier: Verifier, rewards: RewardSet, *, tokenizer: Any,
                 stop: Sequence[str], max_new_tokens: int, eos_ids: Sequence[int]) -> None:
        self.problems = {p.id: p for p in problems}
        self.verifier, self.rewards = verifier, rewards
        self.tokenizer, self.stop = tokenizer, list(stop)
        self.max_new_tokens, self.eos_ids = max_new_tokens, frozenset(eos_ids)
        self.samples = self.tokens = 0
        self.seconds = 0.0

    def __call__(self, completions: list[str], completion_ids: list[list[int]], problem_id: list[str],
                 **ignored: Any) -> list[float | None]:
        started = time.perf_counter()
        problems = [self.problems[i] for i in problem_id]
        # TRL's text runs through the closing fence; codekiln's trainer judges the text before it (the answer
        # itself), cut the same way here: with the fence left in, every answer read as a syntax error.
        completions = [build_completion(self.tokenizer, ids, stop=self.stop, eos_ids=self.eos_ids).text
                       for ids in completion_ids]
        verdicts = self.verifier.verify_batch([Sample(p, text, LANGUAGE) for p, text in zip(problems, completions)])
        backend = self.verifier.languages.get(LANGUAGE)
        lengths = [len(ids) for ids in completion_ids]
        breakdowns = self.rewards(
            completions, problems=problems, languages=[LANGUAGE] * len(completions), verdicts=verdicts,
            codes=[backend.extract(text, p) for p, text in zip(problems, completions)], completion_lengths=lengths,
            truncated=[n >= self.max_new_tokens and ids[-1] not in self.eos_ids
                       for n, ids in zip(lengths, completion_ids)],
            max_new_tokens=self.max_new_tokens)
        self.samples += len(completions)
        self.tokens += sum(lengths)
        self.seconds += time.perf_counter() - started
        # Masked samples are left out of the loss, as in codekiln: TRL ignores a None (NaN) reward.
        return [None if v.masked or b.masked else b.total for v, b in zip(verdicts, breakdowns)]


def run_trl(setup: Setup, args: argparse.Namespace, out_dir: Path, seed: int) -> dict[str, Any]:
    import datasets
    import torch
    import transformers
    import trl

    config = codekiln_config(setup, args, out_dir / "unused")  # the verifier and reward settings
    started = time.perf_counter()
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_pretrained(setup.model_dir, dtype=torch.float32,
                                                              local_files_only=True)
    tokenizer = _tokenizer(setup.model_dir)
    # TRL calls generate() without the tokenizer, which stop strings need: hand it over on this model.
    model.generate = functools.partial(type(model).generate, model, tokenizer=tokenizer)
    eos = model.generation_config.eos_token_id
    eos_ids = list(eos) if isinstance(eos, list | tuple) else [eos]
    dataset = datasets.Dataset.from_dict({"prompt": setup.prompts, "problem_id": [p.id for p in setup.problems]})
    grpo_config = trl.GRPOConfig(
        output_dir=str(out_dir), seed=seed, use_cpu=True, bf16=False, report_to="none", save_strategy="no",
        eval_strategy="no", logging_steps=1, disable_tqdm=True, dataloader_num_workers=0,
        max_steps=args.steps, per_device_train_batch_size=args.micro_batch,
        gradient_accumulation_steps=args.prompts * args.group_size // args.micro_batch,
        num_generations=args.group_size, max_completion_length=args.max_new_tokens, temperature=1.0, top_p=1.0,
        top_k=0, learning_rate=args.learning_rate, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
        max_grad_norm=1.0, optim="adamw_torch", beta=0.0, num_iterations=1, epsilon=0.2, epsilon_high=0.28,
        loss_type="dapo", scale_rewards="group", remove_unused_columns=False, log_completions=False,
        generation_kwargs={"stop_strings": list(setup.stop)},
    )
    step_times: list[float] = []
    generate_s = [0.0]

    class StepClock(transformers.TrainerCallback):
        """Times each optimiser step, from before its first micro-batch to after the optimiser step."""

        def on_step_begin(self, *_: Any, **__: Any) -> None:
            self.started = time.perf_counter()

        def on_step_end(self, *_: Any, **__: Any) -> None:
            step_times.append(time.perf_counter() - self.started)

    class TimedGRPOTrainer(trl.GRPOTrainer):
        def _generate_single_turn(self, *call_args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return super()._generate_single_turn(*call_args, **kwargs)
            finally:
                generate_s[0] += time.perf_counter() - began

    plugins = codekiln.plugins.make_plugins(block=config.plugins.block)
    with Verifier.from_config(plugins, config) as verifier:
        rewards = RewardSet.from_config(config, plugins)
        reward = CodekilnReward(setup.problems, verifier, rewards, tokenizer=tokenizer, stop=setup.stop,
                                max_new_tokens=args.max_new_tokens, eos_ids=eos_ids)
        trainer = TimedGRPOTrainer(model=model, reward_funcs=[reward], args=grpo_config, train_dataset=dataset,
                                   processing_class=tokenizer, callbacks=[StepClock()])
        trainer.remove_callback(transformers.PrinterCallback)  # its per-step dicts would fill stdout
        trainer.train()
    call_s = time.perf_counter() - started
    final = out_dir / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(final)
    logged = [row for row in trainer.state.log_history if "completions/mean_length" in row]
    expected = args.steps * args.prompts * args.group_size
    if len(step_times) != args.steps or reward.samples != expected:
        raise RuntimeError(f"TRL ran {len(step_times)} steps and {reward.samples} samples, expected {args.steps} "
                           f"and {expected}")
    loop_s = sum(step_times)
    phases = {"generate": generate_s[0], "reward": reward.seconds}
    phases["other"] = loop_s - sum(phases.values())
    return {
        "steps": len(step_times), "samples": reward.samples, "tokens": reward.tokens, "loop_s": loop_s,
        "call_s": call_s, "phases_s": phases,
        "logged_tokens": round(sum(row["completions/mean_length"] for row in logged)
                               * args.prompts * args.group_size),
        "reward_mean": statistics.fmean(row["reward"] for row in logged) if logged else None,
        "rewards": [row["reward"] for row in logged], "model_dir": str(final),
    }


# -- learning ------------------------------------------------------------------------------------------------


def heldout_pass_rate(model_dir: str | Path, setup: Setup, args: argparse.Namespace) -> float:
    """Greedy pass@1 of the model in ``model_dir`` on the families' heldout split, verified by codekiln."""
    import torch

    from codekiln.config import ModelConfig
    from codekiln.curricula import Task
    from codekiln.train.evaluate import evaluate
    from codekiln.train.generation import HFGenerator
    from codekiln.train.policy import load_policy

    plugins = codekiln.plugins.make_plugins()
    policy = load_policy(ModelConfig(path=str(model_dir)), device=torch.device("cpu"), plugins=plugins)
    config = codekiln_config(setup, args, setup.workdir / "unused")
    with Verifier.from_config(plugins, config) as verifier:
        metrics, _ = evaluate([Task(p, LANGUAGE) for p in setup.heldout], setup.heldout_prompts,
                              [setup.stop] * len(setup.heldout), generator=HFGenerator(policy), verifier=verifier,
                              samples=1, temperature=0.0, max_new_tokens=args.max_new_tokens, seed=SEED)
    return metrics["pass_rate"]


# -- the report ---------------------------------------------------------------------------------------------

DIFFERENCES = (
    "Both sides: the same model directory, prompts, group size, token budget, sampling, learning rate, loss "
    "(token-averaged clipped surrogate, no KL), micro-batches, reward (codekiln's Verifier + RewardSet) and torch "
    "threads; codekiln's dynamic sampling is off (TRL has none), so both generate the samples a step counts.",
    "Stopping: both end a completion at the closing code fence (the same stop strings) or at end-of-sequence. "
    "Each side's own token count is used (TRL's completion stopped by a string keeps one padding token, which it "
    "reads as the end-of-sequence).",
    "Overlap: codekiln verifies the first half of a step's groups while it generates the second half; TRL "
    "generates the whole batch, then rewards it.",
    "Rewards: a group with equal rewards has zero advantages; codekiln skips those rows' forward and backward passes "
    "(the same gradient), TRL does not.",
    "loop s = the training steps only (codekiln: sum of step_seconds; TRL: on_step_begin..on_step_end). "
    "call s = the whole call, with model loading and set-up (and codekiln's final checkpoint and summary).",
)


def _environment(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    import transformers
    import trl

    return {"python": platform.python_version(), "codekiln": codekiln.__version__, "torch": torch.__version__,
            "transformers": transformers.__version__, "trl": trl.__version__, "cpus": os.cpu_count(),
            "torch_threads": torch_threads(args), "machine": platform.machine()}


def _print_report(results: list[Measurement], args: argparse.Namespace, env: dict[str, Any]) -> None:
    print(f"GRPO on CPU: {args.steps} steps x {args.prompts} prompts x {args.group_size} completions, at most "
          f"{args.max_new_tokens} new tokens, micro-batch {args.micro_batch}; {args.seeds} seed(s) each, "
          f"GRPO seeds {args.first_seed}..{args.first_seed + args.seeds - 1}")
    print("  " + ", ".join(f"{key} {value}" for key, value in env.items()))
    header = ["framework", "runs", "samples", "tokens", "loop s", "samples/s", "tokens/s", "vs TRL", "call s",
              "reward"]
    if args.seeds > 1:
        header.insert(6, "runs' samples/s")
    trl_result = next((r for r in results if r.framework == "TRL"), None)
    rows = [header]
    for result in results:
        if trl_result is not None and result is not trl_result:
            ratio = (f"{result.samples_per_s / trl_result.samples_per_s:.2f}x / "
                     f"{result.tokens_per_s / trl_result.tokens_per_s:.2f}x")
        else:
            ratio = "-"
        rewards = [run["reward_mean"] for run in result.runs if run["reward_mean"] is not None]
        row = [result.framework, str(len(result.runs)), str(round(result.total("samples"))),
               str(round(result.total("tokens"))), f"{result.total('loop_s'):.1f}", f"{result.samples_per_s:.2f}",
               f"{result.tokens_per_s:.1f}", ratio, f"{result.total('call_s') / len(result.runs):.1f}",
               f"{statistics.fmean(rewards):.3f}" if rewards else "-"]
        if args.seeds > 1:
            rates = [run["samples"] / run["loop_s"] for run in result.runs]
            row.insert(6, f"{min(rates):.2f}-{max(rates):.2f}")
        rows.append(row)
    _print_rows(rows)
    print("samples/s and tokens/s: all of a side's runs, over their summed loop time; vs TRL = codekiln's samples/s "
          "/ TRL's, then tokens/s / TRL's; call s and reward: means over the runs.")
    codekiln_result = next((r for r in results if r.framework == "codekiln"), None)
    if trl_result is not None and codekiln_result is not None:
        ratio = codekiln_result.samples_per_s / trl_result.samples_per_s
        print(f"Goal: codekiln at least {SPEED_GOAL}x TRL's samples/s: {ratio:.2f}x "
              f"({'met' if ratio >= SPEED_GOAL else 'NOT met'})")
    print()
    print("Where the loop time goes (s, all runs):")
    for result in results:
        load = ", ".join(f"{run['load_average'][0]:.1f}/{run['load_average'][1]:.1f}" for run in result.runs)
        print(f"  {result.framework:<9} "
              + ", ".join(f"{name} {seconds:.1f}" for name, seconds in result.phases_s.items())
              + f"  (1-min load average before/after each run: {load})")
    print("  codekiln: verify = the wait for verdicts after generation ended; other = rewards, tokenizing, metrics.")
    print("  TRL: reward = the reward function (verification + RewardSet); other = log-probs, forward/backward, "
          "optimiser, bookkeeping.")
    print()
    _print_learning(results, args)
    print()
    for line in DIFFERENCES:
        print(f"note: {line}")


def _print_learning(results: list[Measurement], args: argparse.Namespace) -> None:
    """Each run's reward over the steps and its trained model's held-out pass rate, then the means over seeds."""
    window = max(1, min(4, args.steps // 3))
    print(f"Learning: mean reward over the first and the last {window} steps, the reward per step, and greedy pass@1 "
          "on the families' heldout split, per GRPO seed.")
    rows = [["framework", "seed", "reward first", "reward last", "held-out pass", "rewards per step"]]
    rows.append(["start", "-", "-", "-", f"{100 * results[0].runs[0]['heldout_start']:.1f}%", "-"])
    for result in results:
        for run in result.runs:
            rewards = run["rewards"]
            rows.append([result.framework, str(run["seed"]), f"{statistics.fmean(rewards[:window]):.3f}",
                         f"{statistics.fmean(rewards[-window:]):.3f}", f"{100 * run['heldout_pass']:.1f}%",
                         " ".join(f"{r:.2f}" for r in rewards)])
    _print_rows(rows)
    for result in results:
        mean, spread = mean_and_spread(result.heldout)
        print(f"  {result.framework}: held-out pass {100 * mean:.1f}% ± {100 * spread:.1f} over {len(result.runs)} "
              "seed(s) (mean ± standard deviation)")
    by_name = {result.framework: result for result in results}
    if {"codekiln", "TRL"} <= by_name.keys():
        met = heldout_goal_met(by_name["codekiln"].heldout, by_name["TRL"].heldout)
        print(f"Goal: codekiln's held-out pass rate at least TRL's, within the seeds' spread: "
              f"{'met' if met else 'NOT met'}")


def _print_rows(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=12, help="GRPO steps (default 12)")
    parser.add_argument("--prompts", type=int, default=4, help="prompts per step (default 4)")
    parser.add_argument("--group-size", type=int, default=8, help="completions per prompt (default 8)")
    parser.add_argument("--max-new-tokens", type=int, default=128, help="generation budget (default 128)")
    parser.add_argument("--micro-batch", type=int, default=8, help="samples per forward/backward pass (default 8)")
    parser.add_argument("--prompts-pool", type=int, default=32,
                        help="how many problems of the families' rl split the prompts come from (default 32)")
    parser.add_argument("--per-family", type=int, default=20, help="the families dataset's per_family (default 20)")
    parser.add_argument("--sft-epochs", type=int, default=40, help="SFT epochs for the starting model (default 40)")
    # Pinned, not the trainer's default (1e-3 since stop 29): the figures in docs/benchmarks.md start from it.
    parser.add_argument("--sft-learning-rate", type=float, default=3e-3,
                        help="SFT's peak learning rate for the starting model (default 3e-3)")
    parser.add_argument("--start", choices=("sft", "default"), default="sft",
                        help="start from the SFT-ed model (default) or the untrained embedded default")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="GRPO learning rate (default 1e-4)")
    parser.add_argument("--torch-threads", type=int, default=1, metavar="N",
                        help="torch threads for both frameworks (default 1; 0 keeps torch's default, one per core)")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="train each side N times, with GRPO seeds S..S+N-1 (S: --first-seed) (default 1)")
    parser.add_argument("--first-seed", type=int, default=0, metavar="S",
                        help="the first GRPO seed: the runs use S..S+N-1 (default 0)")
    parser.add_argument("--only", choices=("codekiln", "trl"), help="run one framework only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    for name in ("steps", "prompts", "group_size", "max_new_tokens", "micro_batch", "prompts_pool", "seeds",
                 "per_family", "sft_epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.group_size < 2:
        parser.error("--group-size must be at least 2: GRPO compares completions within a group")
    if args.first_seed < 0:
        parser.error("--first-seed must be 0 or more")
    if args.torch_threads < 0:
        parser.error("--torch-threads must be 0 (torch's default) or more")
    if args.prompts > args.prompts_pool:
        parser.error("--prompts must be at most --prompts-pool: each step asks for that many different prompts")
    if (args.prompts * args.group_size) % args.micro_batch:
        parser.error("--prompts x --group-size must be a multiple of --micro-batch (TRL accumulates whole "
                     "micro-batches)")

    import torch

    measurements = {name: Measurement(name) for name in ("codekiln", "TRL")
                    if args.only is None or args.only == name.lower()}
    with tempfile.TemporaryDirectory(prefix="grpo-vs-trl-") as tmp:
        setup = Setup(Path(tmp), args)
        heldout_start = heldout_pass_rate(setup.model_dir, setup, args)
        # The frameworks take turns within each seed, so a burst of load hurts one run of each.
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for name, measurement in measurements.items():
                where = Path(tmp) / f"{name.lower()}-seed{seed}"
                load_before = os.getloadavg()[0]
                torch.set_num_threads(torch_threads(args))  # what the SFT or the last run left is not kept
                run = (run_codekiln if name == "codekiln" else run_trl)(setup, args, where, seed)
                run["load_average"] = [load_before, os.getloadavg()[0]]
                run["seed"] = seed
                run["heldout_pass"] = heldout_pass_rate(run["model_dir"], setup, args)
                run["heldout_start"] = heldout_start
                measurement.add(run)
                print(f"{name}, seed {seed}: {run['loop_s']:.1f} s loop, {run['call_s']:.1f} s call, held-out "
                      f"{100 * run['heldout_pass']:.1f}%", file=sys.stderr)
    env = _environment(args)
    results = list(measurements.values())
    if args.json:
        print(json.dumps({"environment": env, "settings": vars(args), "results": [r.as_json() for r in results],
                          "notes": list(DIFFERENCES), "wall_seconds": time.perf_counter() - started}, indent=2))
        return 0
    _print_report(results, args, env)
    print()
    print(f"whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
