"""Data-parallel training: two processes on CPU with the gloo backend, started by torchrun."""

from __future__ import annotations

import json
import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_gloo_processes_train_one_run(tiny_run, tmp_path):
    run_dir = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(_free_port()), "-m", "codekiln", "train", "--no-progress",
               *tiny_run("eval.samples=2", "eval.temperature=0.8", "verifier.workers=1", "threads=1",
                         run_dir=run_dir)]
    process = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]

    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    grpo = [r for r in rows if "reward/total" in r]
    assert [r["grpo/step"] for r in grpo] == [1.0, 2.0]  # rank 0 alone writes: one row per step
    # Each step's groups came from both processes: a full step and both ranks' tasks in the choices log.
    assert all(r["grpo/groups_kept"] == 1.0 for r in grpo)
    choices = [json.loads(line) for line in (run_dir / "curriculum.jsonl").read_text().splitlines()]
    assert [len(c["chosen"]) for c in choices] == [2, 2]
    assert "| processes | 2 |" in (run_dir / "summary.md").read_text()
    assert (run_dir / "final" / "model.safetensors").exists()
    # Each rank evaluated half the tasks; the rates and pass@k are recomputed over the gathered groups.
    for evaluation in (json.loads(line) for line in (run_dir / "evaluations.jsonl").read_text().splitlines()):
        assert evaluation["problems"] == 12
        assert {"pass@1", "pass@2", "pass@1/python", "pass@2/python"} <= evaluation.keys()
        assert evaluation["pass@1"] <= evaluation["pass@2"]
