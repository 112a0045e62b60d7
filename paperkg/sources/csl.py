"""CSL-JSON, as Zotero, Mendeley and Pandoc export it: an array of items with `author`, `issued`, `DOI`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperkg.core.identifiers import normalise_arxiv, normalise_doi
from paperkg.core.records import PaperInput
from paperkg.sources.base import (
    Record,
    Skipped,
    abstract_of,
    as_str,
    as_year,
    delatex,
    json_values,
    person,
    squash,
    unmarkup,
)

_CSL_KEYS = ("issued", "container-title", "DOI", "URL", "citation-key")


def detect(first: Any) -> bool:
    if isinstance(first, dict) and isinstance(first.get("items"), list) and first["items"]:
        return detect(first["items"][0])  # {"items": [...]}, as some exports wrap them
    if not isinstance(first, dict) or "type" not in first:
        return False
    authors = first.get("author")
    named = isinstance(authors, list) and any(isinstance(a, dict) and ({"family", "given", "literal"} & a.keys())
                                             for a in authors)
    return named or any(key in first for key in _CSL_KEYS)


def read(path: Path) -> Iterator[Record]:
    for where, obj in json_values(path):
        if isinstance(obj, Skipped):
            yield obj
        elif isinstance(obj, dict) and isinstance(obj.get("items"), list):
            yield from (record(item, f"{where} items[{i}]") for i, item in enumerate(obj["items"]))
        else:
            yield record(obj, where)


def record(obj: Any, where: str) -> Record:
    if not isinstance(obj, dict):
        return Skipped(where, "bad", "expected a JSON object (a CSL item)")
    key = as_str(obj.get("citation-key")) or (str(obj["id"]) if isinstance(obj.get("id"), str | int) else None)
    label = f"item {key!r}" if key else "item"
    title, text = as_str(obj.get("title")), obj.get("abstract")
    if title is None:
        return Skipped(where, "bad", f"{label}: no title")
    text = abstract_of(text, where, label)
    if isinstance(text, Skipped):
        return text
    doi = normalise_doi(as_str(obj.get("DOI")))
    external: list[tuple[str, str]] = [("key", key)] if key else []
    for field in ("number", "URL", "archive_location"):
        arxiv = normalise_arxiv(as_str(obj.get(field)))
        if arxiv:
            external.append(("arxiv", arxiv))
            break
    keywords = as_str(obj.get("keyword"))
    return PaperInput(
        title=delatex(unmarkup(title)), abstract=unmarkup(text), year=_year(obj.get("issued")),
        url=as_str(obj.get("URL")), authors=_authors(obj.get("author")), origin=where,
        venue=as_str(obj.get("container-title")) or as_str(obj.get("event-title")),
        categories=tuple(k.strip() for k in keywords.split(",") if k.strip()) if keywords else (),
        doi=doi, external_ids=tuple(external))


def _authors(authors: Any) -> tuple[str, ...]:
    names: list[str] = []
    for author in authors if isinstance(authors, list) else []:
        if not isinstance(author, dict):
            continue
        literal = as_str(author.get("literal"))
        given, family = as_str(author.get("given")), as_str(author.get("family"))
        particle = " ".join(p for p in (as_str(author.get("non-dropping-particle")), family) if p) or None
        name = squash(literal) if literal else person(given, particle, as_str(author.get("suffix")))
        if name:
            names.append(name)
    return tuple(names)


def _year(issued: Any) -> int | None:
    """{'date-parts': [[2021, 6, 17]]} or {'raw': '2021-06-17'} -> 2021."""
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return as_year(parts[0][0])
    return as_year(issued.get("raw")) or as_year(issued.get("literal"))
