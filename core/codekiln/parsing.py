"""Parsing untrusted code with tree-sitter, within a time and a memory budget, once per text.

Tree-sitter's GLR parser has inputs whose cost grows much faster than their length: a few kilobytes of
ambiguous tokens can take minutes or gigabytes (repeated Java generics and calls, JavaScript arrow-like
parameter lists), or crash the parser. Every parse of a sample's code in codekiln goes through
:func:`parse`, which first parses the text in a forked child limited to :attr:`ParseBudget.memory_mb` more
address space and killed after :attr:`ParseBudget.time_s`; only a text whose trial finished is parsed in
this process (tree-sitter is deterministic: it costs the same here). An overrun or a crash of the trial
raises :class:`UnparsableCode`, which the verifier reports as the code's ``syntax_error``: this process is
never at risk.

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

import faulthandler
import os
import resource
import select
import signal
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
    overrun = _trial(parser, data, budget)
    if overrun:
        raise UnparsableCode(f"the code is too hard to parse: {overrun}")
    # Tree-sitter is deterministic: the same bytes cost here what they cost in the trial.
    return parser.parse(data)


def _trial(parser: tree_sitter.Parser, data: bytes, budget: ParseBudget) -> str | None:
    """Parse ``data`` in a forked child under the budget; None when it finished within it, else why not.

    A child, because the expensive part of a hostile parse (error recovery at the end of the input) runs
    in one C call that tree-sitter's progress callback cannot interrupt, and may crash: only a process of
    its own can be stopped, capped and lost."""
    ceiling = _virtual_bytes() + budget.memory_mb * 2**20
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's cleanup
        status = 1
        try:
            faulthandler.disable()  # a crash here is expected, not a bug of ours to report
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # tree-sitter reports a failed allocation there
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
            parser.parse(data)
            status = 0
        finally:
            os._exit(status)
    child = os.pidfd_open(pid)
    try:
        finished = select.select([child], [], [], budget.time_s)[0]
        if not finished:
            os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
    finally:
        os.close(child)
    if not finished:
        return f"it took longer than {budget.time_s:g} s"
    if status != 0:
        return f"the parser failed within {budget.memory_mb} MB of memory ({_describe(status)})"
    return None


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _virtual_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * _PAGE
