"""OpenAlex works (API results or the snapshot's JSON Lines); the abstract is rebuilt from its inverted index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperkg.core.identifiers import normalise_arxiv, normalise_doi, normalise_openalex
from paperkg.core.records import PaperInput
from paperkg.sources.base import Record, Skipped, as_dict, as_list, as_str, as_year, json_values, squash, unmarkup

MAX_CONCEPT_LEVEL = 1
"""Concepts up to this level (0: 'Computer science', 1: 'Artificial intelligence') become categories."""


def detect(first: Any) -> bool:
    """A work, or an API page of works saved whole ({"meta": ..., "results": [work, ...]})."""
    if not isinstance(first, dict):
        return False
    results = first.get("results")
    if isinstance(results, list):
        return detect(results[0]) if results else "meta" in first  # an API page, maybe one past the last
    work_id = first.get("id")
    # a work flattened to paperkg's own records ({"id": "https://openalex.org/W...", "abstract": "..."}) is not one
    return "abstract_inverted_index" in first or (isinstance(work_id, str) and "openalex.org/W" in work_id
                                                  and not isinstance(first.get("abstract"), str))


PAGE = ('"results"', "openalex.org/W")
"""An API page too long to parse from the file's head: this key up front, this id marker in it."""


def read(path: Path) -> Iterator[Record]:
    for where, obj in json_values(path):
        if isinstance(obj, Skipped):
            yield obj
        elif isinstance(obj, dict) and isinstance(obj.get("results"), list):  # one API page saved whole
            yield from (record(item, f"{where} results[{i}]") for i, item in enumerate(obj["results"]))
        else:
            yield record(obj, where)


def abstract(index: Any) -> str | None:
    """{'An': [0], 'important': [1], ...} -> 'An important ...'; None when malformed."""
    if not isinstance(index, dict):
        return None
    words: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            return None
        for position in positions:
            if not isinstance(position, int):
                return None
            words[position] = word
    return " ".join(words[i] for i in sorted(words))


def record(obj: Any, where: str) -> Record:
    if obj is None:
        return Skipped(where, "empty", "null record")
    if not isinstance(obj, dict):
        return Skipped(where, "bad", "expected a JSON object (an OpenAlex work)")
    work = normalise_openalex(as_str(obj.get("id")))
    if work is None:
        return Skipped(where, "bad", f"'id' {obj.get('id')!r} is not an OpenAlex work id (W...)")
    title = as_str(obj.get("title")) or as_str(obj.get("display_name"))
    if title is None:
        return Skipped(where, "bad", f"OpenAlex {work}: no title")
    index = obj.get("abstract_inverted_index")
    text = abstract(index)
    if index is not None and text is None:
        return Skipped(where, "bad", f"OpenAlex {work}: malformed 'abstract_inverted_index'")
    if not text or not text.strip():
        return Skipped(where, "no-abstract", f"OpenAlex {work}: no abstract")
    ids = as_dict(obj.get("ids"))
    doi = normalise_doi(as_str(obj.get("doi")) or as_str(ids.get("doi")))
    external: list[tuple[str, str]] = [("openalex", work)]
    for key in ("mag", "pmid", "pmcid"):
        value = ids.get(key)
        if isinstance(value, str | int) and str(value).strip():
            external.append((key, str(value).rsplit("/", 1)[-1]))
    primary = as_dict(obj.get("primary_location"))
    locations = [as_dict(loc) for loc in as_list(obj.get("locations"))]
    for location in [primary, *locations]:
        arxiv = normalise_arxiv(as_str(location.get("landing_page_url")))
        if arxiv and ("arxiv", arxiv) not in external:
            external.append(("arxiv", arxiv))
    source = as_dict(primary.get("source"))
    return PaperInput(
        title=unmarkup(title), abstract=unmarkup(text), year=as_year(obj.get("publication_year")),
        url=as_str(primary.get("landing_page_url")) or (f"https://doi.org/{doi}" if doi else None),
        authors=_authors(obj.get("authorships")), origin=where, venue=as_str(source.get("display_name")),
        categories=_categories(obj), doi=doi, external_ids=tuple(external))


def _authors(authorships: Any) -> tuple[str, ...]:
    names: list[str] = []
    for item in authorships if isinstance(authorships, list) else []:
        author = item.get("author") if isinstance(item, dict) else None
        name = as_str(author.get("display_name")) if isinstance(author, dict) else None
        name = name or (as_str(item.get("raw_author_name")) if isinstance(item, dict) else None)
        if name:
            names.append(squash(name))
    return tuple(names)


def _categories(obj: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    topic = obj.get("primary_topic")
    if isinstance(topic, dict):
        for key in ("field", "subfield"):
            part = topic.get(key)
            if isinstance(part, dict) and as_str(part.get("display_name")):
                found.append(part["display_name"])
    for concept in as_list(obj.get("concepts")):
        if isinstance(concept, dict) and isinstance(concept.get("level"), int) and \
                concept["level"] <= MAX_CONCEPT_LEVEL and as_str(concept.get("display_name")):
            found.append(concept["display_name"])
    return tuple(dict.fromkeys(found))
