"""The Java language backend.

- Syntax: tree-sitter-java (in the core pipeline), on Solution.java as :mod:`codekiln_java.source`
  assembles it (one import line, then the answer with its lines and columns unchanged).
- Compile: ``javac`` on Solution.java and the generated harness KilnMain.java together, in the sandbox
  (on the warm path, :mod:`codekiln_java.warm`, by a compile server; cold, by one ``javac`` per sample),
  with ``-Xlint:all`` (warnings are kept as diagnostics) and the harness runtime ``kiln.jar`` on the class
  path. Diagnostics in Solution.java keep their positions; an error in the
  harness means the answer does not declare what the tests call, and is reported as that, on the line of
  the answer's method when it has one. The classes javac wrote come back as one tar file (their names
  are not known beforehand), or in the compile server's answer.
- Signature tests: ``java KilnMain`` in the sandbox decodes each test's arguments, calls the solution,
  and writes the returned values as wire data (``kiln/Harness.java``); the core compares them with the
  expected values outside the sandbox. On the warm path that JVM was started while the sample compiled.
- Native benchmark tests (HumanEval-X's ``Main``): two JVMs in two sandboxes, the benchmark's tests against
  a proxy ``Solution`` in one (:mod:`codekiln_java.native`), the solution in the other, the core's relay
  (:mod:`codekiln.verifier.relay`) carrying the calls.

Every JVM runs with ``memory_kind="data"`` (RLIMIT_AS breaks the JVM) and its heap capped below the
limit, so that running out of memory throws ``OutOfMemoryError`` rather than crashing the JVM.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import attrs

from codekiln import value_codec
from codekiln.code_profile import CodeProfile
from codekiln.languages import (
    Availability,
    CompileResult,
    LanguageBackend,
    NativeRun,
    SignatureRun,
    Source,
    harness_rows,
)
from codekiln.problem import NativeTests, Problem
from codekiln.sandbox import Limits
from codekiln.verdict import Diagnostic
from codekiln.verifier.relay import NativePrograms, Program, run_native
from codekiln.verifier.runner import SandboxRunner

from . import native, warm
from . import source as java_source
from .javac import COMPILE_LIMITS, JAVAC_OPTIONS, JavacRun, class_files, parse_diagnostics
from .jdk import JVM_OPTIONS, MIN_MAJOR, find_jdk, javac_archive, launch_archive, runtime_jar
from .profile import PROFILE

__all__ = ["COMPILE_LIMITS", "MIN_RUN_MEMORY_MB", "JavaBackend"]

#: Below this a JVM cannot start with room for a solution: a smaller limit is our misconfiguration, not the
#: answer's failure.
MIN_RUN_MEMORY_MB = 96
_JAVAC_OPTIONS = (*JAVAC_OPTIONS, "-cp", "kiln.jar", "-d", "out")
#: javac writes into ``out``; the classes come back as one file, since their names are not known beforehand.
_COMPILE_SCRIPT = 'mkdir out && "$@" && exec tar -cf classes.tar -C out .'
_MAX_DIAGNOSTICS = 20
#: Limits javac can only reach on the code's account: 60 s of CPU, half a GiB of heap, megabytes of output.
#: The wall-time limit equals the CPU limit, so reaching it first means javac was not given the CPU (ours),
#: and so is a refused thread ("processes").
_CODE_LIMITS = ("cpu_time", "memory", "output", "file_size")
_MiB = 1024 * 1024



_RESERVED = re.compile(r"^\s*(?P<package>package)\s|\b(?:class|interface|enum|record)\s+kiln\b", re.MULTILINE)

class JavaBackend(LanguageBackend):
    name = "java"
    file_extension = ".java"
    fence_tags = ("java",)

    def tree_sitter_language(self):
        import tree_sitter
        import tree_sitter_java

        return tree_sitter.Language(tree_sitter_java.language())

    def code_profile(self) -> CodeProfile:
        return PROFILE

    def available(self) -> Availability:
        try:
            jdk = find_jdk()
        except Exception as exc:  # never raise: the verifier masks the language instead
            return Availability(False, hint=f"looking for a JDK failed: {exc}")
        install = f"install a JDK {MIN_MAJOR} or newer (Debian/Ubuntu: apt-get install default-jdk-headless)"
        if jdk is None:
            return Availability(False, hint=f"no JDK found (javac and java): {install}, or set JAVA_HOME")
        if jdk.major < MIN_MAJOR:
            return Availability(False, hint=f"the JDK at {jdk.home} is version {jdk.version}: {install}")
        vendor = f"{jdk.implementor} " if jdk.implementor else ""
        return Availability(True, version=f"{vendor}JDK {jdk.version} ({jdk.home})")

    def signature_stub(self, problem: Problem) -> str:
        return java_source.signature_stub(problem)

    def assemble(self, code: str, problem: Problem) -> Source:
        native = problem.native.get(self.name)
        if native is not None:  # a benchmark's prompt, continued by the answer or restated in it
            return java_source.assemble_restated(code, native) or super().assemble(code, problem)
        return java_source.assemble(code, problem)

    # -- compile -----------------------------------------------------------------------------------------

    def compile(self, source: Source, problem: Problem, runner: SandboxRunner) -> CompileResult:
        reserved = _RESERVED.search(source.text)
        if reserved:  # a type `kiln` would shadow the harness's package; a package could replace its classes
            line = source.text.count("\n", 0, reserved.start()) + 1
            what = "a package declaration" if reserved.group("package") else "a type named 'kiln'"
            return CompileResult(False, (Diagnostic(f"{what} is not allowed in a solution (reserved for the "
                                                    "test harness)", line),))
        jdk = find_jdk()
        if jdk is None:
            return CompileResult(False, infra_error="no JDK found")
        files = {"Solution.java": source.text}
        harness = None if source.native else java_source.signature_harness(source.text, problem)
        meanwhile = _nothing
        if harness is not None:
            files[f"{java_source.HARNESS_CLASS}.java"] = harness.text
            if problem.tests:  # its run will come: on the warm path its JVM starts while it compiles
                meanwhile = functools.partial(_start_run_ahead, jdk, source, runner)
        compiled = self._compile_result(_javac(jdk, files, runner, meanwhile), harness)
        if not compiled.ok:
            warm.end_run()
        return compiled

    def _compile_result(self, result: JavacRun, harness: java_source.SignatureHarness | None) -> CompileResult:
        output = result.output
        messages = parse_diagnostics(output)
        diagnostics = tuple(self._diagnostics(messages, harness))[:_MAX_DIAGNOSTICS]
        if result.limit_hit in _CODE_LIMITS:
            text = f"javac went past its {result.limit_hit.replace('_', ' ')} limit compiling this code"
            return CompileResult(False, (Diagnostic(text), *diagnostics))
        if result.limit_hit is not None:  # out of wall time before CPU time: a busy machine, not the code
            return CompileResult(False, infra_error=f"javac went past its {result.limit_hit} limit")
        if result.ok:
            return CompileResult(True, diagnostics, artifacts=result.classes)
        if any(d.severity == "error" for d in diagnostics):
            return CompileResult(False, diagnostics)
        if "The system is out of resources" in output:  # javac's own crash on absurd code (deep nesting)
            return CompileResult(False, (Diagnostic(_first_line_after(output, "The system is out of resources")),))
        tail = output.strip()[-500:] or f"exit status {result.exit_code}, signal {result.signal}"
        return CompileResult(False, infra_error=f"javac failed without a diagnostic: {tail}")

    def _diagnostics(self, messages, harness: java_source.SignatureHarness | None):
        harness_errors = 0
        for message in messages:
            if message.file == "Solution.java" or message.file is None:
                yield Diagnostic(message.message, message.line, message.column, message.severity)
            elif message.severity == "error" and harness_errors == 0:
                # The harness compiles against the declared signature only: its error is the answer's
                # declaration not matching what the tests call.
                harness_errors += 1
                text = (f"the tests call `{harness.declaration}` in class Solution, which this code does not "
                        f"provide as declared: {message.message}")
                yield Diagnostic(text, harness.entry_line, None, "error")

    # -- run -----------------------------------------------------------------------------------------------

    def run_signature_tests(self, source: Source, compiled: CompileResult, problem: Problem,
                            runner: SandboxRunner) -> SignatureRun:
        jdk = find_jdk()
        limits = _run_limits(runner)
        calls = [value_codec.encode(list(problem.typed_args(test))) for test in problem.tests]
        too_big = _beyond_long(calls)
        if too_big is not None:
            warm.end_run()
            raise RuntimeError(f"problem {problem.id!r}: the test value {too_big} does not fit Java's long")
        stdin = json.dumps({"calls": calls}).encode()
        result = warm.run_ahead(source, compiled.artifacts, stdin, limits.wall_time_s)
        if result is None:
            argv = _java(jdk, limits, java_source.HARNESS_CLASS, *_harness_args(source, limits))
            result = runner.run(argv, files={**compiled.artifacts, "kiln.jar": runtime_jar(jdk)}, stdin=stdin,
                                limits=limits, ro_paths=jdk.ro_paths)
        rows = harness_rows(result, "Java")
        done = []
        for row in rows:
            if row.get("done"):
                break
            if "load_error" in row:
                return SignatureRun(done, result, str(row["load_error"]))
            done.append(row)
        return SignatureRun(done, result)

    def run_native_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> NativeRun:
        """HumanEval-X's own tests, in a JVM of their own against a proxy of the solution, through the
        core's relay (see :mod:`codekiln_java.native` and :mod:`codekiln.verifier.relay`)."""
        jdk = find_jdk()
        limits = _run_limits(runner)
        jar = runtime_jar(jdk)
        test_classes = _test_classes(jdk, problem.native[self.name], runner)
        serve = _java(jdk, limits, "kiln.Serve", str(_stack_bytes(limits)), str(source.code_line_offset))
        programs = NativePrograms(
            language="Java",
            tester=Program([*_ON_CHANNEL, *_java(jdk, limits, "kiln.Check")], files={**test_classes, "kiln.jar": jar},
                           ro_paths=jdk.ro_paths),
            solver=Program([*_ON_CHANNEL, *serve], files={**compiled.artifacts, "kiln.jar": jar},
                           ro_paths=jdk.ro_paths),
        )
        return run_native(programs, attrs.evolve(runner, limits=limits))


