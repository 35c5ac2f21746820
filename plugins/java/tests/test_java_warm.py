"""The Java warm path (codekiln_java.warm): javac kept warm in a compile server, and each sample's JVM started
while it compiles. Nothing of one sample reaches the next (neither through the compile server nor through a
JVM); a killed compile server or JVM falls back to the cold path (``warm_fallbacks``); both paths give the
same verdicts and diagnostics; ``verifier.warm.java: false`` switches it off. The conformance suite runs it
on (its default), and cold in ``TestJavaConformanceCold``."""

from __future__ import annotations

import os
import signal
import time

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.sandbox import Isolation, Limits, available_levels
from codekiln.testing import CONFORMANCE_PROBLEM, descendant_processes
from codekiln.verdict import VerdictStatus as S
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.runner import SandboxRunner
from codekiln.verifier.warm import close_all, take_fallbacks
from codekiln_java import JavaBackend
from codekiln_java.jdk import JVM_OPTIONS, find_jdk, launch_archive

pytestmark = [
    pytest.mark.skipif(find_jdk() is None, reason="no JDK installed"),
    pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                       reason="the namespaces sandbox level is unavailable here"),
]

# probe(x) names every trace of an earlier sample it sees: "" when there is none.
PROBE = Problem(id="warm_probe", description="Report what an earlier sample left.",
                signature=Signature("probe", (Param("x", "int"),), "str"), tests=(TestCase((1,), ""),))

_FILES = '{"left.txt", "/tmp/left.txt", "/dev/shm/left.txt"}'

_LEAVE_TRACES = """
class LeftBehind {
    static String mark = "clean";
}

class Solution {
    static String mark = "clean";

    public static String probe(long x) {
        mark = "left";
        LeftBehind.mark = "left";
        System.setProperty("kiln.mark", "left");
        java.util.Locale.setDefault(new java.util.Locale("kiln"));
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Pacific/Kiritimati"));
        for (String file : new String[] FILES) {
            try { java.nio.file.Files.writeString(java.nio.file.Path.of(file), "left"); }
            catch (java.io.IOException e) { throw new RuntimeException(e); }
        }
        return "";
    }
}
""".replace("FILES", _FILES)

_SEE_TRACES = """
class Solution {
    static String mark = "clean";

    public static String probe(long x) {
        java.util.List<String> seen = new java.util.ArrayList<>();
        if (System.getProperty("kiln.mark") != null) seen.add("property");
        if (java.util.Locale.getDefault().getLanguage().equals("kiln")) seen.add("locale");
        if (java.util.TimeZone.getDefault().getID().equals("Pacific/Kiritimati")) seen.add("time zone");
        if (!mark.equals("clean")) seen.add("static field");
        try {
            Class.forName("LeftBehind");
            seen.add("class");
        } catch (ClassNotFoundException e) { }
        for (String file : new String[] FILES) if (new java.io.File(file).exists()) seen.add(file);
        return String.join(",", seen);
    }
}
""".replace("FILES", _FILES)

# The first sample's class, used without being declared: only a compiler that kept it would accept this.
_USE_LEFT_CLASS = """
class Solution {
    public static String probe(long x) {
        return LeftBehind.mark;
    }
}
"""

RIGHT = "class Solution {\n    public static long add(long a, long b) {\n        return a + b;\n    }\n}\n"
WRONG = "class Solution {\n    public static long add(long a, long b) {\n        return a - b;\n    }\n}\n"


