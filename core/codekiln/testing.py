"""A pytest plugin for codekiln plugin authors (loaded automatically once codekiln is installed).

Fixtures:

- ``codekiln_plugins``: a fresh plugin manager with only the built-ins, no entry points, so a test sees
  exactly the plugins it registers itself.
- ``register_plugin``: a context manager registering a plugin for the duration of a ``with`` block::

      def test_my_reward(codekiln_plugins, register_plugin):
          with register_plugin(my_plugin_module):
              assert "my_reward" in codekiln_plugins.rewards()
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from codekiln.plugins import Plugins, make_plugins, registered

__all__ = ["codekiln_plugins", "register_plugin"]


@pytest.fixture
def codekiln_plugins() -> Plugins:
    """A plugin manager without autoload: the built-ins only."""
    return make_plugins(autoload=False, block=(), trace=False)


@pytest.fixture
def register_plugin(codekiln_plugins: Plugins) -> Callable[..., AbstractContextManager[Any]]:
    """``with register_plugin(plugin, name=None):`` registers ``plugin`` in ``codekiln_plugins``."""

    def register(plugin: Any, name: str | None = None) -> AbstractContextManager[Any]:
        return registered(codekiln_plugins, plugin, name)

    return register
