"""The base class of language backends.

A backend declares what it is (name, aliases, file extension, the markdown fence tags that mean it, its
tree-sitter grammar) and whether its toolchain is here (:meth:`LanguageBackend.available`), and supplies
the language-specific steps of verification. The core (:mod:`codekiln.verifier`) owns the pipeline, the
sandbox, limits, timing and the comparison of results with expected values:

    extract → assemble → syntax (tree-sitter, generic) → compile → run tests → Verdict

A backend never sees a test's expected value in signature mode: it reports what the code returned, as
JSON rows, and the core compares. Native benchmark tests (HumanEval's ``check``) carry their own expected
values; the backend runs them where the code under test cannot reach them.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from .errors import PluginError
from .extract import extract_code
from .problem import Problem
from .verdict import Diagnostic, TestOutcome

if TYPE_CHECKING:
    import tree_sitter

    from .code_profile import CodeProfile
    from .verifier.runner import SandboxRunner

__all__ = [
    "Availability",
    "CompileResult",
    "LanguageBackend",
    "NativeRun",
    "Requirement",
    "SignatureRun",
    "Source",
    "code_analyzer",
    "display_name",
    "harness_rows",
    "output_lines",
    "parse_row",
    "restated_source",
]


@attrs.frozen
class Availability:
    """Whether a backend's toolchain is usable: its version when it is, a one-line fix when it is not."""

    ok: bool
    version: str | None = None
    hint: str | None = None


@attrs.frozen
class Requirement:
    """Something a backend's programs may need beyond its toolchain (a header, a library): whether this
    machine has it, and the one-line fix when it does not (``codekiln doctor`` prints each)."""

    name: str
    ok: bool
    fix: str | None = None


@attrs.frozen
class Source:
    """The program text that is checked and compiled, and how to map its lines back to the submission.

    ``code_line_offset`` lines (a prompt stub, an import preamble) precede the submitted code.
    """

    text: str
    code_line_offset: int = 0
    native: bool = False


@attrs.frozen
class CompileResult:
    ok: bool
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Build products the run step needs (a class file, a binary), by file name.
    artifacts: dict[str, bytes] = attrs.field(factory=dict)
    #: A compiler or its run failed for reasons of ours (not the code's): the verdict is masked.
    infra_error: str | None = None


@attrs.frozen
class SignatureRun:
    """Raw results of calling the function on each test's arguments: one row per finished call, in order.

    A row is ``{"value": JSON}`` or ``{"error": "Type: message"}``; ``load_error`` is set when the code
    failed before any call (an exception at import time). ``sandbox`` is the sandbox's result.
    """

    rows: Sequence[dict[str, Any]]
    sandbox: Any
    load_error: str | None = None


@attrs.frozen
class NativeRun:
    """Outcomes of a benchmark's own test code (one outcome per check the harness can count)."""

    outcomes: Sequence[TestOutcome]
    sandbox: Any
    error: str | None = None


class LanguageBackend(abc.ABC):
    """Subclass this and register an instance in ``codekiln_register_languages``."""

    #: Canonical name, used in configs and sample rows ("python", "cpp").
    name: ClassVar[str]
    #: Other names users may type ("py", "c++").
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Extension of source files, with the dot (".py").
    file_extension: ClassVar[str]
    #: Info strings of markdown code fences that hold this language ("python", "py").
    fence_tags: ClassVar[tuple[str, ...]] = ()
    #: Whether a tree-sitter parse error means the code is invalid. False for a grammar that rejects some valid
    #: code (tree-sitter-cpp reads ``typeid(int)`` as an error): the compiler then decides, and the syntax
    #: errors stand only if the compile fails too.
    grammar_is_exact: ClassVar[bool] = True

    @abc.abstractmethod
    def tree_sitter_language(self) -> tree_sitter.Language:
        """The tree-sitter grammar, from the grammar's own wheel (e.g. ``tree_sitter_python``)."""

    @abc.abstractmethod
    def available(self) -> Availability:
        """Find the toolchain; never raise: say what is missing and how to install it."""

    def extract(self, text: str, problem: Problem) -> str:
        """The code in a model's answer (fenced blocks, prose around them, or a bare continuation).

        Of several blocks in the language, those that only use what the answer defined, after its last block
        that defines a function (a usage example, the printed output), and those whose every function a later
        block defines again (a first draft, restated in full), are left out, read by form with the language's
        code profile: joined with the rest they would not compile. Without a profile every block is joined."""
        return extract_code(text, self.fence_tags or (self.name, *self.aliases), choose=self._answer_blocks)

    def _answer_blocks(self, bodies: list[str]) -> list[str]:
        analyzer = code_analyzer(self)
        if analyzer is None:
            return bodies
        from .parsing import UnparsableCode, parse

        try:  # budgeted: the answer is untrusted, and this parse comes before the syntax stage's
            names = [analyzer.function_names(parse(self.tree_sitter_language(), body).root_node) for body in bodies]
        except UnparsableCode:
            return bodies
        last = max((i for i, defined in enumerate(names) if defined), default=None)
        if last is None:
            return bodies
        return [body for i, body in enumerate(bodies[:last + 1])
                if not names[i] or not names[i] <= set().union(*names[i + 1:last + 1])]

    def assemble(self, code: str, problem: Problem) -> Source:
        """The program to check: the code alone, or, for a native benchmark problem, the prompt the model
        continued followed by its completion (as HumanEval does). A backend may also take a chat answer that
        restates the entry function whole (JavaScript, Java and C++ do: the prompt's text before the function,
        then the code)."""
        native = problem.native.get(self.name)
        if native is None:
            return Source(code)
        return Source(native.prompt + code, code_line_offset=native.prompt.count("\n"), native=True)

    @abc.abstractmethod
    def compile(self, source: Source, problem: Problem, runner: SandboxRunner) -> CompileResult:
        """Compile (or byte-compile, or ``--check``) the source of an answer to ``problem``; diagnostics on
        the source's lines. On a warm path (``runner.warm(language)``) the result may serve one test run
        only; with the warm path off, every run of it must work."""

    @abc.abstractmethod
    def run_signature_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> SignatureRun:
        """Call ``problem.signature.name`` on every test's arguments in the sandbox; report raw values."""

    def requirements(self) -> Sequence[Requirement]:
        """What programs of this language may need beyond the toolchain :meth:`available` checks (a
        benchmark's headers and libraries), each found or not; none by default."""
        return ()

    def signature_stub(self, problem: Problem) -> str:
        """The declaration of ``problem``'s function in this language, as a prompt shows it to the model:
        what the solution must define for the signature tests to find it (name, parameter and return
        types as this backend translates them)."""
        raise NotImplementedError(f"language '{self.name}' does not render signatures")

    def code_profile(self) -> CodeProfile | None:
        """How this language's tree-sitter tree reads for the ``quality``, ``constraints`` and ``security``
        rewards (:class:`codekiln.code_profile.CodeProfile`); None (the default) makes them abstain."""
        return None

    def run_native_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> NativeRun:
        """Run the benchmark's own tests for this language (``problem.native[self.name]``)."""
        raise PluginError(f"language '{self.name}' cannot run a benchmark's own test code yet "
                          f"(problem '{problem.id}'); use problems with a signature and tests")


