"""What the built-in TensorBoard, W&B and MLflow loggers share: the config as plain data, numeric metrics,
and one warning line per missing package. Not a plugin itself."""

from __future__ import annotations

import numbers
import sys
from collections.abc import Mapping
from typing import Any

import attrs

_warned: set[str] = set()


def warn_once(plugin: str, line: str) -> None:
    """Print ``line`` on stderr the first time ``plugin`` says it in this process."""
    if plugin not in _warned:
        _warned.add(plugin)
        print(f"codekiln: warning: {plugin}: {line}", file=sys.stderr)


def first_line(exc: BaseException) -> str:
    """``Type: message`` on one line, for errors from tools whose messages run over several."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def config_dict(config: Any) -> dict[str, Any]:
    """The run's config as nested plain data (the trainer passes a :class:`codekiln.config.Config`)."""
    if attrs.has(type(config)):
        return attrs.asdict(config)
    if isinstance(config, Mapping):
        return dict(config)
    return {} if config is None else {"config": repr(config)}


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: ``{"grpo": {"kl_coef": 0.1}}`` -> ``{"grpo.kl_coef": 0.1}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def numeric(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The metrics that are numbers, as floats; anything else a plugin put there is skipped."""
    return {name: float(value) for name, value in metrics.items() if isinstance(value, numbers.Real)}