def _start_run_ahead(jdk: Any, source: Source, runner: SandboxRunner) -> None:
    """Start the JVM that will run ``source`` (see :mod:`codekiln_java.warm`); a memory limit no JVM can run
    under is left for the run stage to report."""
    if runner.limits.memory_mb >= MIN_RUN_MEMORY_MB:
        limits = _run_limits(runner)
        archive = launch_archive(jdk)
        argv = _java(jdk, limits, "kiln.Launch", java_source.HARNESS_CLASS, *_harness_args(source, limits),
                     archive=archive)
        # With the archive, the cached kiln.jar it holds for is on the class path (read-only), not a copy.
        files = {} if archive is not None else {"kiln.jar": runtime_jar(jdk)}
        ro_paths = (*jdk.ro_paths, *archive) if archive is not None else jdk.ro_paths
        warm.start_run(argv, files, ro_paths, attrs.evolve(runner, limits=limits), source)


def _harness_args(source: Source, limits: Limits) -> tuple[str, str]:
    """``KilnMain``'s arguments: the solution thread's stack, and the lines before the answer's code."""
    return str(_stack_bytes(limits)), str(source.code_line_offset)


def _run_limits(runner: SandboxRunner) -> Limits:
    """The run's limits as a JVM needs them: data, not address space (RLIMIT_AS breaks the JVM)."""
    limits = attrs.evolve(runner.limits, memory_kind="data")
    if limits.memory_mb < MIN_RUN_MEMORY_MB:
        raise RuntimeError(f"a JVM needs a memory limit of at least {MIN_RUN_MEMORY_MB} MB to run a "
                           f"solution; this run allows {limits.memory_mb} MB")
    return limits


