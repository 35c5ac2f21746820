"""The program that runs a submitted Python solution inside the sandbox.

It is copied into the sandbox compiled, as ``kiln_harness.pyc``, with ``codekiln.value_codec`` (the value codec)
beside it as ``kiln_wire.pyc``, and run with the bare interpreter (``-I -S -B``): it imports only modules
built into the interpreter, since every import is paid again at each of thousands of runs.

Nothing the solution can do makes a test pass without computing the right answers:

``tests`` mode (language-neutral problems). stdin holds ``{"entry_point": NAME, "calls": [ARGS, ...]}``.
    The harness calls the function on each test's arguments and writes one row per call; the verifier
    compares the values with the expected ones outside the sandbox. The
    expected values never enter the sandbox, so exiting early, printing "PASS", forging rows or returning
    an object with a lying ``__eq__`` (only plain data is sent: exact built-in scalars, and containers read
    through the built-in types' own methods) gains nothing.

``serve`` and ``check`` modes (benchmarks with their own test code, such as HumanEval's ``check(candidate)``),
    the two programs of the core's relay (``codekiln.verifier.relay``), each in a sandbox of its own
    (its own uid and pid namespace), both writing their rows on fd 3 and reading what is relayed to them
    on stdin. ``serve ENTRY`` is the solver: it loads the solution and answers each call line
    (``{"args": WIRE_ARGS}``) with one row. ``check ENTRY`` is the tester: it runs the benchmark's
    prompt (public: the model continued it) from ``prompt.py`` and its test code from ``tests.py``;
    ``candidate`` is a proxy that writes each call's arguments on fd 3 and reads the answer from stdin,
    plain data only. The solution never holds the test code or its expected values, never shares a
    process, uid or descriptor with the process that judges, and no object of its making reaches an
    ``==`` in the test.

Every line either way is JSON. Rows go to a private descriptor (a copy of stdout in ``tests`` mode, fd 3
otherwise); fd 1 is redirected to stderr before any solution or test code runs, so their prints cannot
mix with the rows. In ``serve`` and ``check`` modes the relayed lines are read from a private copy of stdin,
and fd 0 reads ``/dev/null``. The solution is loaded as a module named ``solution``, not as ``__main__``:
its ``if __name__ == "__main__":`` block does not run, and pickle finds what it defines. The first row is
``{"ready": true}``, written before any solution code runs, so a harness that failed to start is told apart
from a solution that failed. A call's row is
``{"value": WIRE_VALUE, "time": SECONDS}`` or ``{"error": "Type: message"}``; ``{"load_error": ...}``
when the solution failed before any call; check mode ends with ``{"check": "passed" | "failed" |
"error", "message": ...}`` ("error": the solution failed, or its process ended or sent no value).
"""

import _json  # the C half of json: its scanner parses safely, without json's 10 ms of imports
import os
import sys
import time

# -I leaves the script's directory out of sys.path; put it in for our codec only, then take it out again:
# the solution may plant modules there ("random.py"), and the trusted test code must never import them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kiln_wire as wire

del sys.path[0]

SOLUTION_FILE = "solution.py"
SOLUTION_MODULE = "solution"
PROMPT_FILE = "prompt.py"
TESTS_FILE = "tests.py"


class _Context:
    """What ``_json.make_scanner`` reads its settings from (the role of json.JSONDecoder)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = None

    @staticmethod
    def parse_constant(name):
        raise ValueError(f"{name} is not JSON")


_scan = _json.make_scanner(_Context())


def parse(line):
    try:
        value, end = _scan(line, 0)
    except StopIteration:  # the raw scanner's way of saying "not JSON"; it must not end a caller's loop
        raise ValueError("not JSON") from None
    if line[end:].strip():
        raise ValueError("trailing data after a JSON value")
    return value


def dump(value):
    """JSON text of wire data (None, bool, int, finite float, str, lists, dicts with str keys)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) in (int, float):
        return repr(value)
    if type(value) is str:
        return _json.encode_basestring_ascii(value)
    if type(value) is list:
        return "[" + ",".join(dump(v) for v in value) + "]"
    return "{" + ",".join(_json.encode_basestring_ascii(k) + ":" + dump(v) for k, v in value.items()) + "}"


