"""Without a JDK, Java samples are masked ``toolchain_missing`` verdicts, never failures or crashes."""

from __future__ import annotations

from codekiln.testing import CONFORMANCE_PROBLEM
from codekiln.verdict import VerdictStatus
from codekiln.verifier.pipeline import verify_one
from codekiln.verifier.runner import SandboxRunner
from codekiln_java import jdk
from codekiln_java.backend import JavaBackend


class JavaWithoutJdk(JavaBackend):
    name = "java_without_jdk"  # its own name: the pipeline probes each backend's toolchain once per process
    aliases = ()


def test_no_jdk_anywhere_gives_masked_toolchain_missing(monkeypatch, tmp_path):
    # Where codekiln looks for a JDK: two variables, then the system path (here an empty directory).
    monkeypatch.delenv("CODEKILN_JAVA_HOME", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(jdk, "_SYSTEM_PATH", str(tmp_path))
    availability = JavaWithoutJdk().available()
    assert not availability.ok and "apt-get install default-jdk-headless" in availability.hint
    right = "class Solution { public static long add(long a, long b) { return a + b; } }\n"
    verdict = verify_one(JavaWithoutJdk(), CONFORMANCE_PROBLEM, right, SandboxRunner())
    assert (verdict.status, verdict.masked) == (VerdictStatus.TOOLCHAIN_MISSING, True)
