"""Third-party packages: the sandbox's interpreter sees only the standard library, unless the user names folders
of packages in ``CODEKILN_PYTHON_PATH``; those are shown read-only, after the standard library on sys.path, to
the solution and the test code, warm and cold. NumPy's values cross as the built-in values they hold.

``CODEKILN_PYTHON_PATH`` is read once per process, so each case runs the real verifier in a process of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from codekiln.sandbox import Isolation, available_levels

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="these run in the namespaces sandbox level, unavailable here")

#: Verifies each (problem, code) of CASES warm and cold; prints one JSON list of [status, first test message].
SCRIPT = textwrap.dedent('''
    import json, sys
    from codekiln.plugins import make_plugins
    from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
    from codekiln.sandbox import Limits
    from codekiln.verifier import Verifier

    SUM = Problem(id="sum", description="Sum.", signature=Signature("total", (Param("xs", "list[int]"),), "int"),
                  tests=(TestCase(([1, 2, 3],), 6), TestCase(([],), 0)))
    SQUARES = Problem(id="squares", description="Squares.",
                      signature=Signature("squares", (Param("xs", "list[float]"),), "list[float]"),
                      tests=(TestCase(([1.0, 2.5],), [1.0, 6.25]),))
    NATIVE = Problem(id="Native/sum", description="Sum.", native={"python": NativeTests(
        prompt='def total(xs):\\n    """Sum."""\\n', entry_point="total",
        test="def check(candidate):\\n    assert candidate([1, 2]) == 3\\n    assert candidate([]) == 0\\n")})
    PROBLEMS = {"sum": SUM, "squares": SQUARES, "native": NATIVE}

    if __name__ == "__main__":
        cases = json.loads(sys.argv[1])
        out = []
        for warm in (True, False):
            with Verifier(make_plugins(), isolation="namespaces", workers=1, cache=False, warm={"python": warm},
                          limits=Limits(wall_time_s=10.0, cpu_time_s=10.0, memory_mb=512)) as verifier:
                for problem, code in cases:
                    verdict = verifier.verify(PROBLEMS[problem], code, "python")
                    out.append([verdict.status.value, verdict.tests[0].message if verdict.tests else None])
        print(json.dumps(out))
''')


def _verify(tmp_path, cases, python_path=None):
    """Each case's [status, first message], warm then cold, from a process with ``python_path`` set."""
    script = tmp_path / "verify_cases.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "CODEKILN_PYTHON_PATH"}
    if python_path is not None:
        env["CODEKILN_PYTHON_PATH"] = os.pathsep.join(map(str, python_path))
    done = subprocess.run([sys.executable, str(script), json.dumps(cases)], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return results[:len(cases)], results[len(cases):]


def test_a_package_on_codekiln_python_path_is_importable_warm_and_cold(tmp_path):
    packages = tmp_path / "packages"
    (packages / "kiln_extra").mkdir(parents=True)
    (packages / "kiln_extra" / "__init__.py").write_text("def add_all(xs):\n    return sum(xs)\n")
    # A module named like a standard one comes after the standard library: it cannot replace it.
    (packages / "functools.py").write_text("def reduce(*args):\n    return 42\n")
    cases = [["sum", "from kiln_extra import add_all\ndef total(xs):\n    return add_all(xs)\n"],
             ["sum", "import functools\ndef total(xs):\n    return functools.reduce(lambda a, b: a + b, xs, 0)\n"],
             ["native", "    import kiln_extra\n    return kiln_extra.add_all(xs)\n"]]
    for results in _verify(tmp_path, cases, [packages, tmp_path / "missing"]):  # a missing folder is skipped
        assert results == [["passed", None], ["passed", None], ["passed", None]]
    # Without it, the standard library only.
    for results in _verify(tmp_path, cases[:1]):
        assert results == [["runtime_error", "ModuleNotFoundError: No module named 'kiln_extra'"]]


def test_numpys_values_cross_as_the_builtin_values_they_hold(tmp_path):
    numpy = pytest.importorskip("numpy", reason="NumPy is not installed in this environment")
    site_packages = os.path.dirname(os.path.dirname(numpy.__file__))
    cases = [["sum", "import numpy as np\ndef total(xs):\n    return np.sum(np.array(xs, dtype=np.int64))\n"],
             ["squares", "import numpy as np\ndef squares(xs):\n    return np.array(xs) ** 2\n"],
             ["squares", "import numpy as np\ndef squares(xs):\n    return list(np.array(xs) ** 2)\n"],
             ["native", "    import numpy as np\n    return np.sum(np.array(xs, dtype=np.int64))\n"],
             ["sum", "import numpy as np\ndef total(xs):\n    return np.sum(np.array(xs)) + 1\n"],
             # Passing for NumPy gains a lie nothing: what tolist() gives is checked again, as any value is.
             ["sum", "class Lie(int):\n    def __eq__(self, other):\n        return True\n"
                     "class Fake:\n    __module__ = 'numpy'\n    def tolist(self):\n        return Lie(0)\n"
                     "Fake.__module__ = 'numpy'\ndef total(xs):\n    return Fake()\n"]]
    for results in _verify(tmp_path, cases, [site_packages]):
        assert [status for status, _ in results] == ["passed"] * 4 + ["wrong_answer", "runtime_error"], results
        assert results[-1][1] == "UnsupportedValue: returned a value of unsupported type Lie"
