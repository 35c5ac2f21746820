"""User-facing errors.

Every error a user can cause (a bad config key, a malformed dataset row, a missing compiler, a broken
plugin) is raised as a :class:`CodekilnError` whose message is one line saying what is wrong and how to fix
it. The CLI prints that line and exits with status 2 instead of showing a traceback.
"""

from __future__ import annotations

__all__ = [
    "CodekilnError",
    "ConfigError",
    "DataError",
    "IsolationUnavailable",
    "PluginError",
    "RegistryError",
    "ToolchainMissing",
]


class CodekilnError(Exception):
    """Base class of errors whose message is meant for the user, on one line."""


class ConfigError(CodekilnError):
    """The configuration file or a command-line override is invalid."""


class DataError(CodekilnError):
    """A problem file, dataset row or sample row is malformed."""


class PluginError(CodekilnError):
    """A plugin failed to import or register, or a requested plugin is missing."""


class RegistryError(CodekilnError):
    """A registration is invalid, or a name is unknown to its registry."""


class IsolationUnavailable(CodekilnError):
    """The requested sandbox isolation level cannot be provided on this machine."""


class ToolchainMissing(CodekilnError):
    """A compiler or interpreter a language backend needs is not installed."""
