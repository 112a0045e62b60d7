"""Semantic Scholar Graph API papers: one object, a JSON array (/paper/batch), or JSON Lines (datasets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperkg.core.identifiers import NORMALISERS, normalise_s2
from paperkg.core.records import PaperInput
from paperkg.sources.base import (
    Record,
    Skipped,
    abstract_of,
    as_dict,
    as_list,
    as_str,
    as_year,
    json_values,
    squash,
    unmarkup,
)

EXTERNAL_KINDS = {"ArXiv": "arxiv", "DOI": "doi", "MAG": "mag", "PubMed": "pmid", "PubMedCentral": "pmcid",
                  "CorpusId": "corpusid", "DBLP": "dblp", "ACL": "acl"}
"""`externalIds` keys and the id kinds they are stored under."""


def detect(first: Any) -> bool:
    """A paper, or a search or bulk page saved whole ({"total": ..., "data": [paper, ...]})."""
    if isinstance(first, dict) and isinstance(first.get("data"), list) and first["data"]:
        return detect(first["data"][0])
    return isinstance(first, dict) and ("paperId" in first or "externalIds" in first)


PAGE = ('"data"', '"paperId"')
"""A page too long to parse from the file's head: this key up front, this id marker in it."""


def read(path: Path) -> Iterator[Record]:
    for where, obj in json_values(path):
        if isinstance(obj, Skipped):
            yield obj
        elif isinstance(obj, dict) and isinstance(obj.get("data"), list):  # a search or bulk page saved whole
            yield from (record(item, f"{where} data[{i}]") for i, item in enumerate(obj["data"]))
        else:
            yield record(obj, where)


def record(obj: Any, where: str) -> Record:
    if obj is None:  # /paper/batch answers null for an id it does not know
        return Skipped(where, "empty", "null record (unknown paper)")
    if not isinstance(obj, dict):
        return Skipped(where, "bad", "expected a JSON object (a Semantic Scholar paper)")
    paper = normalise_s2(as_str(obj.get("paperId")) or as_str(obj.get("paperid")))
    if paper is None:
        return Skipped(where, "bad", f"'paperId' {obj.get('paperId')!r} is not a Semantic Scholar id")
    title, text = as_str(obj.get("title")), obj.get("abstract")
    if title is None:
        return Skipped(where, "bad", f"Semantic Scholar {paper}: no title")
    text = abstract_of(text, where, f"Semantic Scholar {paper}")
    if isinstance(text, Skipped):
        return text
    external: list[tuple[str, str]] = [("s2", paper)]
    doi = None
    ids = as_dict(obj.get("externalIds"))
    for key, value in ids.items():
        kind = EXTERNAL_KINDS.get(key, key.lower())
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            continue
        normalise = NORMALISERS.get(kind)
        normal = normalise(str(value)) if normalise else str(value).strip()
        if normal is None:
            continue
        if kind == "doi":
            doi = normal
        else:
            external.append((kind, normal))
    authors = as_list(obj.get("authors"))
    names = tuple(squash(a["name"]) for a in authors if isinstance(a, dict) and as_str(a.get("name")))
    fields = [f for f in as_list(obj.get("fieldsOfStudy")) if isinstance(f, str)]
    fields += [f["category"] for f in as_list(obj.get("s2FieldsOfStudy")) if isinstance(f, dict)
               and as_str(f.get("category"))]
    return PaperInput(
        title=unmarkup(title), abstract=unmarkup(text), year=as_year(obj.get("year")),
        url=as_str(obj.get("url")) or f"https://www.semanticscholar.org/paper/{paper}", authors=names,
        origin=where, venue=as_str(obj.get("venue")), categories=tuple(dict.fromkeys(fields)), doi=doi,
        external_ids=tuple(external))
