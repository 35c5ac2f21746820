"""Finding, loading and isolating plugins.

:func:`make_plugins` builds the plugin session in a fixed order: add the hookspecs, load the ``codekiln``
entry points (unless autoload is off), register the built-ins, then check that every hook a plugin
implements exists. There is no module-level manager, and there is one session per process: only the entry
points (the CLI, the pytest fixtures of :mod:`codekiln.testing`, the integrations) build one; everything
below them (the verifier, the rewards, the curricula, the trainer) receives it. A worker process rebuilds
exactly its parent's session from :meth:`Plugins.spec`, a picklable :class:`PluginsSpec`, so ``--block``
and ``--no-autoload`` hold in every process.

A plugin that fails to import, to validate or to register costs one line naming it, its distribution
and version, and the error; everything else keeps working. Asking for something only that plugin could
have provided (``--lang java`` when ``codekiln-java`` is broken) fails with that same line.

Switches: ``CODEKILN_DISABLE_PLUGIN_AUTOLOAD=1`` loads only the built-ins; ``CODEKILN_BLOCK_PLUGINS=a,b``
(or the CLI's ``--block``) skips plugins by plugin or distribution name; ``CODEKILN_TRACE_PLUGINS=1``
prints every hook call to stderr.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pluggy

from . import PROJECT_NAME, hookspecs
from .errors import PluginError
from .registry import CurriculumRegistry, DatasetRegistry, LanguageRegistry, Registry, RewardRegistry

__all__ = ["BUILTIN_PLUGINS", "PluginFailure", "PluginInfo", "Plugins", "PluginsSpec", "make_plugins"]

#: Built-in plugins: name -> module. They register through the same hooks as third-party code and can be
#: blocked by name like any other plugin.
BUILTIN_PLUGINS = {
    "builtin.rewards": "codekiln.builtin.rewards.basic",
    "builtin.quality": "codekiln.builtin.rewards.quality",
    "builtin.constraints": "codekiln.builtin.rewards.constraints",
    "builtin.security": "codekiln.builtin.rewards.security",
    "builtin.efficiency": "codekiln.builtin.rewards.efficiency",
    "builtin.curricula": "codekiln.builtin.curricula",
    "builtin.datasets": "codekiln.builtin.datasets.loaders",
    "builtin.jsonl_logger": "codekiln.builtin.loggers.jsonl",
    "builtin.tensorboard": "codekiln.builtin.loggers.tensorboard",
    "builtin.wandb": "codekiln.builtin.loggers.wandb",
    "builtin.mlflow": "codekiln.builtin.loggers.mlflow",
    "builtin.prometheus": "codekiln.builtin.loggers.prometheus",
}

_REGISTRIES: dict[str, tuple[str, type[Registry]]] = {
    "languages": ("codekiln_register_languages", LanguageRegistry),
    "rewards": ("codekiln_register_rewards", RewardRegistry),
    "curricula": ("codekiln_register_curricula", CurriculumRegistry),
    "datasets": ("codekiln_register_datasets", DatasetRegistry),
}


@attrs.frozen
class PluginInfo:
    """A loaded plugin: its name, the distribution that provides it, and that distribution's version."""

    name: str
    distribution: str
    version: str
    module: str
    builtin: bool = False


@attrs.frozen
class PluginFailure:
    """A plugin that could not be used, and why. ``stage`` is "load" (import or validation) or
    "register" (its registration hook raised)."""

    name: str
    distribution: str
    version: str
    error: str
    stage: str = "load"

    @property
    def line(self) -> str:
        return f"plugin '{self.name}' ({self.distribution} {self.version}) failed to {self.stage}: {self.error}"

    def could_provide(self, name: str) -> bool:
        """Whether ``name`` (a language, reward, ...) is plausibly what this plugin provides."""
        short = self.distribution.removeprefix(f"{PROJECT_NAME}-")
        return name.lower() in {self.name.lower(), self.distribution.lower(), short.lower()}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _warn_stderr(line: str) -> None:
    print(f"codekiln: warning: {line}", file=sys.stderr)


def _quiet(line: str) -> None:
    """A worker's warnings: its parent built the same session and has reported every failure already."""


@attrs.frozen
class PluginsSpec:
    """What a session was built from, picklable: a worker process rebuilds exactly that session with
    :meth:`build`. ``block`` holds every blocked name (the environment's included), ``extra`` the plugins
    registered after the session was built, each by the module it is."""

    autoload: bool
    block: tuple[str, ...] = ()
    extra: tuple[PluginInfo, ...] = ()

    def build(self, *, warn: Callable[[str], None] = _quiet) -> Plugins:
        plugins = make_plugins(autoload=self.autoload, block=self.block, warn=warn)
        for info in self.extra:
            plugins.register(importlib.import_module(info.module), info)
        plugins.check_pending()
        return plugins


