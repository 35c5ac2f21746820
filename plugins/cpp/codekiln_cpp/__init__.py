"""codekiln-cpp: the C++ language backend for codekiln (g++, C++17)."""

from codekiln import hookimpl

from .backend import CppBackend

__all__ = ["CppBackend"]
__version__ = "0.1.0"


@hookimpl
def codekiln_register_languages(registry):
    registry.register(CppBackend())
