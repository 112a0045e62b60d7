"""Which stored paper a record is: matching by id, shared id and title, the re-run shortcut, and the plan of a
batch, read in order as batches of one would be. Functions over the connection the store hands out."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from paperkg.core.errors import InvalidInput
from paperkg.core.identifiers import other_work, other_work_id, record_digest, record_source
from paperkg.core.ids import content_hash, normalise_title
from paperkg.core.records import Extraction, IngestRun, PaperInput, PaperMatch, RecordPlan
from paperkg.store import identity
from paperkg.store.writes import PaperWrite, write_paper

log = logging.getLogger(__name__)
_NO_VECTORS = np.empty((0, 0), dtype=np.float32)
RECORDS_KEPT_SINCE = "records_kept_since"
"""Meta key: the data version at which a store upgraded from before schema 4 began keeping every record applied
(`applied_records`); a paper written before then may hold records an older release folded in unrecorded."""


def existing(conn: sqlite3.Connection, paper: PaperInput, pid: str) -> PaperMatch | None:
    """The stored paper this record updates: same id, a shared id, else same normalised title; for another work of
    a title already held, the id it is to be stored under with an empty content hash; None for a new paper (stored
    under `pid`). InvalidInput when its ids and its title name two papers."""
    norm = normalise_title(paper.title)
    row = conn.execute("SELECT id, content_hash, norm_title FROM papers WHERE id = ?", (pid,)).fetchone()
    own: tuple[str, str, str] | None = (row[0], row[1], row[2]) if row else None
    row = conn.execute("SELECT id, content_hash FROM papers WHERE norm_title = ?", (norm,)).fetchone()
    titled: tuple[str, str] | None = (row[0], row[1]) if row else None
    # the id of this title, held by a paper that has since been given another title: not this record's
    renamed = own is not None and not paper.id and own[2] != norm
    if renamed:
        own = None
    if own and titled and own[0] != titled[0]:
        raise InvalidInput(f"{paper.origin or 'paper'}: id {pid!r} exists, but its new title is that of "
                           f"paper {titled[0]!r}")
    # the same work from another source: a shared DOI, arXiv id, ...
    ids = identity.shared(paper, pid)
    shared = identity.match(conn, ids)
    if shared is not None and not (titled and titled[0] == shared) and identity.named_by_former_doi(conn, shared, ids):
        shared = None  # a DOI that paper's record gave up, on a record of another title: another work
    if own and paper.id:
        if shared is not None and shared != own[0]:  # the record would claim another paper's DOI
            raise InvalidInput(f"{paper.origin or 'paper'}: id {pid!r} exists, but it shares an id with "
                               f"paper {shared!r}")
        shared = None  # an own id that is stored wins
    if shared is not None:
        if titled and titled[0] != shared and not _other_work(conn, paper, pid, titled[0]):
            raise InvalidInput(f"{paper.origin or 'paper'}: shares an id with paper {shared!r}, but its "
                               f"title is that of paper {titled[0]!r}")
        row = conn.execute("SELECT id, content_hash, norm_title FROM papers WHERE id = ?", (shared,)).fetchone()
        own = (row[0], row[1], row[2]) if row else own
    if paper.id and not own:  # a new own id must not be a name another paper answers to (its arXiv id)
        named = identity.resolve(conn, pid)
        if named is not None and named != (titled[0] if titled else None):
            raise InvalidInput(f"{paper.origin or 'paper'}: id {pid!r} already names paper {named!r}")
    if shared is None and titled and not (own and paper.id) and _other_work(conn, paper, pid, titled[0]):
        # found by its title (or the id its title gives), but it is another work ("Editorial" of another
        # volume): stored beside it, under its own id, never over it
        return PaperMatch(pid if paper.id else other_work_id(paper), "")
    if own:
        return PaperMatch(own[0], own[1])
    if titled:
        return PaperMatch(titled[0], titled[1])
    # new; under the id of its title unless a retitled paper holds that one
    return PaperMatch(other_work_id(paper), "") if renamed else None


def _other_work(conn: sqlite3.Connection, paper: PaperInput, pid: str, stored: str) -> bool:
    """Whether the ids of `paper` prove it another work than the stored paper `stored` (core.identifiers)."""
    ids = conn.execute("SELECT kind, value FROM paper_ids WHERE paper_id = ?", (stored,))
    return other_work(identity.shared(paper, pid), ids) is not None


def applied(conn: sqlite3.Connection, paper: PaperInput, pid: str, run: IngestRun) -> str | None:
    """The id of the stored paper whose last record from this record's source was this very record, else None: a
    record of another source may have overwritten it since, and an ingest re-run applies neither again (an edited,
    or reverted, record is applied). A paper an earlier record of the run has written since it started is not left
    as it is by its source's last record alone: the input's order decides what it holds. (A record that would leave
    its paper as it is, same content and metadata, `plan` finds by writing it.)"""
    source, record = record_source(paper), record_digest(paper)
    # first: a paper this very record was last written to (before matching, which may since have turned into a
    # conflict: the paper was retitled by a later record of its work, and another now holds this title)
    named = [identity.resolve(conn, pid), identity.match(conn, identity.shared(paper, pid))]
    for held in dict.fromkeys(named):
        last = conn.execute("SELECT paper_records.digest, papers.rev FROM paper_records JOIN papers ON "
                            "papers.id = paper_records.paper_id WHERE paper_id = ? AND source = ?",
                            (held, source)).fetchone() if held else None
        if last and last[0] == record and (run.since is None or last[1] <= run.since):
            return held
    return None


def interim_write(pid: str, paper: PaperInput) -> PaperWrite:
    """The write of a record a later one of its batch supersedes: its row, ids, metadata and record, no content."""
    return PaperWrite(pid, paper, content_hash(paper.title, paper.abstract), Extraction([], []), (), _NO_VECTORS,
                      content=False)


def plan(conn: sqlite3.Connection, records: Sequence[tuple[PaperInput, str]], version: int,
         run: IngestRun | None) -> list[RecordPlan]:
    """What storing these (record, id) pairs does, each record matched after the ones before it are written, as
    batches of one would be: the caller runs this inside a transaction it rolls back, `version` being the data
    version the batch writes. With `run` (an ingest of files, which may be a re-run): a record `applied` finds
    applied already is left out. Raises InvalidInput for the first record whose ids and title name two papers."""
    plans: list[RecordPlan] = []
    before: dict[str, str] = {}  # paper -> its content hash before the batch ("" if new)
    last: dict[str, int] = {}  # paper -> the index of the batch's latest record that changed it
    created: dict[str, str] = {}  # paper this batch would create -> the record that would
    for index, (paper, pid) in enumerate(records):
        if run is not None and (held := applied(conn, paper, pid, run)) is not None:
            plans.append(RecordPlan(held, "unchanged", ""))
            continue
        try:
            found = existing(conn, paper, pid)
        except InvalidInput as error:
            held = _folded_before_upgrade(conn, paper, pid) if run is not None else None
            if held is None:
                upgraded = conn.execute("SELECT 1 FROM meta WHERE key = ?", (RECORDS_KEPT_SINCE,)).fetchone()
                hint = " (an older paperkg wrote this store and read batches otherwise: ingest the files into a " \
                    "new data directory to store them as this release reads them)" if upgraded else ""
                raise InvalidInput(_name_batch_papers(error.detail, created) + hint) from error
            log.warning("%s: taken as folded into paper %r by the older paperkg that wrote this store, and left out "
                        "(its ids are that paper's, its title another paper's); ingest into a new data directory to "
                        "read it as this release does", paper.origin or "a record", held)
            plans.append(RecordPlan(held, "unchanged", ""))
            continue
        target = found.id if found else pid
        if target not in before:
            row = conn.execute("SELECT content_hash FROM papers WHERE id = ?", (target,)).fetchone()
            before[target] = str(row[0]) if row else ""
            if not row:
                created[target] = paper.origin or f"record {index + 1} of the batch"
        # its ids, metadata and title, as the real write leaves them: what the next records are matched against
        outcome = write_paper(conn, interim_write(target, paper), version, {}, rewrite=False)
        if outcome.status == "unchanged":
            plans.append(RecordPlan(target, "unchanged", ""))
            continue
        if target in last:
            plans[last[target]] = replace(plans[last[target]], action="superseded")
        last[target] = index
        plans.append(RecordPlan(target, "write", before[target]))
    return plans


def _name_batch_papers(detail: str, created: dict[str, str]) -> str:
    """An error naming papers: one that only an earlier record of the failing batch would have created is stored
    nowhere (the batch is not stored), so it is named by that record."""
    for pid, origin in created.items():
        detail = detail.replace(f"paper {pid!r}", f"paper {pid!r} (of {origin}, earlier in this batch)")
    return detail


def _folded_before_upgrade(conn: sqlite3.Connection, paper: PaperInput, pid: str) -> str | None:
    """On a store an older release wrote: the paper that release folded this record into, unrecorded (a record
    of its batch that a later one of the same work superseded), which a re-run now finds in conflict. The paper holds
    every id the record gives and has not been written since the upgrade, and no record of this source is known."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (RECORDS_KEPT_SINCE,)).fetchone()
    ids = identity.shared(paper, pid)
    held = identity.match(conn, ids) if row and ids else None
    if held is None or conn.execute("SELECT 1 FROM applied_records WHERE source = ? LIMIT 1",
                                    (record_source(paper),)).fetchone():
        return None
    rev = conn.execute("SELECT rev FROM papers WHERE id = ?", (held,)).fetchone()
    stored = set(conn.execute("SELECT kind, value FROM paper_ids WHERE paper_id = ?", (held,)))
    return held if rev and rev[0] <= int(row[0]) and set(ids) <= stored else None
