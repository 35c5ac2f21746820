"""The plugin session the reward tests bind their rewards to, as ``RewardSet.from_config`` does for the
trainer: every installed plugin, this repository's languages among them. Tests are entry points."""

from __future__ import annotations

import functools
from typing import TypeVar

from codekiln.plugins import Plugins, make_plugins

R = TypeVar("R")


@functools.cache
def plugins() -> Plugins:
    return make_plugins()


def bound(reward: R) -> R:
    """``reward``, bound to the tests' session."""
    reward.bind_plugins(plugins())
    return reward
