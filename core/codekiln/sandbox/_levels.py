"""Which isolation levels this machine can give, found by really running ``true`` at each."""

from __future__ import annotations

import functools
import os

from ..errors import IsolationUnavailable
from . import _tools
from ._limits import Limits
from ._model import Isolation, SandboxError
from ._runner import Sandbox

_NEEDS = {
    Isolation.NONE: (),
    Isolation.PROCESS: ("setpriv", "prlimit"),
    Isolation.NAMESPACES: ("setpriv", "prlimit", "bwrap", "timeout"),
}


@functools.cache
def available_levels() -> dict[Isolation, str | None]:
    """Each level mapped to None if it works here, else one line saying why not and how to fix it."""
    return {level: _unavailable(level) for level in Isolation}


def check_level(level: Isolation | str) -> Isolation:
    """``level`` as an :class:`Isolation`; raises IsolationUnavailable if this machine cannot give it."""
    parsed = Isolation.parse(level)
    reason = available_levels()[parsed]
    if reason is not None:
        raise IsolationUnavailable(reason)
    return parsed


def _unavailable(level: Isolation) -> str | None:
    name = f"sandbox level {level.value!r}"
    if level is Isolation.NONE:
        return None
    if os.geteuid() != 0:
        return (f"{name} needs root, to run untrusted code under a separate unprivileged uid (this process "
                f"runs as uid {os.geteuid()}); run as root, or use isolation='none' for trusted code")
    for tool in _NEEDS[level]:
        path = getattr(_tools, tool.upper())
        if not os.access(path, os.X_OK):
            package = _tools.PACKAGES[tool]
            return f"{name} needs {tool} ({path} not found); install it: apt-get install {package}"
    try:
        sandbox = Sandbox(["true"], files={}, stdin=b"", limits=Limits(), level=level, env={}, ro_paths=(),
                          channel=False)
        try:
            sandbox.supervise()
            result = sandbox.finish(())
        finally:
            sandbox.close()
    except (OSError, SandboxError) as exc:
        hint = "; check that this kernel allows new namespaces" if level is Isolation.NAMESPACES else ""
        return f"{name} failed to start a probe command ({exc}){hint}"
    if result.exit_code != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        return f"{name} failed to run a probe command: {lines[0] if lines else result}"
    return None
