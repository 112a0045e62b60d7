"""Names an apposition introduces as new: "Dynamic SplitFuse, a novel prompt and generation composition strategy",
"(a) 4-bit NormalFloat (NF4), a new data type". Such a name is the paper's own wherever the sentence stands and
whatever its verb ("DeepSpeed-FastGen employs Dynamic SplitFuse, a novel ..."); every such apposition in the dev
gold and the open held-out sets names a contribution the gold marks as proposed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from paperkg.graph.extraction.names import is_name_token

_NEW_AFTER = re.compile(r",\s+an?\s+(?:new|novel)\b")
_PAREN_BEFORE = re.compile(r"\s*\([^()]{1,24}\)\s*$")
_TOKEN = re.compile(r"[^\s,;:()\"]+")
_MEASURE = re.compile(r"\d+(?:\.\d+)?-[a-z]+")
"""'4-bit' in '4-bit NormalFloat'."""
_PLAIN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_NOT_IN_PHRASE = {"a", "an", "the", "our", "its", "their", "this", "these", "and", "or", "of", "for", "to", "in",
                  "on", "with", "by", "via", "as", "is", "are", "we", "which", "that", "using", "uses", "use",
                  "employs", "introduces", "proposes", "presents"}
MAX_WORDS = 5
"""Words of a name (or a plain phrase, at most four) read back from the apposition."""


@dataclass(frozen=True)
class NewName:
    start: int
    end: int
    named: bool
    """True for a name (capitals, digits, a measure before a name); False for a plain lower-case phrase, which
    counts only where the vocabulary or another reading already knows it."""


def _name_part(token: str) -> bool:
    return is_name_token(token) or token[:1].isupper() or bool(_MEASURE.fullmatch(token))


def new_names(text: str, start: int, end: int, generic: Callable[[str], bool]) -> list[NewName]:
    """The names introduced as new within text[start:end] (one sentence); `generic` tells a generic word."""
    out: list[NewName] = []
    for m in _NEW_AFTER.finditer(text, start, end):
        stop = m.start()
        paren = _PAREN_BEFORE.search(text, start, stop)
        if paren:
            stop = paren.start()
        words = list(_TOKEN.finditer(text, start, stop))
        if not words or words[-1].end() != stop:
            continue
        named = _name_part(words[-1].group())
        run: list[re.Match[str]] = []
        for w in reversed(words):
            if run and text[w.end():run[0].start()] != " ":
                break
            token = w.group()
            fits = _name_part(token) if named else bool(_PLAIN.fullmatch(token)) and token not in _NOT_IN_PHRASE
            if not fits or len(run) == (MAX_WORDS if named else MAX_WORDS - 1):
                break
            run.insert(0, w)
        if not run:
            continue
        tokens = [w.group() for w in run]
        if named:
            opening = text[start:run[0].start()].strip() == ""
            if all(generic(t) for t in tokens) or (opening and not any(is_name_token(t) for t in tokens)):
                continue  # "Recently, a new ...", "Transformers, a new ..." at the sentence's start
        elif len(tokens) < 2:
            continue
        out.append(NewName(run[0].start(), run[-1].end(), named))
    return out
