"""The program that runs a submitted Python solution inside the sandbox.

It is copied into the sandbox as ``kiln_harness.py``, with ``codekiln.wire`` (the value codec) beside it
as ``kiln_wire.py``, and run with the bare interpreter (``-I -S``): standard library only.

Expected answers never enter the sandbox: the harness only calls the solution and reports what it
returned, encoded as plain data on file descriptor 3; the verifier compares outside. So exiting early,
printing "PASS", returning an object whose ``__eq__`` always holds, or patching this harness cannot make a
test pass.

Modes (the first argument):

``tests``   stdin is ``{"entry_point": NAME, "calls": [ARGS, ...]}``; one result line per call, then
            ``{"done": true}``, written to the file ``results.jsonl`` instead of fd 3.
``serve``   stdin is ``{"entry_point": NAME}`` followed by one ``{"args": ARGS}`` line per call; one result
            line each, until stdin closes. A trusted test driver outside the sandbox talks to it.

The first line is ``{"ready": true}``, written before any solution code runs, so a harness that failed to
start is told apart from a solution that failed. A result line is ``{"value": WIRE_VALUE, "time": SECONDS}``
or ``{"error": "Type: message"}``; ``{"load_error": ...}`` when the solution failed before any call.
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's directory out
import kiln_wire as wire

SOLUTION_FILE = "solution.py"
RESULT_FD = 3
RESULTS_FILE = "results.jsonl"


def _describe(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


def _load_solution(entry_point):
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    with open(SOLUTION_FILE, encoding="utf-8") as handle:
        source = handle.read()
    exec(compile(source, SOLUTION_FILE, "exec"), namespace)
    function = namespace.get(entry_point)
    if not callable(function):
        raise NameError(f"the solution defines no function named {entry_point!r}")
    return function


def _call(function, args, write):
    start = time.perf_counter()
    try:
        value = wire.encode(function(*wire.decode(args)))
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and friends are failures too
        write({"error": _describe(exc)})
        return
    write({"value": value, "time": time.perf_counter() - start})


def main():
    mode = sys.argv[1]
    # Left open until the process ends: results must reach the file even if the solution exits abruptly.
    channel = open(RESULTS_FILE, "w", encoding="utf-8") if mode == "tests" else os.fdopen(RESULT_FD, "w")  # noqa: SIM115
    dumps, flush = json.dumps, channel.flush  # bound now: the solution may rebind json or sys later

    def write(row):
        channel.write(dumps(row) + "\n")
        flush()

    write({"ready": True})  # before any solution code runs: its absence is the harness's failure, not the code's
    header = json.loads(sys.stdin.readline())
    try:
        function = _load_solution(header["entry_point"])
    except BaseException as exc:
        write({"load_error": _describe(exc)})
        return
    if mode == "tests":
        for args in header["calls"]:
            _call(function, args, write)
        write({"done": True})
    else:
        for line in sys.stdin:
            _call(function, json.loads(line)["args"], write)


if __name__ == "__main__":
    main()
