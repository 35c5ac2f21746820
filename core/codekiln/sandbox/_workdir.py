"""The private work directory of a run: the input files going in, the collected files coming out."""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping

from ._model import SandboxError

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def check_relpath(name: str) -> str:
    """``name`` normalised, if it is a relative path that stays inside the work directory."""
    norm = posixpath.normpath(name) if name else ""
    if not norm or "\0" in name or posixpath.isabs(name) or norm in (".", "..") or norm.startswith("../"):
        raise SandboxError(f"sandbox: file path {name!r} must be relative and stay inside the work directory")
    return norm


def create(files: Mapping[str, bytes | str], owner: int | None) -> str:
    """A fresh directory holding ``files``, everything in it owned by uid and gid ``owner`` (if given)."""
    root = tempfile.mkdtemp(prefix="codekiln-sandbox-")
    try:
        for name, content in files.items():
            parts = check_relpath(name).split("/")
            directory = root
            for part in parts[:-1]:
                directory = os.path.join(directory, part)
                if not os.path.isdir(directory):
                    os.mkdir(directory)
                    if owner is not None:
                        os.chown(directory, owner, owner)
            fd = os.open(os.path.join(directory, parts[-1]), _CREATE, 0o644)
            with open(fd, "wb") as file:
                if owner is not None:
                    os.fchown(fd, owner, owner)
                file.write(content.encode() if isinstance(content, str) else content)
        if owner is not None:
            os.chown(root, owner, owner)
    except BaseException:
        shutil.rmtree(root)
        raise
    return root


def collect(root: str, names: Iterable[str], max_bytes: int) -> dict[str, bytes]:
    """The first ``max_bytes`` of each named regular file under ``root``; missing or odd files are left out.

    The command controlled the directory, so a name must not be followed through a symlink (it could point
    at a host secret) nor open a FIFO (the read would block): every component is opened with O_NOFOLLOW.
    """
    found = {}
    for name in names:
        data = _read_inside(root, check_relpath(name), max_bytes)
        if data is not None:
            found[name] = data
    return found


def _read_inside(root: str, relpath: str, max_bytes: int) -> bytes | None:
    *directories, filename = relpath.split("/")
    fds = []
    try:
        fds.append(os.open(root, _DIRECTORY))
        for part in directories:
            fds.append(os.open(part, _DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        fds.append(os.open(filename, _FILE, dir_fd=fds[-1]))
        if not stat.S_ISREG(os.fstat(fds[-1]).st_mode):
            return None
        with open(fds.pop(), "rb") as file:
            return file.read(max_bytes)
    except OSError:
        return None
    finally:
        for fd in fds:
            os.close(fd)
