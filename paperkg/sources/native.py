"""paperkg's own formats: JSON Lines ({"title", "abstract", "id"?, ...}) and the seed page dump (title, abstract)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from paperkg.core.errors import InvalidInput
from paperkg.core.identifiers import normalise_doi
from paperkg.core.records import PaperInput
from paperkg.sources.base import Record, Skipped, json_lines, lines

BOILERPLATE = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
    "Subscribe",
)
_GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?=\S)")
_TITLE_MAX_WORDS = 60


def read_jsonl(path: Path) -> Iterator[Record]:
    for where, obj in json_lines(path):
        if isinstance(obj, Skipped):
            yield obj
            continue
        try:
            yield paper_from_mapping(obj, where)
        except InvalidInput as error:
            yield Skipped(where, "bad", error.detail.removeprefix(f"{where}: "))


def paper_from_mapping(obj: object, where: str) -> PaperInput:
    """A PaperInput from a decoded JSON object, with type errors named."""
    if not isinstance(obj, dict):
        raise InvalidInput(f"{where}: expected a JSON object with title and abstract")
    title, abstract = obj.get("title"), obj.get("abstract")
    if not isinstance(title, str):
        raise InvalidInput(f"{where}: 'title' must be a string")
    if not isinstance(abstract, str):
        raise InvalidInput(f"{where}: 'abstract' must be a string (title {title[:60]!r})")
    pid, year, url, authors = obj.get("id"), obj.get("year"), obj.get("url"), obj.get("authors") or []
    # Metadata comes in the shapes other tools write: numeric ids, "2021" years, [{"name": ...}] authors.
    if isinstance(pid, int) and not isinstance(pid, bool):
        pid = str(pid)
    if pid is not None and not isinstance(pid, str):
        raise InvalidInput(f"{where}: 'id' must be a string or an integer")
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year)
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        raise InvalidInput(f"{where}: 'year' must be an integer")
    if url is not None and not isinstance(url, str):
        raise InvalidInput(f"{where}: 'url' must be a string")
    found = [a.get("name") if isinstance(a, dict) else a for a in authors] if isinstance(authors, list) else [None]
    names = [a for a in found if isinstance(a, str)]
    if len(names) != len(found):
        raise InvalidInput(f"{where}: 'authors' must be a list of names (strings or {{\"name\": ...}} objects)")
    venue, doi, categories = _optional_str(obj, "venue", where), _optional_str(obj, "doi", where), \
        obj.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise InvalidInput(f"{where}: 'categories' must be a list of strings")
    if doi is not None and normalise_doi(doi) is None:
        raise InvalidInput(f"{where}: 'doi' {doi[:60]!r} is not a DOI (10.NNNN/...)")
    return PaperInput(title, abstract, pid, year, url, tuple(names), where, venue=venue,
                      categories=tuple(categories), doi=normalise_doi(doi))


def _optional_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{where}: {key!r} must be a string")
    return value or None


def read_dump(path: Path) -> Iterator[Record]:
    """The seed page dump, streamed: a title line then an abstract line per paper; page boilerplate dropped."""
    return parse_dump_lines(((n, line) for n, line in lines(path)), str(path))


def parse_dump(text: str, origin: str) -> Iterator[PaperInput]:
    """A page dump held in memory (its structure errors raise, as the dump has no record boundaries)."""
    for item in parse_dump_lines(enumerate(text.splitlines(), 1), origin):
        if isinstance(item, PaperInput):
            yield item


def parse_dump_lines(numbered: Iterator[tuple[int, str]], origin: str) -> Iterator[Record]:
    pending: tuple[int, str] | None = None
    after_boilerplate = True
    for number, raw in numbered:
        line = raw.strip()
        if not line:
            continue
        if line in BOILERPLATE:
            after_boilerplate = True
            continue
        if after_boilerplate:
            line = _GLUED_SUBSCRIBE.sub("", line)
            after_boilerplate = False
        if pending is None:
            if not _looks_like_title(line):
                raise InvalidInput(f"{origin}:{number}: expected a title line, found a paragraph")
            pending = (number, line)
            continue
        if _looks_like_title(line) and len(line) < 0.5 * len(pending[1]) + 40 and not line.endswith("."):
            raise InvalidInput(f"{origin}:{pending[0]}: title without an abstract: {pending[1][:80]!r}")
        yield PaperInput(title=pending[1], abstract=line, origin=f"{origin}:{pending[0]}")
        pending = None
    if pending is not None:
        raise InvalidInput(f"{origin}:{pending[0]}: title without an abstract: {pending[1][:80]!r}")


def _looks_like_title(line: str) -> bool:
    return len(line.split()) <= _TITLE_MAX_WORDS