def _verifier(warm: bool = True, **limits) -> Verifier:
    # One worker: the samples run one after the other in this process, on one compile server.
    return Verifier(make_plugins(), workers=1, cache=False, warm={"java": warm},
                    limits=Limits(**limits) if limits else None)


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while any(os.path.exists(f"/proc/{pid}/cmdline") for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_sample_changes_nothing_the_next_one_sees():
    with _verifier() as verifier:
        first = verifier.verify(PROBE, _LEAVE_TRACES, "java")
        second = verifier.verify(PROBE, _SEE_TRACES, "java")
        third = verifier.verify(PROBE, _USE_LEFT_CLASS, "java")
        assert len(descendant_processes("java", "kiln.CompileServer")) == 1  # all three compiled by the one server
    assert first.passed and not first.warm_fallbacks, first
    # "" (the expected value): the second sample saw none of the first's changes.
    assert second.passed and not second.warm_fallbacks, second
    assert third.status is S.COMPILE_ERROR and not third.warm_fallbacks, third
    assert "cannot find symbol" in third.diagnostics[0].message, third.diagnostics


def test_switched_off_nothing_warm_runs():
    close_all()  # what earlier tests kept warm in this process
    with _verifier(warm=False) as verifier:
        assert verifier.verify(CONFORMANCE_PROBLEM, RIGHT, "java").passed
        assert descendant_processes("java", "kiln.CompileServer") == []


@pytest.mark.parametrize("how", ["signal", "sentinel"])
def test_the_compile_servers_end_with_the_verifier(how):
    close_all()  # the server earlier tests kept in this process: only the workers' are looked at
    samples = [Sample(CONFORMANCE_PROBLEM, RIGHT.replace("a + b", f"a + b + {i} - {i}"), "java") for i in range(4)]
    with Verifier(make_plugins(), workers=2, cache=False) as verifier:
        assert all(v.passed for v in verifier.verify_batch(samples))
        servers = descendant_processes("java", "kiln.CompileServer")  # in the workers
        assert servers
        if how == "sentinel":
            # What close() races with: the executor's shutdown hands idle workers a sentinel, and a worker
            # that takes it before the SIGTERM exits normally, past the signal handler.
            verifier._pool.shutdown(wait=True)
    # The workers, told to stop, ended their servers (and the servers' sandboxes) before exiting.
    assert not [pid for pid in servers if os.path.exists(f"/proc/{pid}")]


def test_a_server_idle_long_is_replaced_before_use(monkeypatch):
    monkeypatch.setattr("codekiln_java.warm.SERVER_IDLE_S", 0.6)  # replaced once idle for 0.3 s
    with _verifier() as verifier:
        assert verifier.verify(CONFORMANCE_PROBLEM, RIGHT, "java").passed
        before = descendant_processes("java", "kiln.CompileServer")
        time.sleep(0.5)
        verdict = verifier.verify(CONFORMANCE_PROBLEM, WRONG, "java")
        assert verdict.status is S.WRONG_ANSWER and not verdict.warm_fallbacks, verdict
        after = descendant_processes("java", "kiln.CompileServer")
    assert len(before) == len(after) == 1 and before != after


def test_a_killed_compile_server_falls_back_to_javac():
    with _verifier() as verifier:
        assert verifier.verify(CONFORMANCE_PROBLEM, RIGHT, "java").passed
        servers = descendant_processes("java", "kiln.CompileServer")
        assert len(servers) == 1
        _kill_all(servers)
        broken = verifier.verify(CONFORMANCE_PROBLEM, WRONG, "java")
        assert broken.status is S.WRONG_ANSWER and broken.warm_fallbacks, broken
        assert "compile server" in broken.warm_fallbacks[0], broken.warm_fallbacks
        again = verifier.verify(CONFORMANCE_PROBLEM, RIGHT, "java")  # a fresh server: warm again
        assert again.passed and not again.warm_fallbacks, again


def test_a_compile_past_the_budget_falls_back_to_javac(monkeypatch):
    close_all()  # the next server starts with this budget
    monkeypatch.setattr("codekiln_java.warm.COMPILE_BUDGET_S", 0.001)
    with _verifier() as verifier:
        verdict = verifier.verify(CONFORMANCE_PROBLEM, WRONG, "java")
        assert verdict.status is S.WRONG_ANSWER, verdict
        assert "compile server ended without an answer" in " ".join(verdict.warm_fallbacks), verdict.warm_fallbacks
        assert descendant_processes("java", "kiln.CompileServer") == []  # it ended itself, and was not kept
    close_all()


def test_a_compile_past_javacs_cpu_limit_is_its_compile_error_not_compiled_again(monkeypatch):
    close_all()  # the next server starts with this CPU budget
    monkeypatch.setattr("codekiln_java.warm.COMPILE_CPU_S", 0.001)
    with _verifier() as verifier:
        verdict = verifier.verify(CONFORMANCE_PROBLEM, RIGHT, "java")
        assert verdict.status is S.COMPILE_ERROR and not verdict.warm_fallbacks, verdict
        messages = [d.message for stage in verdict.stages for d in stage.diagnostics]
        assert "javac went past its cpu time limit compiling this code" in messages, verdict
        assert descendant_processes("java", "kiln.CompileServer") == []  # it ended itself, and was not kept
    close_all()


def test_a_killed_jvm_started_ahead_falls_back_to_a_cold_run():
    backend, runner = JavaBackend(), SandboxRunner(Limits(wall_time_s=10.0, cpu_time_s=10.0))
    source = backend.assemble(RIGHT, CONFORMANCE_PROBLEM)
    compiled = backend.compile(source, CONFORMANCE_PROBLEM, runner)
    assert compiled.ok, compiled
    ahead = descendant_processes("java", "kiln.Launch")
    assert len(ahead) == 1, "no JVM was started while the sample compiled"
    _kill_all(ahead)
    take_fallbacks()
    run = backend.run_signature_tests(source, compiled, CONFORMANCE_PROBLEM, runner)
    assert [row["value"] for row in run.rows] == [test.expected for test in CONFORMANCE_PROBLEM.tests]
    assert "JVM started for the sample" in " ".join(take_fallbacks())


def test_a_jvm_is_not_kept_for_a_sample_that_does_not_compile():
    with _verifier() as verifier:
        verdict = verifier.verify(CONFORMANCE_PROBLEM, RIGHT.replace("a + b", "a + c"), "java")
        assert verdict.status is S.COMPILE_ERROR, verdict
        assert descendant_processes("java", "kiln.Launch") == []


def test_the_wall_time_starts_with_the_sample():
    # The JVM started while the sample compiled waits past its wall time, and still runs the sample in full.
    backend, runner = JavaBackend(), SandboxRunner(Limits(wall_time_s=2.0, cpu_time_s=2.0, memory_mb=256))
    source = backend.assemble(RIGHT, CONFORMANCE_PROBLEM)
    compiled = backend.compile(source, CONFORMANCE_PROBLEM, runner)
    time.sleep(2.5)
    take_fallbacks()
    run = backend.run_signature_tests(source, compiled, CONFORMANCE_PROBLEM, runner)
    assert [row["value"] for row in run.rows] == [test.expected for test in CONFORMANCE_PROBLEM.tests]
    assert run.sandbox.limit_hit is None and not take_fallbacks()
    with _verifier(wall_time_s=2.0, cpu_time_s=2.0, memory_mb=256) as verifier:  # and then it binds
        slow = RIGHT.replace("return a + b;", "while (true) { }")
        assert verifier.verify(CONFORMANCE_PROBLEM, slow, "java").status is S.TIMEOUT


_DIAGNOSED = [
    RIGHT.replace("a + b", "a + c"),  # cannot find symbol, with its details
    RIGHT.replace("long a, long b", "int a, long b"),  # the harness's call does not fit the declaration
    "import java.util.*;\nclass Solution {\n\tpublic static long add(long a, long b) {\n"
    "        List raw = new ArrayList();\n        raw.add(a);\n        return (long) raw.get(0) + b + x;\n    }\n}\n",
]


@pytest.mark.parametrize("code", _DIAGNOSED, ids=["missing_symbol", "wrong_signature", "warnings_and_tab"])
def test_both_paths_give_the_same_diagnostics(code):
    verdicts = {}
    for warm in (True, False):
        with _verifier(warm=warm) as verifier:
            verdicts[warm] = verifier.verify(CONFORMANCE_PROBLEM, code, "java")
    assert verdicts[True].status is verdicts[False].status is S.COMPILE_ERROR, verdicts
    assert verdicts[True].diagnostics == verdicts[False].diagnostics
    assert not verdicts[True].warm_fallbacks


def test_the_jvm_started_ahead_loads_the_harness_from_its_cds_archive():
    jdk = find_jdk()
    archive = launch_archive(jdk)
    assert archive is not None, "no CDS archive for kiln.Launch could be made"
    # In the sandbox, as a run sees it (the archive and its jar read-only); -Xshare:on fails if it cannot map it.
    argv = [jdk.java, *JVM_OPTIONS, "-Xshare:on", f"-XX:SharedArchiveFile={archive[0]}", "-Xmx128m",
            "-Xlog:class+load=info:stdout", "-cp", f".:{archive[1]}", "kiln.Launch", "KilnMain"]
    result = SandboxRunner(Limits(memory_mb=256, memory_kind="data")).run(argv, ro_paths=(*jdk.ro_paths, *archive))
    assert b"kiln.Harness source: shared objects file (top)" in result.stdout, result.stderr[-500:]
