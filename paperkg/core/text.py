"""The one sentence splitter: sentence spans with exact offsets, for extraction evidence and embedding passages.

Nothing rewrites the text: the patterns tolerate the noise of scraped abstracts (LaTeX, HTML fragments) and work on
the original string, so offsets stay exact. All patterns are linear: no nested quantifiers over overlapping classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 100_000
"""Only the first MAX_CHARS characters of a field are analysed (real abstracts are < 5k)."""

_NOT_XML_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
"""Control characters, lone surrogates and the non-characters U+FFFE/U+FFFF: what XML 1.0 cannot carry."""
FORBIDDEN_CHARS = re.compile(f"[{_NOT_XML_CHARS}\x7f]")
"""What no paper's text or query may hold: the characters XML 1.0 cannot carry (the GraphML, GEXF, RDF/XML and
SPARQL XML outputs), and DEL."""
NOT_XML = re.compile(f"[{_NOT_XML_CHARS}]"
                     r"|&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01]|6553[45])|x0*(?:[0-8bcef]|1[0-9a-f]|fff[ef]));", re.I)
"""What XML 1.0 cannot carry, raw or as a character reference, in serialised XML (stored text is kept free of it;
older stored text and literals a SPARQL query builds may still hold it)."""


def forbidden_char(text: str) -> str | None:
    """'control character U+0007' (or 'invalid character U+FFFE' beyond ASCII) for the first FORBIDDEN_CHARS
    character of `text`, else None."""
    found = FORBIDDEN_CHARS.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return f"{'control' if code < 0x80 else 'invalid'} character U+{code:04X}"


_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9$\\])|\n\s*")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|et al|vs|Fig|Figs|Eq|Eqs|Sec|cf|approx|resp|etc|al|No|Ref|Tab|ca|viz|"
                     r"w\.r\.t)\.|(?<![\w-])[A-Z]\.)$")
@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def sentences(text: str) -> list[Sentence]:
    """Sentence spans of `text` (offsets into it), skipping abbreviations such as "e.g." and "et al."."""
    limit = min(len(text), MAX_CHARS)
    spans: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text, 0, limit):
        cut = match.start()
        if cut <= start:
            continue
        if _ABBREV.search(text, max(start, cut - 12), cut):
            continue
        _add(text, start, cut, spans)
        start = match.end()
    _add(text, start, limit, spans)
    return spans


MAX_SENTENCE = 1500
"""Longer "sentences" (run-on text, HTML without spaces after periods) are cut at whitespace into chunks."""


def _add(text: str, start: int, end: int, spans: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        spans.append(Sentence(start, cut, text[start:cut]))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        spans.append(Sentence(start, end, text[start:end]))


def sentence_at(spans: list[Sentence], offset: int) -> Sentence | None:
    """The sentence containing `offset` (binary search)."""
    lo, hi = 0, len(spans) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        s = spans[mid]
        if offset < s.start:
            hi = mid - 1
        elif offset >= s.end:
            lo = mid + 1
        else:
            return s
    return None


