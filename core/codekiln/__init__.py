"""codekiln: train code-generation language models with reinforcement learning.

A plugin author needs one import to start::

    from codekiln import hookimpl

Everything heavy (torch, transformers, vLLM, compilers) is imported lazily by the command that needs it.
"""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]

__version__ = "0.1.0"

#: The pluggy project name and the entry-point group plugins declare themselves under.
PROJECT_NAME = "codekiln"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
