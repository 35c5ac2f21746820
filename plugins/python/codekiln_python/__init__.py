"""codekiln-python: the Python language backend for codekiln."""

from codekiln import hookimpl

from .backend import PythonBackend

__all__ = ["PythonBackend"]
__version__ = "0.1.0"


@hookimpl
def codekiln_register_languages(registry):
    registry.register(PythonBackend())
