"""What a C++ sample's build costs under other compile flags, precompiled headers and linkers: the measurements
behind codekiln-cpp's choices (docs/languages/cpp.md, "Speed").

Each built-in problem's C++ reference is built as the backend builds a sample: ``kiln_entry.cpp`` (the solution
and the adapter) compiled with a precompiled header and linked after the problem's harness object, which is
compiled beforehand, as the backend caches it. Outside the sandbox: it adds the same few milliseconds to every
variant. Reported: the CPU time (user + system) of the compiler's processes, median over the problems and
repeats, which a loaded machine inflates less than wall time; variants take turns on each problem, so a burst
of load hits them all. Then the programs run, to see what the optimisation level costs at run time.

Variants: compile at ``-O1`` (the backend's) and ``-O0``, with the backend's common precompiled header, one of
only the adapter's five headers, and none; link with GNU ld (bfd) and gold, with and without ``-lcrypto``.

    .venv/bin/python benchmarks/cpp_build_options.py [--problems N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Sequence

import codekiln.datasets
import codekiln.plugins
from codekiln_cpp import build, translate
from codekiln_cpp.backend import CppBackend

COMPILER = CppBackend.compiler
#: The backend's flags without the optimisation level, which the variants set.
BASE_FLAGS = [flag for flag in build.FLAGS if not flag.startswith("-O")]
HEADERS = {**build.HEADERS, "adapter": "".join(f"#include <{h}>\n" for h in ("map", "optional", "string", "tuple",
                                                                             "vector"))}
COMPILES = {f"compile kiln_entry.cpp {level} pch={pch}": (level, pch)
            for level in ("-O1", "-O0") for pch in ("common", "adapter", None)}
LINKS = {
    "link bfd -lcrypto (before)": ["-Wl,--as-needed", "-lcrypto"],
    "link bfd": [],
    "link gold -lcrypto": ["-fuse-ld=gold", "-Wl,--as-needed", "-lcrypto"],
    "link gold (now, without OpenSSL headers)": ["-fuse-ld=gold"],
}


def cpu_s(argv: Sequence[str], cwd: str) -> float:
    """The CPU time of ``argv`` and its children (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, cwd=cwd, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Workspace:
    """Precompiled headers per (level, variant), and one folder per problem holding its sources and objects."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._pch: dict[tuple[str, str], list[str]] = {}

    def pch(self, level: str, variant: str | None) -> list[str]:
        if variant is None:
            return []
        key = (level, variant)
        if key not in self._pch:  # a precompiled header is only used with the flags it was built with
            folder = os.path.join(self.root, f"pch-{variant}{level}")
            os.mkdir(folder)
            for name, text in {"kiln_pch.h": HEADERS[variant], **build.RUNTIME}.items():
                with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                    handle.write(text)
            subprocess.run([COMPILER, *BASE_FLAGS, level, "-x", "c++-header", "kiln_pch.h", "-o", "kiln_pch.h.gch"],
                           cwd=folder, check=True)
            self._pch[key] = ["-include", os.path.join(folder, "kiln_pch.h")]
        return self._pch[key]

    def problem(self, problem) -> str:
        folder = os.path.join(self.root, problem.id)
        os.mkdir(folder)
        sources = {"solution.cpp": problem.references["cpp"],
                   "kiln_entry.cpp": translate.entry_source(problem.signature),
                   "kiln_harness.cpp": translate.harness_source(problem), **build.RUNTIME}
        for name, text in sources.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                handle.write(text)
        for level in ("-O1", "-O0"):
            subprocess.run([COMPILER, *BASE_FLAGS, level, *self.pch(level, "common"), "-c", "kiln_harness.cpp",
                            "-o", f"harness{level}.o"], cwd=folder, check=True)
            subprocess.run([COMPILER, *BASE_FLAGS, level, *self.pch(level, "common"), "-c", "kiln_entry.cpp",
                            "-o", f"entry{level}.o"], cwd=folder, check=True)
        return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=64, help="built-in problems to build (default all 64)")
    parser.add_argument("--repeat", type=int, default=2, help="builds of each variant per problem (default 2)")
    args = parser.parse_args(argv)
    problems = codekiln.datasets.load_dataset("builtin", codekiln.plugins.make_plugins().datasets())[:args.problems]
    has_gold = shutil.which("ld.gold") is not None
    links = {name: options for name, options in LINKS.items() if has_gold or "-fuse-ld=gold" not in options}
    times: dict[str, list[float]] = {name: [] for name in [*COMPILES, *links, "run -O1", "run -O0"]}
    root = tempfile.mkdtemp(prefix="codekiln-cpp-build-")
    try:
        space = Workspace(root)
        folders = [space.problem(problem) for problem in problems]
        for _ in range(args.repeat):
            for folder in folders:
                for name, (level, pch) in COMPILES.items():
                    times[name].append(cpu_s([COMPILER, *BASE_FLAGS, level, *space.pch(level, pch), "-c",
                                              "kiln_entry.cpp", "-o", "scratch.o"], folder))
                for name, options in links.items():
                    times[name].append(cpu_s([COMPILER, "harness-O1.o", "entry-O1.o", "-o", "prog", *options], folder))
                for level in ("-O1", "-O0"):
                    cpu_s([COMPILER, f"harness{level}.o", f"entry{level}.o", "-o", f"prog{level}",
                           *(["-fuse-ld=gold"] if has_gold else [])], folder)
                    times[f"run {level}"].append(cpu_s([f"./prog{level}"], folder))
    finally:
        shutil.rmtree(root)
    print(f"{len(problems)} built-in C++ references x {args.repeat}, {COMPILER}; CPU time (user + system), ms")
    for name, values in times.items():
        print(f"  {name:46s} median {1000 * statistics.median(values):7.1f}   max {1000 * max(values):7.1f}")
    if not has_gold:
        print("  (ld.gold not found: the gold variants were left out)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
