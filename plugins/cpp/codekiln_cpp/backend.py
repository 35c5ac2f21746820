"""The C++ language backend (g++, C++17).

- Syntax: tree-sitter-cpp (in the core pipeline).
- Compile: ``g++ -std=c++17 -Wall -O1`` in the sandbox, under the compiler's own budget
  (:data:`codekiln_cpp.build.COMPILE_LIMITS`). For a problem with a signature the compile builds the whole
  test program: the solution's translation unit (the solution plus an adapter, see
  :mod:`codekiln_cpp.translate`) linked after the problem's harness object. The binary is the artifact.
- Signature tests: the binary runs in a second sandbox run, under the problem's limits, and writes one
  row per test to stdout (through a private descriptor); the core compares the values with the expected ones outside.
- Native benchmark tests (HumanEval-X): the solution and the benchmark's test code are two programs, run in
  two sandboxes by the core relay (:mod:`codekiln.verifier.relay`; the programs: :mod:`codekiln_cpp.native`).
- Nothing of the code runs before our harness says it is ready: a built program with an ``ifunc`` (whose
  resolver the loader runs first) is refused, found in the binary itself (:func:`_ifunc`). The one way left,
  its definition of a libc function the ready hook calls, can only fail the run, never mask it
  (:func:`_start_failure`).
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
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import attrs

from codekiln.code_profile import CodeProfile
from codekiln.languages import (
    Availability,
    CompileResult,
    LanguageBackend,
    NativeRun,
    Requirement,
    SignatureRun,
    Source,
    output_lines,
    restated_source,
)
from codekiln.parsing import parse
from codekiln.problem import NativeTests, Problem
from codekiln.verdict import Diagnostic
from codekiln.verifier.relay import NativePrograms, run_native
from codekiln.verifier.runner import SandboxRunner

from . import build, diagnostics, native, translate, warm
from .profile import PROFILE

_PROGRAM = "prog"
_TESTER = "tester"
_HARNESS_OBJECT = "kiln_harness.o"
_SOLVER_START = "kiln_solver_start.o"
#: Compile limits only the submitted code can make g++ reach: a compile error of the code's, never masked.
_CODE_LIMITS = ("memory", "wall_time", "cpu_time", "file_size")
#: The g++ driver's exit status when one of its programs crashed or was killed (cc1plus's internal compiler
#: error, ``as`` killed at the file-size limit by a ``.fill`` directive).
_CRASH_EXIT_STATUS = 4
#: How g++ says that a name is not declared or a type not complete: what a header a unit never included leaves out.
_UNDECLARED = re.compile(r"is not a member of|was not declared in this scope|does not name a (?:template )?type|"
                         r"incomplete type|must be available")
#: What a solution's own ``main`` is renamed to: the test program's is the one that runs.
SOLUTION_MAIN = "kiln_solution_main"
#: The memory of the second probe of :func:`_start_failure`: more than any program needs to be loaded (static
#: data of 2 GiB or more does not link).
_PROBE_MEMORY_MB = 4096


class _Pch(NamedTuple):
    """The options that use a precompiled header, and the folder the sandbox must see for it."""

    options: list[str]
    ro_paths: list[str]


class CppBackend(LanguageBackend):
    name = "cpp"
    aliases = ("c++", "cxx")
    file_extension = ".cpp"
    fence_tags = ("cpp", "c++", "cxx", "cc")
    # tree-sitter-cpp rejects some valid C++ (typeid of a type, as HumanEval-X's CPP/22 and CPP/137 use):
    # g++ has the last word on syntax.
    grammar_is_exact = False

    #: The compiler, found once; a test may point it at a missing file to see ``toolchain_missing``.
    compiler: ClassVar[str] = shutil.which("g++") or "/usr/bin/g++"

    def __init__(self) -> None:
        self._version: str | None = None
        self._language: Any = None

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
        continuing the prompt's stub (see :meth:`_is_body`); a native problem's prompt followed by the code,
        or its text before the entry function followed by the code where the code restates that function
        (see :meth:`_restated`)."""
        if self.name in problem.native:
            source = self._restated(code, problem.native[self.name]) or super().assemble(code, problem)
        elif problem.signature is not None and self._is_body(code):
            opening = "\n" if code.lstrip().startswith("{") else " {\n"
            source = Source(translate.stub(problem.signature) + opening + code, code_line_offset=1)
        else:
            source = Source(code)
        return self._main_renamed(source)

    def _main_renamed(self, source: Source) -> Source:
        """``source`` with a ``main`` it defines at its top level renamed (:data:`SOLUTION_MAIN`): chat answers
        add one to show the function at work, and the tests bring their own. It never runs."""
        data = bytearray(source.text.encode("utf-8"))
        names = [name for _, _, name in _defined_functions(self._parse(bytes(data))) if name.text == b"main"]
        if not names:
            return source
        for name in sorted(names, key=lambda node: node.start_byte, reverse=True):
            data[name.start_byte:name.end_byte] = SOLUTION_MAIN.encode()
        return attrs.evolve(source, text=data.decode("utf-8"))

    def _restated(self, code: str, tests: NativeTests) -> Source | None:
        """The solver's source for ``code`` that defines the prompt's entry function itself (a chat answer, often
        with the includes): the prompt's text before that function (includes, ``using``, helpers), less the
        helpers the code defines again (a redefinition would not compile; the tester has the prompt's own),
        then the code. None for a continuation: code that does not define the entry function at its top level,
        or that makes a program with the prompt."""
        defined = {name for name, _, _ in _defined_functions(self._parse(code.encode("utf-8")))}
        if not defined:
            return None
        try:
            entry = native.entry_function(tests, self._parse)
        except ValueError:  # the compile step reports the prompt it cannot read
            return None
        if entry.name not in defined or not self._parse((tests.prompt + code).encode("utf-8")).has_error:
            return None  # such as one that closes the function and then overloads it
        preamble = bytearray(entry.preamble.encode("utf-8"))
        redefined = [node for name, node, _ in _defined_functions(self._parse(bytes(preamble))) if name in defined]
        for node in sorted(redefined, key=lambda node: node.start_byte, reverse=True):
            del preamble[node.start_byte:node.end_byte]
        return restated_source(preamble.decode("utf-8"), code)

    def _parse(self, data: bytes) -> Any:
        """The root node of the tree-sitter parse of ``data``, within the parse budget (raises
        :class:`~codekiln.parsing.UnparsableCode` past it; the syntax check reuses the tree)."""
        if self._language is None:
            self._language = self.tree_sitter_language()
        return parse(self._language, data).root_node

    def _is_body(self, code: str) -> bool:
        """Whether ``code`` is a function body rather than whole definitions: it defines no function, and
        either is a ``{``-block or closes more braces than it opens (it closes the stub's).

        Braces, not parse errors or file-level statements, tell the two apart: tree-sitter reads a definition
        whose body is a macro call with no ``;`` as a declaration with an error, while only a body reading
        leaves a closing brace unmatched (those inside strings, comments and macros are no tokens)."""
        root = self._parse(code.encode("utf-8"))
        opened = closed = 0
        pending = [root]
        while pending:
            node = pending.pop()
            if node.type == "function_definition":
                return False
            if node.child_count == 0 and not node.is_missing:
                opened += node.type == "{"
                closed += node.type == "}"
            pending.extend(node.children)
        return code.lstrip().startswith("{") or closed > opened

    def requirements(self) -> Sequence[Requirement]:
        """The benchmarks' headers and libraries (:data:`codekiln_cpp.build.EXTRAS`) and the libraries every
        program is linked with (:func:`codekiln_cpp.build.link_libraries`)."""
        found = []
        for extra in build.EXTRAS:
            what = " and ".join([*([f"<{extra.header}>"] if extra.header else []),
                                 *([f"-l{extra.library}"] if extra.library else [])])
            why = self._unusable(extra)
            found.append(Requirement(f"{extra.name} ({what})", why is None, why))
        known = {extra.library for extra in build.EXTRAS}
        for library in build.link_libraries():
            if library not in known and not build.has_library(self.compiler, library):
                found.append(Requirement(f"-l{library} ({build.LINK_ENV})", False, f"not installed: install the "
                                         f"package that provides lib{library}.so, or leave it out of {build.LINK_ENV}"))
            elif library not in known:
                found.append(Requirement(f"-l{library} ({build.LINK_ENV})", True))
        return tuple(found)

    def _unusable(self, extra: build.Extra) -> str | None:
        """Why programs cannot use ``extra``, with the fix in one line; None when they can."""
        if (extra.header and not build.has_header(self.compiler, extra.header)) or (
                extra.library and not build.has_library(self.compiler, extra.library)):
            return f"not installed: apt-get install {extra.package}"
        if extra.library and extra.library not in build.link_libraries():
            return f"not linked: add {extra.library} to {build.LINK_ENV}"
        return None

    # -- compile ---------------------------------------------------------------------------------------

    def compile(self, source: Source, problem: Problem, runner: SandboxRunner) -> CompileResult:
        version = self._version or self.available().version or ""
        files: dict[str, bytes | str] = {diagnostics.SOLUTION_FILE: source.text, **build.RUNTIME}
        entry = None
        if source.native:  # the solver: the solution, serving calls, after our start object
            try:
                function = native.entry_function(problem.native[self.name], self._parse)
            except ValueError as exc:  # the problem's prompt, not the code: ours
                return CompileResult(False, infra_error=f"cannot build the programs of {problem.id}: {exc}")
            missing = self._missing_extras(problem.native[self.name].prompt)
            if missing:
                return CompileResult(False, infra_error=f"{problem.id} needs {missing}")
            start = self._cached_build("the solver's start", native.SOLVER_START, ["-c"], _SOLVER_START, runner,
                                       version, "native")
            if isinstance(start, CompileResult):
                return start
            entry = function.name
            files.update({"kiln_entry.cpp": native.solver_source(function), _SOLVER_START: start})
            argv = [_SOLVER_START, "kiln_entry.cpp", "-o", _PROGRAM,
                    *build.link_options(self.compiler, source.text)]
        elif problem.signature is not None:  # the solution, linked after its harness
            entry = problem.signature.name
            harness = self._harness_object(problem, runner, version)
            if isinstance(harness, CompileResult):
                return harness
            files.update({"kiln_entry.cpp": translate.entry_source(problem.signature), _HARNESS_OBJECT: harness})
            # The harness object first: its .preinit_array entry then runs before any of the solution's.
            argv = [_HARNESS_OBJECT, "kiln_entry.cpp", "-o", _PROGRAM,
                    *build.link_options(self.compiler, source.text)]
        else:  # nothing to test: compile the code alone
            argv = ["-c", diagnostics.SOLUTION_FILE, "-o", "solution.o"]
        variant = build.plain_variant(source.text + str(files.get("kiln_entry.cpp", "")))
        pch = self._pch(version, "native" if source.native and variant != "full" else variant)
        result = self._compile_program(argv, files, pch, runner)
        if variant in build.LIGHT_VARIANTS and _failed_on_a_name(result):
            # A lighter header leaves out <string> or the streams, which the common one gives every solution: a
            # solution that uses them without including them compiles as it would with the common header.
            pch = self._pch(version, "common")
            result = self._compile_program(argv, files, pch, runner)
        if pch.options and _failed_plainly(result):
            # The precompiled header includes headers the code may not: under `using namespace std` a global of
            # the code's named like a std name it never included (count, list, gcd) is ambiguous. Without it
            # the code compiles as g++ compiles it alone, and that compile's verdict is the code's.
            result = self._compile_program(argv, files, _Pch([], []), runner)
        stderr = result.stderr.decode("utf-8", "replace")
        found = diagnostics.parse(stderr, entry)
        if result.limit_hit in _CODE_LIMITS:  # a compile-time bomb (#include "/dev/zero", template blow-up)
            budget = Diagnostic(f"compilation went past its {result.limit_hit.replace('_', ' ')} budget")
            return CompileResult(False, (*found, budget))
        if result.limit_hit == "output":
            return CompileResult(False, (*found, Diagnostic("the compiler's output went past its limit")))
        # Classified by how the driver ended, never by what it printed: an assembler directive of the code's
        # (.error, .print) can print any text, a compiler crash included.
        if result.signal is not None:  # the driver itself killed, at no limit of the sandbox's: ours
            return CompileResult(False, infra_error=f"g++ was killed by signal {result.signal}: {_tail(stderr)}")
        if result.exit_code == _CRASH_EXIT_STATUS:
            # The same compiler built our harness objects: what crashed it now is the code's text.
            return CompileResult(False, (*found, Diagnostic("the compiler crashed on this code (g++ exit status 4)")))
        if result.exit_code != 0:
            if not any(d.severity == "error" for d in found):
                found = (*found, Diagnostic(_tail(stderr) or f"g++ exited with status {result.exit_code}"))
            return CompileResult(False, found)
        if entry is None:
            return CompileResult(True, found)
        if _PROGRAM not in result.files:
            return CompileResult(False, infra_error="g++ succeeded but left no program")
        program = result.files[_PROGRAM]
        refused = _ifunc(program)
        if refused:  # the loader runs an ifunc's resolver before anything of ours: it could end the run unseen
            return CompileResult(False, (*found, Diagnostic(refused)))
        artifacts = {_PROGRAM: program}
        if source.native:
            tester = self._tester(problem, function, runner, version)
            if isinstance(tester, CompileResult):
                return tester
            artifacts[_TESTER] = tester
        return CompileResult(True, found, artifacts)

    def _compile_program(self, argv: list[str], files: dict[str, bytes | str], pch: _Pch,
                         runner: SandboxRunner) -> Any:
        return runner.run([self.compiler, *build.FLAGS, *pch.options, *argv], files=files, env={"LC_ALL": "C"},
                          ro_paths=pch.ro_paths, collect=[_PROGRAM], limits=build.COMPILE_LIMITS)

    def _missing_extras(self, prompt: str) -> str | None:
        """The extras (Boost, OpenSSL) the problem's prompt includes that programs cannot use here, with the fix.

        Read from the prompt, the problem's own text: a solution's ``#include`` of a missing header is its
        compile error."""
        included = set()
        pending = [self._parse(prompt.encode("utf-8"))]
        while pending:
            node = pending.pop()
            if node.type == "preproc_include":
                included.add(node.child_by_field_name("path").text.decode("utf-8", "replace").strip('<>"'))
            pending.extend(node.children)
        reasons = [(extra, self._unusable(extra)) for extra in build.EXTRAS if extra.header in included]
        missing = [f"{extra.name} (<{extra.header}>), {why}" for extra, why in reasons if why]
        return "; ".join(missing) or None

    def _pch(self, version: str, variant: str) -> _Pch:
        header = build.precompiled_header(self.compiler, version, variant)
        return _Pch(["-include", header], [os.path.dirname(header)]) if header else _Pch([], [])

    def harness_key(self, problem: Problem) -> str:
        """The build-cache key of ``problem``'s harness object (:func:`codekiln_cpp.build.object_key`).

        Raises ``ValueError`` for a test value C++ cannot hold."""
        return build.object_key(translate.harness_source(problem), ["-c"])

    def _harness_object(self, problem: Problem, runner: SandboxRunner, version: str) -> bytes | CompileResult:
        """The compiled harness of ``problem``: from the cache, or compiled now."""
        try:
            source = translate.harness_source(problem)
        except ValueError as exc:  # a value C++ cannot hold (an int beyond 64 bits): ours, not the code's
            return CompileResult(False, infra_error=f"cannot translate the tests of {problem.id}: {exc}")
        return self._cached_build(f"the test harness of {problem.id}", source, ["-c"], _HARNESS_OBJECT, runner,
                                  version, "common")

    def _tester(self, problem: Problem, function: native.EntryFunction, runner: SandboxRunner,
                version: str) -> bytes | CompileResult:
        """The compiled test program of a native ``problem``: from the cache, or compiled now."""
        source = native.tester_source(problem.native[self.name], function)
        return self._cached_build(f"the test program of {problem.id}", source,
                                  build.link_options(self.compiler, source), _TESTER, runner, version, "native")

    def _cached_build(self, what: str, source: str, options: list[str], output: str, runner: SandboxRunner,
                      version: str, variant: str) -> bytes | CompileResult:
        """Compile a program of ours (a harness, a test program) in the sandbox, once. Its inputs come from a
        dataset file, so it is trusted no more than that; its product depends on nothing else (a kind of
        program is always compiled with the same precompiled header), so it is cached by content."""
        key = build.object_key(source, options)
        cached = build.cached_object(key, self.compiler, version)
        if cached is not None:
            return cached
        pch = self._pch(version, variant)
        # Options after the source: libraries must follow what uses them.
        result = runner.run([self.compiler, *build.FLAGS, *pch.options, "kiln_build.cpp", "-o", output, *options],
                            files={"kiln_build.cpp": source, **build.RUNTIME}, env={"LC_ALL": "C"},
                            ro_paths=pch.ro_paths, collect=[output], limits=build.COMPILE_LIMITS)
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
        result = warm.run(runner, [_loader(self.compiler), f"./{_PROGRAM}"], {_PROGRAM: program})
        lines = output_lines(result.stdout)
        if not lines or lines[0] != '{"ready":true}':
            return SignatureRun([], result, _not_started(result, runner, _loader(self.compiler), program))
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
        # Sandbox files are not executable: the system's dynamic loader runs both programs.
        loader = _loader(self.compiler)
        program = compiled.artifacts[_PROGRAM]
        return run_native(NativePrograms(
            language="C++",
            tester=warm.program([loader, f"./{_TESTER}"], {_TESTER: compiled.artifacts[_TESTER]}),
            solver=warm.program([loader, f"./{_PROGRAM}"], {_PROGRAM: program}),
            not_started=functools.partial(_start_failure, loader=loader, program=program),
        ), runner)


