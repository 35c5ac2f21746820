"""codekiln's GRPO objective against TRL's ``GRPOTrainer``, through the whole step.

One batch (three prompts of different lengths, four completions each, fixed token ids and rewards, one group
with all rewards equal) goes through both frameworks on two copies of one tiny random Qwen2:

- codekiln: :meth:`GRPOStep._update`, the step's own update (its rows, padding and masks, group advantages,
  log-probabilities at the sampling temperature, micro-batches, the loss), with a zero learning rate so the
  gradients stay in place to be read;
- TRL: its own ``_generate_and_score_completions`` (padding, masks, advantages; the completions come from a
  ``rollout_func``, TRL's hook for a custom generator) and ``compute_loss``.

The losses, the advantages and the gradient of every parameter must agree. Where the two differ by design
(docs/training/index.md, "GRPO vs TRL"), only what they share is compared. A last test runs several whole
steps through each trainer's own loop (TRL's ``train()``: its sampler, gradient accumulation, AdamW, schedule
and clipping) on the same samples, and compares the weights they end at.
"""

from __future__ import annotations

import pytest
import torch

from codekiln.config import ModelConfig, load_config
from codekiln.curricula import Task
from codekiln.problem import Problem
from codekiln.train import objectives
from codekiln.train.completions import Completion
from codekiln.train.distributed import World
from codekiln.train.generation import HFGenerator
from codekiln.train.grpo import GRPOStep, ScoredGroup
from codekiln.train.policy import Policy, load_policy
from codekiln.train.rollout import Rollout
from codekiln.verdict import RewardBreakdown, Verdict, VerdictStatus

trl = pytest.importorskip("trl", reason="TRL comes with the 'bench' extra")
datasets = pytest.importorskip("datasets", reason="datasets comes with the 'bench' extra")
transformers = pytest.importorskip("transformers", reason="transformers comes with the 'train' extra")

GROUP = 4
#: Not 1, so that a side which forgot to divide the logits by the sampling temperature would disagree.
TEMPERATURE = 0.7
PROMPTS = ["Write add(a, b).\n```python\n", "Return the longest word of a sentence, the first on ties.\n```python\n",
           "Return x squared.\n```python\n"]
COMPLETIONS = [
    "def add(a, b):\n    return a + b\n```",
    "def add(a, b):\n    return a - b\n```",
    "return",
    "def add(a, b):\n    \"\"\"Sum.\"\"\"\n    return b + a\n```",
    "def longest(s):\n    return max(s.split(), key=len)\n```",
    "def longest(s):\n    return s\n```",
    "def longest(s):\n    words = s.split()\n    return sorted(words, key=len)[-1]\n```",
    "pass\n```",
    "def square(x):\n    return x * x\n```",
    "def square(x):\n    return x ** 2\n```",
    "def square(x): return x*x\n```",
    "square = lambda x: x * x\n```",
]
#: The third group's rewards are all equal: advantage 0, so codekiln skips its rows' passes (no KL term), and
#: the gradient must still be TRL's, whose normalisers count those rows.
REWARDS = [1.0, 0.0, 0.1, 1.0, 0.9, 0.0, 0.4, 0.0, 1.0, 1.0, 1.0, 1.0]


@pytest.fixture(scope="module")
def tokenizer(model_cache, plugins):
    """The embedded default's byte-level BPE tokenizer (built in code from the built-in problems)."""
    return load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins).tokenizer


@pytest.fixture(scope="module")
def weights(tokenizer):
    """A random 2-layer Qwen2's state, in float64 so that the two sides' different orders of summation stay far
    below the tolerance."""
    torch.manual_seed(0)
    return _model(tokenizer).state_dict()


def _model(tokenizer, state=None):
    config = transformers.Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    model = transformers.Qwen2ForCausalLM(config).to(torch.float64)
    if state is not None:
        model.load_state_dict(state)
    return model


def _completion_ids(tokenizer) -> list[list[int]]:
    return [tokenizer(text, add_special_tokens=False)["input_ids"] for text in COMPLETIONS]