def _java(jdk: Any, limits: Limits, main_class: str, *args: str, archive: tuple[str, str] | None = None) -> list[str]:
    """``java`` with the heap capped at half the memory limit, so that the solution running out of memory
    throws ``OutOfMemoryError`` instead of crashing the JVM, and the JVM's warnings on stderr. ``archive``:
    a CDS archive and the kiln.jar it holds for (:func:`codekiln_java.jdk.launch_archive`), else the
    JDK's own archive and kiln.jar in the work dir."""
    command = [jdk.java, *JVM_OPTIONS, f"-Xmx{limits.memory_mb // 2}m", "-Xlog:disable", "-Xlog:all=warning:stderr",
               "-Dfile.encoding=UTF-8"]
    class_path = ".:kiln.jar"
    if archive is not None:
        command.append(f"-XX:SharedArchiveFile={archive[0]}")
        class_path = f".:{archive[1]}"
    return [*command, "-cp", class_path, main_class, *args]


def _stack_bytes(limits: Limits) -> int:
    """The solution thread's stack: an eighth of the memory limit (the JVM's default 1 MB is too little for
    recursion thousands of levels deep)."""
    return limits.memory_mb * _MiB // 8


#: A spawned JVM writes its rows to stdout, which this points at the channel (fd 3): Java cannot open fd 3
#: itself (the pipe is root's, so /proc/self/fd/3 cannot be reopened). Its prints go to stderr.
_ON_CHANNEL = ("/bin/sh", "-c", 'exec "$@" 1>&3 3>&-', "sh")

