"""Learning: does GRPO make the model better? The default run (``codekiln train``), once per seed, and each
split's pass rate before SFT, after SFT and after GRPO, as the mean and spread over the seeds.

Each seed is one ``codekiln train seed=S`` (plus any ``KEY=VALUE`` overrides given here) in a process of its
own, one after the other, into ``--out/seed-S``; the figures are read back from each run's
``evaluations.jsonl`` (``pass_rate/split/<split>``, greedy pass@1 on every task of that split), so this
measures exactly what a user's run reports. The table gives, per split, the mean pass rate at each
evaluation with the standard deviation over seeds, and GRPO's gain (after GRPO minus after SFT) with its
smallest and largest value over the seeds. The goal line checks the issue's bar: on the ``rl`` split and the
held-out combinations (``heldout``), GRPO's mean gain is at least ``--goal`` points.

    .venv/bin/python benchmarks/learning.py --seeds 3                        # the default run, 3 seeds
    .venv/bin/python benchmarks/learning.py --seeds 3 data.languages=[python,cpp] grpo.steps=40
    .venv/bin/python benchmarks/learning.py --seeds 1 --json                  # every run's figures
    .venv/bin/python benchmarks/learning.py --seeds 3 --out runs/learning --read  # report runs made apart

A seed whose run fails stops the script with its last lines of output; runs already done stay in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EVALUATIONS = ("before_sft", "after_sft", "after_grpo")
SPLIT = "pass_rate/split/"
#: The splits GRPO must lift, and by how many points on average (issue 12).
GOAL_SPLITS = ("rl", "heldout")
#: Written into a run's directory by this script: the run's wall time.
TIMING_FILE = "learning.json"


def run_seed(seed: int, out: Path, overrides: list[str]) -> dict[str, Any]:
    """One default run with ``seed``; its evaluations by name and its wall time."""
    run_dir = out / f"seed-{seed}"
    command = [sys.executable, "-m", "codekiln", "train", "--overwrite", f"seed={seed}", f"run_dir={run_dir}",
               *overrides]
    print(f"learning.py: seed {seed}: {' '.join(command[2:])}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        tail = "\n".join(process.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"learning.py: seed {seed} failed (exit {process.returncode}):\n{tail}")
    (run_dir / TIMING_FILE).write_text(json.dumps({"seconds": seconds}) + "\n")
    return read_seed(seed, out)


def read_seed(seed: int, out: Path) -> dict[str, Any]:
    """The finished run of ``seed`` in ``out``: its evaluations by name, and its wall time where this script
    ran it (None for a run started otherwise, such as ``codekiln train seed=S run_dir=OUT/seed-S``)."""
    run_dir = out / f"seed-{seed}"
    if not run_dir.is_dir():
        raise SystemExit(f"learning.py: no run of seed {seed} in {out} ({run_dir} is missing)")
    if not (run_dir / "summary.md").is_file():  # the trainer writes it last, when the run ends
        raise SystemExit(f"learning.py: the run of seed {seed} in {run_dir} has not finished (no summary.md)")
    evaluations_file = run_dir / "evaluations.jsonl"  # absent where the run evaluated nothing (eval.enabled=false)
    lines = evaluations_file.read_text().splitlines() if evaluations_file.is_file() else []
    evaluations = {row["name"]: row for row in (json.loads(line) for line in lines if line.strip())}
    timing = run_dir / TIMING_FILE
    seconds = json.loads(timing.read_text())["seconds"] if timing.is_file() else None
    return {"seed": seed, "seconds": seconds, "evaluations": evaluations}


def split_table(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per split: each evaluation's mean and standard deviation over the seeds (in points), and GRPO's gain."""
    splits = sorted({key.removeprefix(SPLIT) for run in runs for row in run["evaluations"].values()
                     for key in row if key.startswith(SPLIT)})
    table = {}
    for split in splits:
        key = SPLIT + split
        entry: dict[str, Any] = {}
        for name in EVALUATIONS:
            values = [100 * run["evaluations"][name][key] for run in runs if key in run["evaluations"].get(name, {})]
            if values:
                entry[name] = {"mean": statistics.fmean(values),
                               "std": statistics.stdev(values) if len(values) > 1 else 0.0, "values": values}
        gains = [100 * (run["evaluations"]["after_grpo"][key] - run["evaluations"]["after_sft"][key]) for run in runs
                 if key in run["evaluations"].get("after_grpo", {}) and key in run["evaluations"].get("after_sft", {})]
        if gains:
            entry["gain"] = {"mean": statistics.fmean(gains), "min": min(gains), "max": max(gains), "values": gains}
        table[split] = entry
    return table


def _cell(entry: dict[str, Any] | None) -> str:
    return "–" if entry is None else f"{entry['mean']:5.1f} ± {entry['std']:4.1f}"


def print_report(runs: list[dict[str, Any]], table: dict[str, dict[str, Any]], goal: float) -> None:
    seeds = ", ".join(str(run["seed"]) for run in runs)
    times = ", ".join("not timed" if run["seconds"] is None else f"{run['seconds']:.0f} s" for run in runs)
    print(f"Seeds: {seeds}; wall time per run: {times}")
    print()
    print("| split | before SFT | after SFT | after GRPO | GRPO gain (min .. max) |")
    print("|---|---|---|---|---|")
    for split, entry in table.items():
        gain = entry.get("gain")
        shown = "–" if gain is None else f"{gain['mean']:+5.1f} ({gain['min']:+.1f} .. {gain['max']:+.1f})"
        print(f"| {split} | {_cell(entry.get('before_sft'))} | {_cell(entry.get('after_sft'))} | "
              f"{_cell(entry.get('after_grpo'))} | {shown} |")
    print()
    print("Pass rates in percent (greedy pass@1 over the split's tasks), mean ± standard deviation over the seeds.")
    for split in GOAL_SPLITS:
        gain = table.get(split, {}).get("gain")
        if gain is None:
            print(f"Goal: split '{split}' was not evaluated (a dataset with declared splits, such as families, has it)")
        else:
            met = "met" if gain["mean"] >= goal else "NOT met"
            print(f"Goal: GRPO lifts '{split}' by at least {goal:g} points on average: {gain['mean']:+.1f} ({met})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs, with seeds 0..N-1 (default 3)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="where the runs go (default: a new temporary directory)")
    parser.add_argument("--goal", type=float, default=10.0, help="GRPO's required mean gain in points (default 10)")
    parser.add_argument("--json", action="store_true", help="print every run's figures as JSON")
    parser.add_argument("--read", action="store_true",
                        help="read the finished runs in --out (seed-S) instead of running them: seeds run apart, "
                             "such as in several processes at once, reported together")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides for every run")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.read and (args.out is None or args.overrides):
        parser.error("--read needs --out, the folder of the runs, and takes no overrides (the runs were made)")
    out = args.out or Path(tempfile.mkdtemp(prefix="codekiln-learning-"))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    runs = [read_seed(seed, out) if args.read else run_seed(seed, out, args.overrides) for seed in seeds]
    table = split_table(runs)
    if args.json:
        print(json.dumps({"runs": runs, "splits": table, "overrides": args.overrides}, indent=2))
    else:
        print_report(runs, table, args.goal)
        print(f"Runs: {out}")


if __name__ == "__main__":
    main()
