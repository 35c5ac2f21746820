"""torch's CPU threads per phase: every core for SFT and the update, half while the verifier works beside it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch

from codekiln import hookimpl
from codekiln.config import load_config
from codekiln.plugins import PluginInfo, make_plugins
from codekiln.rewards import Reward
from codekiln.train import threads
from codekiln.train.trainer import train

CORES = 4  # os.cpu_count() as the tests see it, so that "every core" and "half" differ on any machine


@pytest.fixture(autouse=True)
def four_cores(monkeypatch):
    monkeypatch.setattr(threads.os, "cpu_count", lambda: CORES)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_alone_takes_every_core_beside_the_verifier_half_and_a_configured_count_always():
    assert threads.alone(0) == CORES
    assert threads.beside_verifier(0) == CORES // 2
    assert threads.alone(3) == threads.beside_verifier(3) == 3


def test_sharing_cores_restores_the_count_it_found_even_on_an_error():
    torch.set_num_threads(3)
    with pytest.raises(RuntimeError), threads.sharing_cores(0, torch.device("cpu")):
        assert torch.get_num_threads() == CORES // 2
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 3


class _ThreadsSeen(Reward):
    """Records torch's threads while GRPO scores its samples (inside the rollout); rewards nothing."""

    name = "threads_seen"
    seen: list[int] = []

    def __call__(self, completions: Sequence[str], **columns) -> list[float | None]:
        type(self).seen.append(torch.get_num_threads())
        return [0.0] * len(completions)


class _Recorder:
    def __init__(self) -> None:
        self.sft: list[int] = []

    @hookimpl
    def codekiln_register_rewards(self, registry):
        registry.register(_ThreadsSeen)

    @hookimpl
    def codekiln_step_finished(self, run_dir, step, metrics):
        if "sft/loss" in metrics:
            self.sft.append(torch.get_num_threads())


@pytest.mark.parametrize(("configured", "sft", "rollout"), [(0, CORES, CORES // 2), (3, 3, 3)])
def test_a_run_trains_on_every_core_and_samples_on_half(tiny_run, configured, sft, rollout):
    recorder = _Recorder()
    plugins = make_plugins()
    plugins.register(recorder, PluginInfo("threads-recorder", "<test>", "0", __name__))
    _ThreadsSeen.seen = []
    config = load_config(None, tiny_run(f"threads={configured}", "rewards={all_tests: 1.0, threads_seen: 0.0}",
                                        "eval.enabled=false", "grpo.checkpoint_every=0",
                                        "verifier.workers=1"))  # the recorder lives in this process only
    train(config, plugins, show_progress=False)
    assert recorder.sft and set(recorder.sft) == {sft}
    assert _ThreadsSeen.seen and set(_ThreadsSeen.seen) == {rollout}
    assert torch.get_num_threads() == sft  # the update ran with every core again
