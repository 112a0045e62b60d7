"""Staged HNSW inserts: a write's vectors go into the graph ahead of the write's lock hold, a chunk per short hold.

An HNSW insert costs about 50 us a vector at a few thousand and more as the graph grows, and searches may not run
during one, so a 1,000-paper write's inserts held readers out for over 70 ms at 4,000 papers
(`bench/lock_hold.py`). Staged vectors are inserted under several short holds, left out of searches by an id-range
selector, and made live by the write's `add_many`, which then only registers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

Batch = list[tuple[str, np.ndarray]]
"""(paper id, its passage vectors) pairs."""


@dataclass
class Staged:
    """Vectors of a coming write, inserted into the HNSW graph ahead of it and left out of searches until
    `add_many` takes them: ids first .. end - 1, each paper's from its first id on."""

    first: int
    end: int
    papers: dict[str, tuple[int, np.ndarray]]
    """Paper -> (its first id, its vectors)."""


class StagedInserts:
    """The staging half of `DenseIndex` (a mixin over its fields)."""

    _kind: str
    _pending: Any
    _staged: Staged | None
    _next_id: int
    _index: Any
    _tombstones: set[int]
    _tomb_selector: Any

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _register(self, paper_id: str, first: int, vectors: np.ndarray) -> None:
        raise NotImplementedError

    def stage(self, items: Iterable[tuple[str, np.ndarray]], exclusive: Callable[[], AbstractContextManager[Any]],
              chunk: int) -> None:
        """Insert a coming write's vectors into the HNSW graph ahead of it, `chunk` vectors per hold of `exclusive`
        (the caller's write lock), so searches run in between; they stay out of results until `add_many` gets the
        same papers, or become tombstones with `drop_staged`. HNSW inserts are what is slow (about 50 us a vector
        at a few thousand, more as the graph grows); exact indexes, and an index being rebuilt, skip this."""
        if self._kind != "hnsw" or self._pending is not None or self._staged is not None:
            return
        batch = {pid: self._check(vectors) for pid, vectors in items}
        if not batch:
            return
        first = offset = self._next_id
        papers: dict[str, tuple[int, np.ndarray]] = {}
        for pid, vectors in batch.items():
            papers[pid] = (offset, vectors)
            offset += len(vectors)
        matrix = np.concatenate(list(batch.values()))
        ids = np.arange(first, offset, dtype=np.int64)
        with exclusive():
            self._staged = Staged(first, offset, papers)
            self._next_id = offset
        for start in range(0, len(matrix), chunk):
            with exclusive():
                self._index.add_with_ids(matrix[start : start + chunk], ids[start : start + chunk])

    def drop_staged(self) -> None:
        """After the write was abandoned: its staged vectors become tombstones (caller holds the write lock)."""
        staged, self._staged = self._staged, None
        if staged is not None:
            self._tombstones.update(range(staged.first, staged.end))
            self._tomb_selector = None

    def _take_staged(self, batch: Batch) -> tuple[np.ndarray | None, Batch]:
        """Register the papers of `batch` staged with these same vectors; the staged ids and the rest of the batch.
        Staged vectors no paper of the batch takes become tombstones."""
        staged, self._staged = self._staged, None
        if staged is None:
            return None, batch
        rest: Batch = []
        taken: list[np.ndarray] = []
        for pid, vectors in batch:
            first, ahead = staged.papers.pop(pid, (-1, None))
            if ahead is not None and np.array_equal(ahead, vectors):
                self._register(pid, first, vectors)
                taken.append(np.arange(first, first + len(vectors), dtype=np.int64))
            else:
                rest.append((pid, vectors))
                if ahead is not None:
                    staged.papers[pid] = (first, ahead)
        for first, ahead in staged.papers.values():
            self._tombstones.update(range(first, first + len(ahead)))
            self._tomb_selector = None
        return (np.concatenate(taken) if taken else None), rest