class Plugins:
    """The plugin session: the plugin manager plus what codekiln knows about each plugin (where it came
    from, what failed) and the registries built from it. Build it with :func:`make_plugins`."""

    def __init__(self, *, autoload: bool = False, block: Iterable[str] = (), trace: bool = False,
                 warn: Callable[[str], None] = _warn_stderr) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        self.autoload = autoload
        self.block = tuple(sorted(set(block)))
        # Plugins registered after make_plugins built the session (a test's, a docs example's): a worker
        # must register them again, so spec() names them.
        self._extra: dict[str, Any] = {}
        # Each registry is built once, on first use; registering or unregistering a plugin drops them all.
        self._registries: dict[str, Any] = {}
        self._warn = warn
        self._trace = trace
        if trace:
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()

    # -- loading -------------------------------------------------------------------------------------------

    def register(self, plugin: Any, info: PluginInfo) -> bool:
        """Register ``plugin`` in this session; on a validation error record a failure instead. True when it
        registered. Worker processes register it too when it is a module importable by name (see
        :meth:`spec`)."""
        if not self._register(plugin, info):
            return False
        self._extra[info.name] = plugin
        return True

    def _register(self, plugin: Any, info: PluginInfo) -> bool:
        try:
            self.pm.register(plugin, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            self._fail(info, f"{type(exc).__name__}: {exc}")
            return False
        self.infos[info.name] = info
        self._registries.clear()
        return True

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        self._extra.pop(name, None)
        self._registries.clear()

    def spec(self) -> PluginsSpec:
        """The picklable description worker processes rebuild this session from.

        A plugin registered after the session was built travels as its module's name; one that is not a
        module importable by name (an object or class made in this process) cannot, and is refused here.
        """
        extra = []
        for name, plugin in self._extra.items():
            module = _importable_name(plugin)
            if module is None:
                raise PluginError(
                    f"plugin '{name}' ({type(plugin).__name__}) was registered in this process only, so worker "
                    "processes cannot load it: register a module importable by name, or use one worker (workers=1)"
                )
            extra.append(attrs.evolve(self.infos[name], module=module))
        return PluginsSpec(self.autoload, self.block, tuple(extra))

    def check_pending(self) -> None:
        """Reject plugins implementing hooks that do not exist (usually a typo), one plugin at a time."""
        while True:
            try:
                self.pm.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                name = self.pm.get_name(exc.plugin)
                info = self.infos[name]
                self.unregister(name)
                self._fail(info, str(exc).splitlines()[0])

    def _fail(self, info: PluginInfo, error: str, stage: str = "load") -> None:
        failure = PluginFailure(info.name, info.distribution, info.version, error, stage)
        if failure in self.failures:  # registries are rebuilt after a registration; say each failure once
            return
        self.failures.append(failure)
        self._warn(failure.line)

    def failure_for(self, name: str) -> str | None:
        return next((f.line for f in self.failures if f.could_provide(name)), None)

    # -- registries ----------------------------------------------------------------------------------------

    def languages(self) -> LanguageRegistry:
        return self._build("languages")

    def rewards(self) -> RewardRegistry:
        return self._build("rewards")

    def curricula(self) -> CurriculumRegistry:
        return self._build("curricula")

    def datasets(self) -> DatasetRegistry:
        return self._build("datasets")

    def _build(self, kind: str) -> Any:
        if kind not in self._registries:
            self._registries[kind] = self._build_registry(kind)
        return self._registries[kind]

    def _build_registry(self, kind: str) -> Any:
        hook_name, registry_class = _REGISTRIES[kind]
        registry = registry_class(failures=self.failure_for)
        # Built-ins first, then the others in registration order: a built-in keeps its name and the
        # third-party duplicate is the one reported.
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        for impl in sorted(impls, key=lambda impl: not self.infos[impl.plugin_name].builtin):
            registry._current_plugin = impl.plugin_name
            if self._trace:
                print(f"  {hook_name} [plugin {impl.plugin_name}]", file=sys.stderr)
            try:
                impl.function(registry=registry)
            except Exception as exc:  # a broken plugin must not take the others down
                self._fail(self.infos[impl.plugin_name], f"{hook_name}: {type(exc).__name__}: {exc}", "register")
        return registry

    # -- lifecycle -----------------------------------------------------------------------------------------

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook; an implementation that raises is reported by name, the rest still run."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            args = {k: kwargs[k] for k in impl.argnames}
            try:
                impl.function(**args)
            except Exception as exc:
                self._warn(f"plugin '{impl.plugin_name}' failed in {hook_name}: {type(exc).__name__}: {exc}")

    # -- reporting -----------------------------------------------------------------------------------------

    def describe(self) -> list[dict[str, Any]]:
        """One entry per plugin, failed ones included: what ``codekiln plugins`` prints."""
        registered: dict[str, dict[str, list[str]]] = {name: {} for name in self.infos}
        for kind in _REGISTRIES:
            registry = self._build(kind)
            for item in registry.names():
                owner = registry.owner(item)
                registered.setdefault(owner, {}).setdefault(kind, []).append(item)
        errors = {f.name: f.error for f in self.failures}
        rows = []
        for name, info in self.infos.items():
            hooks = sorted(
                c.name for c in self.pm.get_hookcallers(self.pm.get_plugin(name)) or ()
                if not c.name.startswith("codekiln_register_")
            )
            status = "failed" if name in errors else "loaded"
            rows.append({**attrs.asdict(info), "status": status, "registered": registered.get(name, {}),
                         "hooks": hooks, "error": errors.get(name)})
        for failure in self.failures:
            if failure.name not in self.infos:
                rows.append({"name": failure.name, "distribution": failure.distribution,
                             "version": failure.version, "module": None, "builtin": False, "status": "failed",
                             "registered": {}, "hooks": [], "error": failure.error})
        return rows


def make_plugins(
    *,
    autoload: bool | None = None,
    block: Iterable[str] = (),
    trace: bool | None = None,
    warn: Callable[[str], None] = _warn_stderr,
) -> Plugins:
    """Build a plugin session: hookspecs → entry points → built-ins → check_pending(). Only an entry point
    calls this (the CLI, a pytest fixture, an integration, a script); everything else receives the session.

    ``autoload``, ``block`` and ``trace`` default to the environment switches; ``block`` adds to
    ``CODEKILN_BLOCK_PLUGINS``.
    """
    if autoload is None:
        autoload = not _env_flag("CODEKILN_DISABLE_PLUGIN_AUTOLOAD")
    if trace is None:
        trace = _env_flag("CODEKILN_TRACE_PLUGINS")
    blocked = {b.strip() for b in os.environ.get("CODEKILN_BLOCK_PLUGINS", "").split(",") if b.strip()}
    blocked |= set(block)

    plugins = Plugins(autoload=autoload, block=blocked, trace=trace, warn=warn)
    if autoload:
        for entry_point, dist_name, version in _entry_points():
            if entry_point.name in blocked or dist_name in blocked:
                continue
            info = PluginInfo(entry_point.name, dist_name, version, entry_point.value)
            try:
                module = entry_point.load()
            except Exception as exc:  # any import-time error of a third-party plugin
                plugins._fail(info, f"{type(exc).__name__}: {exc}")
                continue
            plugins._register(module, info)
    from . import __version__

    for name, module_name in BUILTIN_PLUGINS.items():
        if name not in blocked:
            info = PluginInfo(name, PROJECT_NAME, __version__, module_name, builtin=True)
            plugins._register(importlib.import_module(module_name), info)
    plugins.check_pending()
    return plugins


def _entry_points() -> Iterator[tuple[importlib.metadata.EntryPoint, str, str]]:
    seen = set()
    for entry_point in importlib.metadata.entry_points(group=PROJECT_NAME):
        dist = entry_point.dist
        dist_name = dist.metadata["Name"] if dist else "unknown distribution"
        version = dist.version if dist else "?"
        key = (entry_point.name, entry_point.value)
        if key in seen:  # the same distribution found twice on sys.path
            continue
        seen.add(key)
        yield entry_point, dist_name, version


def _importable_name(plugin: Any) -> str | None:
    """The name another process imports ``plugin`` by, when it is a module imported the ordinary way."""
    if not isinstance(plugin, types.ModuleType) or plugin.__spec__ is None or plugin.__name__ == "__main__":
        return None
    return plugin.__name__ if sys.modules.get(plugin.__name__) is plugin else None


@contextmanager
def registered(plugins: Plugins, plugin: Any, name: str | None = None) -> Iterator[Any]:
    """Register ``plugin`` for the duration of a ``with`` block (used by :mod:`codekiln.testing`)."""
    name = name or getattr(plugin, "__name__", None) or f"plugin-{id(plugin)}"
    info = PluginInfo(name, "<test>", "0", getattr(plugin, "__module__", "") or name)
    if not plugins.register(plugin, info):
        raise ValueError(plugins.failures[-1].line)
    plugins.check_pending()
    if not plugins.pm.is_registered(plugin):
        raise ValueError(plugins.failures[-1].line)
    try:
        yield plugin
    finally:
        if plugins.pm.is_registered(plugin):
            plugins.unregister(name)
