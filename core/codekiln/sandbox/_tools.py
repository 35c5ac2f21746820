"""Host programs the sandbox launches.

They are module attributes, read at each use, so that a test can point one at a missing file and see the
level that needs it reported unavailable (``available_levels.cache_clear()`` afterwards).
"""

from __future__ import annotations

import shutil

#: Where the tools are looked for: the system directories only, never the caller's PATH.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _find(name: str) -> str:
    return shutil.which(name, path=SYSTEM_PATH) or f"/usr/bin/{name}"


BWRAP = _find("bwrap")
SETPRIV = _find("setpriv")
PRLIMIT = _find("prlimit")
TIMEOUT = _find("timeout")
BASH = _find("bash")
SH = _find("sh")

#: The distribution package that ships each tool, for install hints.
PACKAGES = {"bwrap": "bubblewrap", "setpriv": "util-linux", "prlimit": "util-linux", "timeout": "coreutils",
            "bash": "bash", "sh": "dash"}
