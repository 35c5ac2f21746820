"""The JavaScript warm path (codekiln_javascript.warm): a node per sample started ahead (forked from the node
zygote), which compiles the solution and runs its tests; nothing of one sample reaches the next; a broken one
falls back to the cold path;
``verifier.warm.javascript: false`` switches it off. The conformance suite runs it on (its default)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.sandbox import Isolation, Limits, SandboxError, available_levels
from codekiln.testing import CONFORMANCE_PROBLEM, descendant_processes
from codekiln.verdict import VerdictStatus as S
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.warm import close_all as close_warm
from codekiln_javascript import warm as warm_module
from codekiln_javascript import zygote as zygote_module
from codekiln_javascript.backend import HARNESS, _node
from codekiln_javascript.zygote import zygote

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="the namespaces sandbox level is unavailable here")

# probe(x) reports how the harness was started (warm or tests mode) and every trace of an earlier sample it sees.
PROBE = Problem(id="warm_probe", description="Report what an earlier sample left.",
                signature=Signature("probe", (Param("x", "int"),), "str"), tests=(TestCase((1,), "warm:"),))

_LEAVE_TRACES = """
const fs = require('fs');
Array.prototype.push = function () { return 'patched'; };
Object.prototype.kilnPolluted = true;
globalThis.kilnMark = 'left';
process.env.KILN_MARK = 'left';
for (const file of ['left.txt', '/tmp/left.txt', '/dev/shm/left.txt']) fs.writeFileSync(file, 'left');
function probe(x) { return 'warm:'; }
"""

_SEE_TRACES = """
const fs = require('fs');
function probe(x) {
  const seen = [];
  if (!Array.prototype.push.toString().includes('[native code]')) seen.push('Array.prototype.push');
  if ({}.kilnPolluted) seen.push('Object.prototype');
  if (typeof globalThis.kilnMark !== 'undefined') seen.push('global');
  if (process.env.KILN_MARK) seen.push('env');
  for (const file of ['left.txt', '/tmp/left.txt', '/dev/shm/left.txt']) if (fs.existsSync(file)) seen.push(file);
  return process.argv[2] + ':' + seen.join(',');
}
"""


def _verifier(warm: bool = True, **limits) -> Verifier:
    # One worker: the samples run one after the other in this process, each node started during the last one.
    return Verifier(make_plugins(), workers=1, cache=False, warm={"javascript": warm},
                    limits=Limits(**limits) if limits else None)


def test_a_sample_changes_nothing_the_next_one_sees():
    with _verifier() as verifier:
        first = verifier.verify(PROBE, _LEAVE_TRACES, "javascript")
        second = verifier.verify(PROBE, _SEE_TRACES, "javascript")
    assert first.passed and not first.warm_fallbacks, first
    # "warm:" and nothing else: the warm path ran it, and it saw none of the first sample's changes.
    assert second.passed and not second.warm_fallbacks, second


def test_switched_off_the_cold_path_runs_it():
    cold_probe = Problem(id="cold_probe", description="", signature=PROBE.signature, tests=(TestCase((1,), "tests:"),))
    with _verifier(warm=False) as verifier:
        assert verifier.verify(cold_probe, _SEE_TRACES, "javascript").passed


def _warm_nodes() -> list[int]:
    """This process's (and its workers') nodes waiting for a sample: forked from the node zygote (a process of
    the zygote's command line under a sample's uid; the zygote and a run's set-up are root), or started in a
    sandbox of their own."""
    forked = [pid for pid in descendant_processes("node", "kiln_zygote.js") if os.stat(f"/proc/{pid}").st_uid != 0]
    return forked + descendant_processes("node", "kiln_harness.js", "warm")


def _nodes_ahead() -> list[int]:
    """The nodes started ahead by this process and its workers, once one has had time to start (its sandbox
    may still be setting up when the sample before it is done)."""
    deadline = time.monotonic() + 10.0
    while not (found := _warm_nodes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _zygote():
    node = _node()
    return zygote(node.path, node.version, HARNESS, node.ro_paths)


def test_samples_fork_from_the_node_zygote():
    warm = _zygote()
    assert not isinstance(warm, str), warm  # this machine has node's headers and a C compiler (scripts/dev.sh)
    before = warm.runs
    with _verifier() as verifier:
        for _ in range(3):
            verdict = verifier.verify(CONFORMANCE_PROBLEM, "function add(a, b) {\n  return a + b;\n}\n", "javascript")
            assert verdict.passed and not verdict.warm_fallbacks, verdict
    assert warm.runs >= before + 3  # each sample forked (and the one after the last, ahead)


def test_an_addon_that_does_not_build_says_why_and_leaves_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEKILN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(zygote_module, "_ADDON_SOURCE", b"this is not C\n")
    node = _node()
    why = zygote_module.addon.__wrapped__(node.path, node.version)  # past the cache of the real build
    assert isinstance(why, str) and why.startswith("building kiln_fork.node failed:"), why
    assert not any(path.is_file() for path in tmp_path.rglob("*")), list(tmp_path.rglob("*"))


def test_without_a_zygote_each_node_starts_in_a_sandbox_of_its_own(monkeypatch):
    # A machine without node's headers or a C compiler: slower, and every verdict the same, with no fallback.
    monkeypatch.setattr(warm_module, "zygote", lambda *args: "node's headers are not installed (a test)")
    close_warm()  # and at the end: the node this leaves ahead must not serve the next test's sample
    try:
        with _verifier() as verifier:
            first = verifier.verify(PROBE, _LEAVE_TRACES, "javascript")
            assert descendant_processes("node", "kiln_harness.js", "warm"), "no node was started ahead"
            second = verifier.verify(PROBE, _SEE_TRACES, "javascript")
    finally:
        close_warm()
    assert first.passed and second.passed and not first.warm_fallbacks and not second.warm_fallbacks, second


def test_a_run_whose_set_up_fails_says_why_and_the_zygote_goes_on():
    # Its input file does not fit its work dir (a tmpfs of memory_mb): its pid 1, cloned into the run's
    # namespaces, reports why before any code runs; the zygote takes the next run.
    warm = _zygote()
    assert not isinstance(warm, str), warm
    limits = Limits(memory_mb=2, wall_time_s=10.0, cpu_time_s=10.0, memory_kind="data")
    with pytest.raises(SandboxError, match=r"the warm run could not start: Error: .*ENOSPC"):
        warm.run(["kiln_harness.js", "tests"], files={"big.bin": b"x" * (3 << 20)}, limits=limits, env={})
    ran = warm.run(["kiln_harness.js", "tests"], files={"solution.js": "function probe(x) { return 'ok'; }\n"},
                   stdin=b'{"entry_point":"probe","returns":"str","calls":[[1]]}\n',
                   limits=Limits(memory_kind="data"), env={})
    assert ran.exit_code == 0 and b'"value":"ok"' in ran.stdout, ran


_LIST_DESCRIPTORS = """
const fs = require('fs');
function probe(x) {
  return fs.readdirSync('/proc/self/fd').map((fd) => {
    try { return fd + '=' + fs.readlinkSync('/proc/self/fd/' + fd); } catch (error) { return fd + '=gone'; }
  }).join(' ');
}
"""


def test_a_forked_node_shares_no_descriptor_with_the_zygote():
    # Its pipes are its own (0-2, and its event loop's), none of the zygote's or of another run's.
    listing = Problem(id="fds", description="", signature=PROBE.signature, tests=(TestCase((1,), ""),))
    with _verifier() as verifier:
        verdict = verifier.verify(listing, _LIST_DESCRIPTORS, "javascript")
        zygote_fds = {os.readlink(f"/proc/{_zygote().pid}/fd/{fd}") for fd in os.listdir(f"/proc/{_zygote().pid}/fd")}
    assert not verdict.warm_fallbacks, verdict
    reported = verdict.tests[0].message.split("got '", 1)[1].rstrip("'")  # the probe's answer: "FD=TARGET ..."
    seen = dict(item.split("=", 1) for item in reported.split())
    # 0-2; the event loop's epoll, eventfd and signal pipe, libuv's signal lock pipe; the listing's own (gone).
    assert {"0", "1", "2"} <= set(seen) and len(seen) <= 3 + 6 + 1, seen
    shared = {target for target in seen.values() if target.startswith(("pipe:", "socket:"))} & zygote_fds
    assert not shared, (seen, zygote_fds)


_CONFINEMENT = """
const fs = require('fs');
function probe(x) {
  const status = fs.readFileSync('/proc/self/status', 'utf8').split('\\n')
    .filter((line) => /^(Cap|NoNewPrivs)/.test(line)).map((line) => line.replace(/\\s+/g, ''));
  // All but the process count, which counts the sandbox's own helper (timeout) on the cold path: one more.
  const limits = fs.readFileSync('/proc/self/limits', 'utf8').split('\\n').slice(1)
    .filter((line) => line && !line.startsWith('Max processes'))
    .map((line) => line.slice(26).trim().split(/\\s+/).slice(0, 2).join('/'));
  const uid = process.getuid();
  const interfaces = fs.readFileSync('/proc/net/dev', 'utf8').split('\\n').slice(2).filter(Boolean)
    .map((line) => line.trim().split(':')[0]);
  throw new Error(['uid' + (uid >= 61000 && uid < 62000), 'pid' + process.pid, 'if' + interfaces,
                   'host' + require('os').hostname(), process.cwd(), ...status, limits.join(',')].join(' '));
}
"""


def test_a_forked_node_is_confined_as_a_node_started_cold():
    # Capabilities, no-new-privileges, rlimits, uid range, its own pid and network namespaces: the same report.
    confinement = Problem(id="confinement", description="", signature=PROBE.signature, tests=(TestCase((1,), ""),))
    reports = {}
    for warm in (True, False):
        with _verifier(warm=warm) as verifier:
            verdict = verifier.verify(confinement, _CONFINEMENT, "javascript")
        assert not verdict.warm_fallbacks, verdict
        reports[warm] = verdict.tests[0].message  # the report, thrown
    assert reports[True] == reports[False]
    assert "CapEff:0000000000000000" in reports[True] and "NoNewPrivs:1" in reports[True], reports[True]
    assert "uidtrue" in reports[True] and "iflo " in reports[True], reports[True]


def test_a_killed_zygote_costs_one_fallback_and_starts_again():
    right = "function add(a, b) {\n  return a + b;\n}\n"
    with _verifier() as verifier:
        assert verifier.verify(CONFORMANCE_PROBLEM, right, "javascript").passed
        warm = _zygote()
        assert warm.pid is not None
        os.kill(warm.pid, signal.SIGKILL)  # and with it, once its sandbox is torn down, the node it forked ahead
        deadline = time.monotonic() + 10.0
        while (warm.pid is not None or _warm_nodes()) and time.monotonic() < deadline:
            time.sleep(0.05)
        verdicts = [verifier.verify(CONFORMANCE_PROBLEM, right, "javascript") for _ in range(3)]
        assert all(v.passed for v in verdicts), verdicts
        assert verdicts[0].warm_fallbacks and not verdicts[-1].warm_fallbacks, verdicts
        assert warm.pid is not None  # started again


def test_a_killed_node_falls_back_to_the_cold_path():
    right = "function add(a, b) {\n  return a + b;\n}\n"
    wrong = "function add(a, b) {\n  return a - b;\n}\n"
    with _verifier() as verifier:
        assert verifier.verify(CONFORMANCE_PROBLEM, right, "javascript").passed  # leaves a node started ahead
        ahead = _nodes_ahead()
        assert ahead, "no node was started ahead of the next sample"
        for pid in ahead:
            os.kill(pid, signal.SIGKILL)
        broken = verifier.verify(CONFORMANCE_PROBLEM, wrong, "javascript")
        assert broken.status is S.WRONG_ANSWER and broken.warm_fallbacks, broken
        assert "javascript" in broken.warm_fallbacks[0]
        again = verifier.verify(CONFORMANCE_PROBLEM, right, "javascript")  # the warm path is back
        assert again.passed and not again.warm_fallbacks, again


def test_a_node_waiting_past_its_wall_time_still_serves_its_sample():
    # Its wall time starts when its sample is sent, not when it was started ahead.
    right = "function add(a, b) {\n  return a + b;\n}\n"
    with _verifier(wall_time_s=1.0, cpu_time_s=1.0) as verifier:
        assert verifier.verify(CONFORMANCE_PROBLEM, right, "javascript").passed
        time.sleep(1.5)
        verdict = verifier.verify(CONFORMANCE_PROBLEM, right, "javascript")
        assert verdict.passed and not verdict.warm_fallbacks, verdict
        slow = "function add(a, b) {\n  for (;;) {}\n}\n"
        assert verifier.verify(CONFORMANCE_PROBLEM, slow, "javascript").status is S.TIMEOUT


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
@pytest.mark.parametrize(("code", "status", "line"), [
    ("function add(a, b) {\n  return a + b;\n}\n", S.PASSED, None),
    # tree-sitter accepts both; V8 does not: the same diagnostic from the warm node as from node --check.
    ("function add(a, b) {\n  let a = 0;\n  return a + b;\n}\n", S.COMPILE_ERROR, 2),
    ("import fs from 'fs';\nfunction add(a, b) {\n  return a + b;\n}\n", S.COMPILE_ERROR, 1),
    ("function add(a, b) {\n  return undefined.x;\n}\n", S.RUNTIME_ERROR, None),
], ids=["right", "redeclared", "import", "throws"])
def test_both_paths_give_the_same_verdict(warm, code, status, line):
    with _verifier(warm=warm) as verifier:
        verdict = verifier.verify(CONFORMANCE_PROBLEM, code, "javascript")
    assert verdict.status is status and not verdict.warm_fallbacks, verdict
    if line is not None:
        assert verdict.diagnostics[0].line == line and verdict.diagnostics[0].message.startswith("SyntaxError"), verdict


def test_a_closed_verifier_leaves_no_node_behind(monkeypatch):
    # The workers' work dirs go to a private TMPDIR (read again by the pool's fresh processes), so that what a
    # node started ahead leaves (its mounted work dir) is found there and nothing else is.
    close_warm()  # the node this process keeps ahead since the tests before: not the pool's
    tmpdir = tempfile.mkdtemp(prefix="codekiln-warm-js-")
    try:
        os.chmod(tmpdir, 0o755)
        monkeypatch.setenv("TMPDIR", tmpdir)
        right = "function add(a, b) {\n  return a + b;\n}\n"
        samples = [Sample(CONFORMANCE_PROBLEM, right + f"// {i}\n", "javascript") for i in range(4)]
        with Verifier(make_plugins(), workers=2, cache=False) as verifier:
            assert all(v.passed for v in verifier.verify_batch(samples))
            assert _nodes_ahead(), "no node was started ahead"
        # Closing the verifier stopped its idle workers, and each ended the node it kept ahead first.
        assert not _warm_nodes() and not descendant_processes("node", "kiln_zygote.js")
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            assert tmpdir not in handle.read()
        assert not os.listdir(tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
