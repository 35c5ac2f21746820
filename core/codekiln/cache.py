"""Where codekiln keeps what it builds once and reuses: the one place every cache of the project is rooted.

Every cache codekiln writes lies under :func:`cache_dir`: the embedded default model (``model.cache_dir``
defaults to it), the C++ precompiled headers and harness objects (``cpp/``), the Java runtime jar and the
javac class-data archive (``java/``). Each is content-addressed and may be deleted at any time.

The ``process`` isolation level shows the host filesystem to the sandbox's uids, so there the C++ and Java
caches must be readable by every user: a cache below a mode-700 home (``/root/.cache``) is refused with a
line naming ``CODEKILN_CACHE_DIR``. The ``namespaces`` level binds them into the sandbox and has no such need.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "hermetic_environment"]

#: The variable that overrides the location (tests point it at a directory of their own).
CACHE_ENV = "CODEKILN_CACHE_DIR"


def cache_dir() -> Path:
    """``$CODEKILN_CACHE_DIR``, else ``$XDG_CACHE_HOME/codekiln``, else ``~/.cache/codekiln`` (not created).

    Read from the environment at each call, so that a test session (or a worker process) that sets the
    variable is obeyed whenever it set it.
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(xdg, "codekiln")


def hermetic_environment(root: str | os.PathLike[str]) -> dict[str, str]:
    """The variables that send every cache codekiln or a library it uses writes (Hugging Face, vLLM, torch,
    triton, matplotlib, anything that follows XDG) below ``root``: a test session sets them so that a run
    on a used machine behaves exactly as on a fresh one, and leaves nothing outside ``root``."""
    root = Path(root)
    return {
        CACHE_ENV: str(root / "codekiln"),
        "XDG_CACHE_HOME": str(root / "xdg-cache"),
        "XDG_CONFIG_HOME": str(root / "xdg-config"),
        "XDG_DATA_HOME": str(root / "xdg-data"),
        "HF_HOME": str(root / "huggingface"),
        "VLLM_CACHE_ROOT": str(root / "vllm"),
        "VLLM_CONFIG_ROOT": str(root / "vllm-config"),
        "TORCH_HOME": str(root / "torch"),
        "TORCHINDUCTOR_CACHE_DIR": str(root / "torchinductor"),
        "TRITON_CACHE_DIR": str(root / "triton"),
        "MPLCONFIGDIR": str(root / "matplotlib"),
    }