def _defined_functions(root: Any) -> list[tuple[str, Any, Any]]:
    """The functions a translation unit defines at its top level: name, definition and name's node (``A::f``
    and operators are not)."""
    found = []
    for node in root.children:
        declarator = node.child_by_field_name("declarator") if node.type == "function_definition" else None
        while declarator is not None and declarator.type != "identifier":
            if declarator.type in ("reference_declarator", "parenthesized_declarator"):  # &f(...), (f)(...)
                declarator = declarator.named_children[0] if declarator.named_children else None
            else:  # through the function declarator and any *
                declarator = declarator.child_by_field_name("declarator")
        if declarator is not None:
            found.append((declarator.text.decode("utf-8", "replace"), node, declarator))
    return found


def _failed_on_a_name(result: Any) -> bool:
    """Whether a compile failed plainly and g++ said that a name was not declared (or a type not complete)."""
    return _failed_plainly(result) and _UNDECLARED.search(result.stderr.decode("utf-8", "replace")) is not None


def _failed_plainly(result: Any) -> bool:
    """Whether a compile failed as g++ fails on code it rejects: no limit, no crash, no signal."""
    return (result.exit_code not in (0, _CRASH_EXIT_STATUS) and result.limit_hit is None
            and result.signal is None)


def _not_started(result: Any, runner: SandboxRunner, loader: str, program: bytes) -> str | None:
    """Why the program wrote no ready line: None while a limit explains it, else :func:`_start_failure`'s
    answer (raised when the failure is ours: the verdict is masked)."""
    if result.limit_hit is not None:
        return None
    why = _start_failure(runner, loader, program)
    if why is None:
        raise RuntimeError(f"the C++ test program did not start: {_tail(result.stderr.decode('utf-8', 'replace'))}")
    how = f"signal {result.signal}" if result.signal is not None else f"exit status {result.exit_code}"
    return f"{why} ({how})"


