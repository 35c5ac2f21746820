"""What every generation backend returns, built the same way from raw token ids.

A :class:`Completion`'s text ends before the first stop string and its token ids run up to and including the
token that completed that stop string (or the eos token), built by :func:`build_completion`. Prompts are
tokenized once, the same way for every backend (:func:`encode_prompt`), so a trainer that re-tokenizes a
prompt gets the ids the model saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["Completion", "Generator", "build_completion", "encode_prompt", "eos_token_ids"]


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
