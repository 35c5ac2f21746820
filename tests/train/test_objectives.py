"""The GRPO objective against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

from codekiln.errors import ConfigError
from codekiln.train.objectives import (
    equal_reward_groups,
    group_advantages,
    k3_kl,
    lr_lambda,
    policy_loss,
    token_entropy,
    token_logprobs,
)

NAN = float("nan")
SQRT2, SQRT3 = math.sqrt(2), math.sqrt(3)


def close(actual, expected, tol=1e-6):
    torch.testing.assert_close(torch.as_tensor(actual).double(), torch.tensor(expected).double(), atol=tol, rtol=0)


# -- advantages -------------------------------------------------------------------------------------------

# Two groups of three. Group A [1, 2, 3]: mean 2, centred [-1, 0, 1], unbiased variance (1+0+1)/2 = 1.
# Group B [0, 0, 3]: mean 1, centred [-1, -1, 2], unbiased variance (1+1+4)/2 = 3, std √3.
REWARDS = torch.tensor([1.0, 2.0, 3.0, 0.0, 0.0, 3.0])


def test_advantages_scaled_by_the_unbiased_group_std():
    close(group_advantages(REWARDS, 3, eps=0.0), [-1, 0, 1, -1 / SQRT3, -1 / SQRT3, 2 / SQRT3])


def test_advantages_unscaled_are_reward_minus_group_mean():  # Dr. GRPO
    close(group_advantages(REWARDS, 3, scale=False), [-1, 0, 1, -1, -1, 2])


def test_leave_one_out_baseline_is_the_mean_of_the_others():
    # B's third sample: the others are (0, 0), mean 0 -> 3 - 0 = 3. B's first: others (0, 3), mean 1.5 ->
    # 0 - 1.5 = -1.5. A's first: others (2, 3), mean 2.5 -> -1.5. Overall n/(n-1) = 1.5 times the centred.
    close(group_advantages(REWARDS, 3, scale=False, leave_one_out=True), [-1.5, 0, 1.5, -1.5, -1.5, 3])
    # Scaled: the same divided by the group std (1 for A, √3 for B).
    expected = [-1.5, 0, 1.5, -1.5 / SQRT3, -1.5 / SQRT3, 3 / SQRT3]
    close(group_advantages(REWARDS, 3, leave_one_out=True, eps=0.0), expected)


def test_default_eps_is_added_to_the_std():
    # [0, 1]: mean 0.5, centred ±0.5, unbiased variance 0.5/1, std √0.5.
    std = math.sqrt(0.5)
    close(group_advantages(torch.tensor([0.0, 1.0]), 2), [-0.5 / (std + 1e-4), 0.5 / (std + 1e-4)])


def test_a_masked_sample_is_left_out_of_its_group_and_gets_zero():
    rewards = torch.tensor([NAN, 1.0, 3.0])
    # Valid [1, 3]: mean 2, centred [-1, 1], unbiased variance 2/1, std √2.
    close(group_advantages(rewards, 3, eps=0.0), [0, -1 / SQRT2, 1 / SQRT2])
    # Leave-one-out with n = 2: 1 - 3 = -2 and 3 - 1 = 2.
    close(group_advantages(rewards, 3, scale=False, leave_one_out=True), [0, -2, 2])


def test_degenerate_groups_get_zero_advantages():
    rewards = torch.tensor([NAN, NAN, 5.0, 2.0, 2.0, 2.0, NAN, NAN, NAN])
    # One valid sample, all equal (centred 0, std 0 -> 0 / eps), none valid.
    for scale in (True, False):
        for leave_one_out in (True, False):
            close(group_advantages(rewards, 3, scale=scale, leave_one_out=leave_one_out), [0.0] * 9)


def test_rewards_that_do_not_split_into_groups_are_refused():
    with pytest.raises(ValueError, match="divisible by group_size=4"):
        group_advantages(torch.zeros(6), 4)


def test_equal_reward_groups():
    rewards = torch.tensor([1, 1, 1, 1, 1, 2, NAN, 3, 3, NAN, NAN, 4, 0, 1e-7, 0])
    assert equal_reward_groups(rewards, 3).tolist() == [True, False, True, True, True]
    assert equal_reward_groups(rewards, 3, atol=0.0).tolist() == [True, False, True, True, False]


# -- log-probabilities, entropy, KL ----------------------------------------------------------------------

LN2 = math.log(2)
# One sequence of two positions over a vocabulary of 3: logits [0, ln 2, 0] -> softmax [1/4, 1/2, 1/4].
LOGITS = torch.tensor([[[0.0, LN2, 0.0], [0.0, LN2, 0.0]]])


def test_token_logprobs():
    close(token_logprobs(LOGITS, torch.tensor([[1, 0]])), [[math.log(0.5), math.log(0.25)]])
    # Temperature 2: logits [0, ln2/2, 0] -> exp [1, √2, 1] -> p(1) = √2 / (2 + √2).
    close(token_logprobs(LOGITS, torch.tensor([[1, 1]]), temperature=2.0), [[math.log(SQRT2 / (2 + SQRT2))] * 2])
    # A -100 label (padding) gives 0 instead of an index error.
    close(token_logprobs(LOGITS, torch.tensor([[-100, 2]])), [[0.0, math.log(0.25)]])


def test_token_logprobs_matches_log_softmax_and_takes_bf16():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 11, generator=generator)
    labels = torch.randint(0, 11, (3, 5), generator=generator)
    expected = torch.log_softmax(logits / 0.7, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(token_logprobs(logits, labels, temperature=0.7), expected)
    result = token_logprobs(logits.bfloat16(), labels)
    assert result.dtype == torch.float32
    torch.testing.assert_close(result, torch.log_softmax(logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1),
                               atol=0.05, rtol=0)


def test_token_logprobs_refuses_bad_input():
    with pytest.raises(ConfigError, match="temperature"):
        token_logprobs(LOGITS, torch.tensor([[1, 0]]), temperature=0.0)
    with pytest.raises(ValueError, match="do not match labels"):
        token_logprobs(LOGITS, torch.tensor([[1, 0, 0]]))


def test_token_entropy():
    # Uniform over 3: ln 3. [1/4, 1/2, 1/4]: -(2 · 1/4 · ln 1/4 + 1/2 · ln 1/2) = ln 2 + ln 2 / 2 = 1.5 ln 2.
    logits = torch.tensor([[[5.0, 5.0, 5.0], [0.0, LN2, 0.0]]])
    close(token_entropy(logits), [[math.log(3), 1.5 * LN2]])


def test_k3_kl():
    # d = ref - lp = ln 0.25 - ln 0.5 = -ln 2: exp(d) - d - 1 = 0.5 + ln 2 - 1.
    close(k3_kl(torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)])), [0.5 + LN2 - 1])
    close(k3_kl(torch.tensor([-1.3, 0.0]), torch.tensor([-1.3, 0.0])), [0.0, 0.0])
    generator = torch.Generator().manual_seed(1)
    assert (k3_kl(torch.randn(100, generator=generator), torch.randn(100, generator=generator)) >= 0).all()


# -- the policy loss ---------------------------------------------------------------------------------------

EPS_LOW, EPS_HIGH = 0.2, 0.28  # clip range [0.8, 1.28]
# old log-probs 0, so ratio = exp(logprobs). Row 0: A = +1, ratios [1.5, 0.5, 1.1]; row 1: A = -2, ratios
# [0.5, 1.5, (masked) 1.0].
RATIOS = [[1.5, 0.5, 1.1], [0.5, 1.5, 1.0]]
ADVANTAGES = torch.tensor([1.0, -2.0])
MASK = torch.tensor([[1, 1, 1], [1, 1, 0]])
# Per-token loss -min(r·A, clip(r)·A):
#   row 0: r 1.5 -> min(1.5, 1.28) = 1.28 (high clip) -> -1.28;  r 0.5 -> min(0.5, 0.8) = 0.5 -> -0.5;
#          r 1.1 -> -1.1
#   row 1: r 0.5 -> min(-1.0, -1.6) = -1.6 (low clip) -> 1.6;    r 1.5 -> min(-3.0, -2.56) = -3.0 -> 3.0
TOKEN_LOSSES = [[-1.28, -0.5, -1.1], [1.6, 3.0]]
# Gradient w.r.t. logprobs: d(-r·A)/dlp = -r·A where the unclipped term is active, 0 where clipped:
#   row 0: [0, -0.5, -1.1]; row 1: [0, 3.0, 0 (masked)].
TOKEN_GRADS = [[0.0, -0.5, -1.1], [0.0, 3.0, 0.0]]


def logprobs_for(ratios):
    return torch.log(torch.tensor(ratios)).requires_grad_()


def loss_of(logprobs, aggregation, **kwargs):
    return policy_loss(logprobs, torch.zeros_like(logprobs), ADVANTAGES, MASK, epsilon_low=EPS_LOW,
                       epsilon_high=EPS_HIGH, aggregation=aggregation, **kwargs)


def test_token_aggregation_with_clipping_on_both_sides():
    logprobs = logprobs_for(RATIOS)
    loss, stats = loss_of(logprobs, "token")
    # (-1.28 - 0.5 - 1.1 + 1.6 + 3.0) / 5 tokens = 1.72 / 5 = 0.344
    close(loss, 0.344)
    loss.backward()
    close(logprobs.grad, [[g / 5 for g in row] for row in TOKEN_GRADS])
    # One high clip (row 0 token 0) and one low clip (row 1 token 0) of 5 tokens; ratios (1.5 + 0.5 + 1.1 +
    # 0.5 + 1.5) / 5 = 1.02.
    assert stats["clip_fraction"] == pytest.approx(0.4)
    assert stats["clip_low_fraction"] == pytest.approx(0.2)
    assert stats["clip_high_fraction"] == pytest.approx(0.2)
    assert stats["ratio_mean"] == pytest.approx(1.02)
    assert "kl" not in stats  # not computed without a reference: not logged as 0
    assert stats["loss"] == pytest.approx(0.344)
    assert stats["tokens"] == 5


def test_sequence_aggregation():
    logprobs = logprobs_for(RATIOS)
    loss, _ = loss_of(logprobs, "sequence")
    # row 0: -2.88 / 3 = -0.96; row 1: 4.6 / 2 = 2.3; (-0.96 + 2.3) / 2 sequences = 0.67
    close(loss, 0.67)
    loss.backward()
    # Each token's gradient divided by its row's token count (3, 2) and by the 2 sequences.
    close(logprobs.grad, [[g / 3 / 2 for g in TOKEN_GRADS[0]], [g / 2 / 2 for g in TOKEN_GRADS[1]]])


def test_kl_penalty_adds_k3_per_token():
    def k3(ratio):  # reference log-probs 0: d = 0 - ln r, so exp(d) - d - 1 = 1/r + ln r - 1
        return 1 / ratio + math.log(ratio) - 1

    kls = [k3(1.5), k3(0.5), k3(1.1), k3(0.5), k3(1.5)]  # the 5 counted tokens
    logprobs = logprobs_for(RATIOS)
    loss, stats = loss_of(logprobs, "token", ref_logprobs=torch.zeros(2, 3), kl_coef=0.1)
    close(loss, 0.344 + 0.1 * sum(kls) / 5)
    assert stats["kl"] == pytest.approx(sum(kls) / 5)
    # With kl_coef 0 the KL is reported but not added.
    loss, stats = loss_of(logprobs_for(RATIOS), "token", ref_logprobs=torch.zeros(2, 3))
    close(loss, 0.344)
    assert stats["kl"] == pytest.approx(sum(kls) / 5)


@pytest.mark.parametrize("aggregation", ["token", "sequence"])
def test_a_masked_row_adds_nothing_not_even_nan(aggregation):
    # A third, fully masked row with garbage: old log-prob -1e4 would make exp(lp - old) overflow to inf.
    logprobs = torch.log(torch.tensor([*RATIOS, [1.0, 1.0, 1.0]])).requires_grad_()
    old = torch.tensor([[0.0] * 3, [0.0] * 3, [-1e4] * 3])
    loss, stats = policy_loss(logprobs, old, torch.tensor([1.0, -2.0, 5.0]), torch.cat([MASK, torch.zeros(1, 3)]),
                              epsilon_low=EPS_LOW, epsilon_high=EPS_HIGH, aggregation=aggregation,
                              ref_logprobs=torch.tensor([[0.0] * 3, [0.0] * 3, [-1e4] * 3]), kl_coef=0.1)
    reference, _ = loss_of(logprobs_for(RATIOS), aggregation, ref_logprobs=torch.zeros(2, 3), kl_coef=0.1)
    close(loss, reference.item())
    loss.backward()
    assert torch.isfinite(logprobs.grad).all()
    assert logprobs.grad[2].abs().sum() == 0
    assert stats["tokens"] == 5


def test_nothing_to_learn_from_gives_zero():
    loss, stats = policy_loss(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2), torch.zeros(2, 2),
                              epsilon_low=0.2, epsilon_high=0.2, aggregation="token")
    assert loss.item() == 0.0 and stats["clip_fraction"] == 0.0 and stats["ratio_mean"] == 0.0


@pytest.mark.parametrize("aggregation", ["token", "sequence"])
def test_micro_batches_sum_to_the_full_batch_loss_and_gradient(aggregation):
    generator = torch.Generator().manual_seed(2)
    weights = torch.randn(6, 5, generator=generator)
    old = weights.detach() + 0.3 * torch.randn(6, 5, generator=generator)  # ratios far enough to clip
    advantages = torch.randn(6, generator=generator)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0],
                         [1, 0, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0]])
    ref = torch.randn(6, 5, generator=generator)
    common = dict(epsilon_low=0.2, epsilon_high=0.28, aggregation=aggregation, kl_coef=0.05)

    full_weights = weights.clone().requires_grad_()
    full, stats = policy_loss(full_weights, old, advantages, mask, ref_logprobs=ref, **common)
    assert 0 < stats["clip_fraction"] < 1
    full.backward()

    totals = dict(total_tokens=mask.sum().item(), total_sequences=(mask.sum(1) > 0).sum().item())
    micro_weights = weights.clone().requires_grad_()
    summed = sum(
        policy_loss(micro_weights[rows], old[rows], advantages[rows], mask[rows], ref_logprobs=ref[rows], **totals,
                    **common)[0]
        for rows in (slice(0, 2), slice(2, 3), slice(3, 6))
    )
    summed.backward()
    torch.testing.assert_close(summed, full)
    torch.testing.assert_close(micro_weights.grad, full_weights.grad)


def test_policy_loss_refuses_bad_input():
    with pytest.raises(ValueError, match="advantages"):
        policy_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3), torch.ones(2, 3),
                    epsilon_low=0.2, epsilon_high=0.2, aggregation="token")
    with pytest.raises(ConfigError, match="unknown loss aggregation 'tokens'; available: sequence, token"):
        policy_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2), torch.ones(2, 3),
                    epsilon_low=0.2, epsilon_high=0.2, aggregation="tokens")


# -- learning-rate schedule --------------------------------------------------------------------------------


def test_lr_lambda_values():
    # Warm-up 2 steps: 0/2, 1/2; then after warm-up progress = (step - 2) / (10 - 2).
    constant = lr_lambda("constant", 2, 10)
    assert [constant(s) for s in (0, 1, 2, 9, 50)] == [0.0, 0.5, 1.0, 1.0, 1.0]
    linear = lr_lambda("linear", 2, 10)
    # step 6: 1 - 4/8 = 0.5; step 10: 0; past the end stays 0.
    assert [linear(s) for s in (1, 2, 6, 10, 12)] == [0.5, 1.0, 0.5, 0.0, 0.0]
    cosine = lr_lambda("cosine", 2, 10)
    # step 4: progress 2/8 -> 0.5 (1 + cos(π/4)) = 0.853553; step 6: 0.5 (1 + cos(π/2)) = 0.5; step 10: 0.
    assert [cosine(s) for s in (4, 6, 10)] == pytest.approx([0.5 * (1 + math.sqrt(0.5)), 0.5, 0.0])
    assert lr_lambda("constant", 0, 0)(0) == 1.0
    assert pickle.loads(pickle.dumps(linear))(6) == 0.5


def test_lr_lambda_drives_lambda_lr():
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda("linear", 2, 4))
    seen = []
    for _ in range(5):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    # 0.1 × [0, 1/2, 1, 1 - 1/2, 0]
    assert seen == pytest.approx([0.0, 0.05, 0.1, 0.05, 0.0])


def test_lr_lambda_refuses_unknown_schedules():
    with pytest.raises(ConfigError, match="unknown learning-rate schedule 'step'; available: constant, cosine, linear"):
        lr_lambda("step", 0, 10)
    with pytest.raises(ConfigError, match=">= 0"):
        lr_lambda("linear", -1, 10)
