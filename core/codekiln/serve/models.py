"""The models ``codekiln serve`` answers with: each loaded once (:func:`codekiln.train.policy.load_policy`), with
its generator (:func:`codekiln.train.generation.make_generator`: vLLM when it can run the model here, else
Hugging Face ``generate``) and its prompt format (:mod:`codekiln.train.prompts`).

Generation blocks, so each model generates in a thread of its own, one batch at a time; the event loop only
waits for it, with a timeout. Requests that wait for the model with the same sampling settings (and no seed
of their own) are generated together, in one batch: that is where a busy service's throughput comes from. A
batch that fails is retried request by request, so one bad request fails alone. A call that times out is
abandoned, not killed (neither backend can stop mid-sequence): it finishes in its thread, and what waits
behind it waits for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..errors import CodekilnError, ConfigError
from ..train.prompts import default_stop, render_prompt, resolve_prompt_format

if TYPE_CHECKING:
    from ..plugins import Plugins
    from ..train.completions import Completion, Generator
    from ..train.policy import Policy

__all__ = ["ModelFailure", "SamplingParams", "ServedModel", "load_served_model", "model_names", "model_version"]

# Hashed into a model's version: what decides its answers (weights, config, tokenizer, generation defaults).
_VERSIONED_SUFFIXES = (".json", ".safetensors", ".bin", ".model", ".txt", ".jinja")


class ModelFailure(CodekilnError):
    """A model did not answer: it raised, or it ran past its time. ``kind`` is ``error`` or ``timeout``."""

    def __init__(self, model: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.model, self.kind = model, kind


#: The most requests generated together in one batch.
MAX_BATCH = 16


@attrs.frozen
class SamplingParams:
    n: int = 1
    max_new_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    #: None: any seed (the request may share a batch); a number: these completions, generated alone.
    seed: int | None = None


@attrs.frozen
class _Waiting:
    prompts: list[str]
    params: SamplingParams
    answer: concurrent.futures.Future


def model_version(directory: str | Path) -> str:
    """A content hash of a model directory's files that decide its answers (16 hex digits): two directories
    with the same weights, config and tokenizer have the same version, wherever they are."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file() and path.suffix in _VERSIONED_SUFFIXES:
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def model_names(paths: Sequence[str]) -> list[str]:
    """Each model's name: its directory's basename, or ``parent/basename`` where two basenames collide."""
    resolved = [Path(path).expanduser().resolve() for path in paths]
    if len(set(resolved)) < len(resolved):
        raise ConfigError("the same model directory is given twice; give different models (or drop --model-b)")
    names = [path.name for path in resolved]
    return [f"{path.parent.name}/{path.name}" if names.count(path.name) > 1 else path.name for path in resolved]


class ServedModel:
    """One model, its generator and the single thread it generates in."""

    def __init__(self, name: str, version: str, policy: Policy, generator: Generator) -> None:
        self.name, self.version = name, version
        self.policy, self.generator = policy, generator
        # The format the model was trained with when codekiln saved it, else its tokenizer's ("auto").
        self.prompt_format = resolve_prompt_format(policy.tokenizer, policy.prompt_format or "auto")
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"generate-{name}")
        self._waiting: list[_Waiting] = []
        self._lock = threading.Lock()
        #: How many generate calls (batches) ran.
        self.calls = 0

    def prompt(self, request: str, *, language: str, native: bool) -> str:
        """The text this model continues for ``request``, in its own prompt format."""
        return render_prompt(self.policy.tokenizer, request, language=language, fmt=self.prompt_format,
                             native=native)

    def chat_prompt(self, messages: Sequence[dict[str, str]]) -> str:
        """An OpenAI chat as this model's text: its chat template, or the turns one after another."""
        tokenizer = self.policy.tokenizer
        if getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        return "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "

    def stop(self, native: bool) -> list[str]:
        return default_stop(self.prompt_format, native)

    def count_tokens(self, text: str) -> int:
        return len(self.policy.tokenizer(text, add_special_tokens=False)["input_ids"])

    async def generate(self, prompts: Sequence[str], params: SamplingParams,
                       timeout_s: float) -> list[list[Completion]]:
        """``params.n`` completions per prompt; :class:`ModelFailure` when the model raises or takes longer
        than ``timeout_s`` (waiting for its thread included)."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._waiting.append(_Waiting(list(prompts), params, future))
        self._thread.submit(self._generate_waiting)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
        except TimeoutError:
            raise ModelFailure(self.name, "timeout", f"model '{self.name}' did not answer within {timeout_s:g} s") \
                from None
        except Exception as exc:  # the model's own failure (a broken checkpoint, out of memory): said, not hidden
            raise ModelFailure(self.name, "error", f"model '{self.name}' failed: {type(exc).__name__}: "
                                                   f"{' '.join(str(exc).split())[:300]}") from exc

    def _generate_waiting(self) -> None:
        """In the model's thread: the oldest waiting request, with those that can share its batch."""
        with self._lock:
            if not self._waiting:
                return  # an earlier batch took this call's request
            first = self._waiting[0].params
            batch = [w for w in self._waiting if w.params == first and first.seed is None][:MAX_BATCH] \
                or [self._waiting[0]]
            for waiting in batch:
                self._waiting.remove(waiting)
        # Requests whose caller stopped waiting (a timeout) are dropped, not generated.
        batch = [w for w in batch if w.answer.set_running_or_notify_cancel()]
        if not batch:
            return
        try:
            groups = self._generate([p for w in batch for p in w.prompts], first)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].answer.set_exception(exc)
                return
            groups = None  # retried one by one below: a bad request fails alone
        for waiting in batch:
            if groups is None:
                try:
                    waiting.answer.set_result(self._generate(waiting.prompts, waiting.params))
                except Exception as exc:
                    waiting.answer.set_exception(exc)
                continue
            waiting.answer.set_result(groups[:len(waiting.prompts)])
            groups = groups[len(waiting.prompts):]

    def _generate(self, prompts: list[str], params: SamplingParams) -> list[list[Completion]]:
        seed = secrets.randbelow(2**31) if params.seed is None else params.seed
        groups = self.generator.generate(prompts, n=params.n, temperature=params.temperature, top_p=params.top_p,
                                         top_k=0, max_new_tokens=params.max_new_tokens, stop=params.stop, seed=seed)
        self.calls += 1
        return groups

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        self.generator.close()


def load_served_model(path: str, name: str, *, backend: str, device: str = "auto", dtype: str = "auto",
                      gpu_memory_utilization: float = 0.8, plugins: Plugins | None = None) -> ServedModel:
    """Load the model directory ``path`` to serve it as ``name``."""
    from ..config import ModelConfig
    from ..train.generation import make_generator
    from ..train.policy import load_policy, resolve_device

    policy = load_policy(ModelConfig(path=path, dtype=dtype), device=resolve_device(device), plugins=plugins)
    generator = make_generator(backend, policy, gpu_memory_utilization=gpu_memory_utilization, seed=0)
    return ServedModel(name, model_version(policy.source), policy, generator)
