"""Built-in curriculum schedulers: ``uniform``, ``ordered``, ``adaptive`` and ``language_mix``.

docs/curricula.md describes each one and its parameters.
"""

from __future__ import annotations

from codekiln import hookimpl

from .adaptive import AdaptiveCurriculum
from .language_mix import LanguageMixCurriculum
from .ordered import OrderedCurriculum
from .uniform import UniformCurriculum

__all__ = ["AdaptiveCurriculum", "LanguageMixCurriculum", "OrderedCurriculum", "UniformCurriculum"]


@hookimpl
def codekiln_register_curricula(registry):
    for curriculum in (UniformCurriculum, OrderedCurriculum, AdaptiveCurriculum, LanguageMixCurriculum):
        registry.register(curriculum)
