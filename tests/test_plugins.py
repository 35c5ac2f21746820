"""The plugin manager and the registries: loading order, switches, isolation of broken plugins."""

from __future__ import annotations

import pytest

from codekiln import hookimpl
from codekiln.errors import PluginError, RegistryError
from codekiln.plugins import BUILTIN_PLUGINS, PluginInfo, make_plugins, registered
from codekiln.registry import RewardRegistry
from codekiln.rewards import Reward


class NamedReward(Reward):
    name = "named"

    def __call__(self, completions, **_):
        return [0.0] * len(completions)


def test_unknown_name_lists_what_is_available():
    registry = RewardRegistry()
    registry.register(NamedReward)
    with pytest.raises(RegistryError, match=r"^unknown reward 'nope'; available: named$"):
        registry.get("nope")


def test_registry_rejects_instances_where_classes_are_expected():
    with pytest.raises(RegistryError, match=r"expects a class.*register the class itself"):
        RewardRegistry().register(NamedReward())


def test_registry_rejects_objects_missing_required_attributes():
    class Nameless:
        def __call__(self, completions):
            return []

    with pytest.raises(RegistryError, match=r"lacks required attribute\(s\): name"):
        RewardRegistry().register(Nameless)


def test_duplicate_names_name_both_plugins(codekiln_plugins, register_plugin):
    class Duplicate(NamedReward):
        name = "tests"  # the built-in reward's name

    class Plugin:
        @hookimpl
        def codekiln_register_rewards(self, registry):
            registry.register(Duplicate)

    warnings: list[str] = []
    codekiln_plugins._warn = warnings.append
    with register_plugin(Plugin(), name="dupe"):
        rewards = codekiln_plugins.rewards()
    assert rewards.owner("tests") == "builtin.rewards"
    assert len(warnings) == 1
    assert "reward 'tests' from plugin 'dupe' is already registered by plugin 'builtin.rewards'" in warnings[0]


def test_autoload_off_loads_only_the_builtins(monkeypatch):
    monkeypatch.setenv("CODEKILN_DISABLE_PLUGIN_AUTOLOAD", "1")
    plugins = make_plugins()
    assert set(plugins.infos) == set(BUILTIN_PLUGINS)
    assert all(info.builtin for info in plugins.infos.values())


def test_blocking_a_builtin_by_name(monkeypatch):
    plugins = make_plugins(autoload=False, block=["builtin.rewards"])
    assert "builtin.rewards" not in plugins.infos
    assert "tests" not in plugins.rewards() and "efficiency" in plugins.rewards()  # other built-ins stay
    monkeypatch.setenv("CODEKILN_BLOCK_PLUGINS", "builtin.curricula, builtin.datasets")
    plugins = make_plugins(autoload=False)
    assert set(plugins.infos) == set(BUILTIN_PLUGINS) - {"builtin.curricula", "builtin.datasets"}
    assert plugins.datasets().names() == []


def test_trace_prints_hook_calls(monkeypatch, capsys):
    monkeypatch.setenv("CODEKILN_TRACE_PLUGINS", "1")
    plugins = make_plugins(autoload=False)
    plugins.rewards()
    err = capsys.readouterr().err
    assert "codekiln_register_rewards [plugin builtin.rewards]" in err


def test_trace_shows_lifecycle_calls_through_pluggy(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CODEKILN_TRACE_PLUGINS", "1")
    plugins = make_plugins(autoload=False)
    plugins.pm.hook.codekiln_evaluation_finished(run_dir=None, name="x", metrics={})
    assert "codekiln_evaluation_finished" in capsys.readouterr().err


def test_a_plugin_failing_to_register_is_isolated_and_named():
    warnings: list[str] = []
    plugins = make_plugins(autoload=False, warn=warnings.append)

    class Broken:
        @hookimpl
        def codekiln_register_rewards(self, registry):
            raise RuntimeError("boom")

    with registered(plugins, Broken(), "broken"):
        rewards = plugins.rewards()
    assert "tests" in rewards  # the built-ins still registered
    assert warnings == [
        "plugin 'broken' (<test> 0) failed to register: codekiln_register_rewards: RuntimeError: boom"
    ]


def test_asking_for_what_a_failed_plugin_provides_fails_with_its_line():
    plugins = make_plugins(autoload=False, warn=lambda line: None)
    plugins._fail(PluginInfo("java", "codekiln-java", "0.3.0", "codekiln_java"), "ImportError: no JDK module")
    with pytest.raises(PluginError) as info:
        plugins.languages().get("java")
    assert str(info.value) == "plugin 'java' (codekiln-java 0.3.0) failed to load: ImportError: no JDK module"
    # Something unrelated still gets the ordinary message.
    with pytest.raises(RegistryError, match="unknown language 'ruby'"):
        plugins.languages().get("ruby")


def test_a_misspelled_hook_rejects_only_that_plugin():
    warnings: list[str] = []
    plugins = make_plugins(autoload=False, warn=warnings.append)

    class Typo:
        @hookimpl
        def codekiln_register_reward(self, registry):  # missing the final "s"
            pass

    plugins.register(Typo(), PluginInfo("typo", "codekiln-typo", "1.0", "typo"))
    plugins.check_pending()
    assert "typo" not in plugins.infos
    assert len(warnings) == 1 and "plugin 'typo' (codekiln-typo 1.0)" in warnings[0]
    assert "codekiln_register_reward" in warnings[0]
    assert "tests" in plugins.rewards()


def test_hookimpl_with_unknown_argument_is_rejected():
    warnings: list[str] = []
    plugins = make_plugins(autoload=False, warn=warnings.append)

    class WrongArgs:
        @hookimpl
        def codekiln_step_finished(self, stepp):
            pass

    assert not plugins.register(WrongArgs(), PluginInfo("wrong", "codekiln-wrong", "1.0", "wrong"))
    assert "stepp" in warnings[0]


def test_registered_context_manager_unregisters_even_on_error(codekiln_plugins, register_plugin):
    class Plugin:
        @hookimpl
        def codekiln_register_rewards(self, registry):
            registry.register(NamedReward)

    with pytest.raises(KeyError), register_plugin(Plugin(), name="temp"):
        assert "named" in codekiln_plugins.rewards()
        raise KeyError("inside")
    assert "named" not in codekiln_plugins.rewards()
    assert "temp" not in codekiln_plugins.infos


def test_each_registry_is_built_once_and_again_only_after_a_registration(codekiln_plugins, register_plugin):
    calls = []

    class Counting:
        @hookimpl
        def codekiln_register_rewards(self, registry):
            calls.append(1)
            registry.register(NamedReward)

    rewards = codekiln_plugins.rewards()
    assert codekiln_plugins.rewards() is rewards and "named" not in rewards
    with register_plugin(Counting(), name="counting"):
        with_plugin = codekiln_plugins.rewards()
        assert with_plugin is not rewards and "named" in with_plugin
        assert codekiln_plugins.rewards() is with_plugin and codekiln_plugins.describe()
        assert calls == [1]  # rewards(), rewards() again and describe() share one build
    assert "named" not in codekiln_plugins.rewards()  # unregistering drops it too
    assert calls == [1]
