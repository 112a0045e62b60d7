"""The store of record's reads: papers, entities, aliases, mentions, relations and passages, one at a time or in
bulk (chunks of ids), over the connection the store hands out."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from paperkg.core.records import (
    Paper,
    PaperHead,
    PaperText,
    RelationHead,
    StoredEntity,
    StoredMention,
    StoredPassage,
    StoredRelation,
)
from paperkg.store import identity


class StoreReads:
    """What `Store` reads; `_db` is the connection of the calling thread (the store's read connection, or the
    pending write transaction's inside `Store.pending`)."""

    @property
    def _db(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _rows_in(self, head: str, ids: Sequence[str], tail: str = "") -> Iterator[Any]:
        """The rows of `<head> IN (<ids>)<tail>`, one query per 500 ids (SQLite's limit on parameters)."""
        for chunk in chunks(list(ids), 500):
            yield from self._db.execute(f"{head} IN ({','.join('?' * len(chunk))}){tail}", chunk)

    def count_papers(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])

    def has_papers(self) -> bool:
        """Whether any paper is stored (one row read, where counting reads them all)."""
        return self._db.execute("SELECT 1 FROM papers LIMIT 1").fetchone() is not None

    def paper_revs(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT id, rev FROM papers"))

    def paper(self, paper_id: str) -> Paper | None:
        rows = self.papers([paper_id])
        return rows[0] if rows else None

    def papers(self, ids: Sequence[str] | None = None, limit: int = -1, offset: int = 0) -> list[Paper]:
        cols, source = identity.PAPER_COLUMNS, identity.PAPER_FROM
        if ids is None:
            rows = self._db.execute(f"SELECT {cols} FROM {source} ORDER BY papers.added_at, papers.id LIMIT ? OFFSET ?",
                                    (limit, offset)).fetchall()
        else:
            found = {row[0]: _paper(row) for row in self._rows_in(f"SELECT {cols} FROM {source} WHERE papers.id", ids)}
            return [found[i] for i in ids if i in found]
        return [_paper(row) for row in rows]

    def iter_papers(self) -> Iterator[Paper]:
        cursor = self._db.execute(f"SELECT {identity.PAPER_COLUMNS} FROM {identity.PAPER_FROM}")
        for row in cursor:
            yield _paper(row)

    def paper_heads(self) -> Iterator[PaperHead]:
        """Every paper without its abstract, in storage order."""
        for row in self._db.execute("SELECT id, title, year FROM papers"):
            yield PaperHead(*row)

    def relation_heads(self) -> Iterator[RelationHead]:
        """Every relation without its evidence, in write order."""
        for row in self._db.execute("SELECT paper_id, subject, predicate, object, factor, count, metric, hardware, "
                                    "confidence FROM relations ORDER BY id"):
            yield RelationHead(*row)

    def mention_pairs(self) -> Iterator[tuple[str, str]]:
        """(paper id, entity id) for every entity a paper mentions, once each."""
        yield from self._db.execute("SELECT DISTINCT paper_id, entity_id FROM mentions")

    def entity(self, entity_id: str) -> StoredEntity | None:
        row = self._db.execute("SELECT id, type, name, attrs FROM entities WHERE id = ?", (entity_id,)).fetchone()
        return _entity(row) if row else None

    def entities(self, entity_type: str | None = None) -> list[StoredEntity]:
        sql, args = "SELECT id, type, name, attrs FROM entities", tuple[str, ...]()
        if entity_type:
            sql, args = sql + " WHERE type = ?", (entity_type,)
        return [_entity(row) for row in self._db.execute(sql + " ORDER BY id", args)]

    def entities_by_id(self, ids: Sequence[str]) -> dict[str, StoredEntity]:
        rows = self._rows_in("SELECT id, type, name, attrs FROM entities WHERE id", ids)
        return {row[0]: _entity(row) for row in rows}

    def aliases(self) -> Iterator[tuple[str, str]]:
        """(entity id, alias) pairs, distinct."""
        yield from self._db.execute("SELECT DISTINCT entity_id, alias FROM aliases")

    def entity_aliases(self, entity_id: str) -> list[str]:
        return self.aliases_of([entity_id])[entity_id]

    def aliases_of(self, entity_ids: Sequence[str]) -> dict[str, list[str]]:
        """The distinct aliases of each given entity, sorted (bulk). Every paper naming an entity adds alias rows,
        so a plain DISTINCT would read a row per paper; this walks the (entity, alias) index one distinct alias at a
        time instead: cost in distinct aliases, not in papers."""
        found: dict[str, list[str]] = {eid: [] for eid in entity_ids}
        for chunk in chunks(list(found), 500):
            values = ",".join("(?)" for _ in chunk)
            for entity_id, alias in self._db.execute(_DISTINCT_ALIASES.format(values=values), chunk):
                found[entity_id].append(alias)
        return found

    def mentions(self, paper_id: str | None = None) -> list[StoredMention]:
        if paper_id is None:
            return [StoredMention(*row) for row in self._db.execute(_MENTIONS)]
        return [StoredMention(*row) for row in
                self._db.execute(_MENTIONS + " WHERE paper_id = ? ORDER BY field, start", (paper_id,))]

    def mentions_of(self, paper_ids: Sequence[str]) -> dict[str, list[StoredMention]]:
        """The mentions of each given paper (bulk: one query per 500 papers)."""
        found: dict[str, list[StoredMention]] = {pid: [] for pid in paper_ids}
        for row in self._rows_in(_MENTIONS + " WHERE paper_id", paper_ids, " ORDER BY paper_id, field, start"):
            found[row[0]].append(StoredMention(*row))
        return found

    def relations(self, paper_id: str | None = None) -> list[StoredRelation]:
        rows = self._db.execute(_RELATIONS + " WHERE paper_id = ? ORDER BY id", (paper_id,)) if paper_id else \
            self._db.execute(_RELATIONS + " ORDER BY id")
        return [StoredRelation(*row) for row in rows]

    def relations_of(self, paper_ids: Sequence[str]) -> dict[str, list[StoredRelation]]:
        """The relations of each given paper (bulk: one query per 500 papers)."""
        found: dict[str, list[StoredRelation]] = {pid: [] for pid in paper_ids}
        for row in self._rows_in(_RELATIONS + " WHERE paper_id", paper_ids, " ORDER BY id"):
            found[row[0]].append(StoredRelation(*row))
        return found

    def relations_about(self, entity_id: str, outgoing: bool, limit: int) -> list[StoredRelation]:
        """Up to `limit` relations from (`outgoing`) or to the entity, oldest first."""
        column = "subject" if outgoing else "object"
        return [StoredRelation(*row) for row in
                self._db.execute(_RELATIONS + f" WHERE {column} = ? ORDER BY id LIMIT ?", (entity_id, limit))]

    def papers_mentioning(self, entity_id: str, limit: int, offset: int = 0) -> list[str]:
        """One page of the ids of the papers that mention the entity, in id order (read from an index)."""
        return [str(row[0]) for row in self._db.execute(
            "SELECT DISTINCT paper_id FROM mentions WHERE entity_id = ? ORDER BY paper_id LIMIT ? OFFSET ?",
            (entity_id, limit, offset))]

    def count_papers_mentioning(self, entity_id: str) -> int:
        return int(self._db.execute("SELECT COUNT(DISTINCT paper_id) FROM mentions WHERE entity_id = ?",
                                    (entity_id,)).fetchone()[0])

    def count_relations_about(self, entity_id: str, outgoing: bool) -> int:
        column = "subject" if outgoing else "object"
        return int(self._db.execute(f"SELECT COUNT(*) FROM relations WHERE {column} = ?", (entity_id,)).fetchone()[0])

    def first_passage(self) -> StoredPassage | None:
        """Any one stored passage (its vector gives the embedding dimension)."""
        row = self._db.execute(_PASSAGES + " LIMIT 1").fetchone()
        return StoredPassage(*row) if row else None

    def passage_spans(self, paper_id: str) -> list[tuple[int, int]]:
        rows = self._db.execute("SELECT start, end FROM passages WHERE paper_id = ? ORDER BY ord", (paper_id,))
        return [(int(a), int(b)) for a, b in rows]

    def passage_spans_of(self, paper_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        """`passage_spans` of several papers in one read (papers without passages are left out)."""
        found: dict[str, list[tuple[int, int]]] = {}
        for pid, a, b in self._rows_in("SELECT paper_id, start, end FROM passages WHERE paper_id", paper_ids,
                                       " ORDER BY paper_id, ord"):
            found.setdefault(pid, []).append((int(a), int(b)))
        return found

    def paper_texts(self, paper_ids: Sequence[str]) -> dict[str, PaperText]:
        """The `PaperText` of each given paper that is stored: what a search hit shows, without the rest of a
        `Paper` (authors, metadata, ids)."""
        rows = self._rows_in("SELECT id, title, abstract, year FROM papers WHERE id", paper_ids)
        return {row[0]: PaperText(*row) for row in rows}

    def passages(self, paper_ids: Sequence[str] | None = None) -> Iterator[StoredPassage]:
        """Stored passages in paper then passage order."""
        if paper_ids is None:
            for row in self._db.execute(_PASSAGES + " ORDER BY paper_id, ord"):
                yield StoredPassage(*row)
            return
        for row in self._rows_in(_PASSAGES + " WHERE paper_id", paper_ids, " ORDER BY paper_id, ord"):
            yield StoredPassage(*row)


_DISTINCT_ALIASES = """
WITH RECURSIVE ids(e) AS (VALUES {values}),
walk(e, a) AS (
  SELECT e, (SELECT MIN(alias) FROM aliases WHERE entity_id = ids.e) FROM ids
  UNION ALL
  SELECT e, (SELECT MIN(alias) FROM aliases WHERE entity_id = walk.e AND alias > walk.a) FROM walk WHERE a IS NOT NULL
)
SELECT e, a FROM walk WHERE a IS NOT NULL ORDER BY e, a"""
_MENTIONS = "SELECT paper_id, entity_id, field, start, end, surface FROM mentions"
_RELATIONS = ("SELECT paper_id, subject, predicate, object, factor, count, metric, hardware, confidence, "
              "sentence, field, start, end FROM relations")
_PASSAGES = "SELECT paper_id, ord, start, end, vector FROM passages"


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _paper(row: tuple[Any, ...]) -> Paper:
    ids = tuple((str(k), str(v)) for k, v in json.loads(row[11] or "[]"))
    return Paper(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])), row[6], row[7], row[8],
                 tuple(json.loads(row[9] or "[]")), row[10], ids)


def _entity(row: tuple[Any, ...]) -> StoredEntity:
    return StoredEntity(row[0], row[1], row[2], json.loads(row[3]))
