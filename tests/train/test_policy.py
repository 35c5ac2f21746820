"""The policy: the embedded default model (built once, reused, rebuilt when its recipe changes, safe to build
from two processes at once), loading a model directory, saving one, and the errors for bad directories."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch
import transformers

from codekiln.config import ModelConfig
from codekiln.datasets import load_dataset
from codekiln.errors import ConfigError
from codekiln.plugins import make_plugins
from codekiln.train import policy as policy_module
from codekiln.train.policy import (
    default_model_dir,
    load_policy,
    mixed_precision,
    resolve_device,
    save_policy,
    weight_dtype,
)

LANGUAGES = ("python", "javascript", "java", "cpp")


@pytest.fixture(scope="module")
def default_dir(model_cache, plugins):
    return default_model_dir(model_cache, plugins)


@pytest.fixture(scope="module")
def default_policy(model_cache, plugins):
    return load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins)


def test_the_default_is_built_once_and_reused(model_cache, default_dir, plugins, monkeypatch):
    stamp = (default_dir / "model.safetensors").stat().st_mtime_ns

    def build_again(*args):
        raise AssertionError("the default model was built a second time")

    monkeypatch.setattr(policy_module, "_build_default_model", build_again)
    assert default_model_dir(model_cache, plugins) == default_dir
    assert (default_dir / "model.safetensors").stat().st_mtime_ns == stamp
    assert not [p for p in model_cache.iterdir() if p.name.startswith(".")], "a temporary build dir was left"


def test_a_changed_recipe_builds_a_new_model(model_cache, default_dir, plugins, monkeypatch):
    built = []
    real_build = policy_module._build_default_model
    monkeypatch.setattr(policy_module, "RECIPE_VERSION", policy_module.RECIPE_VERSION + 1000)
    monkeypatch.setattr(policy_module, "_build_default_model", lambda *a: built.append(1) or real_build(*a))
    other = default_model_dir(model_cache, plugins)
    assert other != default_dir and built == [1]
    assert json.loads((other / "recipe.json").read_text())["version"] == policy_module.RECIPE_VERSION
    shutil.rmtree(other)


def test_the_default_corpus_has_the_languages_of_the_session(plugins):
    corpus = "\n".join(policy_module._default_corpus(plugins))
    assert "```python\n" in corpus and "```cpp\n" in corpus
    without_python = "\n".join(policy_module._default_corpus(make_plugins(block=["python"])))
    assert "```python\n" not in without_python and "```cpp\n" in without_python


def test_the_default_needs_the_session():
    with pytest.raises(ValueError, match="the embedded default model is built from the plugin session"):
        load_policy(ModelConfig(), device=torch.device("cpu"))


def test_the_default_loads_with_plain_transformers(default_dir):
    model = transformers.AutoModelForCausalLM.from_pretrained(default_dir)
    tokenizer = transformers.AutoTokenizer.from_pretrained(default_dir)
    config = model.config
    assert config.model_type == "qwen2" and config.tie_word_embeddings
    assert config.hidden_size // config.num_attention_heads >= 32  # vLLM's CPU attention kernels need it
    assert config.max_position_embeddings >= 2048
    assert config.vocab_size == len(tokenizer)
    assert 1_000_000 <= sum(p.numel() for p in model.parameters()) <= 5_000_000
    assert tokenizer.chat_template and tokenizer.eos_token == "<|im_end|>"


def test_load_policy_gives_the_default_with_pad_and_eos(default_policy, default_dir):
    assert default_policy.is_default and default_policy.source == str(default_dir)
    tokenizer = default_policy.tokenizer
    assert tokenizer.pad_token == "<|endoftext|>" and tokenizer.eos_token == "<|im_end|>"
    assert default_policy.model.dtype == torch.float32 and default_policy.model.device.type == "cpu"


def test_the_tokenizer_round_trips_every_reference_exactly(default_policy):
    tokenizer = default_policy.tokenizer
    problems = load_dataset("builtin", make_plugins(autoload=False).datasets())
    seen = set()
    for problem in problems:
        for language, code in problem.references.items():
            ids = tokenizer(code, add_special_tokens=False)["input_ids"]
            assert tokenizer.decode(ids) == code, (problem.id, language)
            # Trained on these references: clearly fewer tokens than bytes.
            assert len(ids) < len(code.encode()) / 2, (problem.id, language)
            seen.add(language)
    assert seen >= set(LANGUAGES)
    odd = "x = 'é中'\n\t\tif (a &&   b) { return -1; }  \n\n"
    assert tokenizer.decode(tokenizer(odd, add_special_tokens=False)["input_ids"]) == odd


def test_saved_policy_loads_back_from_model_path(default_policy, tmp_path):
    model = transformers.AutoModelForCausalLM.from_pretrained(default_policy.source)
    with torch.no_grad():
        model.model.norm.weight.mul_(0.5)
    tuned = policy_module.Policy(model, default_policy.tokenizer, default_policy.source, True)
    save_policy(tuned, tmp_path / "out")
    loaded = load_policy(ModelConfig(path=str(tmp_path / "out")), device=torch.device("cpu"))
    assert not loaded.is_default and loaded.source == str(tmp_path / "out")
    assert torch.equal(loaded.model.model.norm.weight, model.model.norm.weight)
    assert loaded.tokenizer.get_vocab() == default_policy.tokenizer.get_vocab()
    assert (tmp_path / "out" / "generation_config.json").is_file()


def test_bfloat16_dtype_is_honoured(default_dir):
    loaded = load_policy(ModelConfig(path=str(default_dir), dtype="bfloat16"), device=torch.device("cpu"))
    assert loaded.model.dtype == torch.bfloat16
    assert loaded.compute_dtype == "bfloat16"


@pytest.mark.parametrize(("setting", "compute", "training", "expected"), [
    ("auto", "bfloat16", True, "float32"),  # a GPU with bfloat16: the optimiser updates float32 weights
    ("auto", "bfloat16", False, "bfloat16"),  # evaluating or serving: bfloat16 weights
    ("auto", "float32", True, "float32"),
    ("bfloat16", "bfloat16", True, "bfloat16"),  # asked for by name: bfloat16 weights even in training
    ("float32", "float32", False, "float32"),
])
def test_weights_are_float32_when_training_under_auto(setting, compute, training, expected):
    assert weight_dtype(setting, compute, training=training) == expected


def test_a_small_update_moves_float32_weights_and_no_bfloat16_ones(default_dir):
    """Why training keeps float32 weights under ``auto``: at GRPO's learning rates AdamW's step is below a
    bfloat16 weight's resolution, so the update is rounded away."""
    moved = {}
    for dtype in ("float32", "bfloat16"):
        model = load_policy(ModelConfig(path=str(default_dir), dtype=dtype), device=torch.device("cpu")).model
        norm = model.model.norm.weight  # every element is 1.0
        before = norm.detach().clone()
        optimizer = torch.optim.AdamW([norm], lr=1e-6, weight_decay=0.0)
        norm.grad = torch.ones_like(norm)
        optimizer.step()
        moved[dtype] = float((norm.detach() != before).float().mean())
    assert moved == {"float32": 1.0, "bfloat16": 0.0}


