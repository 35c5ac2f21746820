"""Running javac's options and limits, and reading what javac says and what it wrote.

javac prints each diagnostic as a header (``Solution.java:4: error: cannot find symbol``), the source line,
a caret line whose ``^`` gives the column (tabs are copied from the source line, so the caret's index is
the column), and indented details (``  symbol:   variable x``). :func:`parse_diagnostics` turns that into
:class:`JavacMessage` values; the details are appended to the message, since they say what is wrong.
"""

from __future__ import annotations

import io
import re
import tarfile

import attrs

from codekiln.sandbox import Limits

__all__ = ["COMPILE_LIMITS", "JAVAC_OPTIONS", "JavacMessage", "JavacRun", "class_files", "parse_diagnostics"]

#: javac's own budget (trusted, and independent of the problem's limits): it compiles untrusted code, so
#: it runs in the sandbox too. Heap: half the memory.
COMPILE_LIMITS = Limits(wall_time_s=60.0, cpu_time_s=60.0, memory_mb=1024, memory_kind="data", processes=64,
                        file_size_mb=64, output_bytes=16 * 1024 * 1024)
#: javac's options, cold and warm alike (the cold path adds where to write, the class path is kiln.jar).
JAVAC_OPTIONS = ("-encoding", "UTF-8", "-Xlint:all", "-Xmaxerrs", "20", "-Xmaxwarns", "20", "-proc:none",
                 "-implicit:none")

_HEADER = re.compile(r"^(?:(?P<file>[^\s:]+\.java):(?P<line>\d+): )?(?P<severity>error|warning): (?P<message>.*)$")
_CARET = re.compile(r"^[ \t]*\^$")
_SUMMARY = re.compile(r"^(\d+ (errors?|warnings?)|Note: .*)$")
_MAX_DETAILS = 4


@attrs.frozen
class JavacRun:
    """What one compile did, by a javac of its own (cold) or by the compile server (warm)."""

    #: What javac printed: its diagnostics, then their counts.
    output: str
    #: Whether javac succeeded; then ``classes`` holds the top-level class files it wrote.
    ok: bool
    classes: dict[str, bytes] = attrs.field(factory=dict)
    #: The sandbox's limit that ended it, if any, and how it ended (for a message when nothing else says).
    limit_hit: str | None = None
    exit_code: int | None = None
    signal: int | None = None


@attrs.frozen
class JavacMessage:
    severity: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None


def parse_diagnostics(output: str) -> list[JavacMessage]:
    """Every diagnostic in javac's output, in order.

    >>> text = '''Solution.java:3: error: cannot find symbol
    ...         return x;
    ...                ^
    ...   symbol:   variable x
    ...   location: class Solution
    ... 1 error'''
    >>> parse_diagnostics(text)  # doctest: +NORMALIZE_WHITESPACE
    [JavacMessage(severity='error', message='cannot find symbol (symbol: variable x; location: class Solution)',
                  file='Solution.java', line=3, column=16)]
    """
    found: list[dict] = []
    for text in output.splitlines():
        header = _HEADER.match(text)
        if header:
            line = header["line"]
            found.append({"severity": header["severity"], "message": header["message"].strip(),
                          "file": header["file"], "line": int(line) if line else None, "column": None,
                          "details": [], "echoed": False, "where": False})
            continue
        if not found or _SUMMARY.match(text):
            continue
        current = found[-1]
        if current["line"] is not None and not current["echoed"]:
            current["echoed"] = True  # the source line itself
        elif current["column"] is None and current["echoed"] and _CARET.match(text):
            current["column"] = text.index("^") + 1
        elif text.startswith(" ") and text.strip() and not current["where"]:
            detail = " ".join(text.split())
            # "where T is a type-variable: ..." explains the names in the message at length: left out.
            current["where"] = detail.startswith("where ") or len(current["details"]) == _MAX_DETAILS
            if not current["where"]:
                current["details"].append(detail)
    return [
        JavacMessage(d["severity"], d["message"] + (f" ({'; '.join(d['details'])})" if d["details"] else ""),
                     d["file"], d["line"], d["column"])
        for d in found
    ]


def class_files(tar: bytes) -> dict[str, bytes]:
    """The top-level ``.class`` files of the archive the compile step made of javac's output directory
    (the default package: every class the sample and the harness declare, nested ones included)."""
    classes = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("./")
            if member.isfile() and "/" not in name and name.endswith(".class"):
                classes[name] = archive.extractfile(member).read()
    return classes