def _groups(tokenizer) -> list[ScoredGroup]:
    groups = []
    ids = _completion_ids(tokenizer)
    for index, prompt in enumerate(PROMPTS):
        part = range(index * GROUP, (index + 1) * GROUP)
        task = Task(Problem(id=f"p{index}", description=prompt), "python")
        rollouts = [Rollout(task, prompt, Completion(COMPLETIONS[i], tuple(ids[i]), False), COMPLETIONS[i],
                            Verdict(VerdictStatus.WRONG_ANSWER, "python")) for i in part]
        breakdowns = [RewardBreakdown(components={"given": REWARDS[i]}, weights={"given": 1.0}, total=REWARDS[i])
                      for i in part]
        groups.append(ScoredGroup(rollouts, breakdowns))
    return groups


def _grpo_step(config, model, tokenizer, optimizer, *, scheduler=None, reference=None) -> GRPOStep:
    """codekiln's GRPO step on ``model`` for :meth:`GRPOStep._update` alone: no generation, verifier or curriculum."""
    return GRPOStep(config=config, model=model, policy_model=model, tokenizer=tokenizer,
                    generator=HFGenerator(Policy(model, tokenizer, "in memory", False)), verifier=None, rewards=None,
                    curriculum=None, optimizer=optimizer, scheduler=scheduler, device=torch.device("cpu"),
                    world=World(), prompt_for=None, reference_model=reference)


def codekiln_update(tokenizer, weights, *, aggregation: str, scale: bool, micro_batch: int, overrides=(),
                    reference=None):
    """The loss, the advantages and every parameter's gradient from codekiln's GRPO update."""
    model = _model(tokenizer, weights)
    config = load_config(None, [f"grpo.group_size={GROUP}", f"grpo.loss_aggregation={aggregation}",
                                f"grpo.scale_rewards={str(scale).lower()}", f"grpo.micro_batch_size={micro_batch}",
                                "grpo.max_grad_norm=1e12", f"generation.temperature={TEMPERATURE}", *overrides])
    step = _grpo_step(config, model, tokenizer, torch.optim.SGD(model.parameters(), lr=0.0), reference=reference)
    groups = _groups(tokenizer)
    stats = step._update(groups, step=1)
    _, advantages = step._rows(groups)
    return stats, advantages, {name: p.grad for name, p in model.named_parameters()}


def trl_loss(tokenizer, weights, tmp_path, *, loss_type: str, scale_rewards: str):
    """The loss, the advantages and every parameter's gradient from TRL's GRPOTrainer."""
    model = _model(tokenizer, weights)
    prompts = [prompt for prompt in PROMPTS for _ in range(GROUP)]
    prompt_ids = [tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in prompts]

    def rollout(asked: list[str], trainer) -> dict:
        assert asked == prompts
        return {"prompt_ids": prompt_ids, "completion_ids": _completion_ids(tokenizer), "logprobs": None}

    def given(completions, reward, **_) -> list[float]:
        return list(reward)

    args = trl.GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none", save_strategy="no",
                          per_device_train_batch_size=len(prompts), gradient_accumulation_steps=1,
                          num_generations=GROUP, temperature=TEMPERATURE, beta=0.0, epsilon=0.2, epsilon_high=0.28,
                          loss_type=loss_type, scale_rewards=scale_rewards, max_completion_length=64)
    trainer = trl.GRPOTrainer(model=model, reward_funcs=[given], args=args, processing_class=tokenizer,
                              train_dataset=datasets.Dataset.from_dict({"prompt": PROMPTS,
                                                                        "reward": [0.0] * len(PROMPTS)}),
                              rollout_func=rollout)
    trainer.model.train()
    inputs = trainer._generate_and_score_completions(
        [{"prompt": p, "reward": r} for p, r in zip(prompts, REWARDS)])
    trainer.current_gradient_accumulation_steps = 1  # set by Trainer's loop at each optimiser step
    loss = trainer.compute_loss(trainer.model, inputs)
    loss.backward()
    return float(loss), inputs["advantages"], {name: p.grad for name, p in model.named_parameters()}


def _assert_same_gradients(ours: dict, theirs: dict) -> None:
    assert ours.keys() == theirs.keys()
    for name, grad in ours.items():
        assert grad is not None and theirs[name] is not None, name
        # TRL's fused log-prob kernel accumulates in float32 (relative error ~1e-6 here); a real difference is
        # far larger (TRL's default bfloat16 autocast on the CPU gave 5e-3).
        atol = 1e-5 * float(grad.abs().max())
        torch.testing.assert_close(grad, theirs[name], rtol=0, atol=atol, msg=lambda m, name=name: f"{name}: {m}")
    # The batch moves the model: equal all-zero gradients would prove nothing.
    assert sum(float(g.abs().sum()) for g in ours.values()) > 1e-3