#: The tests' classes by problem (prompt and test code), compiled once per process.
_TEST_CLASSES: dict[tuple[Any, str, str], dict[str, bytes]] = {}


def _test_classes(jdk: Any, tests: NativeTests, runner: SandboxRunner) -> dict[str, bytes]:
    key = (jdk, tests.prompt, tests.test)
    if key not in _TEST_CLASSES:
        result = _javac(jdk, native.test_sources(tests), runner)
        if not result.ok:
            errors = [m.message for m in parse_diagnostics(result.output)]
            raise RuntimeError(f"the benchmark's test code does not compile with the proxy Solution: "
                               f"{errors[:1] or _tail(result.output.encode())}")
        if len(_TEST_CLASSES) >= 1024:
            _TEST_CLASSES.clear()
        _TEST_CLASSES[key] = result.classes
    return _TEST_CLASSES[key]


def _beyond_long(data: Any) -> int | None:
    """An integer in wire data that a Java ``long`` cannot hold, if there is one."""
    if isinstance(data, list):
        return next((v for v in map(_beyond_long, data) if v is not None), None)
    if isinstance(data, dict):
        return _beyond_long(list(data.values()))
    if type(data) is int and not -(2**63) <= data < 2**63:
        return data
    return None


def _nothing() -> None:
    pass


def _javac(jdk: Any, sources: dict[str, str], runner: SandboxRunner, meanwhile: Callable[[], None] = _nothing,
           ) -> JavacRun:
    """``sources`` compiled with kiln.jar on the class path: by the compile server on the warm path, else (or
    when it broke for them) by a javac of their own. On the warm path ``meanwhile()`` is called while the
    server compiles."""
    if runner.warm("java"):
        compiled = warm.compile_warm(jdk, runtime_jar(jdk), sources, runner, meanwhile)
        if compiled is not None:
            return compiled
    return _javac_cold(jdk, sources, runner)


def _javac_cold(jdk: Any, sources: dict[str, str], runner: SandboxRunner) -> JavacRun:
    """One javac in the sandbox on ``sources``; its classes come back as one tar file."""
    jvm = [f"-J{option}" for option in JVM_OPTIONS]
    jvm.append(f"-J-Xmx{COMPILE_LIMITS.memory_mb // 2}m")
    ro_paths = list(jdk.ro_paths)
    archive = javac_archive(jdk)
    if archive is not None:
        jvm.append(f"-J-XX:SharedArchiveFile={archive}")
        ro_paths.append(archive)
    javac = [jdk.javac, *jvm, "-J-Duser.language=en", *_JAVAC_OPTIONS, *sorted(sources)]
    result = runner.run(["/bin/sh", "-c", _COMPILE_SCRIPT, "sh", *javac],
                        files={**sources, "kiln.jar": runtime_jar(jdk)}, limits=COMPILE_LIMITS, ro_paths=ro_paths,
                        collect=["classes.tar"])
    ok = result.exit_code == 0 and "classes.tar" in result.files
    return JavacRun((result.stderr + result.stdout).decode("utf-8", "replace"), ok,
                    class_files(result.files["classes.tar"]) if ok else {}, result.limit_hit, result.exit_code,
                    result.signal)


def _first_line_after(text: str, marker: str) -> str:
    after = text[text.index(marker):].splitlines()
    detail = next((line.strip() for line in after[1:] if line.strip().startswith("java.lang.")), "")
    return f"javac ran out of resources compiling this code{': ' + detail if detail else ''}"


def _tail(data: bytes) -> str:
    return data[-300:].decode("utf-8", "replace").strip().replace("\n", " | ")