def describe(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


def load_solution(entry_point):
    # A module of its own, as an imported file is, not __main__: its `if __name__ == "__main__":` demo stays
    # shut (HumanEval's own harness skips it too), and pickle finds its classes and functions by name.
    module = type(sys)(SOLUTION_MODULE)
    module.__file__ = os.path.abspath(SOLUTION_FILE)
    module.__builtins__ = __builtins__
    sys.modules[SOLUTION_MODULE] = module
    with open(SOLUTION_FILE, encoding="utf-8") as handle:
        source = handle.read()
    namespace = module.__dict__
    exec(compile(source, SOLUTION_FILE, "exec"), namespace)
    function = namespace.get(entry_point)
    solution = namespace.get("Solution")
    if not callable(function) and isinstance(solution, type) and callable(getattr(solution, entry_point, None)):
        function = getattr(solution(), entry_point)  # LeetCode's form: a method of class Solution, as Java's
    if not callable(function):
        raise NameError(f"the solution defines no function named {entry_point!r}")
    return function


def call(function, args):
    start = time.perf_counter()
    try:
        value = wire.encode(function(*wire.decode(args)))
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and friends are failures too
        return {"error": describe(exc)}
    return {"value": value, "time": time.perf_counter() - start}


def serve(entry_point, requests, write):
    """The solution's side: load it, then answer one call per request line until the requests end."""
    try:
        function = load_solution(entry_point)
    except BaseException as exc:
        write({"load_error": describe(exc)})
        return
    for line in requests:
        write(call(function, parse(line)["args"]))


def writer(stream):
    flush = stream.flush  # bound now: the solution may rebind names later

    def write(row):
        stream.write(dump(row) + "\n")
        flush()

    return write


def run_tests(write):
    header = parse(sys.stdin.readline())
    try:
        function = load_solution(header["entry_point"])
    except BaseException as exc:
        write({"load_error": describe(exc)})
        return
    for args in header["calls"]:
        write(call(function, args))
    write({"done": True})


class CandidateError(Exception):
    pass


class Candidate:
    """Stands in for the solution's function inside the benchmark's test code: each call goes out as a row,
    and its answer, relayed from the solver, comes back on ``answers``."""

    def __init__(self, write, answers):
        self.write, self.answers = write, answers
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        self.write({"args": wire.encode(list(args))})
        line = self.answers.readline()
        try:
            row = parse(line)
            if "value" in row:
                return wire.decode(row["value"])
            message = row.get("load_error") or row.get("error")
            if row.get("gone") is True:
                message = "the solution's process ended before the tests finished"
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            message = None if line else "the solution's process ended before the tests finished"
        raise CandidateError(str(message) if message else "the solution's process sent a malformed answer")


def run_check(entry_point, answers, write):
    namespace = {"__name__": "__kiln_test__"}
    with open(PROMPT_FILE, encoding="utf-8") as handle:
        exec(compile(handle.read(), PROMPT_FILE, "exec"), namespace)
    with open(TESTS_FILE, encoding="utf-8") as handle:
        test = compile(handle.read(), TESTS_FILE, "exec")
    candidate = Candidate(write, answers)
    namespace[entry_point] = candidate  # the tests may call it by name rather than as `candidate`
    try:
        exec(test, namespace)
        if not candidate.calls:  # HumanEval-X's test code calls check(entry_point) itself; HumanEval's does not
            namespace["check"](candidate)
        verdict = {"check": "passed"}
    except AssertionError as exc:
        verdict = {"check": "failed", "message": f"assertion failed{': ' + str(exc) if str(exc) else ''}"}
    except CandidateError as exc:
        verdict = {"check": "error", "message": str(exc)}
    except Exception as exc:  # the test code choked on what the solution returned
        verdict = {"check": "failed", "message": describe(exc)}
    write(verdict)


def main():
    # Our rows go to a private descriptor; fd 1 itself then leads to stderr, so what the solution or the
    # test code prints can neither forge a row nor break the stream. The ready row is out before any
    # solution code runs, so its absence always means the harness itself failed.
    mode = sys.argv[1]
    # Third-party packages the user lets solutions and tests import (CODEKILN_PYTHON_PATH, read-only), after
    # the standard library's folders, so that none of them can stand in for a standard module.
    sys.path.extend(folder for folder in os.environ.get("KILN_PYTHON_PATH", "").split(os.pathsep) if folder)
    results = os.fdopen(os.dup(1) if mode == "tests" else 3, "w", encoding="utf-8")
    os.dup2(2, 1)
    write = writer(results)
    write({"ready": True})
    if mode == "tests":
        run_tests(write)
        return
    # The relayed lines are read from a private copy of stdin, and fd 0 then reads /dev/null: solution code
    # that reads stdin (input(), sys.stdin.read()) gets EOF at once rather than eating a call or waiting forever.
    relayed = os.fdopen(os.dup(0), encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if mode == "serve":
        serve(sys.argv[2], relayed, write)
    else:
        run_check(sys.argv[2], relayed, write)


if __name__ == "__main__":
    main()
