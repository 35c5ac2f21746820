"""What the JavaScript, Java and C++ attack suite (``test_attacks_languages.py``) adds to ``attack_support``.

Each attack's code is completed with its language's constants (:func:`completion`): ``MARKER`` (unique per
attack: the argv of whatever it starts and, in C++, its process name, so that leftovers can be found from the
host), ``OUTSIDE`` (the host paths it must never be able to write), ``PROJECT``, ``SECRET_VAR`` (the name of
the test process's secret variable), ``PORT``, ``HOST_IPS`` and ``UNIX_NAME`` (the servers it must never
reach). In JavaScript and C++ they are globals before the code; in Java they are the fields of a class
``Attack`` after it (a Java file's imports must come first).

The attacks of one phase go through the verifier's worker pool as one batch (:func:`run_attacks`): the
compiles of javac and g++ dominate, and two workers halve them. Each attack gets its own marker and its own
servers, so every host-side check (leftover processes, paths written outside, connections) is still told
per attack. Attacks that spin until a time limit run in a phase of their own: beside a fork bomb's 64
spinning processes, a JVM that should start in half a second would not start within the wall limit.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence

import attrs
from attack_support import (
    ADD,
    PROJECT,
    SECRET_VAR,
    Listeners,
    assert_no_leftovers,
    new_marker,
    no_writes_outside,
    outside_paths,
)

from codekiln.sandbox import Limits
from codekiln.verdict import Verdict
from codekiln.verifier import Sample, Verifier

LANGUAGES = ("javascript", "java", "cpp")
#: One second of wall time more than the Python suite's ``LIMITS``: a JVM starts in about 0.4 s here, and
#: the machine is shared. CPU time stays at 2 s, so a spinning attack still ends at its CPU limit.
LIMITS = Limits(wall_time_s=3.0, cpu_time_s=2.0, memory_mb=256)
#: The problem every attack answers: ``add(a, b) -> int`` with tests (1, 2) -> 3, (5, -7) -> -2, (0, 0) -> 0.
PROBLEM = ADD
#: Every secret the fixtures of ``attack_support`` set starts so: the worker pool's forkserver is started
#: once per test session, so its workers may hold the secret of a module that ran earlier.
SECRET_PREFIX = "s3cr3t-"

#: Correct answers, made unique per use (a comment with the marker) so the verifier's cache cannot answer.
CORRECT = {
    "javascript": "function add(a, b) {\n  return a + b;  // {marker}\n}\n",
    "java": "class Solution {\n    public static long add(long a, long b) {\n        return a + b;  // {marker}\n"
            "    }\n}\n",
    "cpp": "long long add(long long a, long long b) { return a + b; }  // {marker}\n",
}


def _js_constants(values: dict[str, object]) -> str:
    lines = [f"const {name} = {json.dumps(value)};" for name, value in values.items()]
    return "\n".join([*lines, "process.title = MARKER;", ""])


def _java_constants(values: dict[str, object]) -> str:
    def literal(value: object) -> str:
        if isinstance(value, list):
            return "{" + ", ".join(literal(v) for v in value) + "}"
        return json.dumps(value)

    kinds = {str: "String", int: "int", list: "String[]"}
    fields = [f"    static final {kinds[type(v)]} {name} = {literal(v)};" for name, v in values.items()]
    return "\n".join(["", "final class Attack {", *fields, "}", ""])


def _cpp_constants(values: dict[str, object]) -> str:
    lines = ["#include <sys/prctl.h>"]
    for name, value in values.items():
        if isinstance(value, list):
            items = ", ".join(json.dumps(v) for v in value)
            lines.append(f"static const char* const {name}[] = {{{items}}};")
            lines.append(f"static const int {name}_COUNT = {len(value)};")
        elif isinstance(value, int):
            lines.append(f"static const int {name} = {value};")
        else:
            lines.append(f"static const char* const {name} = {json.dumps(value)};")
    # PR_SET_NAME: how the host finds leftovers (a global constructor, run before the attack's own).
    lines.append("static const int kiln_attack_named = prctl(PR_SET_NAME, MARKER, 0, 0, 0);")
    return "\n".join([*lines, ""])


def completion(language: str, code: str, marker: str, listeners: Listeners) -> str:
    """The attack's code with its language's constants (see the module's docstring)."""
    values: dict[str, object] = {
        "MARKER": marker,
        "PORT": listeners.port,
        "HOST_IPS": list(listeners.host_ips),
        "UNIX_NAME": listeners.unix_name,
        "PROJECT": str(PROJECT),
        "SECRET_VAR": SECRET_VAR,
        "OUTSIDE": [str(p) for p in outside_paths(marker)],
    }
    code = code.lstrip("\n")
    if language == "javascript":
        return _js_constants(values) + code
    if language == "java":
        return code + _java_constants(values)
    if language == "cpp":
        return _cpp_constants(values) + code
    raise ValueError(f"no attacks in {language}")


def verdict_text(verdict: Verdict) -> str:
    """Everything a verdict shows of a run (as the Python suite's ``_verdict_text``)."""
    return "\n".join([verdict.stdout_tail, verdict.stderr_tail, *(t.message or "" for t in verdict.tests),
                      *(d.message for d in verdict.diagnostics), repr(verdict)])


def leaked(verdict: Verdict, secret: str) -> bool:
    text = verdict_text(verdict)
    return secret in text or SECRET_PREFIX in text


@attrs.frozen
class Outcome:
    """What one attack did: its verdict and what the host saw (None: nothing wrong)."""

    verdict: Verdict
    leftovers: str | None
    written: str | None
    connections: tuple[str, ...]
    #: The verdicts of correct answers in each language, verified by the same verifier right after the batch.
    health: dict[str, Verdict]


@contextlib.contextmanager
def _failure_into(failures: dict[str, str], key: str) -> Iterator[None]:
    """Records the AssertionError of the body under ``key`` instead of raising it."""
    try:
        yield
    except AssertionError as exc:
        failures[key] = str(exc)


def run_attacks(verifier: Verifier, attacks: Sequence[tuple[str, str, str]]) -> dict[str, Outcome]:
    """Verifies every ``(id, language, code)`` in one batch; the host-side checks are made for each one."""
    if not attacks:
        return {}
    markers = {id: new_marker() for id, _, _ in attacks}
    servers = {id: Listeners() for id, _, _ in attacks}
    written: dict[str, str] = {}
    leftovers: dict[str, str] = {}
    try:
        samples = [Sample(PROBLEM, completion(language, code, markers[id], servers[id]), language)
                   for id, language, code in attacks]
        with contextlib.ExitStack() as stack:
            for id, marker in markers.items():
                stack.enter_context(_failure_into(written, id))
                stack.enter_context(no_writes_outside(marker))
            verdicts = verifier.verify_batch(samples)
            for id, marker in markers.items():  # before the writes are looked at: a leftover could still write
                with _failure_into(leftovers, id):
                    assert_no_leftovers(marker)
        connections = {id: tuple(server.connections()) for id, server in servers.items()}
    finally:
        for server in servers.values():
            server.close()
    health = health_check(verifier, new_marker())
    return {id: Outcome(verdict, leftovers.get(id), written.get(id), connections[id], health)
            for (id, _, _), verdict in zip(attacks, verdicts)}


def health_check(verifier: Verifier, marker: str) -> dict[str, Verdict]:
    """The verdicts of a correct answer in each language: the verifier must still work after the attacks."""
    samples = [Sample(PROBLEM, CORRECT[language].replace("{marker}", marker), language) for language in LANGUAGES]
    return dict(zip(LANGUAGES, verifier.verify_batch(samples)))
