"""The private work directory of a run: the input files going in, the collected files coming out.

For a run under its own uid the directory is a tmpfs of its own, mounted by root with a size and an inode
cap: a directory on the host's disk would let the command fill the disk with many files each under the
file-size limit, and unmounting removes any tree at once, however deep (``shutil.rmtree`` recurses, and a
tree deeper than Python's recursion limit would stay behind).
"""

from __future__ import annotations

import ctypes
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping

from ._model import SandboxError

_PREFIX = "codekiln-sandbox-"
_MAX_FILES = 65536
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2
_libc = ctypes.CDLL(None, use_errno=True)


def check_relpath(name: str) -> str:
    """``name`` normalised, if it is a relative path that stays inside the work directory."""
    norm = posixpath.normpath(name) if name else ""
    if not norm or "\0" in name or posixpath.isabs(name) or norm in (".", "..") or norm.startswith("../"):
        raise SandboxError(f"sandbox: file path {name!r} must be relative and stay inside the work directory")
    return norm


def create(files: Mapping[str, bytes | str], owner: int | None, size_bytes: int) -> str:
    """A fresh directory holding ``files``. With an ``owner`` (uid and gid) it is a tmpfs of ``size_bytes``
    owned by it, and so is everything in it."""
    root = tempfile.mkdtemp(prefix=_PREFIX)
    try:
        if owner is not None:
            options = f"size={size_bytes},nr_inodes={_MAX_FILES},mode=0700,uid={owner},gid={owner}".encode()
            _check(_libc.mount(b"tmpfs", root.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options), root)
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
    except BaseException:
        remove(root, mounted=owner is not None and os.path.ismount(root))
        raise
    return root


def remove(root: str, mounted: bool) -> None:
    if mounted:
        # Detached, so that a file still open somewhere cannot keep the directory from going.
        _check(_libc.umount2(root.encode(), _MNT_DETACH), root)
        os.rmdir(root)
    else:
        shutil.rmtree(root)


def remove_stale(owner: int) -> None:
    """Remove the work dirs of ``owner`` that a run which died with its caller left mounted. Only for the
    holder of ``owner``'s lease: no other run can be using them."""
    prefix = os.path.join(tempfile.gettempdir(), _PREFIX)
    with open("/proc/self/mountinfo") as file:
        for line in file:
            mount_point = line.split()[4]
            superblock_options = line.rsplit(" ", 1)[1].strip()
            if mount_point.startswith(prefix) and f",uid={owner}," in f",{superblock_options},":
                remove(mount_point, mounted=True)


def _check(status: int, path: str) -> None:
    if status != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), path)


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
