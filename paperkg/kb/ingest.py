"""Streaming ingest of source files: check every file in one streaming pass, then store in committed batches.

Two passes over the files, both in constant memory. The first parses and validates everything and counts it, so a
bad record in any file stops the run before anything is stored (unless `skip_bad`), and the second knows its total
for the progress bar. Parsing runs at tens of thousands of records a second, embedding at hundreds, so the extra
pass costs a few percent. The second pass stores `batch_size` papers per transaction: an interrupted run keeps every
committed batch and loses at most the one in flight, and a re-run finds the stored papers unchanged and skips them
before extraction and embedding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from paperkg.core.errors import InvalidInput
from paperkg.core.records import IngestRun, PaperInput
from paperkg.core.results import IngestedPaper, IngestReport
from paperkg.kb.prepare import Progress
from paperkg.sources import EVERYTHING, Slice, Tally, expand, scan

if TYPE_CHECKING:
    from paperkg.kb.base import KnowledgeBase


@dataclass(frozen=True)
class IngestOptions:
    """How files are read and stored."""

    fmt: str | None = None
    """A registered format name, or None to recognise each file by its content."""
    selection: Slice = EVERYTHING
    skip_bad: bool = False
    """Store the good records and report the bad; by default one bad record stores nothing."""
    batch_size: int = 1_000
    """Papers per committed transaction (and per embedding run)."""
    keep_outcomes: int = 10_000
    """Per-paper outcomes kept for the report; beyond this only counts are kept."""


@dataclass
class IngestSummary:
    """What an ingest read, skipped and stored."""

    tally: Tally
    statuses: Counter[str] = field(default_factory=Counter)
    version: int = 0
    stored: int = 0
    """Papers of committed batches (a batch is committed as a whole)."""
    papers: list[IngestedPaper] = field(default_factory=list)
    truncated: bool = False
    rejected: list[str] = field(default_factory=list)
    """"origin: reason" of each record the store rejected (with `skip_bad`); counted in `statuses`, not as bad
    records of the reading."""
    started: int | None = None
    """The data version the run started from."""

    @property
    def run(self) -> IngestRun:
        """The run, as the store's matching knows it."""
        return IngestRun(self.started)

    def record(self, outcome: IngestedPaper, keep: int) -> None:
        self.statuses[outcome.status] += 1
        if len(self.papers) < keep:
            self.papers.append(outcome)
        else:
            self.truncated = True

    def status_line(self) -> str:
        order = ("created", "updated", "replaced", "unchanged", "superseded", "rejected")
        return ", ".join(f"{self.statuses[s]:,} {s}" for s in order if self.statuses[s]) or "nothing stored"


T = TypeVar("T")
CHECK_STEP = 10_000
"""Records between two progress reports of the check pass."""


def check(files: Sequence[Path], options: IngestOptions, max_title: int, max_abstract: int,
          progress: Callable[[int], None] | None = None) -> Tally:
    """Parse and validate every file (streaming); InvalidInput at the first file with a bad record, unless
    `skip_bad`. The tally counts papers, records skipped by kind, and the first bad records' messages;
    `progress` gets the number of records read every CHECK_STEP records."""
    total = Tally()
    seen = 0
    for path in files:
        tally = Tally()
        for record in scan(path, options.fmt, options.selection, max_title, max_abstract):
            tally.add(record)
            total.add(record)
            seen += 1
            if progress and seen % CHECK_STEP == 0:
                progress(CHECK_STEP)
        if tally.bad_count and not options.skip_bad:
            more = f" ({tally.bad_count:,} bad records in {path}; --skip-bad stores the good ones)" \
                if tally.bad_count > 1 else ""
            raise InvalidInput(tally.bad[0] + more)
        if tally.papers == 0 and not tally.skipped:
            raise InvalidInput(f"{path}: no papers found")
    return total


def papers(files: Sequence[Path], options: IngestOptions, max_title: int, max_abstract: int) -> Iterator[PaperInput]:
    for path in files:
        for record in scan(path, options.fmt, options.selection, max_title, max_abstract):
            if isinstance(record, PaperInput):
                yield record


def batches(items: Iterable[PaperInput], size: int) -> Iterator[list[PaperInput]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ingest_files(kb: KnowledgeBase, sources: Iterable[Path], options: IngestOptions, checked: Tally | None = None,
                 on_start: Callable[[Tally], None] | None = None,
                 on_batch: Callable[[IngestSummary, int], None] | None = None,
                 progress: Progress | None = None) -> IngestSummary:
    """Check (unless `checked` is the tally of an earlier `check`), then store the files' papers batch by batch.
    `on_start` gets the tally, `on_batch` the summary so far and the batch size after each commit, `progress` the
    embedding progress within a batch."""
    files = expand(sources)
    limits = (kb.settings.max_title_chars, kb.settings.max_abstract_chars)
    summary = IngestSummary(checked or check(files, options, *limits), started=kb.store.version)
    if on_start:
        on_start(summary.tally)
    for chunk in batches(papers(files, options, *limits), options.batch_size):
        try:
            _store(kb, chunk, options, summary, progress)
        except InvalidInput as error:  # a conflict only the store sees: earlier batches stay, and say so
            if summary.stored:
                raise InvalidInput(f"{error.detail} (this batch was not stored; the {summary.stored:,} papers "
                                   "read before it were: a re-run skips them)") from error
            raise
        summary.stored += len(chunk)
        if on_batch:
            on_batch(summary, len(chunk))
    summary.version = summary.version or kb.store.version
    return summary


def _store(kb: KnowledgeBase, batch: list[PaperInput], options: IngestOptions, summary: IngestSummary,
           progress: Progress | None) -> None:
    commit(lambda items: kb.add_papers(items, progress, summary.run), batch, [p.origin for p in batch], options,
           summary)


def commit(add: Callable[[list[T]], IngestReport], batch: list[T], origins: Sequence[str], options: IngestOptions,
           summary: IngestSummary) -> None:
    """One committed batch: `add` stores a list of items. A paper only the store can find wrong (its id is one
    stored paper's, its title another's) fails the batch; with `skip_bad` the batch is stored item by item and that
    one is rejected (`origins` name the items in the report)."""
    try:
        reports = [add(batch)]
    except InvalidInput:
        if not options.skip_bad:
            raise
        reports = []
        for item, origin in zip(batch, origins, strict=True):
            try:
                reports.append(add([item]))
            except InvalidInput as error:
                summary.statuses["rejected"] += 1
                summary.rejected.append(f"{origin}: {error.detail.removeprefix(f'{origin}: ')}")
    for report in reports:
        summary.version = max(summary.version, report.version)
        for outcome in report.papers:
            summary.record(outcome, options.keep_outcomes)
