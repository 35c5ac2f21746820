"""A language plugin for Bash that checks syntax and compilation; it does not run tests.

Shown in docs/howto/language-plugin.md.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import tree_sitter

from codekiln import hookimpl
from codekiln.languages import Availability, CompileResult, LanguageBackend, SignatureRun, Source
from codekiln.problem import Problem
from codekiln.verdict import Diagnostic

# "bash: line 4: syntax error near unexpected token `fi'", not the line after it that quotes the code.
_BASH_ERROR = re.compile(r"^bash: line (\d+): (?!`)(.*)$", re.MULTILINE)


class BashBackend(LanguageBackend):
    name = "bash"
    aliases = ("sh", "shell")
    file_extension = ".sh"
    fence_tags = ("bash", "sh", "shell")

    def tree_sitter_language(self) -> tree_sitter.Language:
        import tree_sitter_bash  # the grammar's own wheel, imported only when the backend is used

        return tree_sitter.Language(tree_sitter_bash.language())

    def available(self) -> Availability:
        bash = shutil.which("bash")
        if bash is None:
            return Availability(ok=False, hint="install bash (Debian/Ubuntu: apt-get install bash)")
        try:
            banner = subprocess.run([bash, "--version"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Availability(ok=False, hint=f"{bash} --version failed: {exc}")
        return Availability(ok=True, version=banner.partition("\n")[0])

    def compile(self, source: Source, problem: Problem, runner: Any) -> CompileResult:
        # `bash -n` reads commands without executing any, so it may run outside the sandbox, like
        # Python's own compile(); it still catches what the grammar accepts but bash does not.
        try:
            check = subprocess.run(["bash", "-n"], input=source.text, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return CompileResult(ok=False, infra_error=f"bash -n: {exc}")  # ours, not the model's
        diagnostics = tuple(
            Diagnostic(message, int(line), severity="warning" if message.startswith("warning:") else "error")
            for line, message in _BASH_ERROR.findall(check.stderr)
        )
        return CompileResult(ok=check.returncode == 0, diagnostics=diagnostics)

    def run_signature_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: Any
    ) -> SignatureRun:
        # Verification fails on our side, so the sample is masked rather than scored: see the how-to.
        raise NotImplementedError("the bash example backend checks syntax and compilation only")


@hookimpl
def codekiln_register_languages(registry):
    registry.register(BashBackend())
