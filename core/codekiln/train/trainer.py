"""``codekiln train``: evaluate, SFT, evaluate, GRPO, evaluate — with a run directory that survives a kill.

The run directory holds the effective config, metrics (JSONL and TensorBoard, written by logger plugins),
checkpoints, the model after SFT (``sft_model/``, also the KL reference), the final model (``final/``), a
plot and a markdown summary. Every rank of a ``torchrun`` job runs this same function; rank 0 alone writes.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..config import Config, ModelConfig, config_to_yaml
from ..curricula import Task
from ..datasets import load_dataset
from ..errors import ConfigError, DataError
from ..problem import Problem
from ..rewards import RewardSet
from ..verifier import Verifier
from . import threads
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .distributed import init_world
from .policy import default_model_dir, load_policy, mixed_precision, resolve_device, save_policy

__all__ = ["TrainResult", "train"]


@attrs.frozen
class TrainResult:
    run_dir: Path
    evaluations: dict[str, dict[str, float]]
    final_model: Path | None


def train(config: Config, plugins: Any, *, resume: bool = False, overwrite: bool = False,
          show_progress: bool = True) -> TrainResult:
    """Run the configured training; see the module docstring. ``plugins`` is the caller's plugin session
    (:func:`codekiln.plugins.make_plugins`): everything the run does, its verifier's workers included, uses
    it, so it must block what ``config.plugins.block`` names."""
    run = _Run(config, plugins, resume=resume, overwrite=overwrite, show_progress=show_progress)
    try:
        return run.execute()
    finally:
        run.close()


class _Run:
    def __init__(self, config: Config, plugins: Any, *, resume: bool, overwrite: bool, show_progress: bool) -> None:
        import torch

        self.config = config
        self.plugins = plugins
        _check_blocked(config, plugins)
        self.show_progress = show_progress
        self.started = time.perf_counter()
        device = resolve_device(config.device)
        self.world = init_world(device.type)
        if device.type == "cuda" and self.world.distributed:
            device = torch.device("cuda", self.world.rank % torch.cuda.device_count())
            torch.cuda.set_device(device)
        self.device = device
        if device.type == "cpu":
            torch.set_num_threads(threads.alone(config.threads))  # SFT and the update; see threads.py
        self.run_dir = Path(config.run_dir)
        self._check_config()
        self.checkpoint = self._prepare_run_dir(resume, overwrite)
        random.seed(config.seed)
        torch.manual_seed(config.seed)
        self.splits = self._tasks()
        self._check_references()
        self.verifier = Verifier.from_config(plugins, config)
        self.rewards = RewardSet.from_config(config, plugins)
        self.state: dict[str, Any] = {"phase": "start", "global_step": 0, "grpo_step": 0, "evaluations": {}}
        self.policy = self._load_policy()
        self.generator = self._generator()
        self._prompts: dict[str, tuple[str, list[str]]] = {}

    # -- set-up -------------------------------------------------------------------------------------------------

    def _check_config(self) -> None:
        grpo = self.config.grpo
        if grpo.enabled and grpo.group_size < 2:
            raise ConfigError(f"grpo.group_size is {grpo.group_size}: GRPO compares completions within a group, "
                              "so it needs at least 2")
        if grpo.enabled and grpo.prompts_per_step < self.world.size:
            raise ConfigError(f"grpo.prompts_per_step ({grpo.prompts_per_step}) is less than the number of "
                              f"processes ({self.world.size}): every process needs at least one group per step")

    def _check_references(self) -> None:
        """Before any model is loaded: ``grpo.sft_coef`` needs the reference solutions of the sft split."""
        grpo = self.config.grpo
        if grpo.enabled and grpo.sft_coef > 0 and not any(t.language in t.problem.references for t in self.splits.sft):
            raise DataError(f"grpo.sft_coef is {grpo.sft_coef}, but no problem GRPO's SFT term would learn from has a "
                            f"reference solution in {', '.join(self.config.data.languages)} (set grpo.sft_coef=0)")

    def _prepare_run_dir(self, resume: bool, overwrite: bool) -> Path | None:
        checkpoint = latest_checkpoint(self.run_dir)
        if resume:
            if checkpoint is None and self.world.is_main:
                print(f"codekiln: no checkpoint in {self.run_dir} yet; starting the run afresh", file=sys.stderr)
            return checkpoint
        if self.run_dir.exists() and any(self.run_dir.iterdir()):
            if not _holds_a_run(self.run_dir):
                # --overwrite deletes the folder: never one that is not a run (run_dir: . in a project, a home).
                raise ConfigError(f"run directory {self.run_dir} holds files that are not a codekiln run: pick "
                                  f"another with run_dir=PATH (--overwrite replaces only a run's directory)")
            if not overwrite:
                raise ConfigError(f"run directory {self.run_dir} already holds a run: continue it with --resume, "
                                  f"replace it with --overwrite, or pick another with run_dir=PATH")
            if self.world.is_main:
                shutil.rmtree(self.run_dir)
        self.world.barrier()
        return None

    def _tasks(self) -> TaskSplits:
        config = self.config
        languages = [self._language(name) for name in config.data.languages]
        problems = load_dataset(config.data.dataset, self.plugins.datasets(), strict=config.data.strict)
        chosen = [p for p in problems if p.difficulty is None or p.difficulty <= config.data.max_difficulty]
        tasks = [Task(p, language) for p in chosen for language in languages if _supports(p, language)]
        if not tasks:
            raise DataError(f"no problems left to train on: dataset '{config.data.dataset}' has {len(problems)} "
                            f"problem(s), none in {', '.join(languages)} with difficulty ≤ "
                            f"{config.data.max_difficulty} (see data.languages and data.max_difficulty)")
        declared = [t for t in tasks if t.problem.split is not None]
        if declared:
            return _declared_splits(tasks, declared, config.data.dataset)
        ids = sorted({t.problem.id for t in tasks})
        random.Random(config.seed).shuffle(ids)
        held_out = set(ids[: int(len(ids) * config.data.validation_fraction)])
        train = [t for t in tasks if t.problem.id not in held_out]
        if not train:
            raise DataError(f"data.validation_fraction {config.data.validation_fraction} leaves no problem to "
                            "train on")
        validation = [t for t in tasks if t.problem.id in held_out]
        return TaskSplits(sft=train, rl=train, named={"train": train, "validation": validation})

    def _language(self, name: str) -> str:
        return self.plugins.languages().installed(name)  # a missing plugin or toolchain fails here, named

    def _load_policy(self) -> Any:
        if self.world.distributed and self.config.model.path is None:
            # transformers saves weights on rank 0 only under torch.distributed: rank 0 builds the default.
            if self.world.is_main:
                default_model_dir(self.config.model.cache_dir, self.plugins)
            self.world.barrier()
        model_config = self.config.model
        if self.checkpoint is not None:
            model_config = ModelConfig(path=str(self.checkpoint / "model"), cache_dir=model_config.cache_dir,
                                       dtype=model_config.dtype)
        return load_policy(model_config, device=self.device, plugins=self.plugins, training=True)

    def _generator(self) -> Any:
        from .generation import make_generator

        return make_generator(self.config.generation.backend, self.policy,
                              gpu_memory_utilization=self.config.generation.gpu_memory_utilization,
                              seed=self.config.seed)

    def close(self) -> None:
        for resource in ("generator", "verifier"):
            if hasattr(self, resource):
                getattr(self, resource).close()
        if hasattr(self, "world"):
            self.world.close()

    # -- the run ------------------------------------------------------------------------------------------------

    def execute(self) -> TrainResult:
        if self.checkpoint is not None:
            self.state = self._read_checkpoint_state()
        elif self.world.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.world.is_main:
            (self.run_dir / "config.yaml").write_text(config_to_yaml(self.config), encoding="utf-8")
            _truncate_log(self.run_dir / "metrics.jsonl", self.state["global_step"])
            _truncate_log(self.run_dir / "curriculum.jsonl", self.state["grpo_step"])
            _keep_evaluations(self.run_dir / "evaluations.jsonl", self.state["evaluations"])
            self._notify("codekiln_training_started", config=self.config, start_step=self.state["global_step"] + 1)
        if self.state["phase"] == "start":
            self._evaluate("before_sft")
            self.state["phase"] = "sft"
        if self.state["phase"] == "sft":
            if self.config.sft.enabled:
                self._sft()
                self._evaluate("after_sft")
            self._save_sft_model()
            self.state["phase"] = "grpo"
            self._checkpoint()
            self.checkpoint = None  # resumed within SFT: GRPO starts from here, not from that checkpoint
        if self.state["phase"] == "grpo":
            if self.config.grpo.enabled and self.state["grpo_step"] < self.config.grpo.steps:
                self._grpo()
            self._evaluate("after_grpo")
            self.state["phase"] = "done"
        final = self._finish()
        return TrainResult(self.run_dir, dict(self.state["evaluations"]), final)

    def _read_checkpoint_state(self) -> dict[str, Any]:
        # The optimiser and scheduler are restored where they are built: in _sft or _grpo.
        import json

        path = self.checkpoint / "state.json"
        try:
            state = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc).split(";")[0] or type(exc).__name__
            raise DataError(f"{path}: cannot read the checkpoint's state ({reason}); delete {self.checkpoint} to "
                            "resume from the checkpoint before it") from None
        wrong = _state_error(state)
        if wrong:
            raise DataError(f"{path}: {wrong}: not a state this version of codekiln wrote; delete {self.checkpoint} "
                            "to resume from the checkpoint before it") from None
        if self.world.is_main:
            print(f"codekiln: resuming {self.run_dir} from {self.checkpoint.name} ({state['phase']}, SFT epoch "
                  f"{state.get('sft_epoch', 0)}, GRPO step {state['grpo_step']})", file=sys.stderr)
        return state

    # -- evaluation -----------------------------------------------------------------------------------------------

    def _eval_tasks(self) -> list[Task]:
        splits = self.splits
        return {"train": splits.trained, "validation": splits.held_out, "all": splits.every}[self.config.eval.split]

    def _evaluate(self, name: str) -> None:
        from .evaluate import evaluate

        if not self.config.eval.enabled or name in self.state["evaluations"]:
            return
        tasks = self.world.shard(self._eval_tasks())
        prompts = [self._prompt(t) for t in tasks]
        with self._precision(), threads.sharing_cores(self.config.threads, self.device):
            metrics, groups = evaluate(tasks, [p for p, _ in prompts], [s for _, s in prompts],
                                       generator=self.generator, verifier=self.verifier,
                                       samples=self.config.eval.samples, temperature=self.config.eval.temperature,
                                       max_new_tokens=self.config.generation.max_new_tokens, seed=self.config.seed)
        metrics = self._merge_evaluation(metrics, groups)
        self.state["evaluations"][name] = metrics
        if self.world.is_main:
            self._notify("codekiln_evaluation_finished", name=name, metrics=metrics)
            shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()
                              if k.startswith("pass_rate") and "/difficulty_" not in k)
            print(f"codekiln: {name}: {shown}", file=sys.stderr)

    def _merge_evaluation(self, metrics: dict[str, float], groups: list[list[Any]]) -> dict[str, float]:
        """Every rank evaluated a shard: recompute the rates and pass@k over all of them."""
        from .evaluate import evaluation_metrics

        every_group = [g for part in self.world.gather(groups) for g in part]
        merged = evaluation_metrics(every_group, self.config.eval.samples) if self.world.distributed else dict(metrics)
        split_of = {t.key: name for name, tasks in self.splits.named.items() for t in tasks}
        passed: dict[str, list[bool]] = {}
        for rollout in (r for g in every_group for r in g):
            if not rollout.verdict.masked:
                passed.setdefault(split_of[rollout.task.key], []).append(rollout.verdict.passed)
        for name in self.splits.named:
            if passed.get(name):
                merged[f"pass_rate/split/{name}"] = sum(passed[name]) / len(passed[name])
        return merged

    # -- SFT --------------------------------------------------------------------------------------------------

    def _sft(self) -> None:
        from tqdm import tqdm

        from . import objectives
        from .sft import sft_epoch, validation_loss

        sft = self.config.sft
        examples, cut = self._sft_examples(self.splits.sft)
        validation, _ = self._sft_examples(self.splits.held_out)
        if not examples:
            raise DataError("SFT has no examples: none of the problems it trains on has a reference solution in "
                            f"{', '.join(self.config.data.languages)} (set sft.enabled=false to skip SFT)")
        if cut and self.world.is_main:
            print(f"codekiln: {cut} SFT example(s) longer than sft.max_length={sft.max_length} were cut",
                  file=sys.stderr)
        model = self._trainable(self.policy.model)
        steps_per_epoch = -(-len(examples) // sft.batch_size)
        total = max(1, steps_per_epoch * sft.epochs // self.world.size)
        optimizer, scheduler = objectives.optimizer_and_schedule(
            self.policy.model.parameters(), learning_rate=sft.learning_rate, schedule=sft.lr_schedule,
            warmup_steps=sft.warmup_steps, total_steps=total)
        start = self.state.get("sft_epoch", 0)
        if self.checkpoint is not None and start > 0:  # resumed within SFT
            load_checkpoint(self.checkpoint, optimizer=optimizer, scheduler=scheduler)
        bar = tqdm(total=total, initial=start * total // max(1, sft.epochs), desc="SFT", unit="step",
                   disable=not self._bar(), file=sys.stderr)

        def on_step(metrics: dict[str, float]) -> None:
            self._log(metrics)
            bar.update(1)
            bar.set_postfix(loss=f"{metrics['sft/loss']:.3f}")

        with bar:
            for epoch in range(start, sft.epochs):
                with self._precision():
                    sft_epoch(model, examples, config=sft, optimizer=optimizer, scheduler=scheduler,
                              pad_id=self.policy.tokenizer.pad_token_id, device=self.device, epoch=epoch,
                              seed=self.config.seed, world=self.world, on_step=on_step)
                    loss = validation_loss(self.policy.model, validation, config=sft,
                                           pad_id=self.policy.tokenizer.pad_token_id, device=self.device)
                if loss is not None:
                    self._log({"sft/val_loss": loss, "sft/epoch": float(epoch + 1)}, advance=False)
                self.state["sft_epoch"] = epoch + 1
                if sft.checkpoint_every and (epoch + 1) % sft.checkpoint_every == 0 and epoch + 1 < sft.epochs:
                    self._checkpoint(optimizer, scheduler)
        self.generator.sync_weights(self.policy.model)

    def _sft_examples(self, tasks: list[Task]) -> tuple[list[Any], int]:
        """The tasks' (prompt, reference) examples, tokenized, and how many were cut to ``sft.max_length``."""
        from .prompts import sft_example
        from .sft import tokenize_examples

        pairs = []
        for task in tasks:
            backend = self.plugins.languages().get(task.language)
            pair = sft_example(task.problem, task.language, backend, self.policy.tokenizer, self._format())
            if pair is not None:
                pairs.append(pair)
        return tokenize_examples(pairs, self.policy.tokenizer, self.config.sft.max_length)

    # -- GRPO -------------------------------------------------------------------------------------------------

    def _grpo(self) -> None:
        from tqdm import tqdm

        from . import objectives
        from .grpo import GRPOStep

        grpo = self.config.grpo
        curriculum = self.plugins.curricula().create(self.config.curriculum.name, tasks=self.splits.rl,
                                                     seed=self.config.seed, **self.config.curriculum.params)
        optimizer, scheduler = objectives.optimizer_and_schedule(
            self.policy.model.parameters(), learning_rate=grpo.learning_rate, schedule=grpo.lr_schedule,
            warmup_steps=grpo.warmup_steps, total_steps=grpo.steps)
        if self.checkpoint is not None and self.state["grpo_step"] > 0:
            load_checkpoint(self.checkpoint, optimizer=optimizer, scheduler=scheduler)
            curriculum.load_state_dict(self.state["curriculum"])
        elif self.checkpoint is not None:
            load_checkpoint(self.checkpoint, optimizer=None, scheduler=None)  # the RNGs; SFT's optimiser is done
        step_runner = GRPOStep(
            config=self.config, model=self._trainable(self.policy.model), policy_model=self.policy.model,
            tokenizer=self.policy.tokenizer, generator=self.generator, verifier=self.verifier,
            rewards=self.rewards, curriculum=curriculum, optimizer=optimizer, scheduler=scheduler,
            device=self.device, world=self.world, prompt_for=self._prompt, reference_model=self._reference(),
            sft_examples=self._grpo_sft_examples())
        start = self.state["grpo_step"]
        bar = tqdm(total=grpo.steps, initial=start, desc="GRPO", unit="step", disable=not self._bar(),
                   file=sys.stderr)
        with bar:
            for step in range(start + 1, grpo.steps + 1):
                with self._precision():
                    metrics = step_runner.run(step)
                self._log(metrics)
                self._log_choices(step, curriculum, step_runner.last_choices)
                self.state["grpo_step"] = step
                bar.update(1)
                bar.set_postfix(reward=f"{metrics['reward/total']:.3f}", passed=f"{metrics.get('pass_rate', 0):.2f}",
                                kl=f"{metrics.get('kl', 0.0):.4f}")
                if step == grpo.steps or (grpo.checkpoint_every and step % grpo.checkpoint_every == 0):
                    self.state["curriculum"] = curriculum.state_dict()
                    self._checkpoint(optimizer, scheduler)

    def _grpo_sft_examples(self) -> list[Any]:
        """The references of ``grpo.sft_coef``'s loss: the SFT split's, tokenized once."""
        return self._sft_examples(self.splits.sft)[0] if self.config.grpo.sft_coef > 0 else []

    def _reference(self) -> Any:
        """A frozen copy of the model after SFT, only when the KL term is on (no copy costs memory otherwise)."""
        if self.config.grpo.kl_coef == 0:
            return None
        model_config = ModelConfig(path=str(self.run_dir / "sft_model"), cache_dir=self.config.model.cache_dir)
        reference = load_policy(model_config, device=self.device).model
        reference.eval()
        reference.requires_grad_(False)
        return reference

    def _log_choices(self, step: int, curriculum: Any, chosen: list[str]) -> None:
        if self.world.is_main:
            import json

            with open(self.run_dir / "curriculum.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"step": step, "chosen": chosen, "describe": curriculum.describe(),
                                         **curriculum.metrics()}) + "\n")

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _format(self) -> str:
        """Decided once per run and kept in the checkpoint: a resumed run loads the model from the checkpoint
        (no longer "the embedded default") but must keep prompting as before."""
        from .prompts import policy_prompt_format

        if "prompt_format" not in self.state:
            self.state["prompt_format"] = policy_prompt_format(self.policy, self.config.generation.prompt_format)
        return self.state["prompt_format"]

    def _prompt(self, task: Task) -> tuple[str, list[str]]:
        from .prompts import task_prompt

        if task.key not in self._prompts:
            self._prompts[task.key] = task_prompt(self.policy.tokenizer, task.problem, task.language,
                                                  self.plugins.languages().get(task.language), fmt=self._format(),
                                                  extra_stop=self.config.generation.stop)
        return self._prompts[task.key]

    def _trainable(self, model: Any) -> Any:
        if not self.world.distributed:
            return model
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def _precision(self) -> contextlib.AbstractContextManager:
        return mixed_precision(self.device, self.policy.compute_dtype)

    def _bar(self) -> bool:
        return self.show_progress and self.world.is_main

    def _log(self, metrics: dict[str, float], *, advance: bool = True) -> None:
        if advance:
            self.state["global_step"] += 1
        if self.device.type == "cuda":  # the peak so far: what a user sizes batches and max_new_tokens by
            import torch

            metrics = {**metrics, "gpu/max_memory_gb": torch.cuda.max_memory_allocated(self.device) / 2**30}
        if self.world.is_main:
            self._notify("codekiln_step_finished", step=self.state["global_step"], metrics=metrics)

    def _notify(self, hook: str, **kwargs: Any) -> None:
        self.plugins.notify(hook, run_dir=self.run_dir, **kwargs)

    def _checkpoint(self, optimizer: Any = None, scheduler: Any = None) -> None:
        if self.world.is_main:
            path = save_checkpoint(self.run_dir, self.state["global_step"], policy=self.policy,
                                   prompt_format=self._format(), optimizer=optimizer, scheduler=scheduler,
                                   state=self.state)
            self._notify("codekiln_checkpoint_saved", step=self.state["global_step"], path=path)
        self.world.barrier()

    def _save_sft_model(self) -> None:
        if self.world.is_main:
            save_policy(self.policy, self.run_dir / "sft_model", prompt_format=self._format())
        self.world.barrier()

    def _finish(self) -> Path | None:
        from .report import write_plot, write_summary

        if not self.world.is_main:
            return None
        final = self.run_dir / "final"
        save_policy(self.policy, final, prompt_format=self._format())
        rows = _metric_rows(self.run_dir / "metrics.jsonl")
        write_plot([r for r in rows if "reward/total" in r], self.run_dir / "plot.png")
        computed_with = ("torch", "transformers") + (("vllm",) if self.generator.name == "vllm" else ())
        facts = {"model": self.config.model.path or "embedded default", "dataset": self.config.data.dataset,
                 "languages": ", ".join(self.config.data.languages),
                 **{f"{name} tasks": len(tasks) for name, tasks in self.splits.named.items()},
                 "GRPO steps": self.state["grpo_step"],
                 "generation": self.generator.name, "device": str(self.device), "processes": self.world.size,
                 "wall time (s, this session)": round(time.perf_counter() - self.started, 1),
                 "packages": _package_versions(computed_with)}
        summary = write_summary(self.run_dir / "summary.md", evaluations=self.state["evaluations"],
                                metrics_rows=[r for r in rows if "reward/total" in r], facts=facts)
        self._notify("codekiln_training_finished", metrics=self.state["evaluations"].get("after_grpo", {}))
        print(f"codekiln: run finished; summary: {summary}", file=sys.stderr)
        return final


