"""Pulling code out of a model's answer.

Models answer in many shapes: one fenced block, several (a helper, then the solution), prose around them,
a fence left open because generation stopped, a language tag or none, or plain code continuing a prompt
stub. :func:`extract_code` handles them all the same way for every language:

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

__all__ = ["extract_code"]

_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$", re.MULTILINE)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block; an unclosed last fence runs to the end of the text."""
    blocks = []
    pos = 0
    while True:
        opening = _FENCE_OPEN.search(text, pos)
        if not opening:
            return blocks
        fence = opening.group("fence")
        body_start = opening.end() + 1
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(text, body_start)
        body = text[body_start : end.start()] if end else text[body_start:]
        blocks.append((opening.group("info").strip().lower(), body))
        if not end:
            return blocks
        pos = end.end()


def extract_code(text: str, fence_tags: tuple[str, ...]) -> str:
    """The code in ``text`` for a language whose fences are tagged with ``fence_tags``."""
    blocks = _blocks(text)
    if not blocks:
        return text
    tags = {tag.lower() for tag in fence_tags}
    tagged = [body for info, body in blocks if info.split(" ")[0] in tags]
    if tagged:
        return _join(tagged)
    untagged = [body for info, body in blocks if not info]
    return _join(untagged)


def _join(bodies: list[str]) -> str:
    return "\n".join(body if body.endswith("\n") else body + "\n" for body in bodies) if bodies else ""
