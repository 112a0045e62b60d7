"""The one registry of source formats: name, how it is recognised, and its streaming reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperkg.core.errors import InvalidInput
from paperkg.sources import arxiv, bibtex, csl, native, openalex, semantic_scholar
from paperkg.sources.base import Record, first_json, first_line_json, head

COMPRESSED_SUFFIXES = (".gz",)


@dataclass(frozen=True)
class Head:
    """What detection looks at: the decoded start of the file, its first JSON value, its suffixes."""

    text: str
    first: Any
    suffixes: tuple[str, ...]


@dataclass(frozen=True)
class SourceFormat:
    name: str
    description: str
    suffixes: tuple[str, ...]
    """File name endings that select this format when the content does not (".bib", ".csl.json")."""
    detect: Callable[[Head], bool]
    read: Callable[[Path], Iterator[Record]]


def _json_object(test: Callable[[Any], bool]) -> Callable[[Head], bool]:
    return lambda h: h.text[:1] in "[{" and test(h.first)


PAGE_KEY_WITHIN = 4096
"""How far into a saved API page its list's key must come (a page too long for the head is not parsed)."""


def _json_object_or_page(test: Callable[[Any], bool], page: tuple[str, str]) -> Callable[[Head], bool]:
    """`_json_object`, or, when the head holds no whole JSON value, a saved API page (its list's key near the start
    and the source's id marker in the head) or an array (the id marker near the start: its first record's id)."""
    key, marker = page
    whole = _json_object(test)

    def long_value(h: Head) -> bool:
        if h.first is not None:
            return False
        if h.text.startswith("{"):
            return key in h.text[:PAGE_KEY_WITHIN] and marker in h.text
        return h.text.startswith("[") and marker in h.text[:PAGE_KEY_WITHIN]

    return lambda h: whole(h) or long_value(h)


FORMATS: tuple[SourceFormat, ...] = (
    SourceFormat("bibtex", "BibTeX (reference managers, Google Scholar)", bibtex.SUFFIXES,
                 lambda h: bibtex.detect(h.text, h.suffixes), bibtex.read),
    SourceFormat("openalex", "OpenAlex works (API or snapshot JSON Lines)", (),
                 _json_object_or_page(openalex.detect, openalex.PAGE), openalex.read),
    SourceFormat("s2", "Semantic Scholar Graph API papers (object, array or JSON Lines)", (),
                 _json_object_or_page(semantic_scholar.detect, semantic_scholar.PAGE), semantic_scholar.read),
    SourceFormat("arxiv", "arXiv metadata snapshot (JSON Lines)", (), _json_object(arxiv.detect), arxiv.read),
    SourceFormat("csl", "CSL-JSON (Zotero, Mendeley, Pandoc)", (".csl.json", ".csljson"),
                 _json_object(csl.detect), csl.read),
    SourceFormat("jsonl", 'paperkg JSON Lines: {"title", "abstract", "id"?, "year"?, ...}',
                 (".jsonl", ".ndjson"), lambda h: h.text.startswith("{"), native.read_jsonl),
    SourceFormat("dump", "title/abstract text dump (the seed pages)", (".txt",), lambda h: h.text[:1] not in "[{",
                 native.read_dump),
)
"""In detection order: the first whose detector accepts the file's content reads it."""
BY_NAME = {f.name: f for f in FORMATS}
NAMES = tuple(BY_NAME)
SOURCE_SUFFIXES = (*dict.fromkeys(s for f in FORMATS for s in f.suffixes), ".json")


def suffixes(path: Path) -> tuple[str, ...]:
    """Lower-case suffixes without a compression suffix: 'refs.csl.json.gz' -> ('.csl', '.json')."""
    found = [s.lower() for s in path.suffixes]
    while found and found[-1] in COMPRESSED_SUFFIXES:
        found.pop()
    return tuple(found)


def detect(path: Path) -> SourceFormat:
    """The format of a file, by content first, then by name; InvalidInput when it is empty or unrecognised."""
    text = head(path).lstrip()
    if not text:
        raise InvalidInput(f"{path}: empty file, no papers in it")
    first = first_json(text) if text[:1] in "[{" else None
    if first is None and text[:1] == "{":  # a first JSON Lines record longer than the head
        first = first_line_json(path)
    probe = Head(text, first, suffixes(path))
    for source in FORMATS:
        if source.detect(probe):
            return source
    ending = "".join(probe.suffixes)
    for source in FORMATS:
        if source.suffixes and ending.endswith(source.suffixes):
            return source
    raise InvalidInput(f"{path}: cannot tell the format; give it with --format ({', '.join(NAMES)})")


def get(name: str) -> SourceFormat:
    try:
        return BY_NAME[name]
    except KeyError:
        raise InvalidInput(f"unknown format {name!r}; known: {', '.join(NAMES)}") from None
