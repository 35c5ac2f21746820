"""The JavaScript language backend (Node.js).

- Syntax: tree-sitter-javascript (in the core pipeline).
- Compile: ``node --check`` in the sandbox, with module detection off, so that the check parses the code
  exactly as the harness loads it: as a CommonJS script (``import``/``export`` are compile errors). On the
  warm path (:mod:`codekiln_javascript.warm`, on unless ``verifier.warm.javascript: false``) a node started
  ahead of the sample compiles it instead, and then runs its signature tests: one node per sample, not two.
- Signature tests: ``kiln_harness.js tests`` calls the function on each test's arguments in the sandbox and
  reports the returned values in the ``codekiln.value_codec`` encoding, read as the declared return type says
  (see harness.js); the core compares them with the expected values outside.
- Native tests (HumanEval-X's JavaScript tests): the core's relay (:mod:`codekiln.verifier.relay`) runs
  the solution (``kiln_harness.js serve``) and the benchmark's test code (``kiln_harness.js check``, in
  which the function under test is a proxy) in two sandboxes, so two uids and two pid namespaces, and
  relays each call's arguments from the tests to the solution and its answer back: the solution never
  holds the test code or its expected values, and cannot reach the process that judges.

Modules on ``NODE_PATH`` (folders that exist) are readable, and ``NODE_PATH`` set, in every sandbox node runs
in: the solution's, warm or cold, and both of a native run's.

The solution's function is named in camelCase (``running_max`` → ``runningMax``), its parameters too.
Values cross as JSON: ``int`` and ``float`` are both ``number`` (an ``int`` result must be an
integer-valued number, or a BigInt; numbers are exact up to 2**53), ``dict`` arguments are plain objects
(``int`` keys as their decimal strings) and a ``dict`` result may be a plain object or a ``Map``, tuples
are arrays, ``optional`` is ``null``.

Node runs under ``Limits(memory_kind="data")``: V8 reserves far more address space than it uses, and an
address-space limit kills it at start (see :mod:`codekiln.sandbox`).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from codekiln import value_codec
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
    parse_row,
    restated_source,
)
from codekiln.parsing import parse
from codekiln.problem import NativeTests, Problem
from codekiln.typespec import TypeSpec
from codekiln.verdict import Diagnostic
from codekiln.verifier.relay import NativePrograms, Program, run_native
from codekiln.verifier.runner import SandboxRunner

from .profile import PROFILE
from .warm import WarmNode, node_modules
from .zygote import missing as zygote_missing

__all__ = ["JavaScriptBackend", "camel_case"]

HARNESS = (Path(__file__).parent / "harness.js").read_bytes()
#: This process's nodes started ahead (the warm path), shared by every backend instance in it.
_WARM = WarmNode(HARNESS)
MIN_NODE = 18
_INSTALL_HINT = "install Node.js 18 or newer (Debian/Ubuntu: apt-get install nodejs)"
# Directories the sandbox always shows; a node installed elsewhere (nvm, a tarball) is added read-only.
_SYSTEM_PREFIXES = ("/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/")

# `node --check` output: "/sandbox/solution.js:3", the source line, a caret line, a blank line, the error.
_CHECK_LOCATION = re.compile(r"^.*solution\.js:(\d+)$", re.MULTILINE)
_CHECK_CARET = re.compile(r"^([ \t]*)\^+[ \t]*$", re.MULTILINE)
_CHECK_MESSAGE = re.compile(r"^(\w*Error: .*)$", re.MULTILINE)


@attrs.frozen
class _Node:
    path: str
    version: str
    #: Options that make ``node --check`` parse as the harness loads (empty where node has no detection).
    check_flags: tuple[str, ...]
    ro_paths: tuple[str, ...]


@functools.cache
def _node() -> _Node | str:
    """The node on PATH and what it supports, or why it cannot be used (probed once per process)."""
    found = shutil.which("node")
    if found is None:
        return f"node not found on PATH; {_INSTALL_HINT}"
    path = os.path.realpath(found)
    probe = ("process.stdout.write(process.version + ' ' + "
             "process.allowedNodeEnvironmentFlags.has('--experimental-detect-module'))")
    try:
        done = subprocess.run([path, "-e", probe], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{path} did not run: {exc}"
    match = re.fullmatch(r"v(\d+)\.\S+ (true|false)", done.stdout.strip())
    if done.returncode != 0 or match is None:
        return f"{path} did not run: {done.stderr.strip()[-200:] or done.stdout.strip()[-200:]}"
    if int(match.group(1)) < MIN_NODE:
        return f"{path} is node {done.stdout.split()[0]}, older than {MIN_NODE}; {_INSTALL_HINT}"
    flags = ("--no-experimental-detect-module",) if match.group(2) == "true" else ()
    prefix = os.path.dirname(os.path.dirname(path))
    ro_paths = () if path.startswith(_SYSTEM_PREFIXES) else (prefix,)
    return _Node(path, f"Node.js {done.stdout.split()[0]}", flags, ro_paths)


def _toolchain() -> _Node:
    node = _node()
    if isinstance(node, str):
        raise RuntimeError(node)
    return node


@functools.cache
def _language() -> Any:
    import tree_sitter
    import tree_sitter_javascript

    return tree_sitter.Language(tree_sitter_javascript.language())


def camel_case(name: str) -> str:
    """The JavaScript name of a snake_case signature name.

    >>> camel_case("kth_smallest_sorted_matrix"), camel_case("knapsack_01"), camel_case("add")
    ('kthSmallestSortedMatrix', 'knapsack01', 'add')
    """
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class JavaScriptBackend(LanguageBackend):
    name = "javascript"
    aliases = ("js", "node", "nodejs")
    file_extension = ".js"
    fence_tags = ("javascript", "js", "node", "nodejs")

    def tree_sitter_language(self):
        return _language()

    def code_profile(self) -> CodeProfile:
        return PROFILE

    def available(self) -> Availability:
        node = _node()
        if isinstance(node, str):
            return Availability(False, hint=node)
        return Availability(True, version=node.version)

    def requirements(self) -> Sequence[Requirement]:
        """The node zygote of the warm path (its addon needs node's headers and a C compiler): without it each
        sample's node starts in a sandbox of its own, several times slower."""
        node = _node()
        if isinstance(node, str):
            return ()
        why = zygote_missing(node.path)
        return (Requirement("node zygote (kiln_fork.node: node's headers, a C compiler)", why is None, why),)

    def signature_stub(self, problem: Problem) -> str:
        """A JSDoc comment with the parameter and return types, then the function's opening line.

        >>> from codekiln.problem import Param, Signature
        >>> params = (Param("xs", "list[optional[int]]"), Param("by_name", "dict[str, tuple[int, float]]"))
        >>> sig = Signature("count_all", params, "dict[int, bool]")
        >>> print(JavaScriptBackend().signature_stub(Problem(id="p", description="", signature=sig)))
        /**
         * @param {(number|null)[]} xs
         * @param {Object<string, [number, number]>} byName
         * @returns {Object<number, boolean>}
         */
        function countAll(xs, byName) {
        """
        signature = problem.signature
        names = [camel_case(p.name) for p in signature.params]
        lines = ["/**"]
        lines += [f" * @param {{{_jsdoc(t)}}} {n}" for n, t in zip(names, signature.param_types())]
        lines += [f" * @returns {{{_jsdoc(signature.return_type())}}}", " */"]
        lines.append(f"function {camel_case(signature.name)}({', '.join(names)}) {{")
        return "\n".join(lines)

    def assemble(self, code: str, problem: Problem) -> Source:
        """A native problem's prompt followed by the completion, or, where the completion restates the entry
        function itself (a chat answer), the prompt's text before that function followed by the code."""
        native = problem.native.get(self.name)
        if native is not None:
            return self._restated(code, native) or super().assemble(code, problem)
        return super().assemble(code, problem)

    def _restated(self, code: str, native: NativeTests) -> Source | None:
        """The program for ``code`` that declares the entry function at its top level: the prompt's text before
        that function, less the prompt's declarations of names the code declares again (a second ``const``
        is a SyntaxError; the tests use the prompt's own helpers, in their process), then the code. None for a
        continuation: code that declares no such function, or that makes a program with the prompt."""
        language = _language()
        declared = _declarations(parse(language, code).root_node)
        if native.entry_point not in declared or not parse(language, native.prompt + code).root_node.has_error:
            return None
        prompt = (native.prompt.rstrip() + "\n}\n").encode("utf-8")  # the prompt leaves its function open
        prompt_declared = _declarations(parse(language, prompt).root_node)
        entry = prompt_declared.pop(native.entry_point, None)
        if entry is None:
            return None
        preamble = bytearray(prompt[:entry.start_byte])
        redeclared = {(node.start_byte, node.end_byte) for name, node in prompt_declared.items()
                      if name in declared and node.end_byte <= entry.start_byte}
        for start, end in sorted(redeclared, reverse=True):
            del preamble[start:end]
        return restated_source(preamble.decode("utf-8"), code)

    # -- running node --------------------------------------------------------------------------------------

    def _run(self, runner: SandboxRunner, argv: list[str], files: dict[str, Any], stdin: bytes = b"") -> Any:
        node = _toolchain()
        env, module_paths = node_modules()
        return _memory_evident(runner.run([node.path, *argv], files=files, stdin=stdin, env=env,
                                          ro_paths=(*node.ro_paths, *module_paths),
                                          limits=_node_limits(runner.limits)))

    def compile(self, source: Source, problem: Problem, runner: SandboxRunner) -> CompileResult:
        node = _toolchain()
        if runner.warm(self.name) and self.name not in problem.native and problem.signature and problem.tests:
            compiled = _WARM.compile(source.text, _tests_request(problem), _node_runner(runner), node,
                                          _syntax_error)
            if compiled is not None:
                return compiled
        result = self._run(runner, [*node.check_flags, "--check", "solution.js"], {"solution.js": source.text})
        if result.exit_code == 0:
            return CompileResult(True)
        stderr = result.stderr.decode("utf-8", "replace")
        if _CHECK_MESSAGE.search(stderr) is None:
            if result.limit_hit is not None:
                return CompileResult(False, (Diagnostic(f"node --check stopped at the {result.limit_hit} limit"),))
            return CompileResult(False, infra_error=f"node --check failed: {_tail(result.stderr)}")
        return _syntax_error(stderr)

    def run_signature_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> SignatureRun:
        result = _WARM.run(compiled, _node_runner(runner))
        if result is not None:
            result = _memory_evident(result)
        else:
            result = self._run(runner, ["kiln_harness.js", "tests"],
                               {"kiln_harness.js": HARNESS, "solution.js": source.text},
                               stdin=json.dumps(_tests_request(problem)).encode() + b"\n")
        rows = _rows(result, output_lines(result.stdout))
        calls_done: list[dict[str, Any]] = []
        for row in rows:
            if "load_error" in row:
                return SignatureRun(calls_done, result, str(row["load_error"]))
            # Each call's first row counts; a row for another call is out of place (forged) and skipped.
            if row.get("i") == len(calls_done) and ("value" in row or "error" in row):
                calls_done.append(row)
        return SignatureRun(calls_done, result)

    def run_native_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> NativeRun:
        """HumanEval-X's own tests through the core's relay (:mod:`codekiln.verifier.relay`)."""
        native = problem.native[self.name]
        node = _toolchain()
        env, module_paths = node_modules()
        ro_paths = (*node.ro_paths, *module_paths)
        tests = json.dumps({"prompt": native.prompt, "test": native.test})
        programs = NativePrograms(
            language="JavaScript",
            tester=Program([node.path, "kiln_harness.js", "check", native.entry_point],
                           files={"kiln_harness.js": HARNESS, "tests.json": tests}, env=env, ro_paths=ro_paths),
            solver=Program([node.path, "kiln_harness.js", "serve", native.entry_point],
                           files={"kiln_harness.js": HARNESS, "solution.js": source.text}, env=env,
                           ro_paths=ro_paths),
            explain=_memory_evident,
        )
        return run_native(programs, attrs.evolve(runner, limits=_node_limits(runner.limits)))


def _tests_request(problem: Problem) -> dict[str, Any]:
    """What the harness's tests mode reads: the function's name, its return type, each call's arguments."""
    signature = problem.signature
    return {
        "entry_point": camel_case(signature.name),
        "returns": _spec_json(signature.return_type()),
        "calls": [value_codec.encode(list(problem.typed_args(test))) for test in problem.tests],
    }


def _declarations(root: Any) -> dict[str, Any]:
    """The names a script's top level declares (``function f``, ``const f = ...``, ``var a, b``), each with its
    statement, the last one where a name is declared twice."""
    found = {}
    for node in root.named_children:
        if node.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
            names = [node.child_by_field_name("name")]
        elif node.type in ("lexical_declaration", "variable_declaration"):
            names = [d.child_by_field_name("name") for d in node.named_children if d.type == "variable_declarator"]
        else:
            continue
        for name in names:
            if name is not None and name.type == "identifier":
                found[name.text.decode("utf-8")] = node
    return found


def _syntax_error(report: str) -> CompileResult:
    """A failed compile, read from node's report of a syntax error (``node --check``'s stderr, or the
    stack of the SyntaxError the warm harness caught, which has the same form)."""
    message = _CHECK_MESSAGE.search(report)
    location = _CHECK_LOCATION.search(report)
    line = int(location.group(1)) if location else None
    caret = _CHECK_CARET.search(report, location.end()) if location else None
    column = len(caret.group(1)) + 1 if caret else None
    text = message.group(1) if message else report.strip().splitlines()[-1] if report.strip() else "syntax error"
    return CompileResult(False, (Diagnostic(text, line, column),))


def _node_limits(limits: Any) -> Any:
    return attrs.evolve(limits, memory_kind="data")


def _node_runner(runner: SandboxRunner) -> SandboxRunner:
    return attrs.evolve(runner, limits=_node_limits(runner.limits))


def _memory_evident(result: Any) -> Any:
    """A node killed by SIGSEGV ran out of memory: under RLIMIT_DATA, V8 often crashes without a word when
    the kernel refuses it a page (measured: 3 runs in 5 of ``new Array(2 ** 28).fill(0)`` at 256 MB, every
    run of a loop allocating small objects), and JavaScript has no other way to make node segfault."""
    if result.limit_hit is None and result.signal == signal.SIGSEGV:
        return attrs.evolve(result, limit_hit="memory")
    return result


def _spec_json(spec: TypeSpec) -> list[Any]:
    """``list[int]`` as ``["list", ["int"]]``: the return type as the harness reads it."""
    return [spec.name, *(_spec_json(arg) for arg in spec.args)]


def _jsdoc(spec: TypeSpec) -> str:
    name = spec.name
    if name in ("int", "float"):
        return "number"
    if name == "bool":
        return "boolean"
    if name == "str":
        return "string"
    if name == "optional":
        return f"{_jsdoc(spec.args[0])}|null"
    if name == "list":
        item = _jsdoc(spec.args[0])
        return f"({item})[]" if "|" in item else f"{item}[]"
    if name == "tuple":
        return f"[{', '.join(_jsdoc(a) for a in spec.args)}]"
    key = "number" if spec.args[0].name == "int" else "string"
    return f"Object<{key}, {_jsdoc(spec.args[1])}>"


def _rows(result: Any, lines: list[str]) -> list[dict[str, Any]]:
    """The harness's JSON rows after its ready line; a line that is not a JSON object (a torn last line, or
    something the solution wrote to the descriptor itself) is skipped.

    A missing ready line is our failure (the harness did not start), unless the run hit a limit first."""
    if not lines or lines[0] != '{"ready":true}':
        if result.limit_hit is None:
            raise RuntimeError(f"the JavaScript harness did not start: {_tail(result.stderr)}")
        return []
    rows = []
    for line in lines[1:]:
        row = parse_row(line.encode())
        if row is not None:
            rows.append(row)
    return rows


def _tail(data: bytes) -> str:
    return data[-300:].decode("utf-8", "replace").strip().replace("\n", " | ")
