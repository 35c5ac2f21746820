"""codekiln-java: the Java language backend for codekiln."""

from codekiln import hookimpl

from .backend import JavaBackend

__all__ = ["JavaBackend"]
__version__ = "0.1.0"


@hookimpl
def codekiln_register_languages(registry):
    registry.register(JavaBackend())
