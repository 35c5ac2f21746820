"""Pulling code out of a model's answer.

Models answer in many shapes: one fenced block, several (a helper, then the solution), prose around them,
a fence left open because generation stopped, a language tag or none, or plain code continuing a prompt
stub. :func:`extract_code` handles them all the same way for every language:

0. a reasoning model's trace (everything up to the last ``</think>``) is left out: its drafts are not the
   answer;
1. blocks tagged with one of the language's fence tags, joined in order;
2. else untagged blocks, joined;
3. else, when there are only blocks tagged for *another* language, nothing (the answer is in the wrong
   language);
4. else (no fence at all) the text itself: a completion that continues a stub.

>>> extract_code("Here you go:\\n```python\\ndef f():\\n    return 1\\n```\\nDone.", ("python", "py"))
'def f():\\n    return 1\\n'
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

__all__ = ["FencedBlock", "extract_code", "fenced_blocks"]


@attrs.frozen
class FencedBlock:
    """One fenced block: its language tag (the info string's first word, lower case), body, whether it
    was closed (a block cut off by the end of generation is not), and its whole info string (what follows the
    fence on its opening line, stripped)."""

    tag: str
    body: str
    closed: bool
    info: str = ""


def fenced_blocks(text: str) -> tuple[list[FencedBlock], str]:
    """The fenced blocks of ``text``, and the text outside them.

    The fence grammar is CommonMark's, minus indented code: an opening line of three or more backticks or
    tildes (indented at most three spaces or tabs) with an optional info string holding no backtick; the
    closing line repeats the character at least as many times and holds nothing else. An unclosed last
    fence runs to the end of the text. One pass over the lines, each looked at a bounded number of times:
    the time is linear in the length of the text, whatever it holds.

    >>> blocks, outside = fenced_blocks("Sure:\\n```python\\nx = 1\\n```\\n")
    >>> blocks, outside.strip()
    ([FencedBlock(tag='python', body='x = 1\\n', closed=True, info='python')], 'Sure:')
    """
    blocks: list[FencedBlock] = []
    outside: list[str] = []
    outside_from = 0  # where the text outside the blocks resumes
    # (fence, tag, info, where its body starts, the fence's indent) of the open block
    opening: tuple[str, str, str, int, int] | None = None
    line_start = 0
    while line_start <= len(text):
        line_end = text.find("\n", line_start)
        if line_end < 0:
            line_end = len(text)
        line = text[line_start:line_end]
        if opening is None:
            fence = _opening_fence(line)
            if fence is not None:
                outside.append(text[outside_from:line_start])
                opening = (*fence, line_end + 1, len(line) - len(line.lstrip(" ")))
        elif _closes(line, opening[0]):
            fence, tag, info, body_start, indent = opening
            blocks.append(FencedBlock(tag, _dedent(text[body_start:line_start], indent), True, info))
            opening, outside_from = None, line_end
        line_start = line_end + 1
    if opening is not None:
        blocks.append(FencedBlock(opening[1], _dedent(text[opening[3]:], opening[4]), False, opening[2]))
    else:
        outside.append(text[outside_from:])
    return blocks, "".join(outside)


def _fence_run(line: str) -> tuple[str, str] | None:
    """(the run of fence characters, what follows it) when ``line`` starts a fence line."""
    content = line.lstrip(" \t")
    if len(line) - len(content) > 3 or content[:1] not in ("`", "~"):
        return None
    rest = content.lstrip(content[0])
    run = content[: len(content) - len(rest)]
    return (run, rest) if len(run) >= 3 else None


def _opening_fence(line: str) -> tuple[str, str, str] | None:
    """(fence, tag, info string) when ``line`` opens a fenced block."""
    found = _fence_run(line)
    if found is None or "`" in found[1]:
        return None
    info = found[1].strip()
    words = info.lower().split()  # the info string's first word: what follows it may be a tab away
    # ``{python}``, ``{.python}`` (pandoc) and ``python:solution.py`` name the language too.
    tag = words[0].strip("{}").lstrip(".").split(":", 1)[0] if words else ""
    return found[0], tag, info


def _closes(line: str, fence: str) -> bool:
    found = _fence_run(line)
    return (found is not None and found[0][0] == fence[0] and len(found[0]) >= len(fence)
            and not found[1].strip(" \t\r"))  # a CRLF line's end is no content


def extract_code(text: str, fence_tags: tuple[str, ...],
                 choose: Callable[[list[str]], list[str]] | None = None) -> str:
    """The code in ``text`` for a language whose fences are tagged with ``fence_tags``; ``choose`` picks, in
    order, which of several blocks to join (a language backend leaves out usage examples); all by default."""
    bodies = _code_blocks(text, fence_tags)
    if bodies is None:
        return _answer_text(text)
    if choose is not None and len(bodies) > 1:
        bodies = choose(bodies)
    return "\n".join(body if body.endswith("\n") else body + "\n" for body in bodies) if bodies else ""


def _code_blocks(text: str, fence_tags: tuple[str, ...]) -> list[str] | None:
    """The bodies of the blocks in the language, in order (tagged, else untagged; none when every block is
    another language's), or None for an answer without a fence, whose text is the code."""
    blocks, _ = fenced_blocks(_answer_text(text))
    if not blocks:
        return None
    tags = {tag.lower() for tag in fence_tags}
    tagged = [block.body for block in blocks if block.tag in tags]
    return tagged or [block.body for block in blocks if not block.tag]


def _answer_text(text: str) -> str:
    """``text`` without a reasoning model's trace (up to the last ``</think>``)."""
    return text[text.rindex(_THINK_END) + len(_THINK_END):] if _THINK_END in text else text


#: Where a reasoning model's trace ends (DeepSeek-R1, Qwen3): what follows is its answer.
_THINK_END = "</think>"


def _dedent(body: str, indent: int) -> str:
    """``body`` less up to ``indent`` spaces at the start of each line, as CommonMark reads a fence indented by
    that much (a block inside a list item): its code is not indented by it."""
    return re.sub(rf"(?m)^ {{1,{indent}}}", "", body) if indent else body