@attrs.frozen
class TaskSplits:
    """The tasks of a run by split: SFT learns from ``sft``'s references, GRPO samples ``rl``, and ``named``
    holds every split by name (each evaluation reports ``pass_rate/split/<name>``). A dataset that declares
    splits (tags ``split:NAME``, as ``families`` does) gives its own; any other is cut into ``train`` (both
    phases) and ``validation`` by ``data.validation_fraction``."""

    sft: list[Task]
    rl: list[Task]
    named: dict[str, list[Task]]

    @property
    def trained(self) -> list[Task]:
        return _unique([*self.sft, *self.rl])

    @property
    def held_out(self) -> list[Task]:
        trained = {t.key for t in self.trained}
        return [t for t in self.every if t.key not in trained]

    @property
    def every(self) -> list[Task]:
        return _unique([t for tasks in self.named.values() for t in tasks])


def _unique(tasks: list[Task]) -> list[Task]:
    return list({t.key: t for t in tasks}.values())


def _declared_splits(tasks: list[Task], declared: list[Task], dataset: str) -> TaskSplits:
    """The dataset's own splits; every problem must name one, and there must be something to train on."""
    if len(declared) < len(tasks):
        undeclared = next(t.problem.id for t in tasks if t.problem.split is None)
        raise DataError(f"dataset '{dataset}': some problems declare a split (tag split:NAME) and some do not, such "
                        f"as '{undeclared}'; tag every problem, or none")
    named: dict[str, list[Task]] = {}
    for task in tasks:
        named.setdefault(task.problem.split, []).append(task)
    if not named.get("sft") and not named.get("rl"):
        raise DataError(f"dataset '{dataset}' declares the splits {', '.join(sorted(named))} but neither 'sft' nor "
                        "'rl', so there is nothing to train on")
    # Without an rl split, GRPO samples the sft problems.
    return TaskSplits(sft=named.get("sft", []), rl=named.get("rl") or named["sft"], named=named)


