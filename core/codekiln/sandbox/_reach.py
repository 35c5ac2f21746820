"""What the run's uid can reach on the host's file system, for the ``process`` level (which shows it as is).

The run's uid owns nothing on the host and belongs to no group, so only the "other" permission bits apply to
it. A program or ``ro_path`` below a directory closed to others (a pyenv interpreter under a mode-700
``/root``) would fail deep inside the run ("prlimit: failed to execute ...: Permission denied") and be taken
for a failure of the sample; it is refused before the run instead, naming the cause and the fix.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Mapping, Sequence

from ..errors import IsolationUnavailable

_FIX = ("use isolation 'namespaces', which binds it into the sandbox, or install it where every user can read "
        "it (for codekiln's own caches, point CODEKILN_CACHE_DIR there)")


def _closed(path: str, need: int) -> str | None:
    """The first component of ``path`` (its directories, symlinks followed, then ``path`` itself with the
    bits ``need``) that others may not use, described; None if there is none."""
    real = os.path.realpath(path)
    # The directories of the name as given and of its target: exec and open walk both.
    directories = {os.path.dirname(path), os.path.dirname(real)}
    seen: set[str] = set()
    for directory in sorted(directories):
        while directory not in seen:
            seen.add(directory)
            mode = os.stat(directory).st_mode
            if not mode & stat.S_IXOTH:
                return f"{directory} is mode {stat.S_IMODE(mode):04o}"
            directory = os.path.dirname(directory)
    mode = os.stat(real).st_mode
    if stat.S_ISDIR(mode):
        need |= stat.S_IXOTH  # to look inside
    if mode & need != need:
        return f"{real} is mode {stat.S_IMODE(mode):04o}"
    return None


def check_reachable(argv: Sequence[str], env: Mapping[str, str], ro_paths: Sequence[str]) -> None:
    """Raise IsolationUnavailable if the run's uid cannot execute ``argv[0]`` (looked up on the run's PATH)
    or read one of ``ro_paths``."""
    program = argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0], path=env.get("PATH"))
    wanted = [(path, stat.S_IROTH) for path in ro_paths]
    if program is not None and os.path.exists(program):  # a missing program fails in the run, as it should
        wanted.insert(0, (program, stat.S_IXOTH))
    for path, need in wanted:
        where = _closed(path, need)
        if where is not None:
            raise IsolationUnavailable(f"sandbox level 'process' cannot reach {path}: {where}, closed to the "
                                       f"sandbox's uids; {_FIX}")
