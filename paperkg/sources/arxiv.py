"""The arXiv metadata snapshot (Kaggle / arXiv OAI dump): JSON Lines, hard-wrapped title and abstract."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperkg.core.identifiers import normalise_arxiv, normalise_doi
from paperkg.core.records import PaperInput
from paperkg.sources.base import (
    KEPT,
    PERCENT,
    Record,
    Skipped,
    abstract_of,
    as_str,
    delatex,
    json_lines,
    person,
    squash,
)

_YEAR_IN_DATE = re.compile(r"\b(\d{4})\b")
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.")
_OLD_ID = re.compile(r"/(\d{2})(\d{2})\d{3}$")


def detect(first: Any) -> bool:
    return isinstance(first, dict) and ("authors_parsed" in first or {"submitter", "versions"} <= first.keys())


def read(path: Path) -> Iterator[Record]:
    for where, obj in json_lines(path):
        yield obj if isinstance(obj, Skipped) else record(obj, where)


def record(obj: Any, where: str) -> Record:
    """One snapshot line as a paper."""
    if not isinstance(obj, dict):
        return Skipped(where, "bad", "expected a JSON object (an arXiv metadata record)")
    raw_id, title, abstract = obj.get("id"), obj.get("title"), obj.get("abstract")
    arxiv = normalise_arxiv(str(raw_id)) if isinstance(raw_id, str | int | float) else None
    if arxiv is None:
        return Skipped(where, "bad", f"'id' {raw_id!r} is not an arXiv id")
    if not isinstance(title, str) or not title.strip():
        return Skipped(where, "bad", f"arXiv {arxiv}: 'title' must be a non-empty string")
    abstract = abstract_of(abstract, where, f"arXiv {arxiv}")
    if isinstance(abstract, Skipped):
        return abstract
    categories = obj.get("categories")
    dois = obj.get("doi")
    doi = next((d for d in map(normalise_doi, dois.split()) if d), None) if isinstance(dois, str) else None
    return PaperInput(
        title=_title(title), abstract=squash(abstract), year=_year(obj, arxiv),
        url=f"https://arxiv.org/abs/{arxiv}", authors=_authors(obj), origin=where,
        venue=squash(as_str(obj.get("journal-ref"))) or None,
        categories=tuple(categories.split()) if isinstance(categories, str) else (),
        doi=doi, external_ids=(("arxiv", arxiv),))


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and all(isinstance(p, list) for p in parsed):
        names = [person(_part(p, 1), _part(p, 0), _part(p, 2)) for p in parsed]
        return tuple(n for n in names if n)
    text = as_str(obj.get("authors"))
    if text is None:
        return ()
    names = re.split(r",\s*|\s+and\s+", squash(text))
    return tuple(person(None, n) for n in names if n.strip())


def _part(parts: list[Any], index: int) -> str | None:
    return parts[index] if index < len(parts) and isinstance(parts[index], str) else None


_MATH = re.compile(r"(\$[^$]*\$)")


def _title(text: str) -> str:
    """arXiv keeps the authors' LaTeX (G\\"odel, \\emph{...}): a title is decoded as a BibTeX one is, so that the paper
    meets its record from another source, math left as written, a bare % kept as a percent sign. Abstracts are left
    as written: decoding one with math takes 1.5-2 ms (pylatexenc), ten times what a record may take at 5,000/s."""
    # math is kept verbatim: only the prose between is decoded, with its percent signs (escaped or not) set aside
    parts = _MATH.split(PERCENT.sub(KEPT, squash(text)))
    return "".join(part if i % 2 else _prose(part) for i, part in enumerate(parts)).replace(KEPT, "%")


def _prose(text: str) -> str:
    core = text.strip()
    return text[: len(text) - len(text.lstrip())] + delatex(core) + text[len(text.rstrip()):] if core else text


def _year(obj: dict[str, Any], arxiv: str) -> int | None:
    """Year of the first version, else of the id (2106.09685 -> 2021), else of the last update."""
    versions = obj.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        found = _YEAR_IN_DATE.search(str(versions[0].get("created", "")))
        if found:
            return int(found.group(1))
    found = _NEW_ID.match(arxiv) or _OLD_ID.search(arxiv)
    if found:
        yy = int(found.group(1))
        return 2000 + yy if yy < 91 else 1900 + yy
    updated = as_str(obj.get("update_date"))
    return int(updated[:4]) if updated and updated[:4].isdigit() else None