def _check_blocked(config: Config, plugins: Any) -> None:
    """``plugins.block`` in the config only works through the session: one built without it would load the
    plugin in this process and in every verifier worker."""
    missing = sorted(set(config.plugins.block) - set(plugins.block))
    if missing:
        raise ConfigError(f"config key 'plugins.block': the plugin session was built without blocking "
                          f"{', '.join(missing)}; build it with make_plugins(block=config.plugins.block)")


def _state_error(state: Any) -> str | None:
    """What is wrong with a checkpoint's ``state.json`` data, or None."""
    if not isinstance(state, dict):
        return f"expected an object, got {type(state).__name__}"
    if state.get("phase") not in ("start", "sft", "grpo", "done"):
        return f"unknown phase {state.get('phase')!r}"
    for key, kind in (("global_step", int), ("grpo_step", int), ("sft_epoch", int), ("evaluations", dict)):
        value = state.get(key, 0 if key == "sft_epoch" else None)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"field '{key}' is missing or not {'an integer' if kind is int else 'an object'}"
    return None


def _truncate_log(path: Path, last_step: int) -> None:
    """A resumed run re-logs the steps after its checkpoint: drop the killed run's rows for them. A torn last
    line (no newline) is what a kill mid-write leaves: its row came after the checkpoint, so it goes too."""
    import json

    if not path.exists():
        return
    lines = path.read_bytes().splitlines(keepends=True)  # bytes: a torn line may end inside a UTF-8 character
    kept = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            step = json.loads(line)["step"]
        except (ValueError, RecursionError, LookupError, TypeError):
            step = None
        if not isinstance(step, int) or isinstance(step, bool):
            if number == len(lines) and not line.endswith(b"\n"):
                break
            raise DataError(f"{path}:{number}: not a log row with an integer 'step'; fix or delete that line, "
                            "then resume")
        if step <= last_step:
            kept.append(line)
    path.write_bytes(b"".join(kept))


