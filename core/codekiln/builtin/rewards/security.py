"""The ``security`` reward: 1.0 for code without dangerous constructs, less for each one found.

Python code is checked by bandit, Python's security linter, run in-process on the code text; the other
languages by their profile's tree-sitter queries (process spawning, ``eval``, raw system calls, file
deletion). Penalties per finding by severity and the per-language rules are in ``docs/rewards/security.md``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from codekiln import hookimpl
from codekiln.code_profile import SEVERITIES, CodeAnalyzer, Finding

from ._code import CodeReward

__all__ = ["DEFAULT_PENALTIES", "SecurityReward"]

DEFAULT_PENALTIES: Mapping[str, float] = {"high": 0.5, "medium": 0.25, "low": 0.1}
# bandit's B101 flags every ``assert``: a test of the code, not a danger in it.
_DEFAULT_BANDIT_SKIP = ("B101",)


class SecurityReward(CodeReward):
    """1.0 minus a penalty per finding (by severity), floored at 0.0.

    Abstains on a masked verdict, a language without a code profile, and code that is empty or does not
    parse. ``last_details`` holds ``security/findings`` (their number) and ``security/<name>`` (how many of
    each kind: a bandit test id such as ``B602``, or a rule name such as ``process_spawn``); ``last_findings``
    the findings themselves, with severity and line (none where it abstained), for the generation service.

    >>> from codekiln.plugins import make_plugins
    >>> from codekiln.problem import Problem
    >>> from codekiln.verdict import Verdict, VerdictStatus
    >>> code = "import os\\ndef run(cmd):\\n    os.system(cmd)\\n"
    >>> reward = SecurityReward()
    >>> reward.bind_plugins(make_plugins())
    >>> reward([code, "x = 1"], problems=[Problem("p", "")] * 2, languages=["python"] * 2, codes=[code, "x = 1"],
    ...        verdicts=[Verdict(VerdictStatus.PASSED, "python")] * 2)
    [0.5, 1.0]
    >>> reward.last_details[0]
    {'security/findings': 1.0, 'security/B605': 1.0}
    >>> reward.last_findings[0]
    [Finding(name='B605', severity='high', line=3)]
    """

    name = "security"

    def __init__(self, penalties: Mapping[str, float] | None = None,
                 bandit_skip: Sequence[str] = _DEFAULT_BANDIT_SKIP) -> None:
        penalties = {**DEFAULT_PENALTIES, **(penalties or {})}
        unknown = sorted(set(penalties) - set(SEVERITIES))
        if unknown:
            raise ValueError(f"penalties: unknown severity {unknown}; known: {', '.join(SEVERITIES)}")
        for severity, penalty in penalties.items():
            if not isinstance(penalty, int | float) or isinstance(penalty, bool) or not 0 <= penalty <= 1:
                raise ValueError(f"penalties.{severity} must be a number in [0, 1], got {penalty!r}")
        if isinstance(bandit_skip, str) or not all(isinstance(test, str) for test in bandit_skip):
            raise ValueError(f"bandit_skip must be a list of bandit test ids (B101, ...), got {bandit_skip!r}")
        self.penalties = {severity: float(penalty) for severity, penalty in penalties.items()}
        self.bandit_skip = tuple(bandit_skip)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_bandit", None)
        return state

    def __call__(self, completions: Sequence[str], **columns: Any) -> list[float | None]:
        values: list[float | None] = []
        self.last_details: list[dict[str, float]] = []
        self.last_findings: list[list[Finding]] = []
        for sample in self.samples(completions, columns):
            findings = None if sample.program is None else self.scan(sample.program, sample.language)
            self.last_findings.append(findings or [])
            if findings is None:
                abstains = sample.program is None or self.analyzer(sample.language) is None
                values.append(None if abstains else sample.unreadable())
                self.last_details.append({})
                continue
            penalty = sum(self.penalties[finding.severity] for finding in findings)
            values.append(max(0.0, 1.0 - penalty))
            details = {"security/findings": float(len(findings))}
            for finding in findings:
                details[f"security/{finding.name}"] = details.get(f"security/{finding.name}", 0.0) + 1.0
            self.last_details.append(details)
        return values

    def scan(self, program: str, language: str) -> list[Finding] | None:
        """The findings in ``program``, or None where the reward abstains (no profile for the language, or
        code that does not parse). The generation service scans its unverified OpenAI-style answers with it."""
        analyzer = self.analyzer(language)
        return None if analyzer is None else self._findings(analyzer, program)

    def _findings(self, analyzer: CodeAnalyzer, program: str) -> list[Finding] | None:
        if analyzer.profile.security_scanner != "bandit":
            return analyzer.findings(program)
        if analyzer.parse(program) is None:
            return None
        return self._bandit_findings(program)

    def _bandit_findings(self, program: str) -> list[Finding] | None:
        with warnings.catch_warnings():  # importing bandit calls stevedore with a deprecated argument
            warnings.filterwarnings("ignore", message="The verify_requirements argument")
            from bandit.core import config, manager, meta_ast, metrics, node_visitor

        if getattr(self, "_bandit", None) is None:
            # Built once: loading bandit's plugins is the slow part. ``ignore_nosec``: a ``# nosec`` comment
            # is the model's to write, so it must not silence a finding.
            self._bandit = manager.BanditManager(config.BanditConfig(), "file", ignore_nosec=True,
                                                 profile={"exclude": list(self.bandit_skip)})
        data = program.encode("utf-8")
        # A path with a directory part, so bandit can name the module without warning.
        visitor = node_visitor.BanditNodeVisitor("/solution.py", io.BytesIO(data), meta_ast.BanditMetaAst(),
                                                 self._bandit.b_ts, False, {}, metrics.Metrics())
        try:
            visitor.process(data)
        except SyntaxError:  # tree-sitter accepted what CPython does not
            return None
        return [
            Finding(issue.test_id, issue.severity.lower() if issue.severity.lower() in SEVERITIES else "low",
                    issue.lineno)
            for issue in visitor.tester.results
        ]


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(SecurityReward)
