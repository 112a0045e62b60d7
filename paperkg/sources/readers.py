"""Reading papers: the seed web-page dump, JSON Lines, and the checks every paper passes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from paperkg.core.errors import InvalidInput
from paperkg.core.ids import valid_paper_id
from paperkg.core.records import PaperInput

BOILERPLATE = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
    "Subscribe",
)
_GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?=\S)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TITLE_MAX_WORDS = 60
SOURCE_SUFFIXES = (".txt", ".jsonl", ".json", ".ndjson")


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, with directories expanded to the source files inside them (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SOURCE_SUFFIXES and p.is_file()))
        else:
            files.append(path)
    return files


def read_papers(path: Path) -> list[PaperInput]:
    """All papers in one file, JSON Lines or a title/abstract text dump, chosen by content."""
    text = _read_text(path)
    if not text.strip():
        raise InvalidInput(f"{path}: empty file, no papers in it")
    first = text.lstrip()[:1]
    papers = list(parse_jsonl(text, str(path)) if first == "{" else parse_dump(text, str(path)))
    if not papers:
        raise InvalidInput(f"{path}: no papers found")
    return papers


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a directory") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: not UTF-8 (byte 0x{data[error.start]:02x})") from None


def parse_dump(text: str, origin: str) -> Iterator[PaperInput]:
    """A page dump: each paper is a title line then an abstract line; page boilerplate is dropped."""
    pending: tuple[int, str] | None = None
    after_boilerplate = True
    for number, raw in enumerate(text.splitlines(), 1):
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


def parse_jsonl(text: str, origin: str) -> Iterator[PaperInput]:
    """JSON Lines: {"title", "abstract", optional "id", "year", "url", "authors"} per line."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"{where}: not JSON: {error.msg} (column {error.colno})") from None
        yield paper_from_mapping(obj, where)


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
    return PaperInput(title, abstract, pid, year, url, tuple(names), where)


def validate(paper: PaperInput, max_title: int, max_abstract: int) -> PaperInput:
    """The paper with surrounding whitespace trimmed, or InvalidInput naming what is wrong."""
    where = paper.origin or "paper"
    title, abstract = paper.title.strip(), paper.abstract.strip()
    if not title:
        raise InvalidInput(f"{where}: empty title")
    if not abstract:
        raise InvalidInput(f"{where}: title without an abstract: {title[:80]!r}")
    if len(title) > max_title:
        raise InvalidInput(f"{where}: title of {len(title):,} characters (limit {max_title:,})")
    if len(abstract) > max_abstract:
        raise InvalidInput(f"{where}: abstract of {len(abstract):,} characters (limit {max_abstract:,})")
    for name, value in (("title", title), ("abstract", abstract)):
        found = _CONTROL.search(value)
        if found:
            raise InvalidInput(f"{where}: control character U+{ord(found.group()):04X} in the {name}")
    if paper.id is not None and not valid_paper_id(paper.id):
        raise InvalidInput(f"{where}: id {paper.id[:40]!r} must be 1-128 letters, digits or . _ : - /")
    if paper.year is not None and not 1000 <= paper.year <= 3000:
        raise InvalidInput(f"{where}: year {paper.year} out of range")
    return replace(paper, title=title, abstract=abstract)
