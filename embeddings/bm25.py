"""BM25 building blocks: term counts of a set of tokenised documents as postings, and their weights.

The weights are bm25s's Lucene variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1 (1-b +
b dl/avgdl)). They are computed per term when a query needs them (`bm25_weights`), from the counts and the current
collection statistics, so a write only adds the counts of its own documents (`embeddings.bm25_field`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class Postings:
    """Term counts of the documents at positions `first` to `first + width - 1`, in CSR form by term: the counts
    and local positions (ascending) of term t are `counts[indptr[t]:indptr[t + 1]]` and `rows[...]`. `indptr`
    covers the vocabulary as it was when the postings were made; later terms have none here."""

    counts: np.ndarray
    rows: np.ndarray
    indptr: np.ndarray
    first: int
    width: int

    @property
    def size(self) -> int:
        return len(self.rows)

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The term's global positions and counts (empty if the postings predate the term)."""
        if term + 1 >= len(self.indptr):
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        start, end = int(self.indptr[term]), int(self.indptr[term + 1])
        return self.rows[start:end] + np.int32(self.first), self.counts[start:end]


def count_postings(docs: list[np.ndarray], first: int, vocabulary: int) -> Postings:
    """The postings of `docs` (token ids each), placed at positions from `first`. The counting is scipy's CSR -> CSC
    conversion (a counting pass; a global sort took 4x as long)."""
    width = len(docs)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=width)
    if not lengths.sum():
        return Postings(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(vocabulary + 1, np.int64), first,
                        width)
    rows = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)])
    terms = np.concatenate(docs).astype(np.int32)
    csc = sparse.csr_matrix((np.ones(len(terms), np.float32), terms, rows), shape=(width, vocabulary)).tocsc()
    csc.sum_duplicates()  # (term, document) pairs counted, documents ascending within each term
    return Postings(csc.data, csc.indices.astype(np.int32, copy=False), csc.indptr.astype(np.int64), first, width)


def merge_postings(parts: list[Postings]) -> Postings:
    """One set of postings for several in position order (each starting at or after the end of the one before):
    scipy's CSR hstack, which keeps every term's positions ascending."""
    if len(parts) == 1:
        return parts[0]
    vocabulary = max(len(p.indptr) for p in parts) - 1
    ends = [p.first for p in parts[1:]] + [parts[-1].first + parts[-1].width]
    matrices = [sparse.csr_matrix((p.counts, p.rows, padded_indptr(p.indptr, vocabulary)),
                                  shape=(vocabulary, end - p.first)) for p, end in zip(parts, ends, strict=True)]
    merged = sparse.hstack(matrices, format="csr")
    return Postings(merged.data.astype(np.float32, copy=False), merged.indices.astype(np.int32, copy=False),
                    merged.indptr.astype(np.int64, copy=False), parts[0].first, ends[-1] - parts[0].first)


def padded_indptr(indptr: np.ndarray, vocabulary: int) -> np.ndarray:
    """Term pointers extended to a larger vocabulary (the new terms have no postings)."""
    if len(indptr) == vocabulary + 1:
        return indptr
    return np.concatenate([indptr, np.full(vocabulary + 1 - len(indptr), indptr[-1], dtype=indptr.dtype)])


def bm25_norms(lengths: np.ndarray, average_length: float, k1: float, b: float) -> np.ndarray:
    """Each document's length part of BM25, k1 (1 - b + b dl / avgdl), in float64 (per write, for every position)."""
    return k1 * ((1 - b) + b * lengths / average_length)


def bm25_weights(counts: np.ndarray, norms: np.ndarray, df: int, documents: int) -> np.ndarray:
    """BM25 weights (float32) of one term's postings from their counts and their documents' `bm25_norms`, the
    term's document frequency and the number of documents: the same float64 operations as the whole-matrix build
    (`bm25_matrix`), so the weights are identical to it. An infinite norm (a dead position) weighs 0."""
    idf = np.log1p((documents - np.float64(df) + 0.5) / (np.float64(df) + 0.5))
    return (idf * (counts / (norms + counts))).astype(np.float32)


def bm25_matrix(docs: list[np.ndarray], vocabulary: int, k1: float, b: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BM25 weight of every (term, document) pair as CSC arrays (data, document indices, term pointers), in whole-
    array operations: how the index was rebuilt after each write before the weights came per term (the reference
    they are checked against, and bm25s against it)."""
    postings = count_postings(docs, 0, vocabulary)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    if not postings.size:
        return np.zeros(0, np.float32), np.zeros(0, np.int32), postings.indptr
    df = np.diff(postings.indptr)
    idf = np.log1p((len(docs) - df + 0.5) / (df + 0.5))
    norm = k1 * ((1 - b) + b * lengths / lengths.mean())
    tf, doc = postings.counts, postings.rows
    return (np.repeat(idf, df) * (tf / (norm[doc] + tf))).astype(np.float32), doc, postings.indptr
