"""The policy: a Hugging Face causal LM and its tokenizer, from ``model.path`` or the embedded default.

With no ``model.path``, codekiln builds a small model from scratch so that training runs offline: a byte-level
BPE tokenizer trained on the built-in problems (their prompts as :mod:`codekiln.train.prompts` renders them, and
their reference solutions in every language of the plugin session) and a randomly initialised Qwen2
transformer. It is built once into ``model.cache_dir`` under a name that hashes its recipe (the corpus, the
constants below and :data:`RECIPE_VERSION`), so a changed recipe builds a new model and an unchanged one is
reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..errors import ConfigError

if TYPE_CHECKING:
    import torch
    import transformers

    from ..config import ModelConfig
    from ..plugins import Plugins

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TOKENIZER",
    "PROMPT_FORMAT_FILE",
    "RECIPE_VERSION",
    "Policy",
    "default_model_dir",
    "load_policy",
    "resolve_device",
    "save_policy",
]

#: Written beside a model codekiln saves: the prompt format it was trained with.
PROMPT_FORMAT_FILE = "codekiln.json"
#: Bump when the way the default model is built changes in a way the constants below do not capture.
RECIPE_VERSION = 1
#: The embedded default's tokenizer: byte-level BPE, so any text round-trips exactly.
DEFAULT_TOKENIZER = {
    "vocab_size": 2048,
    "pad_token": "<|endoftext|>",
    "eos_token": "<|im_end|>",
    "chat_start": "<|im_start|>",
}
#: The embedded default's transformer (``transformers.Qwen2Config`` keywords; vocab_size comes from the
#: tokenizer). head_dim = hidden_size / num_attention_heads = 64: vLLM's CPU attention needs at least 32.
DEFAULT_MODEL = {
    "hidden_size": 256,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "num_hidden_layers": 3,
    "intermediate_size": 512,
    "max_position_embeddings": 2048,
    "rope_theta": 10000.0,
    "tie_word_embeddings": True,
    "initializer_range": 0.02,
}
DEFAULT_SEED = 0
# A ChatML template: the chat format works with the default model as with Qwen-style instruct models.
_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
# transformers loads the tokenizer of any `qwen2` model as its Qwen2Tokenizer, which imposes this split (and
# NFC normalisation, then byte-level BPE); training with the same pipeline keeps the learned merges valid.
_QWEN2_SPLIT = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")


@attrs.define
class Policy:
    model: transformers.PreTrainedModel
    #: Has ``pad_token`` and ``eos_token`` set.
    tokenizer: transformers.PreTrainedTokenizerBase
    #: The model directory it was loaded from.
    source: str
    is_default: bool
    #: The prompt format the model was trained with, as codekiln recorded it beside a model it saved
    #: (:data:`PROMPT_FORMAT_FILE`); None for a model codekiln did not save.
    prompt_format: str | None = None
    #: The dtype forward passes compute in: bfloat16 under mixed precision (float32 weights), else the weights'.
    compute_dtype: str = "float32"


def resolve_device(setting: str) -> torch.device:
    """``"auto"`` is CUDA when a GPU is visible, else the CPU; ``"cuda"`` without one is a ConfigError."""
    import torch

    if setting == "auto":
        setting = "cuda" if torch.cuda.is_available() else "cpu"
    if setting == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda': no CUDA device is visible to torch; use device=cpu or device=auto")
    return torch.device(setting)


def load_policy(model_config: ModelConfig, *, device: torch.device, plugins: Plugins | None = None,
                training: bool = False) -> Policy:
    """Load ``model_config.path`` (or the embedded default, built on first use from ``plugins``, the plugin
    session) onto ``device``. ``training``: the weights will be updated, so ``dtype: auto`` keeps them in
    float32 and computes in bfloat16 where the GPU has it (see :func:`weight_dtype`)."""
    if model_config.path is None:
        if plugins is None:
            raise ValueError("the embedded default model is built from the plugin session: pass plugins=")
        directory, is_default = default_model_dir(model_config.cache_dir, plugins), True
    else:
        directory, is_default = _check_model_dir(model_config.path), False
    import torch
    import transformers

    compute = compute_dtype(model_config.dtype, device)
    dtype = getattr(torch, weight_dtype(model_config.dtype, compute, training=training))
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(directory, dtype=dtype, local_files_only=True)
    except ValueError as exc:  # "Unrecognized configuration class ... for this kind of AutoModel"
        raise ConfigError(f"model.path '{directory}' is not a causal language model: {_first_line(exc)}") from None
    except (OSError, RuntimeError) as exc:  # missing or corrupt weights
        raise ConfigError(f"model.path '{directory}': cannot load the model: {_first_line(exc)}") from None
    except pickle.UnpicklingError:  # torch.load(weights_only=True) refuses a .bin pickle that holds more than tensors
        raise ConfigError(f"model.path '{directory}': cannot load the model: its pickled weights are damaged or "
                          "hold objects other than tensors, which codekiln does not unpickle; save it as safetensors"
                          ) from None
    tokenizer = _load_tokenizer(directory)
    model.to(device)
    return Policy(model, tokenizer, str(directory), is_default, _recorded_prompt_format(Path(directory)),
                  compute_dtype=compute)


def save_policy(policy: Policy, directory: Path, *, prompt_format: str | None = None) -> None:
    """Save the model (safetensors), its generation config and the tokenizer: a directory that
    ``transformers`` and vLLM load, and that ``model.path`` accepts.

    ``prompt_format`` is the format the model was trained with; it is recorded in
    :data:`PROMPT_FORMAT_FILE`, and a model trained in the completion format is saved without a chat template,
    so that every tool's "auto" (codekiln's, a plain ``transformers`` user's) prompts it the way it learnt.
    """
    import copy

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    policy.model.save_pretrained(directory)
    tokenizer = policy.tokenizer
    if prompt_format == "completion" and getattr(tokenizer, "chat_template", None):
        tokenizer = copy.copy(tokenizer)  # the live run keeps its tokenizer as it is
        tokenizer.chat_template = None
    tokenizer.save_pretrained(directory)
    if prompt_format is not None:
        (directory / PROMPT_FORMAT_FILE).write_text(json.dumps({"prompt_format": prompt_format}) + "\n")


def _recorded_prompt_format(directory: Path) -> str | None:
    """The prompt format :func:`save_policy` recorded beside the model, if it did."""
    try:
        recorded = json.loads((directory / PROMPT_FORMAT_FILE).read_text(encoding="utf-8")).get("prompt_format")
    except (OSError, ValueError, AttributeError):
        return None
    return recorded if recorded in ("completion", "chat") else None


def default_model_dir(cache_dir: str | Path, plugins: Plugins) -> Path:
    """The embedded default model's directory under ``cache_dir``, built there first if missing. Its
    tokenizer learns from the built-in problems in the languages of ``plugins``, the plugin session.

    The build writes into a temporary directory beside the final one and renames it into place, so two
    processes building at once never see a half-written model: the second rename fails and its copy is
    dropped.
    """
    cache = Path(cache_dir).expanduser()
    corpus = _default_corpus(plugins)
    recipe = {"version": RECIPE_VERSION, "tokenizer": DEFAULT_TOKENIZER, "model": DEFAULT_MODEL,
              "seed": DEFAULT_SEED, "corpus": hashlib.sha256("\0".join(corpus).encode()).hexdigest()}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    final = cache / f"default-model-{key}"
    if (final / "config.json").is_file():
        return final
    try:
        cache.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=cache))
    except OSError as exc:
        raise ConfigError(f"model.cache_dir '{cache}': cannot write there ({exc.strerror})") from None
    try:
        _build_default_model(corpus, building)
        if not (building / "model.safetensors").is_file():  # transformers skips the weights off rank 0
            raise ConfigError("the embedded default model must first be built outside torch.distributed's "
                              "non-zero ranks (rank 0 builds it; the trainer does this for you)")
        (building / "recipe.json").write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
        os.rename(building, final)
    except OSError:
        if not (final / "config.json").is_file():  # not a lost race with another builder: a real failure
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


# ---------------------------------------------------------------------------------------------------------
# Loading a model directory
# ---------------------------------------------------------------------------------------------------------


def _check_model_dir(path: str) -> Path:
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise ConfigError(f"model.path '{path}': no such directory")
    if not (directory / "config.json").is_file():
        raise ConfigError(f"model.path '{path}' has no config.json: not a Hugging Face model directory "
                          "(save one with model.save_pretrained(DIR))")
    if not any((directory / name).is_file() for name in _TOKENIZER_FILES):
        raise ConfigError(f"model.path '{path}' has no tokenizer (tokenizer.json or tokenizer_config.json); "
                          "save one with tokenizer.save_pretrained(DIR)")
    return directory


def _load_tokenizer(directory: Path) -> transformers.PreTrainedTokenizerBase:
    import transformers

    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"model.path '{directory}': cannot load its tokenizer: {_first_line(exc)}") from None
    if tokenizer.eos_token is None:
        raise ConfigError(f"model.path '{directory}': the tokenizer has no eos_token; set one in "
                          "tokenizer_config.json")
    if tokenizer.pad_token is None:  # attention masks keep padding out of the model's sight
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def compute_dtype(setting: str, device: torch.device) -> str:
    """The dtype forward passes run in for ``model.dtype`` = ``setting``: ``auto`` is bfloat16 on a GPU that
    has it, float32 elsewhere."""
    import torch

    if setting == "auto":
        return "bfloat16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "float32"
    return setting


def weight_dtype(setting: str, compute: str, *, training: bool) -> str:
    """The dtype the weights are held in. Weights that training updates stay float32 under ``auto`` (mixed
    precision, as transformers' Trainer does with ``bf16=True``): AdamW's step is about the learning rate, and
    a bfloat16 weight of magnitude w moves only by steps above w/256, so at 1e-6 no bfloat16 weight moves at
    all. ``model.dtype: bfloat16`` asks for bfloat16 weights anyway (half the memory, coarse updates)."""
    if setting == "auto" and training:
        return "float32"
    return compute


def mixed_precision(device: torch.device, compute: str) -> contextlib.AbstractContextManager:
    """The context forward passes run in: bfloat16 autocast when ``compute`` is bfloat16 (with bfloat16
    weights it only changes the ops autocast keeps in float32, such as softmax and the losses), else nothing.

    Its cast cache is off: the trainer holds one context over whole optimiser steps (an SFT epoch, a GRPO
    step), and autocast's cache would keep serving the bfloat16 copies of the weights made before a step,
    so that the forward passes after it ran on stale weights (measured on an H200: SFT's loss stalled near
    3.8 for the embedded default, where float32 reached 0.001)."""
    import torch

    if compute != "bfloat16":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------------------
# Building the embedded default
# ---------------------------------------------------------------------------------------------------------


def _default_corpus(plugins: Plugins) -> list[str]:
    """The texts the default tokenizer learns from: every built-in problem's prompt in each language of the
    session, followed by the reference the way an SFT example continues it."""
    from ..datasets import load_dataset
    from .prompts import problem_prompt

    languages = plugins.languages()
    texts = []
    for problem in load_dataset("builtin", plugins.datasets()):
        texts.append(problem.description)
        for language in sorted(problem.references):
            if language not in languages:
                continue
            backend = languages.get(language)
            request = problem_prompt(problem, language, backend)
            texts.append(f"{request}\n```{language}\n{problem.references[language].rstrip()}\n```")
    return texts


def _build_default_model(corpus: list[str], directory: Path) -> None:
    import tokenizers
    import torch
    import transformers
    from tokenizers import decoders, models, normalizers, pre_tokenizers, trainers

    special = [DEFAULT_TOKENIZER["pad_token"], DEFAULT_TOKENIZER["chat_start"], DEFAULT_TOKENIZER["eos_token"]]
    bpe = tokenizers.Tokenizer(models.BPE())
    bpe.normalizer = normalizers.NFC()
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers.Regex(_QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=DEFAULT_TOKENIZER["vocab_size"], special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(corpus, trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token=DEFAULT_TOKENIZER["pad_token"], eos_token=DEFAULT_TOKENIZER["eos_token"],
        additional_special_tokens=[DEFAULT_TOKENIZER["chat_start"]], chat_template=_CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False, model_max_length=DEFAULT_MODEL["max_position_embeddings"],
    )
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None, **DEFAULT_MODEL,
    )
    torch.manual_seed(DEFAULT_SEED)
    model = transformers.Qwen2ForCausalLM(config)
    # Either marker ends an answer: <|im_end|> closes a chat turn, <|endoftext|> a document.
    model.generation_config = transformers.GenerationConfig(
        eos_token_id=[tokenizer.eos_token_id, tokenizer.pad_token_id], pad_token_id=tokenizer.pad_token_id,
    )
    save_policy(Policy(model, tokenizer, str(directory), True), directory)

