"""Unprivileged uids for sandboxed runs, one per run in progress.

RLIMIT_NPROC counts the processes of a uid, and processes of one uid may signal and ptrace each other, so two
runs that shared a uid would share one process budget and could tamper with each other. Each run therefore
leases a uid of its own: an exclusive ``flock`` on a per-uid lock file, which also excludes runs in other
processes on the machine (``flock`` locks, unlike ``fcntl`` record locks, conflict between two descriptors
of one process too, so threads are covered).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import os
import pwd
import random
import stat

from ._model import SandboxError

#: Reserved for codekiln; uids that belong to an account in the passwd database are skipped.
UID_RANGE = range(61000, 62000)
#: For trusted helpers that live across samples and never run a sample's code (the Java compile server): a
#: range of their own, so that a uid of UID_RANGE always means a sample's process, which must not outlive
#: its run (the attack suites and the conformance kit look for such leftovers by uid).
HELPER_UID_RANGE = range(62000, 62100)
#: A fixed path, not below $TMPDIR: every process on the machine must see the same locks.
LEASE_DIR = "/run/codekiln-uid-leases"

# Round-robin from a random start, so a uid is reused as late as possible: the zombies a run leaves to the
# host's init (which may reap lazily) still count against RLIMIT_NPROC until they are reaped.
_cursor = itertools.count(random.randrange(len(UID_RANGE)))


class UidLease:
    """The exclusive use of ``uid`` until :meth:`release`."""

    def __init__(self, uid: int, lock_fd: int) -> None:
        self.uid = uid
        self._lock_fd = lock_fd

    def release(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1


@functools.cache
def _candidates(uids: range) -> tuple[int, ...]:
    accounts = {entry.pw_uid for entry in pwd.getpwall()}
    return tuple(uid for uid in uids if uid not in accounts)


@functools.cache
def _lock_dir() -> str:
    with contextlib.suppress(FileExistsError):
        os.mkdir(LEASE_DIR, 0o700)
    info = os.lstat(LEASE_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise SandboxError(f"sandbox: {LEASE_DIR} must be a directory of uid {os.geteuid()}, mode 0700; "
                           "remove it")
    return LEASE_DIR


def lease_uid(uids: range = UID_RANGE) -> UidLease:
    candidates = _candidates(uids)
    lock_dir = _lock_dir()
    for _ in candidates:
        uid = candidates[next(_cursor) % len(candidates)]
        path = os.path.join(lock_dir, str(uid))
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return UidLease(uid, fd)
    raise SandboxError(f"sandbox: all {len(candidates)} sandbox uids ({uids.start}-"
                       f"{uids.stop - 1}) are in use; run fewer sandboxes at once")