@pytest.mark.parametrize("scale", [True, False], ids=["scaled", "unscaled"])
@pytest.mark.parametrize(("aggregation", "loss_type"), [("token", "dapo"), ("token", "bnpo"), ("sequence", "grpo")])
def test_loss_and_gradients_equal_trl(tokenizer, weights, tmp_path, aggregation, loss_type, scale):
    # One micro-batch holds the whole step, as TRL's single forward does: per-micro-batch normalisation (bnpo,
    # grpo) and whole-batch normalisation (dapo) agree there.
    stats, advantages, grads = codekiln_update(tokenizer, weights, aggregation=aggregation, scale=scale,
                                               micro_batch=len(COMPLETIONS))
    loss, trl_advantages, trl_grads = trl_loss(tokenizer, weights, tmp_path, loss_type=loss_type,
                                               scale_rewards="group" if scale else "none")
    torch.testing.assert_close(advantages, trl_advantages.float(), rtol=1e-6, atol=1e-6)
    # On policy the ratio is 1, so the loss is -(mean advantage): about 0 per sequence, where float32 rounding
    # sets the scale.
    assert stats["loss"] == pytest.approx(loss, rel=1e-6, abs=1e-6)
    _assert_same_gradients(grads, trl_grads)


@pytest.mark.parametrize("aggregation", ["token", "sequence"])
def test_micro_batches_add_up_to_the_whole_batch(tokenizer, weights, tmp_path, aggregation):
    # codekiln normalises every micro-batch by the whole step's tokens (or sequences), so its gradient does not
    # depend on the micro-batch size: it equals TRL's one-forward gradient at a size that splits groups.
    stats, _, grads = codekiln_update(tokenizer, weights, aggregation=aggregation, scale=True, micro_batch=3)
    loss, _, trl_grads = trl_loss(tokenizer, weights, tmp_path, loss_type="dapo" if aggregation == "token" else "grpo",
                                  scale_rewards="group")
    _assert_same_gradients(grads, trl_grads)
    assert stats["loss"] == pytest.approx(loss, rel=1e-6, abs=1e-6)  # the logged loss is the step's, too
    assert stats["trained_fraction"] == pytest.approx(8 / 12)  # the equal-reward group was not run


@pytest.mark.parametrize("setting", ["old-logprobs", "reference"])
def test_old_and_reference_logprobs_line_up_with_trimmed_micro_batches(tokenizer, weights, tmp_path, setting):
    # Several updates per batch take the ratio against log-probabilities computed before the first update; a KL
    # term takes them from the reference model. Both are computed over the whole, untrimmed rows, in the order
    # the update runs them, and each micro-batch slices its part. With the learning rate 0 the old model is the
    # model and a reference with the same weights has KL 0 with gradient 0, so the gradient must still be TRL's
    # (beta 0): a row or a column out of line would change the ratio or the KL term.
    if setting == "old-logprobs":
        overrides, reference = ["grpo.updates_per_batch=2"], None
    else:
        overrides, reference = ["grpo.kl_coef=0.05"], _model(tokenizer, weights)
    stats, _, grads = codekiln_update(tokenizer, weights, aggregation="token", scale=True, micro_batch=3,
                                      overrides=overrides, reference=reference)
    loss, _, trl_grads = trl_loss(tokenizer, weights, tmp_path, loss_type="dapo", scale_rewards="group")
    _assert_same_gradients(grads, trl_grads)
    assert stats["loss"] == pytest.approx(loss, rel=1e-6, abs=1e-6)
    # With a KL term no row is skipped: the equal-reward group's rows are pulled towards the reference too.
    assert stats["trained_fraction"] == pytest.approx(8 / 12 if reference is None else 1.0)


STEPS = 3
LEARNING_RATE = 1e-3


