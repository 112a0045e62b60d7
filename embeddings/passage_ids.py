"""The dense index's id map in numpy arrays: paper -> its passages' vector ids, vector id -> (paper, ordinal).

A paper's passages get consecutive vector ids, so a paper is a row (first id, count, |sum of its vectors|) and a
vector id maps to its row through one int32 array: about 30 bytes per paper and 4 per vector id ever given out,
where dicts of tuples took several hundred.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from itertools import chain
from typing import Any

import numpy as np

from paperkg.core.errors import CorruptData


class PassageIds:
    """Papers' contiguous vector id ranges, and the owner of each live vector id."""

    def __init__(self) -> None:
        self._row: dict[str, int] = {}
        self._pid: list[str | None] = []
        self._free: list[int] = []
        self._first: np.ndarray = np.zeros(0, np.int64)
        self._count: np.ndarray = np.zeros(0, np.int32)
        self._norm: np.ndarray = np.zeros(0, np.float64)
        self._owner: np.ndarray = np.zeros(0, np.int32)
        """Row of each vector id, -1 when the id is not live."""
        self.live = 0
        """Live vector ids."""

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._row

    def papers(self) -> list[str]:
        return list(self._row)

    def ids(self, paper_id: str) -> np.ndarray:
        """Vector ids of one paper's passages in passage order; KeyError if absent."""
        row = self._row[paper_id]
        return np.arange(self._first[row], self._first[row] + self._count[row], dtype=np.int64)

    def ids_many(self, paper_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vector ids of several papers (each in passage order, papers in the order given) and their counts."""
        rows = np.fromiter((self._row[p] for p in paper_ids), dtype=np.int64, count=len(paper_ids))
        counts = self._count[rows].astype(np.int64)
        starts = np.concatenate([np.zeros(1, np.int64), np.cumsum(counts)[:-1]])
        return np.repeat(self._first[rows] - starts, counts) + np.arange(int(counts.sum()), dtype=np.int64), counts

    def sum_norms(self, paper_ids: list[str]) -> np.ndarray:
        return np.array([self._norm[self._row[p]] for p in paper_ids], dtype=np.float64)

    def add(self, paper_id: str, first: int, count: int, sum_norm: float) -> None:
        """A paper (not present) whose passages have ids first .. first + count - 1."""
        paper_id = sys.intern(paper_id)
        if self._free:
            row = self._free.pop()
        else:
            row = len(self._pid)
            self._pid.append(None)
            if row >= len(self._first):
                size = max(16, 2 * row)
                self._first = np.resize(self._first, size).astype(np.int64)
                self._count = np.resize(self._count, size).astype(np.int32)
                self._norm = np.resize(self._norm, size).astype(np.float64)
        self._row[paper_id], self._pid[row] = row, paper_id
        self._first[row], self._count[row], self._norm[row] = first, count, sum_norm
        end = first + count
        if end > len(self._owner):
            grown = np.full(max(end, 2 * len(self._owner)), -1, np.int32)
            grown[: len(self._owner)] = self._owner
            self._owner = grown
        self._owner[first:end] = row
        self.live += count

    def remove(self, paper_id: str) -> np.ndarray:
        """Drop a paper (KeyError if absent); returns its vector ids."""
        ids = self.ids(paper_id)
        row = self._row.pop(paper_id)
        self._pid[row] = None
        self._free.append(row)
        self._owner[ids] = -1
        self.live -= len(ids)
        return ids

    def is_live(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self._owner))
        live = np.zeros(len(ids), dtype=bool)
        live[inside] = self._owner[ids[inside]] >= 0
        return live

    def live_ids(self) -> np.ndarray:
        return np.flatnonzero(self._owner >= 0).astype(np.int64)

    def owners(self, ids: Iterable[int]) -> list[tuple[str, int] | None]:
        """(paper id, passage ordinal) of each vector id, None for ids that are not live."""
        vids = np.fromiter(ids, dtype=np.int64)
        rows = np.full(len(vids), -1, dtype=np.int64)
        inside = (vids >= 0) & (vids < len(self._owner))
        rows[inside] = self._owner[vids[inside]]
        ords = vids - self._first[np.maximum(rows, 0)] if len(self._first) else vids
        pids = self._pid
        return [(pid, ordinal) if row >= 0 and (pid := pids[row]) is not None else None
                for row, ordinal in zip(rows.tolist(), ords.tolist(), strict=True)]

    def papers_of(self, ids: np.ndarray) -> list[str]:
        """The papers owning the live ones of `ids`, each once, in the order of its first id (`owners`, deduplicated
        without a tuple per id)."""
        vids = np.asarray(ids, dtype=np.int64)
        rows = np.full(len(vids), -1, dtype=np.int64)
        inside = (vids >= 0) & (vids < len(self._owner))
        rows[inside] = self._owner[vids[inside]]
        rows = rows[rows >= 0]
        _, first = np.unique(rows, return_index=True)
        pids = self._pid
        return [pid for row in rows[np.sort(first)].tolist() if (pid := pids[row]) is not None]

    # -- files: the JSON id map of format paperkg-dense/1 ----------------------------------------------------------

    def to_json(self) -> tuple[dict[str, list[int]], dict[str, float]]:
        """{paper: [vector ids]} and {paper: |sum of its vectors|}."""
        papers = {pid: self.ids(pid).tolist() for pid in self._row}
        return papers, {pid: float(self._norm[row]) for pid, row in self._row.items()}

    @classmethod
    def from_json(cls, papers: dict[str, Any], sum_norms: dict[str, Any]) -> PassageIds:
        """The map of `to_json`; CorruptData unless every paper's ids are consecutive and owned once."""
        index = cls()
        pids = [sys.intern(str(pid)) for pid in papers]  # interned: the graph and BM25 hold the same strings
        lists = list(papers.values())
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        if bool(np.any(counts == 0)):
            raise CorruptData("dense id map: a paper without vector ids")
        flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
        starts = np.concatenate([np.zeros(1, np.int64), np.cumsum(counts)[:-1]])
        first = flat[starts] if len(flat) else np.zeros(0, np.int64)
        consecutive = np.repeat(first - starts, counts) + np.arange(len(flat))
        if not np.array_equal(flat, consecutive) or (len(flat) and int(flat.min()) < 0):
            raise CorruptData("dense id map: a paper's vector ids are not consecutive")
        rows = np.repeat(np.arange(len(pids), dtype=np.int32), counts)
        owner = np.full(int(flat.max()) + 1 if len(flat) else 0, -1, np.int32)
        owner[flat] = rows
        if int(np.count_nonzero(owner >= 0)) != len(flat) or len(set(pids)) != len(pids):
            raise CorruptData("dense id map: a vector id or a paper is listed twice")
        index._row = {pid: row for row, pid in enumerate(pids)}
        index._pid = list[str | None](pids)
        index._first, index._count = first.copy(), counts.astype(np.int32)
        index._norm = np.array([float(sum_norms[pid]) for pid in papers], dtype=np.float64)
        index._owner, index.live = owner, len(flat)
        return index
