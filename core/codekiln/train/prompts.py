"""Prompts: what the model is asked, how that request is rendered for its tokenizer, and SFT targets.

Two formats (``generation.prompt_format``):

- ``completion``: the request, then an opened code fence (```` ```python ````); the model answers with bare
  code and closes the fence, and the stop string ```` ``` ```` ends the answer there.
- ``chat``: the request as one user turn through the tokenizer's chat template; the model answers in a
  fenced block and ends its turn with the eos token.

A benchmark problem that ships its own prompt for the language (HumanEval's function header and docstring)
is continued as it is, in either format: its tests run the prompt followed by the completion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, DataError
from ..languages import display_name

if TYPE_CHECKING:
    from ..languages import LanguageBackend
    from ..problem import Problem
    from .policy import Policy

__all__ = ["default_stop", "policy_prompt_format", "problem_prompt", "render_prompt", "resolve_prompt_format",
           "sft_example", "task_prompt"]

#: The end of a fenced answer; the completion format's stop string.
FENCE = "```"


def problem_prompt(problem: Problem, language: str, backend: LanguageBackend) -> str:
    """The request in natural language: the description and the function to write, in ``language``'s
    terms; for a problem with native material in ``language``, the benchmark's own prompt."""
    native = problem.native.get(language)
    if native is not None:
        return native.prompt
    if problem.signature is None:
        raise DataError(f"problem '{problem.id}' has no signature and no {language} prompt to show the model")
    display = getattr(backend, "display_name", None) or display_name(language)
    return (f"{problem.description.rstrip()}\n\nWrite a {display} function with this signature:\n\n"
            f"{backend.signature_stub(problem)}")


def resolve_prompt_format(tokenizer: Any, setting: str) -> str:
    """``"auto"`` is ``"chat"`` when the tokenizer has a chat template, else ``"completion"``."""
    if setting == "auto":
        return "chat" if getattr(tokenizer, "chat_template", None) else "completion"
    if setting == "chat" and not getattr(tokenizer, "chat_template", None):
        raise ConfigError("generation.prompt_format 'chat': this model's tokenizer has no chat template; "
                          "use prompt_format=completion (or auto)")
    return setting


def policy_prompt_format(policy: Policy, setting: str) -> str:
    """The format to prompt ``policy`` in for ``generation.prompt_format`` = ``setting``. ``"auto"`` is the
    format a model codekiln saved was trained with; else chat when the tokenizer has a template, except for
    the embedded default (trained from scratch in the completion format)."""
    if setting != "auto":
        return setting
    if policy.prompt_format is not None:
        return policy.prompt_format
    has_template = bool(getattr(policy.tokenizer, "chat_template", None))
    return "chat" if has_template and not policy.is_default else "completion"


def task_prompt(tokenizer: Any, problem: Problem, language: str, backend: LanguageBackend, *, fmt: str,
                extra_stop: Sequence[str] = ()) -> tuple[str, list[str]]:
    """The text the model continues for ``problem`` in ``language`` and the stop strings that end its answer
    (the format's own, then ``extra_stop``): what the trainer and ``codekiln eval`` both ask."""
    native = language in problem.native
    text = render_prompt(tokenizer, problem_prompt(problem, language, backend), language=language, fmt=fmt,
                         native=native)
    return text, list(dict.fromkeys([*default_stop(fmt, native), *extra_stop]))


def render_prompt(tokenizer: Any, request: str, *, language: str, fmt: str, native: bool) -> str:
    """The text the model continues. Tokenize it with ``add_special_tokens=False``: a BOS token the
    tokenizer would add is already in the text (the chat template writes its own)."""
    if native:
        return _bos(tokenizer) + request
    fmt = resolve_prompt_format(tokenizer, fmt)
    if fmt == "chat":
        return tokenizer.apply_chat_template([{"role": "user", "content": request}], add_generation_prompt=True,
                                             tokenize=False)
    return f"{_bos(tokenizer)}{request}\n{FENCE}{language}\n"


def sft_example(problem: Problem, language: str, backend: LanguageBackend, tokenizer: Any,
                fmt: str) -> tuple[str, str] | None:
    """(prompt, target) teaching the reference solution in ``language``; None when there is none.

    The target ends the way generation stops: the closing fence (completion format, native prompts) or the
    fenced reference followed by the eos token (chat)."""
    reference = problem.references.get(language)
    if reference is None:
        return None
    native = language in problem.native
    fmt = resolve_prompt_format(tokenizer, fmt)
    prompt = render_prompt(tokenizer, problem_prompt(problem, language, backend), language=language, fmt=fmt,
                           native=native)
    code = reference.rstrip()
    if native or fmt == "completion":
        return prompt, f"{code}\n{FENCE}"
    return prompt, f"{FENCE}{language}\n{code}\n{FENCE}{tokenizer.eos_token}"


def default_stop(fmt: str, native: bool) -> list[str]:
    """Stop strings that end an answer in ``fmt``: the closing fence, except in chat, where an answer
    opens a fence itself and ends with the eos token. ``generation.stop`` adds to these."""
    return [FENCE] if native or fmt == "completion" else []


def _bos(tokenizer: Any) -> str:
    """The BOS token as text when the tokenizer puts one before every encoded text (Llama), else ''."""
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if bos_id is None:
        return ""
    ids = tokenizer("x", add_special_tokens=True)["input_ids"]
    return tokenizer.bos_token if ids and ids[0] == bos_id else ""
