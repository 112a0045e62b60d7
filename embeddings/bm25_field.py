"""One BM25 field (whole documents, or titles) kept up to date a write at a time: segments of term counts, each
document's length, which positions are live, and every term's document frequency.

A write adds one segment with the counts of its own documents and marks the positions of replaced or removed ones
dead: its cost follows the write, not the corpus (a whole rebuild took 4.2 s at a million papers). Segments merge
as they grow (each merge at least doubles the smaller side, so a posting is copied O(log n) times) and a query
reads a term from each. Weights come per term at query time from the current statistics (`embeddings.bm25`), so
they are exactly those of a fresh build over the live documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from paperkg.embeddings.bm25 import Postings, bm25_norms, bm25_weights, count_postings, merge_postings, padded_indptr


@dataclass(frozen=True)
class SegmentParams:
    """How the keyword index's segments merge and when dead positions are dropped."""

    merge_ratio: float = 2.0
    """The newest segment merges into the one before while that one is at most this many times its size (by
    postings): the segment sizes then grow geometrically and a query reads O(log n) segments."""
    compact_dead: float = 0.25
    """Positions are renumbered (a rebuild from the stored tokens) once this fraction of them is dead."""
    compact_min: int = 1_000
    """... and at least this many are dead (a small index rebuilds in no time anyway)."""


DEFAULT_SEGMENTS = SegmentParams()


