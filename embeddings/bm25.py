"""The BM25 weight matrix of a set of tokenised documents (the keyword index's scoring table)."""

from __future__ import annotations

import numpy as np
from scipy import sparse


def bm25_matrix(
    docs: list[np.ndarray], vocabulary: int, k1: float, b: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BM25 weight of every (term, document) pair as CSC arrays (data, document indices, term pointers).

    Lucene variant as in bm25s: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1 (1-b + b dl/avgdl)).
    The term counts come from scipy's CSR -> CSC conversion (a counting pass; a global sort took 4x as long, and
    the first search after a write waits for this: 0.37 against 1.46 s at 100,000 documents).
    """
    count = len(docs)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=count)
    if count == 0 or lengths.sum() == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(vocabulary + 1, np.int64)
    rows = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)])
    terms = np.concatenate(docs).astype(np.int32)
    csc = sparse.csr_matrix((np.ones(len(terms), np.float32), terms, rows), shape=(count, vocabulary)).tocsc()
    csc.sum_duplicates()  # (term, document) pairs counted, documents ascending within each term
    tf, doc, indptr = csc.data, csc.indices.astype(np.int32, copy=False), csc.indptr.astype(np.int64)
    df = np.diff(indptr)
    idf = np.log1p((count - df + 0.5) / (df + 0.5))
    norm = k1 * ((1 - b) + b * lengths / lengths.mean())  # per document, then per posting
    data = (np.repeat(idf, df) * (tf / (norm[doc] + tf))).astype(np.float32)
    return data, doc, indptr
