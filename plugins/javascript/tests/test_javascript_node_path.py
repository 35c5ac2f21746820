"""Modules on NODE_PATH (js-md5 for HumanEval-X's JavaScript/162) reach every run, read-only: both sandboxes of a
native run, and a signature run's, warm (forked from the node zygote, whose runs each get a fresh /tmp) and cold."""

from __future__ import annotations

import os

import pytest

from codekiln.languages import CompileResult
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Isolation, Limits, available_levels
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Verifier
from codekiln.verifier.runner import SandboxRunner
from codekiln_javascript import JavaScriptBackend

RUNNER = SandboxRunner(limits=Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=256))
# Both sides require the module: the tests at the top, the solution in its body.
TWICE = Problem(id="twice", description="Return twice x.", native={"javascript": NativeTests(
    prompt="const twice = (x) => {\n",
    test="const reference = require('kiln-twice')\nconsole.assert(twice(4) === reference(4))\n",
    entry_point="twice",
)})


def _run_native(code: str):
    backend = JavaScriptBackend()
    return backend.run_native_tests(backend.assemble(code, TWICE), CompileResult(True), TWICE, RUNNER)


@pytest.fixture
def node_modules(tmp_path):
    module = tmp_path / "node_modules" / "kiln-twice"
    module.mkdir(parents=True)
    (module / "index.js").write_text("module.exports = (x) => 2 * x;\n")
    return tmp_path / "node_modules"


def test_modules_on_node_path_are_required_by_solution_and_tests(node_modules, tmp_path, monkeypatch):
    # A folder that does not exist is left out, as node leaves it out.
    monkeypatch.setenv("NODE_PATH", os.pathsep.join([str(tmp_path / "absent"), str(node_modules)]))
    run = _run_native("  return require('kiln-twice')(x)\n}\n")
    assert [o.passed for o in run.outcomes] == [True], run
    wrong = _run_native("  return require('kiln-twice')(x) + 1\n}\n")
    assert [o.passed for o in wrong.outcomes] == [False], wrong


def test_node_path_is_read_only_in_the_sandbox(node_modules, monkeypatch):
    monkeypatch.setenv("NODE_PATH", str(node_modules))
    tamper = ("  require('fs').writeFileSync(require.resolve('kiln-twice'), 'module.exports = () => 0;')\n"
              "  return 2 * x\n}\n")
    run = _run_native(tamper)
    assert not run.outcomes[0].passed and "EROFS" in run.error, run
    assert (node_modules / "kiln-twice" / "index.js").read_text() == "module.exports = (x) => 2 * x;\n"


def test_without_the_module_the_tests_cannot_run_which_is_ours(monkeypatch):
    monkeypatch.delenv("NODE_PATH", raising=False)
    with pytest.raises(RuntimeError, match="the test code needs a module that is not installed"):
        _run_native("  return 2 * x\n}\n")


TWICE_SIGNATURE = Problem(id="twice_signature", description="Return twice x.",
                          signature=Signature("twice", (Param("x", "int"),), "int"),
                          tests=(TestCase((2,), 4), TestCase((-3,), -6)))


@pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                    reason="the warm path lives in the namespaces sandbox level, unavailable here")
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_modules_on_node_path_reach_signature_runs_warm_and_cold(node_modules, monkeypatch, warm):
    # node_modules is below /tmp, which each warm run gets fresh: the zygote binds it in again.
    monkeypatch.setenv("NODE_PATH", str(node_modules))
    with Verifier(make_plugins(), isolation="namespaces", workers=1, cache=False, warm={"javascript": warm},
                  limits=Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=256)) as verifier:
        verdict = verifier.verify(TWICE_SIGNATURE, "function twice(x) { return require('kiln-twice')(x); }\n",
                                  "javascript")
        assert verdict.status is VerdictStatus.PASSED and not verdict.warm_fallbacks, verdict
        tamper = verifier.verify(TWICE_SIGNATURE, "function twice(x) {\n  require('fs').writeFileSync("
                                 "require.resolve('kiln-twice'), 'module.exports = () => 0;');\n  return 2 * x;\n}\n",
                                 "javascript")
        assert tamper.status is VerdictStatus.RUNTIME_ERROR and "EROFS" in tamper.tests[0].message, tamper
    assert (node_modules / "kiln-twice" / "index.js").read_text() == "module.exports = (x) => 2 * x;\n"
