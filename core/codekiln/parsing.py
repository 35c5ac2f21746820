"""Parsing untrusted code with tree-sitter, within a time and a memory budget, once per text.

Tree-sitter's GLR parser has inputs whose cost grows much faster than their length: a few kilobytes of
ambiguous tokens can take minutes or gigabytes (repeated Java generics and calls, JavaScript arrow-like
parameter lists), or crash the parser. Every parse of a sample's code in codekiln goes through
:func:`parse`, which first parses the text in a child process limited to :attr:`ParseBudget.memory_mb` more
address space and killed after :attr:`ParseBudget.time_s`; only a text whose trial finished is parsed in
this process (tree-sitter is deterministic: it costs the same here). An overrun or a crash of the trial
raises :class:`UnparsableCode`, which the verifier reports as the code's ``syntax_error``: this process is
never at risk.

The child is forked once per language and budget and kept for the next texts (a trial parser): forking a
verifier worker for every text cost 3-19 ms a sample, mostly copying its page tables, where a kept child
answers in the time of the parse. It holds nothing but the parser (every other descriptor closed), lowers
its address-space limit to its size plus the budget before each text, and is replaced after a text that
killed it or ran out of time. It ends when this process closes its pipe or dies.

Recent trees are kept (up to 1 MB of text), so the stages and rewards that read the same text in one
process (the syntax check and a backend's compile step; the quality, constraints and security rewards
over one batch) share one parse.

>>> import tree_sitter, tree_sitter_python
>>> python = tree_sitter.Language(tree_sitter_python.language())
>>> parse(python, "x = 1\\n").root_node.type
'module'
>>> parse(python, "x = 1\\n") is parse(python, "x = 1\\n")
True
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import os
import resource
import select
import signal
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import tree_sitter

__all__ = ["DEFAULT_BUDGET", "ParseBudget", "UnparsableCode", "parse"]


@attrs.frozen
class ParseBudget:
    """What one parse may cost. Ordinary code parses at several MB/s in a few MB: the budget is a
    ceiling for hostile input, far above what any real program needs."""

    time_s: float = 1.0
    memory_mb: int = 256


DEFAULT_BUDGET = ParseBudget()


class UnparsableCode(ValueError):
    """The code overran the parse budget, or is not Unicode text: the code's failure, never ours."""


#: How much text the kept trees may cover: a batch of ordinary answers, a handful of huge ones.
_TEXT_KEPT = 1_000_000
_trees: OrderedDict[tuple[tree_sitter.Language, bytes, ParseBudget | None], tree_sitter.Tree] = OrderedDict()
_text_kept = 0
_parsers: dict[tree_sitter.Language, tree_sitter.Parser] = {}
_PAGE = os.sysconf("SC_PAGE_SIZE")


def parse(language: tree_sitter.Language, text: str | bytes,
          budget: ParseBudget | None = DEFAULT_BUDGET) -> tree_sitter.Tree:
    """The tree of ``text`` (UTF-8 when bytes); raises :class:`UnparsableCode` past the budget.

    ``budget=None`` skips the trial, for text a budgeted parse has already accepted: the code of a verdict
    that passed the syntax stage, which the code rewards read in the trainer. There a fork would copy the
    page tables of a process holding a model (seconds for a few GB on a busy machine)."""
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UnparsableCode(f"the code is not valid Unicode: {exc.reason} at character {exc.start}") from None
    else:
        data = text
    key = (language, data, budget)
    tree = _trees.get(key)
    if tree is not None:
        _trees.move_to_end(key)
        return tree
    tree = _trees[key] = _parser(language).parse(data) if budget is None else _parse(language, data, budget)
    global _text_kept
    _text_kept += len(data)
    while _text_kept > _TEXT_KEPT and len(_trees) > 1:
        (_, oldest, _), _ = _trees.popitem(last=False)
        _text_kept -= len(oldest)
    return tree


def _parser(language: tree_sitter.Language) -> tree_sitter.Parser:
    import tree_sitter

    parser = _parsers.get(language)
    if parser is None:
        parser = _parsers[language] = tree_sitter.Parser(language)
    return parser


def _parse(language: tree_sitter.Language, data: bytes, budget: ParseBudget) -> tree_sitter.Tree:
    parser = _parser(language)
    if _keeping_trial_parsers:
        overrun = _kept_trial_parser(language, budget).trial(data)
    else:
        with _TrialParser(parser, budget) as once:
            overrun = once.trial(data)
    if overrun:
        raise UnparsableCode(f"the code is too hard to parse: {overrun}")
    # Tree-sitter is deterministic: the same bytes cost here what they cost in the trial.
    return parser.parse(data)


