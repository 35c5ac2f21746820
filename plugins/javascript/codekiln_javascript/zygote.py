"""A node zygote: node with the harness loaded, inside the sandbox, forking each run of the JavaScript warm path.

Node cannot fork itself, and its start-up (65-80 ms of CPU on a 2-core VM) is most of a sample's cost. A small
native addon, ``kiln_fork.c``, gives it what it lacks: receiving descriptors, forking (see the file for the
two things that make a forked node work) and the system calls of a run's set-up. ``kiln_zygote.js`` is
codekiln's Python zygote server in JavaScript, step for step: :class:`codekiln.sandbox.Zygote` starts it in
the sandbox (``server=``) and talks to it exactly as to the Python one, and each run gets what a cold run gets
(new namespaces, fresh tmpfs, a leased uid, the same rlimits, its cgroup, no capabilities).

The addon is built on first use with the machine's C compiler against node's own headers
(``<prefix>/include/node``, which the nodejs packages of nodesource and nodejs.org ship; Debian's needs
``libnode-dev``), and kept in codekiln's cache under ``javascript/`` by a hash of its source, the compiler and
node's version. Where it cannot be built, :func:`zygote` says why and the warm path starts a node of its own
for each sample instead (as it did before the zygote), which costs only speed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from codekiln.cache import cache_dir
from codekiln.sandbox import Zygote
from codekiln.verifier.warm import on_exit

__all__ = ["NODE_FLAGS", "SERVER", "addon", "missing", "zygote"]

_HERE = Path(__file__).parent
_ADDON_SOURCE = (_HERE / "kiln_fork.c").read_bytes()
SERVER = (_HERE / "kiln_zygote.js").read_bytes()
#: No V8 worker threads: a forked child has none of its parent's threads (see kiln_fork.c).
NODE_FLAGS = ("--single-threaded", "--v8-pool-size=0")
_BUILD_TIMEOUT_S = 120


def _compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc")


def _headers(node: str) -> Path:
    return Path(os.path.dirname(os.path.dirname(node)), "include", "node")


def missing(node: str) -> str | None:
    """What this machine lacks to build the addon for ``node`` (one line with the fix), or None: cheap, for
    ``codekiln doctor``."""
    if not (_headers(node) / "node_api.h").is_file():
        return f"node's headers are not installed ({_headers(node)}/node_api.h; Debian: apt-get install libnode-dev)"
    if _compiler() is None:
        return "no C compiler to build kiln_fork.node (apt-get install gcc)"
    return None


@functools.cache
def addon(node: str, version: str) -> Path | str:
    """The path of ``kiln_fork.node`` for this node (built now if need be), or why it cannot be built."""
    why = missing(node)
    if why is not None:
        return why
    headers, compiler = _headers(node), _compiler()
    digest = hashlib.sha256(b"\0".join([_ADDON_SOURCE, compiler.encode(), version.encode()])).hexdigest()[:16]
    path = cache_dir() / "javascript" / f"kiln_fork-{digest}.node"
    if path.is_file():
        return path
    try:
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        # Built in a folder of its own and renamed into place: workers building it at once never see half a file.
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            source, built = Path(folder, "kiln_fork.c"), Path(folder, path.name)
            source.write_bytes(_ADDON_SOURCE)
            done = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-Wall", f"-I{headers}", str(source), "-o",
                                   str(built)], capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S)
            if done.returncode != 0:
                return f"building kiln_fork.node failed: {done.stderr.strip()[-300:]}"
            built.chmod(0o644)  # read (and mapped) by the sandbox's uid at the process level
            os.replace(built, path)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"building kiln_fork.node failed: {exc}"
    return path


@functools.cache
def zygote(node: str, version: str, harness: bytes, ro_paths: tuple[str, ...]) -> Zygote | str:
    """This process's node zygote with ``harness`` loaded as ``kiln_harness.js``, or why there is none."""
    built = addon(node, version)
    if isinstance(built, str):
        return built
    warm = Zygote(node, "kiln_harness.js", {"kiln_harness.js": harness, "kiln_zygote.js": SERVER},
                  ro_paths=(*ro_paths, str(built.parent)), server=(node, *NODE_FLAGS, "kiln_zygote.js", str(built)))
    on_exit(warm.close)
    return warm
