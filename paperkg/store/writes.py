"""Writing one paper into the store of record: what a write carries, and the rows it replaces and inserts (run
inside the caller's transaction)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from paperkg.core.identifiers import record_digest, record_source
from paperkg.core.ids import alias_norm, normalise_title
from paperkg.core.records import EntityInfo, Extraction, PaperInput
from paperkg.store import identity


@dataclass(frozen=True)
class PaperWrite:
    """Everything stored for one paper, computed before the write transaction starts."""

    id: str
    paper: PaperInput
    content_hash: str
    extraction: Extraction
    passages: tuple[tuple[int, int], ...]
    vectors: np.ndarray
    content: bool = True
    """False for a record a later one of its batch supersedes: only its row, ids, metadata and record are written."""


@dataclass(frozen=True)
class WriteOutcome:
    id: str
    title: str
    status: str
    """created, updated (new metadata or content, same abstract), unchanged, replaced (a different abstract), or
    superseded (a later record of the batch wrote the paper)."""


def content_status(before: tuple[str, str] | None, content_hash: str, abstract: str) -> str:
    """A write's status against what its paper held (`before`: content hash and abstract, None if not stored):
    created, updated (the same abstract) or replaced (another abstract)."""
    if before is None:
        return "created"
    return "updated" if content_hash == before[0] or abstract == before[1] else "replaced"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_paper(conn: sqlite3.Connection, item: PaperWrite, version: int, entities: dict[str, EntityInfo],
                rewrite: bool) -> WriteOutcome:
    """Store one paper inside the caller's transaction: its row (at data version `version`), entities, aliases,
    mentions, relations and passages, replacing what it had; left untouched when stored exactly as given, unless
    `rewrite`. A write without `content` writes the row, ids, metadata and record only."""
    content = item.content
    p, now = identity.fill_missing(conn, item.id, item.paper), _now()
    norm = normalise_title(p.title)
    holder = conn.execute("SELECT id FROM papers WHERE norm_title = ?", (norm,)).fetchone()
    if holder and holder[0] != item.id:  # another work of the same title ("Editorial"): store.matching let it in
        norm = f"{norm} [{item.id}]"
    old = conn.execute("SELECT content_hash, abstract, year, url, authors FROM papers WHERE id = ?",
                       (item.id,)).fetchone()
    status = content_status((old[0], old[1]) if old else None, item.content_hash, p.abstract)
    if old:
        same_meta = (old[2], old[3], json.loads(old[4])) == (p.year, p.url, list(p.authors)) and \
            not identity.changed(conn, item.id, p)
        if old[0] == item.content_hash and same_meta and not rewrite:
            return WriteOutcome(item.id, p.title, "unchanged")
        touched = [r[0] for r in conn.execute("SELECT DISTINCT entity_id FROM mentions WHERE paper_id = ?",
                                              (item.id,))] if content else []
        for table in ("mentions", "relations", "passages", "aliases") if content else ():
            conn.execute(f"DELETE FROM {table} WHERE paper_id = ?", (item.id,))
        conn.execute(
            "UPDATE papers SET norm_title=?, title=?, abstract=?, year=?, url=?, authors=?, content_hash=?, "
            "rev=?, origin=?, updated_at=? WHERE id=?",
            (norm, p.title, p.abstract, p.year, p.url, json.dumps(list(p.authors)),
             item.content_hash, version, p.origin, now, item.id))
    else:
        touched = []
        conn.execute(
            "INSERT INTO papers(id, norm_title, title, abstract, year, url, authors, content_hash, rev, origin,"
            " added_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
            (item.id, norm, p.title, p.abstract, p.year, p.url,
             json.dumps(list(p.authors)), item.content_hash, version, p.origin, now, now))
    if content:
        _write_content(conn, item, entities, touched)
    identity.write(conn, item.id, p)
    if not rewrite:  # a re-extraction writes what is stored, no record
        record = (item.id, record_source(item.paper), record_digest(item.paper))
        conn.execute("INSERT OR REPLACE INTO paper_records(paper_id, source, digest) VALUES(?,?,?)", record)
        conn.execute("INSERT OR IGNORE INTO applied_records(paper_id, source, digest) VALUES(?,?,?)", record)
    return WriteOutcome(item.id, p.title, status)


def _write_content(conn: sqlite3.Connection, item: PaperWrite, entities: dict[str, EntityInfo],
                   touched: list[str]) -> None:
    """The paper's entities, aliases, mentions, relations and passages (the old ones are deleted)."""
    for entity in item.extraction.entities:
        info = entities.get(entity.key) or EntityInfo(entity.name)
        conn.execute(
            "INSERT INTO entities(id, type, name, attrs) VALUES(?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
            "attrs = excluded.attrs WHERE excluded.attrs != '{}'",
            (entity.key, info.type or entity.type, info.name, json.dumps(info.attrs)))
        for alias in info.aliases:
            conn.execute("INSERT OR IGNORE INTO aliases(entity_id, alias, norm, paper_id) VALUES(?,?,?,NULL)",
                         (entity.key, alias, alias_norm(alias)))
        for alias in {entity.name, *entity.aliases}:
            conn.execute("INSERT OR IGNORE INTO aliases(entity_id, alias, norm, paper_id) VALUES(?,?,?,?)",
                         (entity.key, alias, alias_norm(alias), item.id))
        conn.executemany(
            "INSERT INTO mentions(paper_id, entity_id, field, start, end, surface) VALUES(?,?,?,?,?,?)",
            [(item.id, entity.key, m.field, m.start, m.end, m.text) for m in entity.mentions])
    conn.executemany(
        "INSERT INTO relations(paper_id, subject, predicate, object, factor, count, metric, hardware, "
        "confidence, sentence, field, start, end) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(item.id, r.subject, r.predicate, r.object, r.factor, r.count, r.metric, r.hardware, r.confidence,
          r.evidence.sentence, r.evidence.field, r.evidence.start, r.evidence.end)
         for r in item.extraction.relations])
    vectors = np.ascontiguousarray(item.vectors, dtype=np.float32)
    conn.executemany(
        "INSERT INTO passages(paper_id, ord, start, end, vector) VALUES(?,?,?,?,?)",
        [(item.id, i, s, e, vectors[i].tobytes()) for i, (s, e) in enumerate(item.passages)])
    collect_orphans(conn, touched)


def collect_orphans(conn: sqlite3.Connection, candidates: Iterable[str]) -> None:
    """Delete the candidate entities no mention or relation refers to any more."""
    conn.executemany(
        "DELETE FROM entities WHERE id = ? AND NOT EXISTS (SELECT 1 FROM mentions WHERE entity_id = entities.id)"
        " AND NOT EXISTS (SELECT 1 FROM relations WHERE object = entities.id OR hardware = entities.id)",
        [(c,) for c in candidates])
