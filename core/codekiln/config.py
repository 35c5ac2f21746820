"""Configuration: one YAML file plus dotted command-line overrides, validated into attrs classes.

>>> config = load_config(None, ["grpo.group_size=4", "data.languages=[python, cpp]"])
>>> config.grpo.group_size, config.data.languages
(4, ['python', 'cpp'])
>>> load_config(None, ["grpo.group_sze=4"])
Traceback (most recent call last):
...
codekiln.errors.ConfigError: unknown config key 'grpo.group_sze'; did you mean 'grpo.group_size'?

Every error names the key (and the file and line for malformed YAML) on one line.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import yaml

from .cache import cache_dir as codekiln_cache_dir
from .errors import ConfigError
from .jsonio import parse_yaml

__all__ = [
    "Config",
    "CurriculumConfig",
    "DataConfig",
    "EvalConfig",
    "GRPOConfig",
    "GenerationConfig",
    "HttpVerifierConfig",
    "ModelConfig",
    "PluginsConfig",
    "RayVerifierConfig",
    "SFTConfig",
    "SandboxConfig",
    "VerifierConfig",
    "config_from_dict",
    "config_to_yaml",
    "load_config",
]

def _finite(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    # .inf passes gt(0): a wall time of .inf would let one looping sample hold a run for ever.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be a finite number, got {value}")


_positive = attrs.validators.and_(attrs.validators.gt(0), _finite)
_non_negative = attrs.validators.and_(attrs.validators.ge(0), _finite)
_fraction = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen
class ModelConfig:
    #: A Hugging Face causal-LM directory; None builds (once) and uses the embedded tiny default.
    path: str | None = None
    #: Where the embedded default model is built and kept; codekiln's cache (:func:`codekiln.cache.cache_dir`)
    #: unless set.
    cache_dir: str = attrs.field(factory=lambda: str(codekiln_cache_dir()))
    #: Parameter dtype for training: "auto" is bfloat16 on a GPU that supports it, float32 on CPU.
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"


@attrs.frozen
class DataConfig:
    #: ``NAME`` (``families``, ``builtin``, ``humaneval``) or ``FORMAT:PATH`` (``jsonl:problems.jsonl``).
    dataset: str = "families"
    languages: list[str] = attrs.field(factory=lambda: ["python"])
    max_difficulty: int = attrs.field(default=5, validator=[attrs.validators.ge(1), attrs.validators.le(5)])
    validation_fraction: float = attrs.field(default=0.2, validator=_fraction)
    #: Fail on the first malformed dataset row instead of skipping it (skips are always counted and shown).
    strict: bool = False


@attrs.frozen
class SandboxConfig:
    isolation: Literal["none", "process", "namespaces"] = "namespaces"
    wall_time_s: float = attrs.field(default=10.0, validator=_positive)
    cpu_time_s: float = attrs.field(default=10.0, validator=_positive)
    memory_mb: int = attrs.field(default=1024, validator=_positive)


@attrs.frozen
class RayVerifierConfig:
    #: The Ray cluster (``auto``, ``HOST:PORT``, ``ray://HOST:10001``); unset: $RAY_ADDRESS, else the Ray instance
    #: this process joined, else a local one started for the run.
    address: str | None = None


@attrs.frozen
class HttpVerifierConfig:
    #: A running ``codekiln serve-verifier``, e.g. ``http://127.0.0.1:8000``.
    url: str | None = None
    #: The environment variable holding the service's API key (the key itself stays out of config files).
    api_key_env: str = "CODEKILN_API_KEY"
    #: Seconds one request may take (a batch takes as long as its slowest sample).
    timeout_s: float = attrs.field(default=300.0, validator=_positive)


@attrs.frozen
class VerifierConfig:
    #: Where verification runs: worker processes here, Ray actors on a cluster, or a verification service.
    backend: Literal["local", "ray", "http"] = "local"
    #: Worker processes (local) or Ray actors (ray); 0 means one per CPU core (of the cluster, for ray).
    workers: int = attrs.field(default=0, validator=_non_negative)
    cache: bool = True
    #: Per language, whether its backend may use its warm path (default on): see codekiln.verifier.warm.
    warm: dict[str, bool] = attrs.field(factory=dict)
    ray: RayVerifierConfig = attrs.field(factory=RayVerifierConfig)
    http: HttpVerifierConfig = attrs.field(factory=HttpVerifierConfig)


@attrs.frozen
class CurriculumConfig:
    name: str = "uniform"
    params: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class GenerationConfig:
    backend: Literal["auto", "hf", "vllm"] = "auto"
    #: "chat" applies the tokenizer's chat template; "completion" sends the prompt as plain text.
    prompt_format: Literal["auto", "chat", "completion"] = "auto"
    max_new_tokens: int = attrs.field(default=256, validator=_positive)
    #: Sampling temperature of GRPO's completions (and of log-probabilities in its loss). 1.0 learned best for
    #: the default run (docs/training/learning.md, "How the other settings were chosen"); 0.7-1.0 is usual
    #: for pretrained models.
    temperature: float = attrs.field(default=1.0, validator=_non_negative)
    top_p: float = attrs.field(default=1.0, validator=_fraction)
    top_k: int = attrs.field(default=0, validator=_non_negative)
    stop: list[str] = attrs.field(factory=list)
    #: Fraction of GPU memory vLLM may take (colocated with training, so keep it well under 1).
    gpu_memory_utilization: float = attrs.field(default=0.3, validator=_fraction)


@attrs.frozen
class SFTConfig:
    """The defaults are sized for the embedded default model: it learns the reference solutions in a few
    minutes on a laptop CPU. For a pretrained model, lower ``learning_rate`` (1e-5) and ``epochs`` (1-3).
    docs/training/learning.md has the runs ``learning_rate`` was chosen from: at 3e-3 one seed in five did
    not converge, and the others generalised less to the ``rl`` and ``heldout`` splits."""

    enabled: bool = True
    epochs: int = attrs.field(default=30, validator=_non_negative)
    batch_size: int = attrs.field(default=4, validator=_positive)
    learning_rate: float = attrs.field(default=1e-3, validator=_positive)
    lr_schedule: Literal["constant", "linear", "cosine"] = "cosine"
    warmup_steps: int = attrs.field(default=20, validator=_non_negative)
    #: Concatenate examples into full-length rows (packing) instead of padding each one.
    packing: bool = False
    #: Longest training example in tokens; longer ones are cut (and counted).
    max_length: int = attrs.field(default=512, validator=_positive)
    #: Write a checkpoint every this many epochs (0: only after SFT), so a stopped run resumes within SFT.
    checkpoint_every: int = attrs.field(default=10, validator=_non_negative)


@attrs.frozen
class GRPOConfig:
    """The defaults are sized for the embedded default model on the task families, on a 2-core CPU (about 6.5
    minutes of GRPO when last timed, the whole run under 11); docs/training/learning.md has the runs they were
    chosen from."""

    enabled: bool = True
    steps: int = attrs.field(default=40, validator=_non_negative)
    prompts_per_step: int = attrs.field(default=16, validator=_positive)
    group_size: int = attrs.field(default=8, validator=_positive)
    learning_rate: float = attrs.field(default=2e-4, validator=_positive)
    epsilon_low: float = attrs.field(default=0.2, validator=_non_negative)
    epsilon_high: float = attrs.field(default=0.28, validator=_non_negative)
    kl_coef: float = attrs.field(default=0.0, validator=_non_negative)
    #: Weight of an SFT loss on the ``sft`` split's reference solutions, added to every GRPO update (InstructGPT's
    #: "PPO-ptx"), so that RL does not wear away what SFT taught. 0 turns it off.
    sft_coef: float = attrs.field(default=0.0, validator=_non_negative)
    #: Reference solutions drawn for that loss in each update.
    sft_batch_size: int = attrs.field(default=8, validator=_positive)
    #: Divide advantages by the group's standard deviation (off is Dr. GRPO).
    scale_rewards: bool = True
    leave_one_out: bool = False
    loss_aggregation: Literal["token", "sequence"] = "token"
    updates_per_batch: int = attrs.field(default=1, validator=_positive)
    max_grad_norm: float = attrs.field(default=1.0, validator=_positive)
    #: Drop groups whose rewards are all equal and draw new prompts (dynamic sampling).
    filter_equal_groups: bool = True
    #: How many extra rounds of prompts dynamic sampling may draw to refill a step.
    max_refill_rounds: int = attrs.field(default=2, validator=_non_negative)
    #: Leave completions cut off at max_new_tokens out of the loss.
    mask_truncated: bool = False
    #: Samples per forward/backward pass; gradients are accumulated over the batch.
    micro_batch_size: int = attrs.field(default=8, validator=_positive)
    lr_schedule: Literal["constant", "linear", "cosine"] = "constant"
    warmup_steps: int = attrs.field(default=0, validator=_non_negative)
    #: Save a checkpoint every this many steps (and always at the end); 0 saves only at the end.
    checkpoint_every: int = attrs.field(default=5, validator=_non_negative)


@attrs.frozen
class EvalConfig:
    #: Evaluate pass rate before SFT, after SFT and after GRPO.
    enabled: bool = True
    #: Which problems: "train", "validation" or "all" of the selected ones.
    split: Literal["train", "validation", "all"] = "all"
    #: Completions per problem and language (pass@k is reported for k up to this).
    samples: int = attrs.field(default=1, validator=_positive)
    temperature: float = attrs.field(default=0.0, validator=_non_negative)


@attrs.frozen
class PluginsConfig:
    #: Plugin or distribution names not to load.
    block: list[str] = attrs.field(factory=list)


def _default_rewards() -> dict[str, float]:
    return {"all_tests": 1.0, "tests": 0.5, "compiles": 0.2, "syntax": 0.1}


@attrs.frozen
class Config:
    seed: int = 0
    run_dir: str = "runs/latest"
    #: "auto" picks CUDA when available.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    #: torch threads on CPU; 0: every core for SFT and GRPO's update, half of them while the verifier's workers
    #: run too (rollouts, evaluations), since two busy parties on the same cores slow torch down many times over.
    threads: int = attrs.field(default=0, validator=_non_negative)
    model: ModelConfig = attrs.field(factory=ModelConfig)
    data: DataConfig = attrs.field(factory=DataConfig)
    sandbox: SandboxConfig = attrs.field(factory=SandboxConfig)
    verifier: VerifierConfig = attrs.field(factory=VerifierConfig)
    #: Reward name -> weight; the total is the weighted mean of the components that did not abstain.
    rewards: dict[str, float] = attrs.field(factory=_default_rewards)
    #: Reward name -> constructor parameters.
    reward_params: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    curriculum: CurriculumConfig = attrs.field(factory=CurriculumConfig)
    generation: GenerationConfig = attrs.field(factory=GenerationConfig)
    sft: SFTConfig = attrs.field(factory=SFTConfig)
    grpo: GRPOConfig = attrs.field(factory=GRPOConfig)
    eval: EvalConfig = attrs.field(factory=EvalConfig)
    plugins: PluginsConfig = attrs.field(factory=PluginsConfig)


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> Config:
    """Read ``path`` (or start from the defaults), apply ``key.sub=value`` overrides, validate."""
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_yaml(Path(path))
    for override in overrides:
        _apply_override(data, override)
    return config_from_dict(data)


def config_from_dict(data: dict[str, Any]) -> Config:
    """Validate ``data`` (what a config file holds, as a mapping) into a :class:`Config`, with the same
    one-line errors as :func:`load_config`."""
    return _structure(Config, data, "")


def config_to_yaml(config: Config) -> str:
    return yaml.safe_dump(attrs.asdict(config), sort_keys=False, default_flow_style=False)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    data = parse_yaml(text, where=str(path), error=ConfigError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values, got {type(data).__name__}")
    return data


def _apply_override(data: dict[str, Any], override: str) -> None:
    key, sep, raw = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {override!r} must look like key.subkey=value")
    value = parse_yaml(raw, where=f"override {key.strip()}", error=ConfigError, text_if_invalid=True) \
        if raw.strip() else ""
    parts = key.strip().split(".")
    node = data
    for index, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            dotted = ".".join(parts[: index + 1])
            raise ConfigError(f"override {override!r}: '{dotted}' is a value, not a section")
        node = child
    node[parts[-1]] = value


def _structure(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        where = f"config section '{prefix.rstrip('.')}'" if prefix else "the config"
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__} {data!r}")
    fields = attrs.fields_dict(cls)
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            raise ConfigError(_unknown_key(prefix, str(key), cls))
    values = {}
    for key, value in data.items():
        values[key] = _convert(hints[key], value, f"{prefix}{key}")
    try:
        return cls(**values)
    except ValueError as exc:
        raise ConfigError(f"config key {_bad_field(exc, prefix)}") from None


def _bad_field(exc: ValueError, prefix: str) -> str:
    # attrs validators say "'group_size' must be > 0: -1".
    text = str(exc)
    if text.startswith("'"):
        name, _, rest = text[1:].partition("'")
        return f"'{prefix}{name}'{rest}"
    return text


def _convert(hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if attrs.has(hint):
        return _structure(hint, value, f"{key}.")
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"config key '{key}' must be one of {', '.join(map(str, args))}; got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"config key '{key}' must be a list, got {type(value).__name__} {value!r}")
        return [_convert(args[0], item, f"{key}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}' must be a mapping, got {type(value).__name__} {value!r}")
        return {str(k): _convert(args[1], v, f"{key}.{k}") for k, v in value.items()}
    return _scalar(hint, value, key)


def _scalar(hint: Any, value: Any, key: str) -> Any:
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}' must be true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}' must be an integer, got {value!r}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 3e-4 (no dot) as a string; users mean the number
            with contextlib.suppress(ValueError):
                return float(value)
        raise ConfigError(f"config key '{key}' must be a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"config key '{key}' must be a string, got {value!r}")
    raise TypeError(f"unsupported config type {hint!r} for '{key}'")  # a bug in this module, not user input


def _all_keys(cls: type, prefix: str = "") -> list[str]:
    keys = []
    hints = typing.get_type_hints(cls)
    for name in attrs.fields_dict(cls):
        keys.append(prefix + name)
        if attrs.has(hints[name]):
            keys.extend(_all_keys(hints[name], f"{prefix}{name}."))
    return keys


def _unknown_key(prefix: str, key: str, cls: type) -> str:
    full = prefix + key
    close = [prefix + m for m in difflib.get_close_matches(key, attrs.fields_dict(cls), n=1, cutoff=0.6)]
    if not close:  # a key put in the wrong section: `group_size` for `grpo.group_size`
        leaves = {c.rsplit(".", 1)[-1]: c for c in _all_keys(Config)}
        close = [leaves[m] for m in difflib.get_close_matches(key, leaves, n=1, cutoff=0.8)]
    if close:
        return f"unknown config key '{full}'; did you mean '{close[0]}'?"
    section = f" under '{prefix.rstrip('.')}'" if prefix else ""
    return f"unknown config key '{full}'; valid keys{section}: {', '.join(attrs.fields_dict(cls))}"