def codekiln_weights_after_steps(tokenizer, weights) -> dict:
    """The weights after ``STEPS`` of codekiln's GRPO update on the batch, with the trainer's optimiser and
    schedule (:func:`objectives.optimizer_and_schedule`), TRL's micro-batch count and gradient clipping."""
    model = _model(tokenizer, weights)
    config = load_config(None, [f"grpo.group_size={GROUP}", "grpo.loss_aggregation=token", "grpo.scale_rewards=true",
                                "grpo.micro_batch_size=4", "grpo.max_grad_norm=1.0", f"grpo.steps={STEPS}",
                                f"grpo.learning_rate={LEARNING_RATE}", "grpo.lr_schedule=constant",
                                f"generation.temperature={TEMPERATURE}"])
    grpo = config.grpo
    optimizer, scheduler = objectives.optimizer_and_schedule(
        model.parameters(), learning_rate=grpo.learning_rate, schedule=grpo.lr_schedule,
        warmup_steps=grpo.warmup_steps, total_steps=grpo.steps)
    step = _grpo_step(config, model, tokenizer, optimizer, scheduler=scheduler)
    for number in range(1, STEPS + 1):
        step._update(_groups(tokenizer), step=number)
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def trl_weights_after_steps(tokenizer, weights, tmp_path) -> dict:
    """The weights after ``STEPS`` of TRL's own training loop (``GRPOTrainer.train``: the sampler, gradient
    accumulation over three micro-batches, ``Trainer``'s AdamW, schedule and clipping), every step rolling out
    the same completions for the prompts it draws, in whatever order it draws them."""
    model = _model(tokenizer, weights)
    ids = _completion_ids(tokenizer)
    by_prompt = {prompt: ids[index * GROUP:(index + 1) * GROUP] for index, prompt in enumerate(PROMPTS)}
    reward_of = {tuple(completion): reward for completion, reward in zip(ids, REWARDS)}

    def rollout(asked: list[str], trainer) -> dict:
        assert sorted(set(asked)) == sorted(PROMPTS) and len(asked) == len(COMPLETIONS)
        given_so_far: dict[str, int] = {}
        completions = []
        for prompt in asked:  # each prompt's GROUP copies, in the sampler's order
            index = given_so_far.get(prompt, 0)
            completions.append(by_prompt[prompt][index])
            given_so_far[prompt] = index + 1
        return {"prompt_ids": [tokenizer(p, add_special_tokens=False)["input_ids"] for p in asked],
                "completion_ids": completions, "logprobs": None}

    def given(completions, completion_ids, **_) -> list[float]:
        return [reward_of[tuple(completion)] for completion in completion_ids]

    args = trl.GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none", save_strategy="no",
                          disable_tqdm=True, max_steps=STEPS, per_device_train_batch_size=4,
                          gradient_accumulation_steps=len(COMPLETIONS) // 4, num_generations=GROUP,
                          temperature=TEMPERATURE, beta=0.0, epsilon=0.2, epsilon_high=0.28, loss_type="dapo",
                          scale_rewards="group", max_completion_length=64, learning_rate=LEARNING_RATE,
                          lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
                          optim="adamw_torch", num_iterations=1, logging_steps=1)
    trainer = trl.GRPOTrainer(model=model, reward_funcs=[given], args=args, processing_class=tokenizer,
                              train_dataset=datasets.Dataset.from_dict({"prompt": PROMPTS}), rollout_func=rollout)
    trainer.train()
    assert trainer.state.global_step == STEPS
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_several_optimiser_steps_end_at_trls_weights(tokenizer, weights, tmp_path):
    # The gradient tests above stop before the optimiser. This one runs the rest of the step as each trainer runs
    # it, several times: AdamW's settings and state, the learning-rate schedule, clipping, and TRL's gradient
    # accumulation against codekiln's micro-batches; the same samples must give the same weights.
    start = {name: value.clone() for name, value in weights.items()}
    ours = codekiln_weights_after_steps(tokenizer, weights)
    theirs = trl_weights_after_steps(tokenizer, weights, tmp_path)
    moved = sum(float((ours[name] - start[name]).pow(2).sum()) for name in ours) ** 0.5
    apart = sum(float((ours[name] - theirs[name]).pow(2).sum()) for name in ours) ** 0.5
    assert moved > 1e-3  # STEPS of AdamW at LEARNING_RATE move a random model visibly
    # TRL's float32 log-prob kernel (see _assert_same_gradients) leaves a relative difference of about 1e-6; an
    # optimiser setting that differed (betas, epsilon, decay, the schedule, a missed clip) moves it by 1e-2 or more.
    assert apart < 1e-4 * moved, f"weights {apart:.3g} apart after {STEPS} steps that moved them {moved:.3g}"
