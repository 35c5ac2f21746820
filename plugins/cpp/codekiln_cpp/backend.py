"""The C++ language backend (g++, C++17).

- Syntax: tree-sitter-cpp (in the core pipeline).
- Compile: ``g++ -std=c++17 -Wall -O1`` in the sandbox, under the compiler's own budget
  (:data:`codekiln_cpp.build.COMPILE_LIMITS`). For a problem with a signature the compile builds the whole
  test program: the solution's translation unit (the solution plus an adapter, see
  :mod:`codekiln_cpp.translate`) linked after the problem's harness object. The binary is the artifact.
- Signature tests: the binary runs in a second sandbox run, under the problem's limits, and writes one
  row per test to stdout (through a private descriptor); the core compares the values with the expected ones outside.
- Native benchmark tests (HumanEval-X): the solution and the benchmark's test code are two programs, run in
  two sandboxes that talk only through the verifier (see :mod:`codekiln_cpp.native`).
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import attrs

from codekiln.code_profile import CodeProfile
from codekiln.languages import Availability, CompileResult, LanguageBackend, NativeRun, SignatureRun, Source
from codekiln.problem import Problem
from codekiln.verdict import Diagnostic
from codekiln.verifier.runner import SandboxRunner

from . import build, diagnostics, native, translate
from .profile import PROFILE

_HERE = Path(__file__).parent
_RUNTIME = (_HERE / "kiln_runtime.hpp").read_text(encoding="utf-8")
_NATIVE = (_HERE / "kiln_native.hpp").read_text(encoding="utf-8")
_PROGRAM = "prog"
_TESTER = "tester"
_HARNESS_OBJECT = "kiln_harness.o"
# What g++ prints when it, not the code, failed (out of memory, killed, broken installation), and the
# status of an internal compiler error: the verdict is then masked.
#: Compile limits only the submitted code can make g++ reach: a compile error of the code's, never masked.
_CODE_LIMITS = ("memory", "wall_time", "cpu_time", "file_size")
_COMPILER_FAILURES = ("Killed signal", "terminated with signal", "cannot execute", "installation problem")
_IFUNC = re.compile(r"\bifunc\b")
_ICE_EXIT_STATUS = 4


class _Pch(NamedTuple):
    """The options that use a precompiled header, and the folder the sandbox must see for it."""

    options: list[str]
    ro_paths: list[str]


@attrs.frozen
class CppSource(Source):
    """A :class:`Source` that keeps its problem: the compile step links the problem's test harness
    (``compile()`` is handed the source alone)."""

    problem: Problem | None = attrs.field(default=None, eq=False, repr=False)


class CppBackend(LanguageBackend):
    name = "cpp"
    aliases = ("c++", "cxx")
    file_extension = ".cpp"
    fence_tags = ("cpp", "c++", "cxx", "cc")

    #: The compiler, found once; a test may point it at a missing file to see ``toolchain_missing``.
    compiler: ClassVar[str] = shutil.which("g++") or "/usr/bin/g++"

    def __init__(self) -> None:
        self._version: str | None = None
        self._parser: Any = None

    def tree_sitter_language(self):
        import tree_sitter
        import tree_sitter_cpp

        return tree_sitter.Language(tree_sitter_cpp.language())

    def code_profile(self) -> CodeProfile:
        return PROFILE

    def available(self) -> Availability:
        try:
            done = subprocess.run([self.compiler, "--version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return Availability(False, hint=f"g++ not found at {self.compiler}: apt-get install g++")
        lines = done.stdout.splitlines()
        if done.returncode != 0 or not lines:
            return Availability(False, hint=f"{self.compiler} --version failed: reinstall g++ (apt-get install g++)")
        self._version = lines[0].strip()
        return Availability(True, version=self._version)

    def signature_stub(self, problem: Problem) -> str:
        """The function a solution defines, parameters by value (a const reference works as well).

        >>> from codekiln.problem import Param, Signature
        >>> sig = Signature("f", (Param("xs", "list[optional[int]]"), Param("m", "dict[str, tuple[int, float]]")),
        ...                 "bool")
        >>> CppBackend().signature_stub(Problem(id="p", description="", signature=sig))
        'bool f(std::vector<std::optional<long long>> xs, std::map<std::string, std::tuple<long long, double>> m)'
        """
        return translate.stub(problem.signature)

    def assemble(self, code: str, problem: Problem) -> Source:
        """The code as it is; the stub followed by the code when the code is the body of the function,
        continuing the prompt's stub (see :meth:`_is_body`); a native problem's prompt followed by the code."""
        if self.name in problem.native:
            source = super().assemble(code, problem)
            return CppSource(source.text, source.code_line_offset, native=True, problem=problem)
        if problem.signature is not None and self._is_body(code):
            opening = "\n" if code.lstrip().startswith("{") else " {\n"
            return CppSource(translate.stub(problem.signature) + opening + code, code_line_offset=1,
                             problem=problem)
        return CppSource(code, problem=problem)

    def _parse(self, data: bytes) -> Any:
        """The root node of the tree-sitter parse of ``data``."""
        if self._parser is None:
            import tree_sitter

            self._parser = tree_sitter.Parser(self.tree_sitter_language())
        return self._parser.parse(data).root_node

    def _is_body(self, code: str) -> bool:
        """Whether ``code`` is a function body rather than whole definitions: it defines no function, and
        has statements at file level (which tree-sitter-cpp accepts there) or does not parse on its own."""
        root = self._parse(code.encode("utf-8"))
        pending = [root]
        while pending:
            node = pending.pop()
            if node.type == "function_definition":
                return False
            pending.extend(node.children)
        return root.has_error or any(child.type.endswith("_statement") for child in root.children)

    # -- compile ---------------------------------------------------------------------------------------

    def compile(self, source: Source, problem: Problem, runner: SandboxRunner) -> CompileResult:
        ifunc = _IFUNC.search(source.text)
        if ifunc:  # an ifunc resolver runs while the program is loaded, before the harness can say "ready"
            line = source.text.count("\n", 0, ifunc.start()) + 1
            return CompileResult(False, (Diagnostic("ifunc resolvers are not allowed in a solution", line),))
        version = self._version or self.available().version or ""
        pch = self._pch(version, "full" if "bits/stdc++.h" in source.text else "native" if source.native else "common")
        files: dict[str, bytes | str] = {diagnostics.SOLUTION_FILE: source.text}
        entry = None
        if source.native and problem is not None:  # the solver: the solution, serving calls
            entry = problem.native[self.name].entry_point
            files.update({"kiln_entry.cpp": native.SOLVER_MAIN.format(entry=entry), "kiln_native.hpp": _NATIVE})
            argv = [*pch.options, "kiln_entry.cpp", "-o", _PROGRAM]
        elif problem is not None and problem.signature is not None:  # the solution, linked after its harness
            entry = problem.signature.name
            harness = self._harness_object(problem, runner, version)
            if isinstance(harness, CompileResult):
                return harness
            files.update({"kiln_entry.cpp": translate.entry_source(problem.signature), _HARNESS_OBJECT: harness})
            # The harness object first: its .preinit_array entry then runs before any of the solution's.
            argv = [*pch.options, _HARNESS_OBJECT, "kiln_entry.cpp", "-o", _PROGRAM]
        else:  # nothing to test: compile the code alone
            argv = [*pch.options, "-c", diagnostics.SOLUTION_FILE, "-o", "solution.o"]
        result = runner.run([self.compiler, *build.FLAGS, *argv], files=files, env={"LC_ALL": "C"},
                            ro_paths=pch.ro_paths, collect=[_PROGRAM], limits=build.COMPILE_LIMITS)
        stderr = result.stderr.decode("utf-8", "replace")
        found = diagnostics.parse(stderr, entry)
        if result.limit_hit in _CODE_LIMITS:  # a compile-time bomb (#include "/dev/zero", template blow-up)
            budget = Diagnostic(f"compilation went past its {result.limit_hit.replace('_', ' ')} budget")
            return CompileResult(False, (*found, budget))
        failure = _compiler_failure(result, stderr, found)
        if failure:
            return CompileResult(False, infra_error=failure)
        if result.limit_hit == "output":
            return CompileResult(False, (*found, Diagnostic("the compiler's output went past its limit")))
        if result.exit_code != 0:
            if not any(d.severity == "error" for d in found):
                found = (*found, Diagnostic(_tail(stderr) or f"g++ exited with status {result.exit_code}"))
            return CompileResult(False, found)
        if entry is None:
            return CompileResult(True, found)
        if _PROGRAM not in result.files:
            return CompileResult(False, infra_error="g++ succeeded but left no program")
        artifacts = {_PROGRAM: result.files[_PROGRAM]}
        if source.native:
            tester = self._tester(problem, runner, version)
            if isinstance(tester, CompileResult):
                return tester
            artifacts[_TESTER] = tester
        return CompileResult(True, found, artifacts)

    def _pch(self, version: str, variant: str) -> _Pch:
        header = build.precompiled_header(self.compiler, version, variant)
        return _Pch(["-include", header], [str(Path(header).parent)]) if header else _Pch([], [])

    def _harness_object(self, problem: Problem, runner: SandboxRunner, version: str) -> bytes | CompileResult:
        """The compiled harness of ``problem``: from the cache, or compiled now."""
        try:
            source = translate.harness_source(problem)
        except ValueError as exc:  # a value C++ cannot hold (an int beyond 64 bits): ours, not the code's
            return CompileResult(False, infra_error=f"cannot translate the tests of {problem.id}: {exc}")
        return self._cached_build(f"the test harness of {problem.id}", source, {"kiln_runtime.hpp": _RUNTIME},
                                  ["-c"], _HARNESS_OBJECT, runner, version, "common")

    def _tester(self, problem: Problem, runner: SandboxRunner, version: str) -> bytes | CompileResult:
        """The compiled test program of a native ``problem``: from the cache, or compiled now."""
        try:
            source = native.tester_source(problem.native[self.name], self._parse)
        except ValueError as exc:
            return CompileResult(False, infra_error=f"cannot build the test program of {problem.id}: {exc}")
        return self._cached_build(f"the test program of {problem.id}", source, {"kiln_native.hpp": _NATIVE}, [],
                                  _TESTER, runner, version, "native")

    def _cached_build(self, what: str, source: str, headers: dict[str, str], options: list[str], output: str,
                      runner: SandboxRunner, version: str, variant: str) -> bytes | CompileResult:
        """Compile a program of ours (a harness, a test program) in the sandbox, once. Its inputs come from a
        dataset file, so it is trusted no more than that; its product depends on nothing else (a kind of
        program is always compiled with the same precompiled header), so it is cached by content."""
        # The headers are part of what is built: a new version of the runtime must not reuse old objects.
        key = "\0".join([source, *(f"{name}\0{text}" for name, text in sorted(headers.items()))])
        cached = build.cached_object(key, self.compiler, version)
        if cached is not None:
            return cached
        pch = self._pch(version, variant)
        result = runner.run([self.compiler, *build.FLAGS, *pch.options, *options, "kiln_build.cpp", "-o", output],
                            files={"kiln_build.cpp": source, **headers}, env={"LC_ALL": "C"}, ro_paths=pch.ro_paths,
                            collect=[output], limits=build.COMPILE_LIMITS)
        data = result.files.get(output)
        if result.exit_code != 0 or data is None:
            why = f"{what} did not compile: {_tail(result.stderr.decode('utf-8', 'replace'))}"
            return CompileResult(False, infra_error=why)
        build.store_object(key, self.compiler, version, data)
        return data

    # -- run -------------------------------------------------------------------------------------------

    def run_signature_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> SignatureRun:
        program = compiled.artifacts[_PROGRAM]
        # Sandbox files are not executable: the system's dynamic loader runs the program.
        result = runner.run([_loader(self.compiler), f"./{_PROGRAM}"], files={_PROGRAM: program})
        lines = result.stdout.decode("utf-8", "replace").splitlines()
        if not lines or lines[0] != '{"ready":true}':
            return SignatureRun([], result, _not_started(result))
        rows = []
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                break  # a torn line: the process died writing it
            if not isinstance(row, dict) or row.get("done"):
                break
            rows.append(row)
        return SignatureRun(rows, result)

    def run_native_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> NativeRun:
        solver_program, tester_program = compiled.artifacts[_PROGRAM], compiled.artifacts[_TESTER]
        # Two sandboxes, two uids: the solver cannot see the tester's memory, descriptors or files.
        with (
            runner.spawn([_loader(self.compiler), f"./{_PROGRAM}"], files={_PROGRAM: solver_program}) as solver,
            runner.spawn([_loader(self.compiler), f"./{_TESTER}"], files={_TESTER: tester_program}) as tester,
        ):
            ending, message = native.relay(tester, solver)
        result, sandbox, error = native.outcome(ending, message, tester.result, solver.result)
        return NativeRun([result], sandbox, error)


def _compiler_failure(result: Any, stderr: str, found: tuple[Diagnostic, ...]) -> str | None:
    """Why the compile failed for reasons of ours (a limit, a crash of the compiler), or None.

    Only what the code cannot forge counts: the sandbox's own observations, the driver's exit status 4
    (an internal compiler error), and the compiler's out-of-memory or kill messages when there is no error
    diagnostic at all (a ``static_assert`` message can print any line, but not without an error)."""
    if result.signal is not None:
        return f"g++ was killed by signal {result.signal}"
    if result.exit_code == _ICE_EXIT_STATUS:
        return f"g++ crashed: {_tail(stderr)}"
    unexplained = result.exit_code != 0 and not any(d.severity == "error" for d in found)
    if unexplained and any(marker in stderr for marker in _COMPILER_FAILURES):
        return f"g++ failed: {_tail(stderr)}"
    return None


def _not_started(result: Any) -> str | None:
    """Why the program wrote no ready line. Before that line only libc, the dynamic loader and the solution's
    ifunc resolvers run: a loader failure is ours (raised: the verdict is masked); anything else is the code's
    (None while a limit explains it)."""
    stderr = result.stderr.decode("utf-8", "replace")
    if result.limit_hit is not None:
        return None
    if "error while loading shared libraries" in stderr or result.exit_code == 127:
        raise RuntimeError(f"the C++ test program did not start: {_tail(stderr)}")
    how = f"signal {result.signal}" if result.signal is not None else f"exit status {result.exit_code}"
    return f"the program wrote no results: it ended before its tests started, or removed them ({how})"


@functools.cache
def _loader(compiler: str) -> str:
    """The system's dynamic loader, which runs the test programs (sandbox files are not executable).

    Read from the compiler's own executable, never from a program built from submitted code: that one's
    ELF interpreter field is the code's to choose."""
    try:
        with open(os.path.realpath(compiler), "rb") as handle:
            found = _elf_interpreter(handle.read(1 << 16))
    except (OSError, struct.error, UnicodeDecodeError):
        found = None
    if found and os.path.isfile(found):
        return found
    candidates = sorted(glob.glob("/lib*/ld-linux*.so.*") + glob.glob("/lib/*/ld-linux*.so.*"))
    if not candidates:
        raise RuntimeError("cannot find the dynamic loader (ld-linux*.so) to run C++ programs with")
    return candidates[0]


def _elf_interpreter(head: bytes) -> str | None:
    """The PT_INTERP path of a 64-bit little-endian ELF executable, from its first bytes."""
    if head[:6] != b"\x7fELF\x02\x01":
        return None
    (header_offset,) = struct.unpack_from("<Q", head, 0x20)
    entry_size, count = struct.unpack_from("<HH", head, 0x36)
    for index in range(count):
        base = header_offset + index * entry_size
        (kind,) = struct.unpack_from("<I", head, base)
        if kind == 3:  # PT_INTERP
            (offset,) = struct.unpack_from("<Q", head, base + 8)
            (size,) = struct.unpack_from("<Q", head, base + 32)
            return head[offset:offset + size].rstrip(b"\0").decode()
    return None


def _tail(text: str) -> str:
    return text[-300:].strip().replace("\n", " | ")
