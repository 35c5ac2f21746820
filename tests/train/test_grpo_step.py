"""The GRPO step's bookkeeping: which tokens count (masked and truncated samples), the advantages each row
gets, and dynamic sampling dropping groups without a learning signal."""

from __future__ import annotations

import json

import pytest
import torch

from codekiln.config import ModelConfig, load_config
from codekiln.curricula import Task
from codekiln.plugins import make_plugins
from codekiln.problem import Problem
from codekiln.train.batching import pack_rows
from codekiln.train.completions import Completion
from codekiln.train.distributed import World
from codekiln.train.grpo import GRPOStep, ScoredGroup
from codekiln.train.policy import load_policy
from codekiln.train.rollout import Rollout
from codekiln.train.trainer import train
from codekiln.verdict import RewardBreakdown, Verdict, VerdictStatus


@pytest.fixture(scope="module")
def tokenizer(model_cache, plugins):
    return load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins).tokenizer


def _rollout(tokenizer, completion: str, *, status=VerdictStatus.PASSED, masked=False, truncated=False) -> Rollout:
    ids = tuple(tokenizer(completion, add_special_tokens=False)["input_ids"])
    task = Task(Problem(id="p", description="d"), "python")
    return Rollout(task, "Write it:\n```python\n", Completion(completion, ids, truncated), completion,
                   Verdict(status, "python", masked=masked))


def _breakdown(total: float, masked: bool = False) -> RewardBreakdown:
    return RewardBreakdown(components={"all_tests": total}, weights={"all_tests": 1.0}, total=total, masked=masked)


def _step(tokenizer, *overrides: str) -> GRPOStep:
    config = load_config(None, ["grpo.group_size=4", *overrides])
    return GRPOStep(config=config, model=None, policy_model=None, tokenizer=tokenizer, generator=None,
                    verifier=None, rewards=None, curriculum=None, optimizer=None, scheduler=None,
                    device=torch.device("cpu"), world=World(), prompt_for=None)


def test_masked_and_truncated_samples_do_not_count(tokenizer):
    group = ScoredGroup(
        rollouts=[_rollout(tokenizer, "return 1"), _rollout(tokenizer, "return 2", status=VerdictStatus.WRONG_ANSWER),
                  _rollout(tokenizer, "return 3", status=VerdictStatus.INFRA_ERROR, masked=True),
                  _rollout(tokenizer, "return 4", status=VerdictStatus.WRONG_ANSWER, truncated=True)],
        breakdowns=[_breakdown(1.0), _breakdown(0.0), _breakdown(0.0, masked=True), _breakdown(0.0)],
    )
    assert group.rewards[:2] == [1.0, 0.0] and str(group.rewards[2]) == "nan"

    rows, advantages = _step(tokenizer, "grpo.mask_truncated=true")._rows([group])
    counted = rows.loss_mask.sum(dim=1).tolist()
    completion_tokens = [len(r.completion.token_ids) for r in group.rollouts]
    assert counted == [completion_tokens[0], completion_tokens[1], 0, 0]
    # Valid rewards 1, 0, 0 (the masked sample leaves the group): mean 1/3, unbiased std 0.5774.
    assert advantages[0].item() == pytest.approx((1 - 1 / 3) / (0.57735 + 1e-4), abs=1e-3)
    assert advantages[1].item() == pytest.approx((0 - 1 / 3) / (0.57735 + 1e-4), abs=1e-3)
    assert advantages[2].item() == 0.0

    rows, _ = _step(tokenizer)._rows([group])  # truncated completions count unless asked otherwise
    assert rows.loss_mask.sum(dim=1).tolist()[3] == completion_tokens[3]


def test_equal_reward_groups_are_recognised(tokenizer):
    same = ScoredGroup([_rollout(tokenizer, "x")] * 4, [_breakdown(0.5)] * 4)
    mixed = ScoredGroup([_rollout(tokenizer, "x")] * 4, [_breakdown(0.5)] * 3 + [_breakdown(1.0)])
    assert GRPOStep._all_equal(same) and not GRPOStep._all_equal(mixed)


def test_dynamic_sampling_drops_and_refills_groups(tiny_run):
    # The untrained default model fails every sample, so every group's rewards are equal: each round's groups
    # are dropped, refills are drawn up to the limit, and no update is made.
    result = train(load_config(None, tiny_run("sft.enabled=false", "eval.enabled=false", "grpo.steps=1",
                                              "grpo.filter_equal_groups=true", "grpo.max_refill_rounds=2")),
                   make_plugins(), show_progress=False)
    (row,) = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert row["reward/total"] == 0.0
    assert row["groups_filtered"] == 6.0  # 2 prompts per round, 3 rounds
    assert row["grpo/groups_kept"] == 0.0
    assert "grad_norm" not in row
    choices = json.loads((result.run_dir / "curriculum.jsonl").read_text())
    assert len(choices["chosen"]) == 6


def test_packed_rows_count_only_answers():
    rows = pack_rows([([1, 2], [3, 4]), ([5], [6, 7]), ([8, 9, 10], [11])], length=7, pad_id=0)
    # Row 1: 1 2 3 4 5 6 7 (labels 2..7 count where they are answer tokens: 3 4 6 7); row 2: 8 9 10 11 + pad.
    assert rows.input_ids.tolist() == [[1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 0, 0, 0]]
    assert rows.loss_mask.tolist() == [[0, 1, 1, 0, 1, 1], [0, 0, 1, 0, 0, 0]]
    assert rows.attention_mask.tolist() == [[1] * 7, [1, 1, 1, 1, 0, 0, 0]]
    assert rows.labels.tolist()[1] == [-100, -100, -100, 11, -100, -100, -100]