_keeping_trial_parsers = False
_kept: dict[tuple[tree_sitter.Language, ParseBudget], _TrialParser] = {}
_kept_lock = threading.Lock()


def keep_trial_parsers() -> None:
    """Keep one trial parser per language and budget in this process, for the next texts, instead of forking
    one per text. For processes that hold little besides the parsers (a verifier worker): a kept child holds
    on to the pages this process had when it forked, which would double the memory of a process holding a
    model that it goes on updating."""
    global _keeping_trial_parsers
    _keeping_trial_parsers = True


def _kept_trial_parser(language: tree_sitter.Language, budget: ParseBudget) -> _TrialParser:
    with _kept_lock:
        trial = _kept.get((language, budget))
        if trial is None or trial.owner != os.getpid():  # a fork of this process must not use its parent's
            trial = _kept[(language, budget)] = _TrialParser(_parser(language), budget)
        return trial


class _TrialParser:
    """A child process that parses each text it is sent under the budget, and answers when it has
    (:meth:`trial`). Safe to share between threads: one text at a time. A context manager for one text.

    A child, because the expensive part of a hostile parse (error recovery at the end of the input) runs in
    one C call that tree-sitter's progress callback cannot interrupt, and may crash: only a process of its own
    can be stopped, capped and lost."""

    def __init__(self, parser: tree_sitter.Parser, budget: ParseBudget) -> None:
        self.budget = budget
        self.owner = os.getpid()
        self._lock = threading.Lock()
        self._parser = parser
        self._pid = 0

    def __enter__(self) -> _TrialParser:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._pid:
                self._stop(ended=False)

    def trial(self, data: bytes) -> str | None:
        """Parse ``data`` in the child; None when it finished within the budget, else why not."""
        request = len(data).to_bytes(8, "little") + data
        with self._lock:
            for attempt in range(2):
                if self._pid == 0:
                    self._start()
                try:
                    _write_all(self._requests, request)
                except BrokenPipeError:  # the child died before this text (killed from outside): a new one takes it
                    self._stop(ended=True)
                    self._start()
                    _write_all(self._requests, request)
                answered = bool(select.select([self._answers], [], [], self.budget.time_s)[0])
                if answered and os.read(self._answers, 1):
                    return None
                status = self._stop(ended=answered)  # answered without an answer: the child died
                if status is None:
                    return f"it took longer than {self.budget.time_s:g} s"
                # A parse fails within its budget by an abort or a segfault; a SIGKILL came from outside (the
                # thread that forked the child ended, the kernel's OOM killer): once, the text gets a new child.
                if not (attempt == 0 and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
                    break
            return f"the parser failed within {self.budget.memory_mb} MB of memory ({_describe(status)})"

    def _start(self) -> None:
        requests, self._requests = os.pipe()
        self._answers, answers = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's cleanup
            status = 1
            try:
                _serve_trials(self._parser, self.budget, parent, requests, answers)
                status = 0
            finally:
                os._exit(status)
        os.close(requests)
        os.close(answers)
        self._pid = pid

    def _stop(self, ended: bool) -> int | None:
        """End the child: its wait status when it had ended by itself, else None (it is killed: still parsing at
        the deadline, or idle and no longer needed)."""
        pid, self._pid = self._pid, 0
        os.close(self._requests)
        os.close(self._answers)
        if not ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        return status if ended else None


_PR_SET_PDEATHSIG = 1


def _serve_trials(parser: tree_sitter.Parser, budget: ParseBudget, parent: int, requests: int, answers: int) -> None:
    """The trial parser's loop: read a text, parse it within the budget, answer ``k``; end at end of input."""
    faulthandler.disable()  # a crash here is expected, not a bug of ours to report
    # Die with the thread that forked us: a parse must not outlive the process waiting for it.
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # tree-sitter reports a failed allocation there
    keep = sorted({0, 1, 2, requests, answers})
    for low, high in zip(keep, [*keep[1:], resource.getrlimit(resource.RLIMIT_NOFILE)[0]]):
        os.closerange(low + 1, high)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    while (size := _read_exact(requests, 8)) is not None:
        data = _read_exact(requests, int.from_bytes(size, "little"))
        if data is None:
            return
        ceiling = _virtual_bytes() + budget.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (ceiling if hard == resource.RLIM_INFINITY else min(ceiling, hard),
                                                hard))
        parser.parse(data)  # the tree is dropped at once
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        os.write(answers, b"k")


def _read_exact(fd: int, count: int) -> bytes | None:
    chunks, left = [], count
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _virtual_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * _PAGE