@dataclass(frozen=True)
class Field:
    """A field's counts and statistics at one version (a write makes a new one; readers keep theirs)."""

    k1: float
    b: float
    segments: tuple[Postings, ...]
    lengths: np.ndarray
    """Token count of the document at each position (int64)."""
    live: np.ndarray | None
    """Which positions are live; None while all are."""
    df: np.ndarray
    """Live documents each term occurs in (int64, the vocabulary's size when made)."""
    documents: int
    total_length: int
    norms: np.ndarray = field(init=False, repr=False, compare=False)
    """Each position's `bm25_norms` under this version's average length; infinite (weight 0) where dead."""

    def __post_init__(self) -> None:
        norms = bm25_norms(self.lengths, self.total_length / self.documents if self.total_length else 1.0,
                           self.k1, self.b)
        if self.live is not None:
            norms[~self.live] = np.inf
        object.__setattr__(self, "norms", norms)

    @classmethod
    def empty(cls, k1: float, b: float) -> Field:
        return cls(k1, b, (), np.zeros(0, np.int64), None, np.zeros(0, np.int64), 0, 0)

    @classmethod
    def of(cls, docs: list[np.ndarray], vocabulary: int, k1: float, b: float) -> Field:
        """The field of `docs` (token ids each), at positions 0 to len - 1, all live."""
        postings = count_postings(docs, 0, vocabulary)
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        return cls(k1, b, (postings,) if postings.size else (), lengths, None, np.diff(postings.indptr), len(docs),
                   int(lengths.sum()))

    @property
    def positions(self) -> int:
        return len(self.lengths)

    @property
    def dead(self) -> int:
        return self.positions - self.documents

    def changed(self, docs: list[np.ndarray], dead: dict[int, np.ndarray], vocabulary: int,
                params: SegmentParams = DEFAULT_SEGMENTS) -> Field:
        """This field with the live positions of `dead` (position -> that document's token ids) dropped and `docs`
        added at the next positions."""
        df = _grown(self.df, vocabulary)
        live = self.live
        lengths, documents, total = self.lengths, self.documents, self.total_length
        gone = {p: tokens for p, tokens in dead.items() if live is None or live[p]}
        if gone:
            live = np.ones(self.positions, bool) if live is None else live.copy()
            live[list(gone)] = False
            documents -= len(gone)
            total -= int(self.lengths[list(gone)].sum())
            np.subtract.at(df, np.concatenate([np.unique(t) for t in gone.values()]).astype(np.int64), 1)
        segments = list(self.segments)
        if docs:
            added = count_postings(docs, self.positions, vocabulary)
            df[: len(added.indptr) - 1] += np.diff(added.indptr)
            new_lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
            lengths = np.concatenate([lengths, new_lengths])
            live = None if live is None else np.concatenate([live, np.ones(len(docs), bool)])
            documents += len(docs)
            total += int(new_lengths.sum())
            if added.size:
                segments.append(added)
            while len(segments) > 1 and segments[-2].size <= params.merge_ratio * segments[-1].size:
                segments[-2:] = [merge_postings(segments[-2:])]
        return Field(self.k1, self.b, tuple(segments), lengths, live, df, documents, total)

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The term's positions (ascending) and BM25 weights under the current statistics. Dead positions may be
        among them, weighing 0 (filtering them out cost as much as the weights)."""
        if term >= len(self.df) or not self.df[term] or not self.total_length:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        parts = [s.column(term) for s in self.segments]
        rows = np.concatenate([r for r, _ in parts]) if len(parts) > 1 else parts[0][0]
        counts = np.concatenate([c for _, c in parts]) if len(parts) > 1 else parts[0][1]
        return rows, bm25_weights(counts, self.norms[rows], int(self.df[term]), self.documents)

    PARTS = ("counts", "rows", "indptr")
    """The arrays a field is saved as (`arrays`), each name prefixed with the field's."""

    def arrays(self, name: str, vocabulary: int) -> dict[str, np.ndarray]:
        """The live documents' term counts in one segment, renumbered in position order, as named arrays."""
        postings, _ = self.live_only()
        return {f"{name}_counts": postings.counts, f"{name}_rows": postings.rows,
                f"{name}_indptr": padded_indptr(postings.indptr, vocabulary)}

    @staticmethod
    def fits(arrays: dict[str, np.ndarray], name: str, positions: int, vocabulary: int) -> bool:
        """Whether saved arrays are consistent with each other, the positions and the vocabulary."""
        counts, rows, indptr = (arrays[f"{name}_{part}"] for part in Field.PARTS)
        return _fits(counts, rows, indptr, positions, vocabulary)

    @classmethod
    def restored(cls, arrays: dict[str, np.ndarray], name: str, lengths: np.ndarray, k1: float, b: float) -> Field:
        """A field from saved arrays (checked by `fits`) and its documents' lengths, all live."""
        indptr = arrays[f"{name}_indptr"].astype(np.int64, copy=False)
        postings = Postings(arrays[f"{name}_counts"].astype(np.float32, copy=False),
                            arrays[f"{name}_rows"].astype(np.int32, copy=False), indptr, 0, len(lengths))
        return cls(k1, b, (postings,) if postings.size else (), lengths, None, np.diff(indptr), len(lengths),
                   int(lengths.sum()))

    def live_only(self) -> tuple[Postings, np.ndarray]:
        """One segment of the live documents renumbered from 0 in position order, and their lengths."""
        postings = merge_postings(list(self.segments)) if self.segments else count_postings([], 0, len(self.df))
        if self.live is None:  # positions from 0 (a first segment can start later: documents without terms)
            rows = postings.rows + np.int32(postings.first)
            return Postings(postings.counts, rows, postings.indptr, 0, self.positions), self.lengths
        rank = np.cumsum(self.live) - 1
        keep = self.live[postings.rows + postings.first]
        kept = np.concatenate([np.zeros(1, np.int64), np.cumsum(keep)])
        indptr = kept[postings.indptr]
        rows = rank[postings.rows[keep] + postings.first].astype(np.int32)
        return Postings(postings.counts[keep], rows, indptr, 0, self.documents), self.lengths[self.live]


def _fits(counts: np.ndarray, rows: np.ndarray, indptr: np.ndarray, positions: int, vocabulary: int) -> bool:
    return (len(indptr) == vocabulary + 1 and indptr[0] == 0 and indptr[-1] == len(rows) == len(counts)
            and bool(np.all(np.diff(indptr) >= 0))
            and (len(rows) == 0 or (rows.min() >= 0 and rows.max() < positions)) and bool(np.all(counts > 0)))


def _grown(df: np.ndarray, vocabulary: int) -> np.ndarray:
    grown = np.zeros(max(vocabulary, len(df)), np.int64)
    grown[: len(df)] = df
    return grown