def test_mixed_precision_forward_sees_each_optimiser_step():
    """The trainer holds one autocast context over whole optimiser steps (an SFT epoch): every forward pass
    must compute with the weights as they are after the last step, not a cached bfloat16 copy from before."""
    torch.manual_seed(0)
    layer, x = torch.nn.Linear(8, 8), torch.randn(4, 8)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
    with mixed_precision(torch.device("cpu"), "bfloat16"):
        first = layer(x)
        first.float().pow(2).sum().backward()
        optimizer.step()
        after = layer(x)
    assert first.dtype == after.dtype == torch.bfloat16
    assert torch.equal(after, torch.nn.functional.linear(x.bfloat16(), layer.weight.bfloat16(), layer.bias.bfloat16()))


def test_float32_compute_runs_without_autocast():
    with mixed_precision(torch.device("cpu"), "float32"):
        assert torch.nn.Linear(4, 4)(torch.randn(2, 4)).dtype == torch.float32


def test_two_processes_building_at_once_both_get_a_complete_model(tmp_path):
    code = ("import sys; from codekiln.plugins import make_plugins; "
            "from codekiln.train.policy import default_model_dir; "
            "print(default_model_dir(sys.argv[1], make_plugins()))")
    builders = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [b.communicate(timeout=300)[0].strip() for b in builders]
    assert [b.returncode for b in builders] == [0, 0]
    assert outputs[0] == outputs[1]
    assert [p.name for p in tmp_path.iterdir()] == [outputs[0].rsplit("/", 1)[1]]  # no temporary left over
    transformers.AutoModelForCausalLM.from_pretrained(outputs[0])


# ---------------------------------------------------------------------------------------------------------
# Bad input: one line each
# ---------------------------------------------------------------------------------------------------------


def _load(path) -> None:
    load_policy(ModelConfig(path=str(path)), device=torch.device("cpu"))


def test_unknown_model_path(tmp_path):
    with pytest.raises(ConfigError, match=r"^model.path '.*nowhere': no such directory$"):
        _load(tmp_path / "nowhere")


def test_directory_without_config(tmp_path):
    with pytest.raises(ConfigError, match=r"has no config.json: not a Hugging Face model directory"):
        _load(tmp_path)


def test_model_without_tokenizer(default_dir, tmp_path):
    shutil.copytree(default_dir, tmp_path / "m")
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (tmp_path / "m" / name).unlink()
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path / "m")
    assert str(caught.value) == (f"model.path '{tmp_path / 'm'}' has no tokenizer (tokenizer.json or "
                                 "tokenizer_config.json); save one with tokenizer.save_pretrained(DIR)")


def test_a_model_that_is_not_a_causal_lm(default_dir, tmp_path):
    shutil.copytree(default_dir, tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps({"model_type": "vit"}))
    with pytest.raises(ConfigError, match=r"is not a causal language model") as caught:
        _load(tmp_path / "m")
    assert "\n" not in str(caught.value)


def test_a_model_without_weights(default_dir, tmp_path):
    shutil.copytree(default_dir, tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(ConfigError, match=r"cannot load the model") as caught:
        _load(tmp_path / "m")
    assert "\n" not in str(caught.value)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            resolve_device("cuda")
