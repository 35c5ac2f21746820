"""The examples in docstrings are tests too (STYLE: a doctest for each reward, codec, parser)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import codekiln
from codekiln.plugins import make_plugins

# Not importable as modules: the entry point runs the CLI; the harness runs inside the sandbox.
_SKIP = {"codekiln.__main__", "codekiln_python.harness"}


def _packages():
    """codekiln and every installed plugin package (the language plugins in this repository among them)."""
    yield codekiln
    for info in make_plugins(warn=lambda line: None).infos.values():
        if not info.builtin:
            package = importlib.import_module(info.module.split(":")[0].split(".")[0])
            if hasattr(package, "__path__"):
                yield package


def _modules():
    for package in _packages():
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if info.name not in _SKIP:
                yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
