"""BibTeX as reference managers export it, parsed by bibtexparser v2; LaTeX decoded by pylatexenc."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock

from paperkg.core.identifiers import normalise_arxiv, normalise_doi
from paperkg.core.records import PaperInput
from paperkg.sources.base import Record, Skipped, as_year, delatex, read_text, squash

VENUE_FIELDS = ("journal", "booktitle", "journaltitle", "eventtitle")
INHERITED = frozenset({*VENUE_FIELDS, "year", "date", "month", "publisher", "editor", "address", "location",
                       "organization", "series", "volume"})
"""Fields an entry takes from the entry it cross-references (`crossref`) when it lacks them."""
CONTAINERS = frozenset({"proceedings", "book", "collection", "mvproceedings", "mvbook", "mvcollection", "periodical"})
"""Entry types whose title is the venue of the entries that cross-reference them."""
_YEAR = re.compile(r"\d{4}")
SUFFIXES = (".bib", ".bibtex")
_ENTRY = re.compile(r"^[ \t]*@[A-Za-z]+[ \t]*[{(]", re.M)
# bibtexparser logs each block it cannot parse; paperkg reports them itself, with file and line
logging.getLogger("bibtexparser").setLevel(logging.ERROR)


def detect(text: str, suffixes: tuple[str, ...] = ()) -> bool:
    """An @entry before any JSON-looking start (a leading % comment is allowed); in a .bib file, an @entry at the
    start of any line of the head (Mendeley writes a plain-text header before the first one)."""
    stripped = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("%")).lstrip()
    if stripped.startswith("@"):
        return True
    return bool(suffixes) and suffixes[-1] in SUFFIXES and _ENTRY.search(text) is not None


def read(path: Path) -> Iterator[Record]:
    # no middlewares: values come raw, so that concatenation (`pre # {BERT}`) and crossref resolve as BibTeX does
    library = bibtexparser.parse_string(read_text(path), parse_stack=[])
    strings: dict[str, str] = {}
    for macro in library.strings:
        strings[macro.key.lower()] = resolve(str(macro.value), strings)
    fields_of = {entry.key.lower(): _fields(entry, strings) for entry in library.entries}
    types = {entry.key.lower(): entry.entry_type.lower() for entry in library.entries}
    for block in library.blocks:
        where = f"{path}:{(block.start_line or 0) + 1}"
        if isinstance(block, DuplicateBlockKeyBlock):
            yield Skipped(f"{where} ({block.key})", "bad", f"duplicate key {block.key!r}")
        elif isinstance(block, DuplicateFieldKeyBlock):
                key, fields = getattr(block.ignore_error_block, "key", "?"), ", ".join(sorted(block.duplicate_keys))
                yield Skipped(f"{where} ({key})", "bad", f"fields given twice: {fields}")
        elif isinstance(block, ParsingFailedBlock):
                reason = getattr(block.error, "abort_reason", None) or str(block.error) or type(block.error).__name__
                yield Skipped(where, "bad", f"not BibTeX: {reason.strip()}")
        elif isinstance(block, Entry):
            given = fields_of.get(block.key.lower(), {})
            target = given.get("crossref", "").strip().lower()
            if target and target != block.key.lower() and target in fields_of:
                given = {**_inherited(fields_of[target], types[target], given), **given}
            yield record(block.key, given, f"{where} ({block.key})")


def _inherited(parent: dict[str, str], kind: str, child: dict[str, str]) -> dict[str, str]:
    """What an entry (`child`) takes from the one it cross-references: where and when it appeared, never what names
    or says the work (title, abstract, DOI, eprint, URL, authors: those are the parent's own). A proceedings' or
    book's title is the child's booktitle. A venue or date the child gives itself, in any of its fields, stands."""
    found = {k: v for k, v in parent.items() if k in INHERITED}
    if kind in CONTAINERS and "title" in parent and "booktitle" not in parent:
        found["booktitle"] = parent["title"]
    if any(child.get(k) for k in VENUE_FIELDS):
        found = {k: v for k, v in found.items() if k not in VENUE_FIELDS}
    if child.get("year") or child.get("date"):
        found = {k: v for k, v in found.items() if k not in ("year", "date")}
    return found


def _fields(entry: Entry, strings: dict[str, str]) -> dict[str, str]:
    return {f.key.lower(): resolve(f.value, strings) for f in entry.fields if isinstance(f.value, str)}


def resolve(raw: str, strings: dict[str, str]) -> str:
    """A raw field value as BibTeX reads it: pieces joined by `#`, each a {braced} or "quoted" text, a number or an
    @string macro (lower-case keys; an unknown macro stays as its name)."""
    pieces: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, char in enumerate(raw if "#" in raw else ""):  # no '#': one piece, and no need to walk it
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            pieces.append(raw[start:i])
            start = i + 1
    pieces.append(raw[start:])
    out: list[str] = []
    for piece in (p.strip() for p in pieces):
        if len(piece) >= 2 and (piece[0], piece[-1]) in (("{", "}"), ('"', '"')):
            out.append(piece[1:-1])
        else:
            out.append(strings.get(piece.lower(), piece))
    return "".join(out)


def record(key: str, fields: dict[str, str], where: str) -> Record:
    title = delatex(squash(fields.get("title")))
    if not title:
        return Skipped(where, "bad", "no title")
    abstract = delatex(squash(fields.get("abstract")))
    if not abstract:
        return Skipped(where, "no-abstract", "no abstract")
    external: list[tuple[str, str]] = [("key", key)]
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "")).strip().lower()
    arxiv = normalise_arxiv(fields.get("eprint")) if prefix in ("arxiv", "") else None
    arxiv = arxiv or normalise_arxiv(fields.get("url")) or normalise_arxiv(fields.get("arxivid"))
    if arxiv:
        external.append(("arxiv", arxiv))
    categories = [c.strip() for c in fields.get("keywords", "").split(",") if c.strip()]
    if fields.get("primaryclass"):
        categories.insert(0, fields["primaryclass"].strip())
    year = _YEAR.search(fields.get("year", "") or fields.get("date", ""))
    venue = next((delatex(squash(fields[k])) for k in VENUE_FIELDS if fields.get(k)), None)
    return PaperInput(
        title=title, abstract=abstract, year=as_year(year.group()) if year else None,
        url=squash(fields.get("url")) or None, authors=_authors(fields.get("author", "")), origin=where,
        venue=venue, categories=tuple(dict.fromkeys(delatex(c) for c in categories)),
        doi=normalise_doi(fields.get("doi")), external_ids=tuple(external))


def _authors(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for raw in split_multiple_persons_names(squash(text)):
        try:
            name = parse_single_name_into_parts(raw, strict=False).merge_first_name_first
        except Exception:  # an unparseable name is kept as written rather than lost
            name = raw
        name = delatex(squash(name))
        if name and name.lower() != "others":
            names.append(name)
    return tuple(names)
