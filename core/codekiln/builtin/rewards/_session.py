"""A reward's handle on the run's plugin session, for the rewards that look up language backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codekiln.errors import PluginError

if TYPE_CHECKING:
    from codekiln.plugins import Plugins, PluginsSpec
    from codekiln.registry import LanguageRegistry


class SessionHandle:
    """The plugin session a reward is bound to (:meth:`codekiln.rewards.RewardSet.from_config` binds it).

    It pickles as the session's description, so a copy of the reward in another process rebuilds exactly
    that session, block list included, the first time it needs it.
    """

    def __init__(self, reward: str) -> None:
        self.reward = reward
        self._plugins: Plugins | None = None
        self._spec: PluginsSpec | None = None

    def bind(self, plugins: Plugins) -> None:
        self._plugins = plugins
        self._spec = None

    def languages(self) -> LanguageRegistry:
        if self._plugins is None:
            if self._spec is None:
                raise PluginError(f"reward '{self.reward}' has no plugin session: build it with "
                                  "RewardSet.from_config(config, plugins) or call bind_plugins(plugins)")
            self._plugins = self._spec.build()
        return self._plugins.languages()

    def __getstate__(self) -> dict[str, Any]:
        spec = self._spec if self._plugins is None else self._plugins.spec()
        return {"reward": self.reward, "spec": spec}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.reward = state["reward"]
        self._plugins = None
        self._spec = state["spec"]
