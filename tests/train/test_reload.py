"""A run's saved model reproduces the run's own evaluation when loaded back, by codekiln and by plain
transformers: the prompt format it was trained with travels with it."""

from __future__ import annotations

import json

import torch

from codekiln.config import ModelConfig, load_config
from codekiln.plugins import make_plugins
from codekiln.train.checkpoint import latest_checkpoint
from codekiln.train.policy import PROMPT_FORMAT_FILE, load_policy
from codekiln.train.trainer import train


def _evaluate_only(overrides):
    return train(load_config(None, [*overrides, "sft.epochs=0", "grpo.steps=0"]), make_plugins(),
                 show_progress=False)


def test_final_model_loaded_back_scores_what_the_run_measured(tiny_run, tmp_path):
    run = train(load_config(None, tiny_run("sft.epochs=3", "grpo.steps=1")), make_plugins(), show_progress=False)
    final = run.run_dir / "final"
    assert json.loads((final / PROMPT_FORMAT_FILE).read_text()) == {"prompt_format": "completion"}

    # The embedded default's tokenizer has a chat template the run never used: saved without it, "auto"
    # anywhere (codekiln, or a transformers user) prompts the model as it was trained.
    from transformers import AutoTokenizer

    assert not AutoTokenizer.from_pretrained(final).chat_template
    assert load_policy(ModelConfig(path=str(final)), device=torch.device("cpu")).prompt_format == "completion"
    # A checkpoint's model is a model.path too, saved the same way: the last one is the final model.
    checkpoint = latest_checkpoint(run.run_dir) / "model"
    assert not AutoTokenizer.from_pretrained(checkpoint).chat_template
    last = load_policy(ModelConfig(path=str(checkpoint)), device=torch.device("cpu"))
    assert last.prompt_format == "completion"
    assert all(torch.equal(a, b) for a, b in zip(last.model.state_dict().values(),
                                                 load_policy(ModelConfig(path=str(final)),
                                                             device=torch.device("cpu")).model.state_dict().values()))

    reloaded = _evaluate_only(tiny_run(f"model.path={final}", run_dir=tmp_path / "reloaded"))
    measured, again = run.evaluations["after_grpo"], reloaded.evaluations["before_sft"]
    assert measured.keys() == again.keys()
    assert {k: v for k, v in again.items() if not k.startswith("time")} == \
        {k: v for k, v in measured.items() if not k.startswith("time")}
