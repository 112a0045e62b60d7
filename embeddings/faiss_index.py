"""The FAISS side of the dense index: building an exact or HNSW index, checking one read from disk against its id map,
estimating its memory, and searching on one thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import faiss as _faiss
import numpy as np

from paperkg.core.errors import CorruptData

faiss: Any = _faiss  # the bundled stubs lack SearchParametersHNSW and selector arguments


def new_index(kind: str, dim: int, hnsw_m: int, ef_construction: int, ef_search: int) -> Any:
    """An empty id-mapped index: 'flat' (exact inner product) or 'hnsw' (approximate)."""
    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    hnsw = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    hnsw.hnsw.efSearch = ef_search
    return faiss.IndexIDMap2(hnsw)


def read_index_bytes(blob: bytes) -> Any:
    """An index from its serialised bytes, read through a callback: `deserialize_index` first copies the bytes into
    a FAISS vector (1.9 against 1.2 s for a million-vector HNSW index)."""
    view, position = memoryview(blob), 0

    def read(size: int) -> bytes:
        nonlocal position
        chunk = view[position : position + size]
        position += len(chunk)
        return bytes(chunk)

    return faiss.read_index(faiss.PyCallbackIOReader(read))


def check_restored(index: Any, kind: str, dim: int) -> None:
    """CorruptData unless a deserialised index is an id-mapped index of this kind and dimension."""
    expected = faiss.IndexHNSWFlat if kind == "hnsw" else faiss.IndexFlatIP
    if not isinstance(index, faiss.IndexIDMap2) or not isinstance(faiss.downcast_index(index.index), expected):
        raise CorruptData(f"dense index file does not hold a {kind} index")
    if index.d != dim:
        raise CorruptData(f"dense index has dimension {index.d}, manifest says {dim}")


def check_ids(index: Any, live: np.ndarray, tombstones: set[int], next_id: int) -> None:
    """CorruptData unless the index holds exactly the live and tombstoned ids, all below `next_id`."""
    tombs = np.fromiter(tombstones, dtype=np.int64, count=len(tombstones))
    stored = np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))
    consistent = (
        not np.intersect1d(live, tombs).size
        and np.array_equal(stored, np.union1d(live, tombs))
        and len(stored) == index.ntotal
        and (not len(stored) or int(stored[-1]) < next_id)
    )
    if not consistent:
        raise CorruptData("dense index and its id map disagree")


def index_bytes(index: Any, kind: str, dim: int) -> int:
    """Memory the FAISS structures hold, estimated: vectors, id map and its reverse hash map, HNSW links."""
    total = int(index.ntotal)
    size = total * dim * 4 + total * 56
    if kind == "hnsw":
        hnsw = faiss.downcast_index(index.index).hnsw
        size += hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + hnsw.levels.size() * 4
    return size


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run a single-query FAISS search on the calling thread alone.

    An OpenMP team for one query buys nothing, and on a busy machine its barrier waits for a descheduled thread:
    measured 0.7 ms alone against 11 ms with two threads under load. OpenMP's thread count is per calling thread,
    so this neither races with other threads nor slows the model's encoding elsewhere.
    """
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)
