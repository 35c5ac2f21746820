"""Typed registries that registration hooks fill and the core looks things up in.

Plugins hand objects to a registry inside a ``codekiln_register_*`` hook; the registry validates them
there (type, required attributes, duplicate names) so a mistake surfaces at start-up, named, and not in the
middle of a training step. The core then calls the registered objects directly, never through pluggy in a
hot loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from .errors import PluginError, RegistryError

__all__ = [
    "CurriculumRegistry",
    "DatasetRegistry",
    "LanguageRegistry",
    "Registry",
    "RewardRegistry",
]

T = TypeVar("T")


class Registry(Generic[T]):
    """Names → registered objects of one kind, remembering which plugin registered each."""

    #: What the registry holds, as users say it ("reward", "language"): used in every error message.
    kind: str = "object"
    #: Attributes every registered object must have.
    required: tuple[str, ...] = ("name",)
    #: True when classes (factories) are registered, False when ready instances are.
    holds_classes: bool = True

    def __init__(self, failures: Callable[[str], str | None] = lambda name: None) -> None:
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._owners: dict[str, str] = {}
        self._current_plugin = "<direct>"
        # Looks up whether a plugin that failed to load would have provided ``name``.
        self._failure_for = failures

    def register(self, obj: T) -> T:
        """Validate and add ``obj`` under ``obj.name`` (and its ``aliases``); returns ``obj``."""
        self._check_type(obj)
        missing = [attr for attr in self.required if not hasattr(obj, attr)]
        if missing:
            raise RegistryError(
                f"{self.kind} {_describe(obj)} from plugin '{self._current_plugin}' lacks required "
                f"attribute(s): {', '.join(missing)}"
            )
        name = obj.name
        if not isinstance(name, str) or not name:
            raise RegistryError(f"{self.kind} {_describe(obj)} needs a non-empty string 'name'")
        for key in (name, *getattr(obj, "aliases", ())):
            if key in self._items or key in self._aliases:
                owner = self._owners.get(self._aliases.get(key, key), "?")
                raise RegistryError(
                    f"{self.kind} '{key}' from plugin '{self._current_plugin}' is already registered "
                    f"by plugin '{owner}'; block one of them (--block NAME) or rename it"
                )
        self._items[name] = obj
        self._owners[name] = self._current_plugin
        for alias in getattr(obj, "aliases", ()):
            self._aliases[alias] = name
        return obj

    def get(self, name: str) -> T:
        """The object registered as ``name`` or an alias; unknown names fail listing what is available."""
        key = self._aliases.get(name, name)
        if key in self._items:
            return self._items[key]
        failure = self._failure_for(name)
        if failure:
            raise PluginError(failure)
        available = ", ".join(sorted(self._items)) or "none registered"
        raise RegistryError(f"unknown {self.kind} '{name}'; available: {available}")

    def names(self) -> list[str]:
        return sorted(self._items)

    def owner(self, name: str) -> str:
        """The plugin that registered ``name``."""
        return self._owners[self._aliases.get(name, name)]

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def _check_type(self, obj: Any) -> None:
        if self.holds_classes and not inspect.isclass(obj):
            raise RegistryError(
                f"{self.kind} registration from plugin '{self._current_plugin}' expects a class, "
                f"got {_describe(obj)}; register the class itself, not an instance"
            )
        if not self.holds_classes and inspect.isclass(obj):
            raise RegistryError(
                f"{self.kind} registration from plugin '{self._current_plugin}' expects an instance, "
                f"got the class {obj.__name__}; register {obj.__name__}()"
            )


class LanguageRegistry(Registry[Any]):
    """Language backends (instances of :class:`codekiln.languages.LanguageBackend`), looked up by name
    or alias (``"c++"`` finds ``cpp``)."""

    kind = "language"
    required = ("name", "file_extension", "available", "tree_sitter_language")
    holds_classes = False

    def _check_type(self, obj: Any) -> None:
        super()._check_type(obj)
        from .languages import LanguageBackend

        if not isinstance(obj, LanguageBackend):
            raise RegistryError(
                f"language {_describe(obj)} from plugin '{self._current_plugin}' must subclass "
                "codekiln.languages.LanguageBackend"
            )

    def installed(self, name: str) -> str:
        """The canonical name of language ``name`` (an alias resolves), checked runnable here: an unknown
        language raises RegistryError, one whose toolchain is missing ToolchainMissing naming what to install
        (the trainer, evaluation and the NeMo RL env check their languages this way before any work)."""
        from .errors import ToolchainMissing

        backend = self.get(name)
        availability = backend.available()
        if not availability.ok:
            raise ToolchainMissing(f"language '{backend.name}': {availability.hint}")
        return backend.name


class RewardRegistry(Registry[Any]):
    """Reward classes; :meth:`create` instantiates one with its parameters from the config."""

    kind = "reward"
    required = ("name", "__call__")

    def create(self, name: str, **params: Any) -> Any:
        return _instantiate(self, name, params)


class CurriculumRegistry(Registry[Any]):
    """Curriculum scheduler classes. One that schedules other curricula (``language_mix``) takes a
    ``curricula`` parameter: :meth:`create` passes this registry, so it finds its bases in the same session."""

    kind = "curriculum"
    required = ("name", "select", "update", "state_dict", "load_state_dict")

    def create(self, name: str, **params: Any) -> Any:
        if "curricula" in inspect.signature(self.get(name)).parameters:
            if "curricula" in params:
                raise RegistryError(f"curriculum '{name}': parameter 'curricula' is set by codekiln, not the config")
            params = {**params, "curricula": self}
        return _instantiate(self, name, params)


class DatasetRegistry(Registry[Any]):
    """Dataset loader classes. A file-based dataset is named ``FORMAT:PATH`` wherever one is accepted."""

    kind = "dataset"
    required = ("name", "load")

    def create(self, name: str, **params: Any) -> Any:
        return _instantiate(self, name, params)


def _instantiate(registry: Registry, name: str, params: dict[str, Any]) -> Any:
    cls = registry.get(name)
    try:
        inspect.signature(cls).bind(**params)
    except TypeError as exc:
        raise RegistryError(f"{registry.kind} '{name}': bad parameters {sorted(params)}: {exc}") from None
    return cls(**params)


def _describe(obj: Any) -> str:
    name = getattr(obj, "name", None)
    label = obj.__name__ if inspect.isclass(obj) else type(obj).__name__
    return f"'{name}' ({label})" if isinstance(name, str) else label
