"""Training on a GPU: ``codekiln train`` on CUDA with models built from a config (nothing is downloaded), and
what it measured. Needs a CUDA GPU; the README and docs/training/models.md record its output.

Two checks, each a ``codekiln train device=cuda`` in a process of its own, Python tasks of the default
``families`` dataset, HF ``generate`` for sampling:

- ``default``: the embedded default model, the default schedule but ``--steps`` GRPO steps: each split's
  pass rate after SFT and after GRPO, the wall time and where GRPO's time went.
- ``0.5b``: a model of Qwen2.5-0.5B's shape (24 layers, width 896, 14 heads, 2 key/value heads, MLP 4864,
  tied embeddings) with random weights and the embedded default's tokenizer, at the batch shape of
  ``docs/examples/gpu_coder_config.yaml`` (32 prompts x 8 completions, micro-batches of 16, up to 512 new
  tokens; random weights write all 512). One SFT epoch at lr 1e-5, then ``--steps`` GRPO steps, once per
  ``model.dtype``: ``auto`` (float32 weights, bfloat16 compute) and ``bfloat16`` (bfloat16 weights). For
  each: the share of weights that SFT moved, SFT tokens/s, GRPO's step time and its parts, peak GPU memory.

    python benchmarks/gpu_train.py --out runs/gpu
    python benchmarks/gpu_train.py --out runs/gpu --checks 0.5b --steps 3 sandbox.isolation=process

``KEY=VALUE`` arguments are passed to every run. The figures are printed as a table and written to
``--out/gpu_train.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from codekiln.jsonio import iter_jsonl

#: Qwen2.5-0.5B's shape (its config.json), with the embedded default's vocabulary.
SHAPE_05B = {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
             "num_key_value_heads": 2, "tie_word_embeddings": True, "max_position_embeddings": 2048}
#: The batch shape of docs/examples/gpu_coder_config.yaml; equal-reward groups are kept, so that every
#: step trains on all 256 completions although random weights earn the same reward everywhere.
BATCH_05B = ["grpo.prompts_per_step=32", "grpo.group_size=8", "grpo.micro_batch_size=16",
             "generation.max_new_tokens=512", "grpo.filter_equal_groups=false", "sft.epochs=1",
             "sft.learning_rate=1e-5", "eval.enabled=false"]
COMMON = ["device=cuda", "generation.backend=hf", "data.languages=[python]"]


def train(run_dir: Path, overrides: list[str]) -> float:
    """Run ``codekiln train`` into ``run_dir``; its wall time. A failed run stops the script with its output."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "codekiln", "train", "--overwrite", f"run_dir={run_dir}", *overrides]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def metrics(run_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's SFT and GRPO rows of metrics.jsonl."""
    rows = [row for _, row in iter_jsonl(run_dir / "metrics.jsonl")]
    return [r for r in rows if "sft/loss" in r], [r for r in rows if "grpo/step" in r]


def mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if key in r]
    return sum(values) / len(values) if values else float("nan")


def grpo_times(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Mean seconds per GRPO step and its parts, without the first step (it includes warm-up)."""
    timed = rows[1:] or rows
    return {key: mean(timed, key) for key in ("step_seconds", "time/generate", "time/verify", "time/train")}


def peak_memory(*groups: list[dict[str, Any]]) -> float:
    return max((r.get("gpu/max_memory_gb", 0.0) for rows in groups for r in rows), default=0.0)


def check_default(out: Path, steps: int, extra: list[str]) -> dict[str, Any]:
    run_dir = out / "default"
    seconds = train(run_dir, [*COMMON, f"grpo.steps={steps}", *extra])
    evaluations = {row["name"]: row for _, row in iter_jsonl(run_dir / "evaluations.jsonl")}
    splits = {split: {name: evaluations[name].get(f"pass_rate/split/{split}") for name in ("after_sft", "after_grpo")}
              for split in ("sft", "rl", "heldout")}
    sft, grpo = metrics(run_dir)
    return {"seconds": seconds, "grpo_steps": steps, "pass_rate": splits, "grpo": grpo_times(grpo),
            "peak_memory_gb": peak_memory(sft, grpo)}


def build_05b(out: Path) -> tuple[Path, int]:
    """A random-weight model of Qwen2.5-0.5B's shape, saved with the embedded default's tokenizer; its
    folder and parameter count."""
    import torch
    import transformers

    from codekiln.cache import cache_dir
    from codekiln.plugins import make_plugins
    from codekiln.train.policy import default_model_dir

    tokenizer = transformers.AutoTokenizer.from_pretrained(default_model_dir(cache_dir(), make_plugins()))
    config = transformers.Qwen2Config(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                                      eos_token_id=tokenizer.eos_token_id, **SHAPE_05B)
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(config)
    directory = out / "model-0.5b"
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory, model.num_parameters()


def moved_fraction(before: Path, after: Path) -> float:
    """The share of weight elements that differ between two saved models."""
    from safetensors.torch import load_file

    old, new = load_file(before / "model.safetensors"), load_file(after / "model.safetensors")
    changed = sum(int((old[k].float() != new[k].float()).sum()) for k in old)
    return changed / sum(t.numel() for t in old.values())


def check_05b(out: Path, steps: int, extra: list[str]) -> dict[str, Any]:
    model, parameters = build_05b(out)
    results: dict[str, Any] = {"parameters": parameters}
    for dtype in ("auto", "bfloat16"):
        run_dir = out / f"0.5b-{dtype}"
        seconds = train(run_dir, [*COMMON, *BATCH_05B, f"model.path={model}", f"model.dtype={dtype}",
                                  f"grpo.steps={steps}", *extra])
        sft, grpo = metrics(run_dir)
        results[dtype] = {"seconds": seconds, "sft_moved": moved_fraction(model, run_dir / "sft_model"),
                          "sft_tokens_per_s": mean(sft[5:] or sft, "sft/tokens_per_s"), "grpo": grpo_times(grpo),
                          "peak_memory_gb": peak_memory(sft, grpo)}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the models and runs")
    parser.add_argument("--checks", default="default,0.5b", help="comma-separated: default, 0.5b")
    parser.add_argument("--steps", type=int, default=10, help="GRPO steps of each run")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides for every run")
    args = parser.parse_args(argv)
    checks = [c.strip() for c in args.checks.split(",") if c.strip()]
    unknown = sorted(set(checks) - {"default", "0.5b"})
    if unknown:
        sys.exit(f"--checks: unknown check {', '.join(unknown)}; choose from default, 0.5b")
    import torch

    if not torch.cuda.is_available():
        sys.exit("benchmarks/gpu_train.py needs a CUDA GPU: torch sees none")
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__}
    for check in checks:
        run = check_default if check == "default" else check_05b
        report[check] = run(args.out, args.steps, args.overrides)
        (args.out / "gpu_train.json").write_text(json.dumps(report, indent=2))
        print(json.dumps({check: report[check]}, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
