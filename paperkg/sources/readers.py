"""Reading sources: files in (any registered format, gzip or not), validated `PaperInput` records out, streamed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from paperkg.core.errors import InvalidInput
from paperkg.core.identifiers import NORMALISERS, normalise_doi
from paperkg.core.ids import normalise_title, valid_paper_id
from paperkg.core.records import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS, PaperInput
from paperkg.core.text import FORBIDDEN_CHARS, forbidden_char
from paperkg.sources.base import Record, Skipped
from paperkg.sources.registry import SOURCE_SUFFIXES, detect, get, suffixes


@dataclass(frozen=True)
class Slice:
    """Which papers of a source to take: any of `categories` (a prefix before a dot counts: 'cs' takes 'cs.LG'),
    published in `since`..`until` (inclusive; a paper without a year is left out when either is set)."""

    categories: tuple[str, ...] = ()
    since: int | None = None
    until: int | None = None

    def accepts(self, paper: PaperInput) -> bool:
        if self.categories:
            wanted = {c.lower() for c in self.categories}
            have = {c.lower() for c in paper.categories}
            if not any(c in wanted or c.split(".", 1)[0] in wanted for c in have):
                return False
        if self.since is not None or self.until is not None:
            if paper.year is None:
                return False
            if self.since is not None and paper.year < self.since:
                return False
            if self.until is not None and paper.year > self.until:
                return False
        return True


EVERYTHING = Slice()


@dataclass
class Tally:
    """Counts of what a scan read and skipped, with the first bad records' messages."""

    keep_messages: int = 20
    papers: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)

    def add(self, record: Record) -> None:
        if isinstance(record, PaperInput):
            self.papers += 1
            return
        self.skipped[record.kind] += 1
        if record.kind == "bad" and len(self.bad) < self.keep_messages:
            self.bad.append(record.message)

    @property
    def bad_count(self) -> int:
        return self.skipped["bad"]

    def summary(self) -> str:
        parts = [f"{self.papers:,} papers"]
        labels = {"no-abstract": "without an abstract", "filtered": "outside the slice", "bad": "bad",
                  "empty": "empty"}
        parts += [f"{n:,} {labels[k]}" for k, n in sorted(self.skipped.items()) if n]
        return ", ".join(parts)


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, with directories expanded to the source files inside them (sorted; .gz included)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and _is_source(p)))
        else:
            files.append(path)
    return files


def _is_source(path: Path) -> bool:
    return "".join(suffixes(path)).endswith(SOURCE_SUFFIXES) and not path.name.startswith(".")


def scan(path: Path, fmt: str | None = None, selection: Slice = EVERYTHING, max_title: int = MAX_TITLE_CHARS,
         max_abstract: int = MAX_ABSTRACT_CHARS) -> Iterator[Record]:
    """Every record of one file, streamed: validated papers, and what was skipped and why. Errors that leave the
    rest of the file unreadable (missing, not UTF-8, broken gzip, a misaligned dump) raise InvalidInput."""
    source = get(fmt) if fmt else detect(path)
    for item in source.read(path):
        if isinstance(item, Skipped):
            yield item
            continue
        try:
            paper = validate(item, max_title, max_abstract)
        except InvalidInput as error:
            yield Skipped(item.origin, "bad", error.detail.removeprefix(f"{item.origin}: "))
            continue
        yield paper if selection.accepts(paper) else Skipped(paper.origin, "filtered")


def read_papers(path: Path, fmt: str | None = None) -> list[PaperInput]:
    """All papers of one file, in memory (for small files and tests); the first bad record raises InvalidInput."""
    papers: list[PaperInput] = []
    tally = Tally()
    for record in scan(path, fmt):
        tally.add(record)
        if isinstance(record, Skipped) and record.kind == "bad":
            raise InvalidInput(record.message)
        if isinstance(record, PaperInput):
            papers.append(record)
    if not papers:
        raise InvalidInput(f"{path}: no papers found ({tally.summary()})")
    return papers


def validate(paper: PaperInput, max_title: int, max_abstract: int) -> PaperInput:
    """The paper with surrounding whitespace trimmed, or InvalidInput naming what is wrong."""
    where = paper.origin or "paper"
    title, abstract = paper.title.strip(), paper.abstract.strip()
    if not title:
        raise InvalidInput(f"{where}: empty title")
    if not abstract:
        raise InvalidInput(f"{where}: title without an abstract: {title[:80]!r}")
    if not normalise_title(title):  # papers are told apart by their titles' words: "🙂" and "???" would be one
        raise InvalidInput(f"{where}: title {title[:80]!r} has no letters or digits")
    if len(title) > max_title:
        raise InvalidInput(f"{where}: title of {len(title):,} characters (limit {max_title:,})")
    if len(abstract) > max_abstract:
        raise InvalidInput(f"{where}: abstract of {len(abstract):,} characters (limit {max_abstract:,})")
    texts = [("title", title), ("abstract", abstract), ("url", paper.url or ""), ("venue", paper.venue or ""),
             *(("authors", author) for author in paper.authors), *(("categories", c) for c in paper.categories)]
    for name, value in texts:
        bad = forbidden_char(value)
        if bad:
            raise InvalidInput(f"{where}: {bad} in the {name}")
    if paper.id is not None and not valid_paper_id(paper.id):
        raise InvalidInput(f"{where}: id {paper.id[:40]!r} must be 1-128 letters, digits or . _ : - /, start with a "
                           "letter or digit, and neither end in / or /similar nor hold a . or .. segment")
    if paper.year is not None and not 1000 <= paper.year <= 3000:
        raise InvalidInput(f"{where}: year {paper.year} out of range")
    doi = normalise_doi(paper.doi) if paper.doi else None
    if paper.doi and doi is None:
        raise InvalidInput(f"{where}: doi {paper.doi[:60]!r} is not a DOI (10.NNNN/...)")
    external = tuple((kind, _external_id(kind, value, where)) for kind, value in paper.external_ids)
    authors = tuple(name for author in paper.authors if (name := author.strip()))  # "" or "  " names no one
    if (paper.title, paper.abstract, paper.doi, paper.external_ids, paper.authors) == \
            (title, abstract, doi, external, authors):
        return paper
    return replace(paper, title=title, abstract=abstract, doi=doi, external_ids=external, authors=authors)


def _external_id(kind: str, value: str, where: str) -> str:
    """The id in its normal form (DOI, arXiv, OpenAlex, S2 kinds), or InvalidInput."""
    if not value or len(value) > 256 or FORBIDDEN_CHARS.search(value):
        raise InvalidInput(f"{where}: {kind} id {value[:40]!r} is empty, too long or has control characters")
    normalise = NORMALISERS.get(kind)
    normal = normalise(value) if normalise else value.strip()
    if not normal:
        raise InvalidInput(f"{where}: {value[:60]!r} is not a valid {kind} id")
    return normal