def _keep_evaluations(path: Path, kept: Mapping[str, Any]) -> None:
    """A resumed run evaluates again what its checkpoint had not: drop the killed run's rows of those (and a
    torn last line), keeping the first row of each evaluation the checkpoint holds."""
    import json

    if not path.exists():
        return
    rows, seen = [], set()
    for line in path.read_bytes().splitlines(keepends=True):
        try:
            name = json.loads(line).get("name")
        except (ValueError, RecursionError, AttributeError):
            continue
        if name in kept and name not in seen and line.endswith(b"\n"):
            seen.add(name)
            rows.append(line)
    path.write_bytes(b"".join(rows))


def _supports(problem: Problem, language: str) -> bool:
    return problem.signature is not None or language in problem.native


def _package_versions(packages: tuple[str, ...]) -> str:
    """``codekiln 0.1.0, torch 2.13.0+cpu, ...``: codekiln's version and those of ``packages``, the ones the run
    computed with, so that it can be reproduced (a different transformers can change an SFT's weights bit by bit)."""
    import importlib

    from .. import __version__

    versions = [f"codekiln {__version__}"]
    for name in packages:  # imported by now: importing again only looks them up
        versions.append(f"{name} {getattr(importlib.import_module(name), '__version__', 'unknown')}")
    return ", ".join(versions)


def _holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` is a run's directory: the config a run writes first, and something of its progress."""
    return (folder / "config.yaml").is_file() and any(
        (folder / name).exists() for name in ("metrics.jsonl", "checkpoints", "summary.md", "final"))


def _metric_rows(path: Path) -> list[dict[str, Any]]:
    import json

    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

