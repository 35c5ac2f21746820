"""GRPO moves the policy the right way: one update raises the log-probabilities of the completions with a
positive advantage and lowers the others', and a run through the trainer learns an easy reward."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
import torch

from codekiln import hookimpl
from codekiln.config import ModelConfig, load_config
from codekiln.curricula import Task
from codekiln.plugins import PluginInfo, make_plugins
from codekiln.problem import Problem
from codekiln.rewards import Reward
from codekiln.train import objectives
from codekiln.train.completions import Completion
from codekiln.train.distributed import World
from codekiln.train.generation import HFGenerator
from codekiln.train.grpo import GRPOStep, ScoredGroup
from codekiln.train.policy import Policy, load_policy
from codekiln.train.rollout import Rollout
from codekiln.train.sft import example_rows, sft_loss, tokenize_examples
from codekiln.train.trainer import train
from codekiln.verdict import RewardBreakdown, Verdict, VerdictStatus

transformers = pytest.importorskip("transformers", reason="transformers comes with the 'train' extra")

TEMPERATURE = 0.7
PROMPT = "Write add(a, b).\n```python\n"
COMPLETIONS = ["def add(a, b):\n    return a + b\n```", "return a - b\n```", "pass\n```",
               "def add(a, b):\n    \"\"\"Sum.\"\"\"\n    return b + a\n```"]
REWARDS = [1.0, 0.0, 0.0, 1.0]


@pytest.fixture(scope="module")
def tokenizer(model_cache, plugins):
    return load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins).tokenizer


def _sequence_logprobs(model, rows) -> torch.Tensor:
    """Each row's summed completion log-probability at the sampling temperature."""
    with torch.no_grad():
        logits = model(input_ids=rows.input_ids, attention_mask=rows.attention_mask).logits[:, :-1]
        logprobs = objectives.token_logprobs(logits, rows.input_ids[:, 1:], temperature=TEMPERATURE)
    return (logprobs * rows.loss_mask).sum(dim=1)


def _tiny_step(tokenizer, *overrides: str, sft_examples=()) -> tuple[GRPOStep, object]:
    """A GRPO step on a small random model (seeded), and the model."""
    torch.manual_seed(0)
    config = transformers.Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
    model = transformers.Qwen2ForCausalLM(config)
    step = GRPOStep(config=load_config(None, ["grpo.group_size=4", *overrides]),
                    model=model, policy_model=model, tokenizer=tokenizer,
                    generator=HFGenerator(Policy(model, tokenizer, "in memory", False)), verifier=None, rewards=None,
                    curriculum=None, optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0),
                    scheduler=None, device=torch.device("cpu"), world=World(), prompt_for=None,
                    sft_examples=sft_examples)
    return step, model


def _group(tokenizer, completions: Sequence[str], rewards: Sequence[float]) -> ScoredGroup:
    task = Task(Problem(id="add", description="add"), "python")
    return ScoredGroup(
        [Rollout(task, PROMPT, Completion(text, tuple(tokenizer(text, add_special_tokens=False)["input_ids"]), False),
                 text, Verdict(VerdictStatus.WRONG_ANSWER, "python")) for text in completions],
        [RewardBreakdown(components={"given": r}, weights={"given": 1.0}, total=r) for r in rewards])


def test_one_update_raises_positive_and_lowers_negative_advantage_completions(tokenizer):
    step, model = _tiny_step(tokenizer, f"generation.temperature={TEMPERATURE}")
    group = _group(tokenizer, COMPLETIONS, REWARDS)
    rows, advantages = step._rows([group])
    before = _sequence_logprobs(model, rows)
    step._update([group], step=1)
    change = _sequence_logprobs(model, rows) - before
    assert (advantages > 0).tolist() == [True, False, False, True]
    assert (change[advantages > 0] > 0).all() and (change[advantages < 0] < 0).all(), change.tolist()


@pytest.mark.parametrize("sft_coef", [0.0, 1.0])
def test_the_sft_term_pulls_towards_the_references_and_only_it(tokenizer, sft_coef):
    # Equal rewards: every advantage is 0, so the policy term moves nothing and any change is the SFT term's.
    references, _ = tokenize_examples([(PROMPT, COMPLETIONS[0]), (PROMPT, COMPLETIONS[3])], tokenizer, 512)
    step, model = _tiny_step(tokenizer, f"grpo.sft_coef={sft_coef}", sft_examples=references)
    group = _group(tokenizer, COMPLETIONS[1:3] * 2, [0.0] * 4)
    rows = example_rows(references, tokenizer.pad_token_id)
    with torch.no_grad():
        before = float(sft_loss(model, rows))
    stats = step._update([group], step=1)
    with torch.no_grad():
        after = float(sft_loss(model, rows))
    if sft_coef:
        assert stats["sft_loss"] == pytest.approx(before, rel=1e-4)  # both references drawn (batch 8 > 2)
        assert after < before - 0.01
    else:
        assert "sft_loss" not in stats and after == pytest.approx(before, abs=1e-6)


# -- learning an easy reward, through the whole trainer ------------------------------------------------------


class StartsWithLetter(Reward):
    """1.0 when the answer's first character is a letter: about a third of the random default's samples."""

    name = "starts_with_letter"

    def __call__(self, completions: Sequence[str], **columns) -> list[float | None]:
        return [1.0 if text[:1].isalpha() else 0.0 for text in completions]


class _LetterPlugin:
    @hookimpl
    def codekiln_register_rewards(self, registry):
        registry.register(StartsWithLetter)


@pytest.mark.slow
def test_grpo_learns_an_easy_reward(model_cache, tmp_path):
    # The untrained embedded default, 4 prompts x 8 two-token answers per step. Measured (seeded, so repeatable
    # on the CPU): about 0.37 over the first 4 steps, 0.94 at step 15, 1.0 from step 16 on (at the learning
    # rate 3e-3 it took 24 steps to get there); about 1.5 minutes on 2 cores.
    plugins = make_plugins()
    plugins.register(_LetterPlugin(), PluginInfo("letter", "<test>", "0", __name__))
    steps = 18
    config = load_config(None, [
        f"run_dir={tmp_path / 'run'}", f"model.cache_dir={model_cache}", "data.languages=[python]",
        "data.max_difficulty=1", "sft.enabled=false", "eval.enabled=false", "verifier.workers=1",
        "generation.backend=hf", "generation.max_new_tokens=2", "generation.temperature=1.0",
        f"grpo.steps={steps}", "grpo.prompts_per_step=4", "grpo.group_size=8", "grpo.learning_rate=6e-3",
        "grpo.checkpoint_every=0", "rewards={starts_with_letter: 1.0}",
    ])
    result = train(config, plugins, show_progress=False)
    rewards = [json.loads(line)["reward/total"] for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(rewards) == steps
    first, last = sum(rewards[:4]) / 4, sum(rewards[-4:]) / 4
    assert first < 0.5 and last > 0.8, rewards
