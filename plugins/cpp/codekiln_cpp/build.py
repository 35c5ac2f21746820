"""Compiling with g++: the flags, the compile budget, and the warm state kept between samples.

Two things are built once and reused, because each saves most of a compile (measured on a 2-core VM,
g++ 12: compiling and linking a typical solution takes 0.14 s with the precompiled header, 0.25 s without,
0.75 s without when the solution includes ``<bits/stdc++.h>``):

- Precompiled headers (PCH), built outside the sandbox from a fixed header of ours (trusted input), once per
  machine, in :func:`cache_dir` (content-addressed: compiler version, flags and header text). The sandbox
  sees them read-only (``ro_paths``). Three of them: the common standard headers (55 MB, loads in 0.05 s),
  all of ``<bits/stdc++.h>`` (100 MB, 0.15 s) for solutions that include it, and the common headers with
  ``kiln_native.hpp`` for the two programs of a native run.
- Programs of ours that depend only on the problem: the harness object of a signature problem (its
  signature and test arguments, see :mod:`codekiln_cpp.translate`) and the test program of a native one
  (see :mod:`codekiln_cpp.native`), compiled in the sandbox on first use, then kept in :func:`cache_dir` by
  content hash. The samples of a problem (a GRPO group) then each compile only the solution.

Neither holds anything of a sample, so the isolation of each sample is unchanged. The cache directory may
be deleted at any time; it is rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import attrs

from codekiln.cache import cache_dir as codekiln_cache_dir
from codekiln.sandbox import Limits

__all__ = ["COMPILE_LIMITS", "DEFAULT_LINK", "EXTRAS", "FLAGS", "LIGHT_VARIANTS", "LINK_ENV", "RUNTIME", "Extra",
           "cache_dir", "cached_object", "fast_linker", "has_header", "has_library", "link_libraries", "link_options",
           "object_key", "plain_variant", "precompiled_header", "store_object"]

#: Flags of every compile: the language level and warnings that were asked for, diagnostics in a form that
#: is parsed (no carets, no colour, byte columns as tree-sitter counts them), and a bounded error count.
FLAGS = ("-std=c++17", "-Wall", "-O1", "-pipe", "-fdiagnostics-plain-output", "-fdiagnostics-column-unit=byte",
         "-fmax-errors=10")

#: The compiler's own budget (trusted: more than a test run gets). ``output_bytes``, the cap on each collected
#: file, is the file-size limit: a program the linker could write is never read back cut short.
COMPILE_LIMITS = Limits(wall_time_s=30.0, cpu_time_s=30.0, memory_mb=1024, memory_kind="data", processes=16,
                        file_size_mb=64, output_bytes=64 * 1024 * 1024)

# The headers a solution most often includes, and those the adapter needs (vector, map, string, optional,
# tuple). C headers whose global names collide with common variable names (<cmath>'s y1 and j0, <cstring>'s
# index) are left to the solutions that include them.
_COMMON_HEADERS = (
    "algorithm", "array", "bitset", "cassert", "climits", "cstdint", "cstdio", "cstdlib", "deque",
    "functional", "iostream", "iterator", "limits", "list", "map", "numeric", "optional", "queue", "set",
    "sstream", "stack", "string", "tuple", "unordered_map", "unordered_set", "utility", "vector",
)
# <string> costs every translation unit that includes it about 25 ms of g++'s CPU (the templates its inline
# functions use, to_string and stoi among them, are instantiated at the end of each unit, used or not), and the
# streams (with <iterator>'s stream iterators and <bitset>, which bring them or <string> in) some 5 ms more. A unit
# that includes neither gets a header without them: the lighter headers, lightest first.
_STREAM_HEADERS = ("bitset", "iostream", "iterator", "sstream")
_LEAN_HEADERS = tuple(name for name in _COMMON_HEADERS if name not in (*_STREAM_HEADERS, "string"))
LIGHT_VARIANTS = {"lean": _LEAN_HEADERS, "lean-string": (*_LEAN_HEADERS, "string")}
HEADERS = {
    "common": "".join(f"#include <{name}>\n" for name in _COMMON_HEADERS),
    **{variant: "".join(f"#include <{name}>\n" for name in names) for variant, names in LIGHT_VARIANTS.items()},
    "full": "#include <bits/stdc++.h>\n",
}
#: C's headers, which bring in neither <string> nor the streams.
_C_HEADERS = frozenset(
    ["cassert", "cctype", "cerrno", "cfloat", "cinttypes", "climits", "cmath", "cstdarg", "cstddef", "cstdint",
     "cstdio", "cstdlib", "cstring", "ctime"]
    + [f"{name}.h" for name in ("assert", "ctype", "errno", "float", "inttypes", "limits", "math", "stdarg",
                                "stddef", "stdint", "stdio", "stdlib", "string", "time")])
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*(?:<([^>\n]*)>|"([^"\n]*)")', re.MULTILINE)
#: The runtime headers of ours that programs include, by file name (package data, one copy each): every
#: compile that includes one is given all of them, and they are part of every cache key.
RUNTIME = {name: (Path(__file__).parent / name).read_text(encoding="utf-8")
           for name in ("kiln_any.hpp", "kiln_common.hpp", "kiln_native.hpp", "kiln_runtime.hpp")}
# Native runs (both programs) include kiln_native.hpp: it is in their precompiled header.
HEADERS["native"] = HEADERS["common"] + '#include "kiln_native.hpp"\n'

_lock = threading.Lock()
_built: dict[tuple[str, str], str | None] = {}


def cache_dir() -> str:
    """Where PCHs and harness objects are kept (``cpp/`` in codekiln's cache), created if needed; refused
    if another user could have planted files in it. The ``process`` isolation level runs on the host's file
    system, where the sandbox's uids must be able to read it (not so below a mode-700 home directory)."""
    folder = str(codekiln_cache_dir() / "cpp")
    os.makedirs(folder, mode=0o755, exist_ok=True)
    info = os.lstat(folder)
    if info.st_uid != os.geteuid() or info.st_mode & 0o022 or not os.path.isdir(folder) or os.path.islink(folder):
        raise OSError(f"{folder} is not a directory of ours that only we can write; set CODEKILN_CACHE_DIR")
    return folder


def plain_variant(unit: str) -> str:
    """The precompiled header for a translation unit of ``unit``'s text (the solution, and our adapter after it)
    that is not a native run's: ``full`` when it includes ``<bits/stdc++.h>``; else the lightest of
    :data:`LIGHT_VARIANTS` whose headers, with C's, hold every header it includes; else ``common``. Read from its
    ``#include`` lines: one it hides (behind a macro, say) can only make its compile slower. A lighter header
    never changes a verdict: a compile that fails with one for want of a declaration is done again with the
    common header (:meth:`codekiln_cpp.backend.CppBackend.compile`)."""
    included = set()
    for system, local in _INCLUDE.findall(unit):
        if "bits/stdc++.h" in (system, local):
            return "full"
        if local != "solution.cpp":
            included.add(system or f'"{local}"')
    for variant, names in LIGHT_VARIANTS.items():
        if included <= _C_HEADERS.union(names):
            return variant
    return "common"


def precompiled_header(compiler: str, version: str, variant: str) -> str | None:
    """The header to ``-include`` (its ``.gch`` beside it), built on first use; None when it cannot be built
    (solutions then compile without it: slower, same result)."""
    key = (compiler, variant)
    with _lock:
        if key not in _built:
            _built[key] = _build_header(compiler, version, variant)
        return _built[key]


def _build_header(compiler: str, version: str, variant: str) -> str | None:
    text = HEADERS[variant]
    digest = hashlib.sha256("\0".join([compiler, version, *FLAGS, text, *RUNTIME.values()]).encode()).hexdigest()[:20]
    scratch = None
    try:
        folder = os.path.join(cache_dir(), f"pch-{variant}-{digest}")
        header = os.path.join(folder, "kiln_pch.h")
        if os.path.isfile(header + ".gch"):
            return header
        # Built in a folder of its own and renamed into place, so that workers building it at the same time
        # never see half a file.
        scratch = tempfile.mkdtemp(prefix="build-", dir=cache_dir())
        os.chmod(scratch, 0o755)
        for name, content in {"kiln_pch.h": text, **RUNTIME}.items():
            with open(os.path.join(scratch, name), "w", encoding="utf-8") as handle:
                handle.write(content)
        subprocess.run([compiler, *FLAGS, "-x", "c++-header", "kiln_pch.h", "-o", "kiln_pch.h.gch"],
                       cwd=scratch, check=True, capture_output=True, timeout=300)
        for name in os.listdir(scratch):
            os.chmod(os.path.join(scratch, name), 0o644)
        try:
            os.rename(scratch, folder)
        except OSError:  # another worker was first
            shutil.rmtree(scratch, ignore_errors=True)
        return header if os.path.isfile(header + ".gch") else None
    except (OSError, subprocess.SubprocessError):
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        return None


def object_key(source: str, options: Sequence[str]) -> str:
    """What a program of ours is built from: its source, the compile options, and our runtime headers (a new
    version of the runtime must not reuse old objects). The one way to key :func:`cached_object`."""
    return "\0".join([source, *options, *(f"{name}\0{text}" for name, text in sorted(RUNTIME.items()))])


def _object_path(key: str, compiler: str, version: str) -> str:
    digest = hashlib.sha256("\0".join([compiler, version, *FLAGS, key]).encode()).hexdigest()
    return os.path.join(cache_dir(), "built", digest)


def cached_object(key: str, compiler: str, version: str) -> bytes | None:
    """What was compiled earlier from what ``key`` (:func:`object_key`) names, if anything."""
    try:
        with open(_object_path(key, compiler, version), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def store_object(key: str, compiler: str, version: str, data: bytes) -> None:
    """Keep what was compiled for the next sample of the same problem (best effort)."""
    try:
        path = _object_path(key, compiler, version)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(scratch, path)
    except OSError:
        pass


# -- what programs may need beyond the compiler ---------------------------------------------------------------

#: The variable that names the libraries every program is linked with (``-l`` names, separated by commas or
#: spaces; empty for none).
LINK_ENV = "CODEKILN_CPP_LINK"
#: Linked by default: HumanEval-X's CPP/162 uses OpenSSL's MD5 (libcrypto).
DEFAULT_LINK = ("crypto",)


@attrs.frozen
class Extra:
    """A library a benchmark's programs need beyond the standard library, and the package that provides it."""

    name: str
    header: str | None
    library: str | None
    package: str


#: What the benchmarks codekiln reads need (HumanEval-X: CPP/22 and CPP/137 include <boost/any.hpp>, CPP/162
#: <openssl/md5.h>). ``codekiln doctor`` checks each.
EXTRAS = (
    Extra("Boost", "boost/any.hpp", None, "libboost-dev"),
    Extra("OpenSSL", "openssl/md5.h", "crypto", "libssl-dev"),
)


def link_libraries() -> tuple[str, ...]:
    """The libraries to link: ``$CODEKILN_CPP_LINK`` when it is set, else :data:`DEFAULT_LINK`."""
    text = os.environ.get(LINK_ENV)
    return DEFAULT_LINK if text is None else tuple(text.replace(",", " ").split())


@functools.cache
def fast_linker(compiler: str) -> tuple[str, ...]:
    """``-fuse-ld=gold`` where the compiler can link with gold, else nothing (GNU ld's default, bfd). Linking a
    test program with gold takes about a quarter of bfd's CPU time (see docs/languages/cpp.md); its messages are
    bfd's but for the quotes (:mod:`codekiln_cpp.diagnostics` reads both), which lld's and mold's are not."""
    if shutil.which("ld.gold") is None:
        return ()
    with tempfile.TemporaryDirectory() as scratch:
        try:
            done = subprocess.run([compiler, "-fuse-ld=gold", "-x", "c++", "-", "-o", "probe"], cwd=scratch,
                                  input="int main() { return 0; }\n", capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return ()
    return ("-fuse-ld=gold",) if done.returncode == 0 else ()


def link_options(compiler: str, source: str) -> list[str]:
    """The linker options of the program built from ``source`` (its text): the fastest linker
    (:func:`fast_linker`) and the libraries of :func:`link_libraries` that the compiler finds (a missing one is
    left out, and ``codekiln doctor`` names it) and the program may need: the library of an extra
    (:data:`EXTRAS`: ``crypto``) only when the source includes a header of the extra's folder
    (``<openssl/...>``), any other always. ``--as-needed``: a library none of whose symbols is used is not loaded.
    Every library not linked is one fewer for the linker to read (a few ms each)."""
    wanted = [name for name in link_libraries() if _may_need(name, source) and has_library(compiler, name)]
    return [*fast_linker(compiler), *(["-Wl,--as-needed", *(f"-l{name}" for name in wanted)] if wanted else [])]


def _may_need(library: str, source: str) -> bool:
    folders = [extra.header.split("/")[0] for extra in EXTRAS if extra.library == library and extra.header]
    return not folders or any(re.search(rf'#\s*include\s*[<"]{re.escape(folder)}/', source) for folder in folders)


@functools.cache
def has_library(compiler: str, name: str) -> bool:
    """Whether the compiler finds ``lib<name>.so`` (it prints the bare name back when it does not)."""
    try:
        done = subprocess.run([compiler, f"-print-file-name=lib{name}.so"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return os.path.isabs(done.stdout.strip())


@functools.cache
def has_header(compiler: str, header: str) -> bool:
    """Whether ``#include <header>`` finds a file in the compiler's search path."""
    try:
        done = subprocess.run([compiler, "-x", "c++", "-E", "-v", os.devnull], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    lines = done.stderr.splitlines()
    try:
        folders = lines[lines.index("#include <...> search starts here:") + 1:lines.index("End of search list.")]
    except ValueError:
        return False
    return any(os.path.isfile(os.path.join(folder.strip(), header)) for folder in folders)
