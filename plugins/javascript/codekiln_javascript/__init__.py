"""codekiln-javascript: the JavaScript (Node.js) language backend for codekiln."""

from codekiln import hookimpl

from .backend import JavaScriptBackend

__all__ = ["JavaScriptBackend"]
__version__ = "0.1.0"


@hookimpl
def codekiln_register_languages(registry):
    registry.register(JavaScriptBackend())