def _start_failure(runner: SandboxRunner, loader: str, program: bytes) -> str | None:
    """Whose failure it is that ``program`` wrote no ready row, no limit explaining it: the code's (why, in a
    line) or ours (None).

    Code of the solution's can run before the hook that writes the row (its definition of a libc function the
    hook calls takes that function's place) and end the run as the loader does, message and exit status 127
    included: nothing the run did tells. So a probe decides, the system loader listing the program's
    libraries (``--list`` maps it and its libraries and runs none of their code) in a sandbox like the run's:
    when it can, the run's failure is the code's; when it can only with more memory, the program does not fit
    in the memory limit (its static data); when it cannot, the loader cannot start the program: ours. Paid
    only on this path."""
    probe = [loader, "--list", f"./{_PROGRAM}"]
    if runner.run(probe, files={_PROGRAM: program}).exit_code == 0:
        return "the program ended before its tests started"
    roomy = attrs.evolve(runner.limits, memory_mb=max(runner.limits.memory_mb, _PROBE_MEMORY_MB))
    if runner.run(probe, files={_PROGRAM: program}, limits=roomy).exit_code == 0:
        return "MemoryError: the program's static data does not fit in the memory limit"
    return None


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


#: ELF section types that hold symbols and relocations, the symbol type of an ifunc, and the relocation type
#: by which the loader calls a resolver, per machine (x86-64, AArch64).
_SHT_SYMTAB, _SHT_RELA, _SHT_REL, _SHT_DYNSYM = 2, 4, 9, 11
_STT_GNU_IFUNC = 10
_IRELATIVE = {62: 37, 183: 1032}