# How a language is named in prose, where its registry name is not already that.
_DISPLAY_NAMES = {"cpp": "C++", "javascript": "JavaScript", "typescript": "TypeScript", "csharp": "C#"}


def restated_source(preamble: str, code: str, after: str = "") -> Source:
    """The program of a chat answer to a native problem that restates the entry function instead of continuing
    the prompt: the prompt's text before that function (``preamble``, ended by a line break), the code, then
    ``after``; diagnostics keep the code's own lines."""
    if preamble and not preamble.endswith("\n"):
        preamble += "\n"
    return Source(preamble + code + after, code_line_offset=preamble.count("\n"), native=True)


_analyzers: dict[type, Any] = {}


def code_analyzer(backend: LanguageBackend) -> Any:
    """The code analyzer of ``backend``'s language (its profile read with its grammar), built once per process
    for extraction and the code rewards alike; None without a profile."""
    kind = type(backend)
    if kind not in _analyzers:
        from .code_profile import CodeAnalyzer

        profile = backend.code_profile()
        _analyzers[kind] = None if profile is None else CodeAnalyzer(profile, backend.tree_sitter_language())
    return _analyzers[kind]


def display_name(language: str) -> str:
    """``language`` (a registry name) as prose names it: "C++", "JavaScript", "Python"."""
    return _DISPLAY_NAMES.get(language, language.capitalize())


#: The first row a harness writes, before any submitted code runs.
READY_ROW = '{"ready":true}'


def harness_rows(result: Any, language: str) -> list[dict[str, Any]]:
    """The JSON rows a harness wrote on stdout after its ready row, up to the first torn or forged one.

    For harnesses that write :data:`READY_ROW` before any submitted code runs: its absence is our failure
    (the interpreter or the harness did not start), raised so the verifier masks the sample, unless a
    limit explains it. Everything after it comes from a process the code ran in, so nothing here raises.
    """
    lines = output_lines(result.stdout)
    if not lines or lines[0] != READY_ROW:
        if result.limit_hit is None:
            tail = result.stderr[-300:].decode("utf-8", "replace").strip().replace("\n", " | ")
            raise RuntimeError(f"the {language} harness did not start: {tail}")
        return []
    rows = []
    for line in lines[1:]:
        row = parse_row(line)
        if row is None:
            break
        rows.append(row)
    return rows


def output_lines(stdout: bytes) -> list[str]:
    r"""A harness's output as its lines, split at ``\n`` alone: ``str.splitlines`` also splits at U+2028,
    U+2029, U+0085 and other characters that a JSON string may hold unescaped, and would tear the row of a
    result that holds one.

    >>> output_lines('{"ready":true}\n{"result":"a\u2028b"}\n'.encode())
    ['{"ready":true}', '{"result":"a\u2028b"}']
    """
    lines = stdout.decode("utf-8", "replace").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def parse_row(line: bytes | str) -> dict[str, Any] | None:
    """One JSON object a harness or a sandboxed process wrote, or None for anything else: a torn line,
    or one forged absurdly deep. It comes from where the code ran, so it never raises."""
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return row if isinstance(row, dict) else None
