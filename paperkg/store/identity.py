"""Identity of stored papers: every external id (kind, value) that resolves to a paper, and the bibliographic
metadata beyond the papers table (venue, categories, DOI). Functions over a connection, called by the Store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import replace

from paperkg.core.identifiers import LOCAL_KINDS, IdPair, candidates, id_pairs, is_publisher_doi, telling
from paperkg.core.records import PaperInput

PAPER_COLUMNS = ("papers.id, papers.title, papers.abstract, papers.year, papers.url, papers.authors, "
                 "papers.content_hash, papers.rev, paper_meta.venue, paper_meta.categories, paper_meta.doi, "
                 "(SELECT json_group_array(json_array(kind, value)) FROM paper_ids WHERE paper_id = papers.id)")
PAPER_FROM = "papers LEFT JOIN paper_meta ON paper_meta.paper_id = papers.id"
"""Column list and FROM clause that read a Paper with its metadata and ids."""


def pairs(paper: PaperInput, pid: str) -> list[IdPair]:
    """The ids stored for `paper` under `pid` (its own id only when it is not the paper id itself)."""
    return id_pairs(paper.id if paper.id and paper.id != pid else None, paper.doi, paper.external_ids)


def shared(paper: PaperInput, pid: str) -> list[IdPair]:
    """The ids by which `paper` is the same work as a stored paper (not file-local ones such as citation keys), the
    most telling first: a record of a work is matched by its OpenAlex or arXiv id before its DOI, which the work may
    have given up to another."""
    return sorted((pair for pair in pairs(paper, pid) if pair[0] not in LOCAL_KINDS), key=telling)


def match(conn: sqlite3.Connection, ids: Iterable[IdPair]) -> str | None:
    """The stored paper holding any of these ids, the first that one holds, else None; also a paper whose own id is
    one of them (a record stored as {"id": "2305.11111"} is the paper the arXiv snapshot names 2305.11111)."""
    ids = list(ids)
    for kind, value in ids:
        row = conn.execute("SELECT paper_id FROM paper_ids WHERE kind = ? AND value = ?", (kind, value)).fetchone()
        if row:
            return str(row[0])
    for kind, value in ids:
        row = conn.execute("SELECT id FROM papers WHERE id = ?", (value,)).fetchone() if kind != "own" else None
        if row:
            return str(row[0])
    return None


def resolve(conn: sqlite3.Connection, text: str) -> str | None:
    """The paper an id typed by anyone names: a paper id, any spelling of a DOI or arXiv id, an OpenAlex or
    Semantic Scholar id, an own id, a citation key, or any other stored id; surrounding whitespace is no part of it."""
    text = text.strip()
    row = conn.execute("SELECT id FROM papers WHERE id = ?", (text,)).fetchone()
    if row:
        return str(row[0])
    found = match(conn, candidates(text))
    if found:
        return found
    row = conn.execute("SELECT paper_id FROM paper_ids WHERE value = ? ORDER BY kind LIMIT 1", (text,)).fetchone()
    return str(row[0]) if row else None


def _merged_meta(conn: sqlite3.Connection, pid: str, paper: PaperInput) -> tuple[tuple[object, ...], bool]:
    """(venue, categories JSON, doi) after this write (a venue or DOI the new record lacks is kept, categories
    accumulate), and whether it differs from what is stored."""
    row = conn.execute("SELECT venue, categories, doi FROM paper_meta WHERE paper_id = ?", (pid,)).fetchone()
    old = (row[0], row[1], row[2]) if row else (None, "[]", None)
    categories = list(dict.fromkeys([*json.loads(old[1]), *paper.categories]))  # the union over all sources
    new = (paper.venue or old[0], json.dumps(categories), paper.doi or old[2])
    return new, new != old


def changed(conn: sqlite3.Connection, pid: str, paper: PaperInput) -> bool:
    """Whether storing `paper` under `pid` would add an id or change its venue, categories or DOI."""
    known = set(conn.execute("SELECT kind, value FROM paper_ids WHERE paper_id = ?", (pid,)))
    return not set(pairs(paper, pid)) <= known or _merged_meta(conn, pid, paper)[1]


def named_by_former_doi(conn: sqlite3.Connection, pid: str, ids: Iterable[IdPair]) -> bool:
    """Whether, of `ids`, the stored paper `pid` holds only DOIs that are not its DOI any more (its record has since
    given another; arXiv DOIs aside, which name the arXiv id too): such a DOI is weak evidence of the same work."""
    held = [(kind, value) for kind, value in ids
            if (row := conn.execute("SELECT paper_id FROM paper_ids WHERE kind = ? AND value = ?",
                                    (kind, value)).fetchone()) and row[0] == pid]
    if not held or any(kind != "doi" or not is_publisher_doi(value) for kind, value in held):
        return False
    row = conn.execute("SELECT doi FROM paper_meta WHERE paper_id = ?", (pid,)).fetchone()
    # its DOI now is another publisher's DOI (an arXiv DOI a preprint record gave says nothing of the old one)
    return bool(row) and is_publisher_doi(row[0]) and all(value != row[0] for _, value in held)


def write(conn: sqlite3.Connection, pid: str, paper: PaperInput) -> None:
    """Add the paper's ids (an id already held by another paper keeps pointing there, unless it is a DOI that paper
    no longer carries and this one does: it now names this paper) and merge its metadata."""
    if is_publisher_doi(paper.doi):
        row = conn.execute("SELECT paper_ids.paper_id, paper_meta.doi FROM paper_ids LEFT JOIN paper_meta ON "
                           "paper_meta.paper_id = paper_ids.paper_id WHERE kind = 'doi' AND value = ?",
                           (paper.doi,)).fetchone()
        if row and row[0] != pid and row[1] != paper.doi and is_publisher_doi(row[1]):
            conn.execute("UPDATE paper_ids SET paper_id = ? WHERE kind = 'doi' AND value = ?", (pid, paper.doi))
    conn.executemany("INSERT OR IGNORE INTO paper_ids(kind, value, paper_id) VALUES(?,?,?)",
                     [(kind, value, pid) for kind, value in pairs(paper, pid)])
    meta, differs = _merged_meta(conn, pid, paper)
    if differs:
        conn.execute("INSERT INTO paper_meta(paper_id, venue, categories, doi) VALUES(?,?,?,?) ON CONFLICT(paper_id) "
                     "DO UPDATE SET venue = excluded.venue, categories = excluded.categories, doi = excluded.doi",
                     (pid, *meta))


def fill_missing(conn: sqlite3.Connection, pid: str, paper: PaperInput) -> PaperInput:
    """`paper` with the stored year, URL and authors where it has none: a second source that lacks them (a CSL
    item without a date, an S2 record without a URL) does not erase what the first one gave."""
    if paper.year is not None and paper.url and paper.authors:
        return paper
    row = conn.execute("SELECT year, url, authors FROM papers WHERE id = ?", (pid,)).fetchone()
    if row is None:
        return paper
    return replace(paper, year=paper.year if paper.year is not None else row[0], url=paper.url or row[1],
                   authors=paper.authors or tuple(json.loads(row[2])))


def papers_in(conn: sqlite3.Connection, since: int | None, until: int | None, category: str | None) -> set[str]:
    """Ids of the papers published in since..until (inclusive) and in `category` ('cs' takes 'cs.LG')."""
    rows = conn.execute(
        f"SELECT papers.id FROM {PAPER_FROM} WHERE (?1 IS NULL OR papers.year >= ?1)"
        " AND (?2 IS NULL OR papers.year <= ?2)"
        " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(COALESCE(paper_meta.categories, '[]')) AS c"
        " WHERE lower(c.value) = lower(?3) OR lower(c.value) LIKE lower(?3) || '.%'))", (since, until, category))
    return {str(row[0]) for row in rows}


def years_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
    """The publication year of each given paper that has one."""
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update((str(pid), int(year)) for pid, year in
                     conn.execute(f"SELECT id, year FROM papers WHERE year IS NOT NULL AND id IN ({marks})", chunk))
    return found