def _ifunc(program: bytes) -> str | None:
    """Why the built program is refused, or None: it has an ``ifunc`` (a symbol of that type, or a relocation
    by which the loader calls a resolver), however the source spelled it (``__attribute__((__ifunc__))``,
    ``.type x, %gnu_indirect_function`` in ``asm``).

    Read from the 64-bit little-endian ELF file the linker wrote, by its section headers."""
    why = "ifunc resolvers are not allowed in a solution (the loader runs them before the tests start)"
    try:
        if program[:6] != b"\x7fELF\x02\x01":
            return "the built program is not a 64-bit little-endian ELF file"
        machine, = struct.unpack_from("<H", program, 0x12)
        table, = struct.unpack_from("<Q", program, 0x28)
        entry_size, count = struct.unpack_from("<HH", program, 0x3A)
        irelative = _IRELATIVE.get(machine)
        for index in range(count):
            kind, = struct.unpack_from("<I", program, table + index * entry_size + 4)
            offset, size, _, _, item = struct.unpack_from("<QQIIQQ", program, table + index * entry_size + 24)[:5]
            if kind in (_SHT_SYMTAB, _SHT_DYNSYM) and item:
                if any(program[start + 4] & 0xF == _STT_GNU_IFUNC for start in range(offset, offset + size, item)):
                    return why
            elif kind in (_SHT_RELA, _SHT_REL) and item and irelative is not None:
                for start in range(offset, offset + size, item):
                    info, = struct.unpack_from("<Q", program, start + 8)
                    if info & 0xFFFFFFFF == irelative:
                        return why
    except (struct.error, IndexError):
        return "the built program is not a well-formed ELF file"
    return None
