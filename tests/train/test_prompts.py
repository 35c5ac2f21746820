"""Prompts: the request for signature and native problems, both formats, SFT targets and stop strings."""

from __future__ import annotations

import pytest
import tokenizers
import transformers

from codekiln.config import ModelConfig
from codekiln.errors import ConfigError, DataError
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.train.policy import load_policy
from codekiln.train.prompts import default_stop, problem_prompt, render_prompt, resolve_prompt_format, sft_example

PROBLEM = Problem(
    id="add",
    description="Add two integers.\n",
    signature=Signature("add_two", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3),),
    references={"python": "def add_two(a: int, b: int) -> int:\n    return a + b\n"},
)
NATIVE = Problem(
    id="HumanEval/0",
    description="Add.",
    native={"python": NativeTests(prompt='def add(a, b):\n    """Add."""\n', test="assert add(1, 2) == 3",
                                  entry_point="add")},
    references={"python": "    return a + b\n"},
)


@pytest.fixture(scope="module")
def languages():
    return make_plugins().languages()


@pytest.fixture(scope="module")
def tokenizer(model_cache, plugins):
    import torch

    return load_policy(ModelConfig(cache_dir=str(model_cache)), device=torch.device("cpu"), plugins=plugins).tokenizer


def test_signature_prompts_name_the_language_and_show_its_stub(languages):
    expected = {
        "python": ("Python", "def add_two(a: int, b: int) -> int:"),
        "javascript": ("JavaScript", "function addTwo(a, b) {"),
        "java": ("Java", "public static long addTwo(long a, long b) {"),
        "cpp": ("C++", "long long add_two(long long a, long long b)"),
    }
    for language, (display, stub_line) in expected.items():
        prompt = problem_prompt(PROBLEM, language, languages.get(language))
        assert prompt.startswith("Add two integers.\n\nWrite a " + display + " function with this signature:\n\n")
        assert stub_line in prompt
        assert prompt.endswith(languages.get(language).signature_stub(PROBLEM))


def test_native_problems_use_the_benchmarks_prompt(languages):
    assert problem_prompt(NATIVE, "python", languages.get("python")) == NATIVE.native["python"].prompt


def test_a_problem_with_nothing_to_prompt_with(languages):
    bare = Problem(id="p", description="d")
    with pytest.raises(DataError, match="problem 'p' has no signature and no python prompt"):
        problem_prompt(bare, "python", languages.get("python"))


def test_completion_format_opens_a_fence(tokenizer, languages):
    request = problem_prompt(PROBLEM, "cpp", languages.get("cpp"))
    prompt = render_prompt(tokenizer, request, language="cpp", fmt="completion", native=False)
    assert prompt == request + "\n```cpp\n"


def test_chat_format_applies_the_template(tokenizer):
    prompt = render_prompt(tokenizer, "Do X.", language="python", fmt="chat", native=False)
    assert prompt == "<|im_start|>user\nDo X.<|im_end|>\n<|im_start|>assistant\n"


def test_native_prompts_are_continued_as_they_are_in_both_formats(tokenizer):
    request = NATIVE.native["python"].prompt
    for fmt in ("chat", "completion"):
        assert render_prompt(tokenizer, request, language="python", fmt=fmt, native=True) == request


def test_auto_format_is_chat_only_with_a_chat_template(tokenizer):
    assert resolve_prompt_format(tokenizer, "auto") == "chat"
    plain = _word_tokenizer()
    assert resolve_prompt_format(plain, "auto") == "completion"
    with pytest.raises(ConfigError, match="has no chat template; use prompt_format=completion"):
        render_prompt(plain, "x", language="python", fmt="chat", native=False)


def test_completion_prompts_carry_the_bos_a_tokenizer_adds():
    plain = _word_tokenizer(bos=True)
    assert render_prompt(plain, "x", language="python", fmt="completion", native=False) == "<s>x\n```python\n"
    assert render_prompt(_word_tokenizer(), "x", language="python", fmt="completion", native=False) == "x\n```python\n"


def test_sft_targets_end_the_way_generation_stops(tokenizer, languages):
    backend = languages.get("python")
    prompt, target = sft_example(PROBLEM, "python", backend, tokenizer, "completion")
    assert prompt.endswith("\n```python\n")
    assert target == "def add_two(a: int, b: int) -> int:\n    return a + b\n```"
    assert default_stop("completion", False) == ["```"]

    prompt, target = sft_example(PROBLEM, "python", backend, tokenizer, "chat")
    assert prompt.endswith("<|im_start|>assistant\n")
    assert target == "```python\ndef add_two(a: int, b: int) -> int:\n    return a + b\n```<|im_end|>"
    assert default_stop("chat", False) == []

    prompt, target = sft_example(NATIVE, "python", backend, tokenizer, "chat")
    assert prompt == NATIVE.native["python"].prompt
    assert target == "    return a + b\n```"
    assert default_stop("chat", True) == ["```"]


def test_no_sft_example_without_a_reference(tokenizer, languages):
    assert sft_example(PROBLEM, "java", languages.get("java"), tokenizer, "completion") is None


def _word_tokenizer(bos: bool = False) -> transformers.PreTrainedTokenizerFast:
    vocab = {"<s>": 0, "</s>": 1, "x": 2}
    raw = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="x"))
    raw.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    if bos:
        raw.post_processor = tokenizers.processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    return transformers.PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<s>", eos_token="</s>")
