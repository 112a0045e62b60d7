"""Dense passage index: FAISS with an id map, exact below a size threshold, HNSW above it; atomic checksummed files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from paperkg.core.errors import CorruptData
from paperkg.embeddings.faiss_index import (
    check_ids,
    check_restored,
    faiss,
    index_bytes,
    new_index,
    one_thread,
    read_index_bytes,
)
from paperkg.embeddings.generations import load_generation, save_generation
from paperkg.embeddings.passage_ids import PassageIds
from paperkg.embeddings.staging import Staged, StagedInserts

PassageHit = tuple[str, int, float]
"""(paper id, passage ordinal, inner product)."""

FORMAT = "paperkg-dense/1"
EXACT_ALLOWED_LIMIT = 20_000
"""With a filter on an HNSW index, up to this many allowed vectors are scored exactly instead of walking the graph."""


@dataclass
class _Pending:
    """A replacement index being built on a thread from a snapshot of the live vectors."""

    kind: str
    next_id: int
    """Ids from here on were added after the snapshot."""
    added: list[np.ndarray] = field(default_factory=list)
    removed: list[np.ndarray] = field(default_factory=list)
    index: Any = None


class DenseIndex(StagedInserts):
    """Passage vectors keyed by (paper id, passage ordinal), searched by inner product (vectors are L2-normalised).

    Not synchronised: one writer at a time, and no searches during a write (the caller holds a read-write lock).
    With `on_built` set, the switch to HNSW and compactions are built on a thread from a snapshot while this index
    keeps serving and taking writes; `on_built` is then called from that thread and must call `swap_rebuilt` under
    the caller's write lock (which replays the writes made meanwhile: a short hold instead of a whole build).
    """

    def __init__(
        self,
        dim: int,
        ann_threshold: int = 50_000,
        *,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
        compact_ratio: float = 0.2,
    ) -> None:
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.compact_ratio = compact_ratio
        self._index: Any = self._new_index("flat")
        self._kind = "flat"
        self._map = PassageIds()
        self._tombstones: set[int] = set()
        self._tomb_selector: Any = None
        self._next_id = 0
        self.on_built: Callable[[DenseIndex], None] | None = None
        self._pending: _Pending | None = None
        self._staged: Staged | None = None

    # -- contents ------------------------------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """'flat' (exact inner product) or 'hnsw' (approximate)."""
        return self._kind

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._map

    @property
    def vector_count(self) -> int:
        """Live passage vectors (tombstoned ones excluded)."""
        return self._map.live

    def paper_ids(self) -> list[str]:
        return self._map.papers()

    def vectors(self, paper_id: str) -> np.ndarray:
        """The passage vectors of one paper in passage order, (n, dim); KeyError if absent."""
        return self._reconstruct(self._map.ids(paper_id))

    def passage_vectors(self, paper_ids: Iterable[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Vectors of the papers present, their owner positions into the returned paper list, and that list."""
        present = [p for p in dict.fromkeys(paper_ids) if p in self._map]
        if not present:
            return np.zeros((0, self.dim), dtype=np.float32), np.zeros(0, dtype=np.int64), []
        ids, counts = self._map.ids_many(present)
        return self._reconstruct(ids), np.repeat(np.arange(len(present)), counts), present

    def sum_norms(self, paper_ids: list[str]) -> np.ndarray:
        """|sum of a paper's passage vectors| per paper: its centroid's similarity to a unit vector q is
        (sum of the passage similarities to q) / this, without touching the vectors again."""
        return self._map.sum_norms(paper_ids)

    def _reconstruct(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64)), dtype=np.float32)

    # -- writes --------------------------------------------------------------------------------------------------------

    def add(self, paper_id: str, vectors: np.ndarray) -> None:
        """Index one paper's passage vectors (ordinals 0..n-1), replacing what the paper had."""
        self.add_many([(paper_id, vectors)])

    def add_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        """Index several papers in one FAISS call; each replaces what that paper had (the last one given wins)."""
        batch = list({pid: self._check(vectors) for pid, vectors in items}.items())
        if not batch:
            return
        self.remove([pid for pid, _ in batch if pid in self._map])
        staged, batch = self._take_staged(batch)
        if staged is not None and self._pending is not None:
            self._pending.added.append(staged)
        if not batch:
            return
        total = sum(len(v) for _, v in batch)
        ids = np.arange(self._next_id, self._next_id + total, dtype=np.int64)
        self._next_id += total
        start = 0
        for pid, vectors in batch:
            self._register(pid, int(ids[start]), vectors)
            start += len(vectors)
        matrix = np.concatenate([v for _, v in batch])
        if self._pending is not None:
            self._pending.added.append(ids)
        if self._kind == "flat" and self.vector_count > self.ann_threshold and self.on_built is None:
            self._rebuild(extra=(matrix, ids))
            return
        self._index.add_with_ids(matrix, ids)
        if self._kind == "flat" and self.vector_count > self.ann_threshold:
            self._rebuild_later()

    def _register(self, paper_id: str, first: int, vectors: np.ndarray) -> None:
        self._map.add(paper_id, first, len(vectors), float(np.linalg.norm(vectors.sum(axis=0, dtype=np.float64))))

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {matrix.shape}")
        if len(matrix) == 0:
            raise ValueError("a paper needs at least one passage vector")
        if not np.all(np.isfinite(matrix)):
            raise ValueError("vectors contain NaN or infinity")
        return matrix

    def remove(self, paper_ids: Iterable[str]) -> int:
        """Drop papers (unknown ids are ignored); returns the number of vectors removed."""
        present = [p for p in dict.fromkeys(paper_ids) if p in self._map]
        if not present:
            return 0
        ids = np.concatenate([self._map.remove(p) for p in present])
        if self._pending is not None:
            self._pending.removed.append(ids[ids < self._pending.next_id])
        if self._kind == "flat":
            self._index.remove_ids(faiss.IDSelectorBatch(ids))
        else:
            # HNSW cannot delete: tombstones are filtered at search time until a compaction rebuilds the graph.
            self._tombstones.update(ids.tolist())
            self._tomb_selector = None
            if len(self._tombstones) > self.compact_ratio * max(1, self._index.ntotal):
                self.compact()
        return len(ids)

    def compact(self) -> None:
        """Rebuild without tombstones; switches back to exact search when the index has shrunk below the threshold."""
        if self._tombstones or (self._kind == "hnsw") != (self.vector_count > self.ann_threshold):
            if self.on_built is None:
                self._rebuild()
            else:
                self._rebuild_later()

    @property
    def rebuilding(self) -> bool:
        return self._pending is not None

    def _rebuild_later(self) -> None:
        """Start building the replacement of this index on a thread (once at a time)."""
        if self._pending is not None:
            return
        live = self._map.live_ids()
        matrix = self._reconstruct(live)
        pending = self._pending = _Pending("hnsw" if len(live) > self.ann_threshold else "flat", self._next_id)

        def build() -> None:
            index = self._new_index(pending.kind)
            if len(live):
                index.add_with_ids(matrix, live)
            pending.index = index
            if self.on_built is not None:
                self.on_built(self)

        threading.Thread(target=build, name="dense-rebuild", daemon=True).start()

    def swap_rebuilt(self) -> bool:
        """Put a finished replacement in place, with the writes made since its snapshot (caller holds the write
        lock); False if none is ready."""
        pending = self._pending
        if pending is None or pending.index is None:
            return False
        index = pending.index
        added = np.concatenate([np.zeros(0, np.int64), *pending.added])
        added = added[self._map.is_live(added)]
        if len(added):
            index.add_with_ids(self._reconstruct(added), added)
        removed = np.concatenate([np.zeros(0, np.int64), *pending.removed])
        self._index, self._kind, self._pending = index, pending.kind, None
        self._tombstones, self._tomb_selector = set(), None
        if len(removed) and self._kind == "flat":
            index.remove_ids(faiss.IDSelectorBatch(removed))
        elif len(removed):
            self._tombstones = set(removed.tolist())
        return True

    def _rebuild(self, extra: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        live = self._map.live_ids()
        if extra is not None:
            live = np.setdiff1d(live, extra[1], assume_unique=True)
        matrix = self._reconstruct(live)
        ids = live
        if extra is not None:
            matrix, ids = np.concatenate([matrix, extra[0]]), np.concatenate([live, extra[1]])
        self._kind = "hnsw" if len(ids) > self.ann_threshold else "flat"
        self._index = self._new_index(self._kind)
        if len(ids):
            self._index.add_with_ids(matrix, ids)
        self._tombstones.clear()
        self._tomb_selector = None

    def _new_index(self, kind: str) -> Any:
        return new_index(kind, self.dim, self.hnsw_m, self.ef_construction, self.ef_search)

    # -- search --------------------------------------------------------------------------------------------------------

    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[PassageHit]:
        """The k best passages by inner product, optionally restricted to the `allowed` papers."""
        if k <= 0 or not self._map.live:
            return []
        vector = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        if allowed is not None:
            return self._search_allowed(vector, k, allowed)
        return self._hits(*self._search_all(vector, k))

    def search_papers(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[str]:
        """The papers of `search`'s k best passages, each once, in the order of its best passage."""
        if allowed is not None or k <= 0 or not self._map.live:
            return list(dict.fromkeys(pid for pid, _, _ in self.search(query, k, allowed)))
        return self._map.papers_of(self._search_all(np.ascontiguousarray(query, dtype=np.float32).reshape(
            1, self.dim), k)[1])

    def _search_all(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and vector ids of the k best passages of the whole index (-1 past the last)."""
        k = min(k, self.vector_count)
        with one_thread():
            if self._kind == "flat":
                scores, ids = self._index.search(vector, k)
            else:
                selector = self._tombstone_selector()
                params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k),
                                                    sel=selector[0] if selector else None)
                scores, ids = self._index.search(vector, k, params=params)
        return scores[0], ids[0]

    def _search_allowed(self, vector: np.ndarray, k: int, allowed: set[str]) -> list[PassageHit]:
        """Few allowed vectors are scored exactly; many go through the index with a selector (exact if short)."""
        ids, _ = self._map.ids_many([p for p in allowed if p in self._map])
        if not len(ids):
            return []
        k = min(k, len(ids))
        if len(ids) > EXACT_ALLOWED_LIMIT:
            batch = faiss.IDSelectorBatch(ids)
            if self._kind == "flat":
                params: Any = faiss.SearchParameters(sel=batch)
            else:
                params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, 2 * k), sel=batch)
            with one_thread():
                scores, found = self._index.search(vector, k, params=params)
            hits = self._hits(scores[0], found[0])
            if len(hits) == k:
                return hits
        sims = self._reconstruct(ids) @ vector[0]
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.lexsort((ids[top], -sims[top]))]
        return self._hits(sims[top], ids[top])

    def _tombstone_selector(self) -> Any:
        """What an HNSW search may return: neither tombstones nor staged vectors (the selectors a returned one
        combines are kept alive with it)."""
        if self._tombstones and self._tomb_selector is None:
            batch = faiss.IDSelectorBatch(np.fromiter(self._tombstones, dtype=np.int64, count=len(self._tombstones)))
            self._tomb_selector = (faiss.IDSelectorNot(batch), batch)
        live = self._tomb_selector if self._tombstones else None
        if self._staged is None:
            return live
        span = faiss.IDSelectorRange(self._staged.first, self._staged.end)
        outside = faiss.IDSelectorNot(span)
        return (outside, span) if live is None else (faiss.IDSelectorAnd(live[0], outside), live, outside, span)

    def _hits(self, scores: np.ndarray, ids: np.ndarray) -> list[PassageHit]:
        owners = self._map.owners(ids.tolist())
        return [(owner[0], owner[1], float(score)) for score, owner in zip(scores.tolist(), owners, strict=True)
                if owner is not None]

    # -- reporting -----------------------------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Kind, counts and the memory the index holds (FAISS structures plus id maps, estimated)."""
        faiss_bytes = index_bytes(self._index, self._kind, self.dim)
        papers = len(self._map)
        map_bytes = self._next_id * 4 + papers * 130  # owner array; rows, dict entries and ids, roughly
        return {
            "kind": self._kind,
            "vectors": self.vector_count,
            "tombstones": len(self._tombstones),
            "papers": papers,
            "dim": self.dim,
            "ann_threshold": self.ann_threshold,
            "bytes": faiss_bytes + map_bytes,
            "bytes_per_paper": round((faiss_bytes + map_bytes) / papers) if papers else 0,
        }

    # -- files ---------------------------------------------------------------------------------------------------------

    def save(self, directory: Path, version: int) -> None:
        """Write the FAISS index and the JSON id map, then the manifest naming them with their checksums."""
        blob = faiss.serialize_index(self._index).tobytes()
        papers, sum_norms = self._map.to_json()
        idmap = {
            "next_id": self._next_id,
            "papers": papers,
            "sum_norms": sum_norms,
            "tombstones": sorted(self._tombstones),
        }
        meta = {
            "kind": self._kind,
            "dim": self.dim,
            "ann_threshold": self.ann_threshold,
            "params": {"hnsw_m": self.hnsw_m, "ef_construction": self.ef_construction, "ef_search": self.ef_search},
            "vectors": self.vector_count,
            "papers": len(self._map),
        }
        blobs = {"index": (blob, "faiss"), "ids": (json.dumps(idmap, separators=(",", ":")).encode(), "ids.json")}
        save_generation(directory, "dense", FORMAT, version, blobs, meta)

    @classmethod
    def load(cls, directory: Path) -> tuple[DenseIndex, int]:
        """The saved index and its data version; CorruptData if anything is missing, truncated or altered."""
        manifest, blobs = load_generation(directory, "dense", FORMAT)
        try:
            idmap = json.loads(blobs["ids"])
            params = manifest["params"]
            index = cls(
                int(manifest["dim"]),
                int(manifest["ann_threshold"]),
                hnsw_m=int(params["hnsw_m"]),
                ef_construction=int(params["ef_construction"]),
                ef_search=int(params["ef_search"]),
            )
            faiss_index = read_index_bytes(blobs["index"])
            index._restore(faiss_index, manifest["kind"], idmap)
            return index, int(manifest["version"])
        except CorruptData:
            raise
        except Exception as error:  # any inconsistency inside checksummed files is corruption too
            raise CorruptData(f"{directory}: dense index unreadable: {error}") from None

    def _restore(self, index: Any, kind: str, idmap: dict[str, Any]) -> None:
        check_restored(index, kind, self.dim)
        self._index, self._kind = index, kind
        self._next_id = int(idmap["next_id"])
        self._tombstones = {int(t) for t in idmap["tombstones"]}
        self._map = PassageIds.from_json(idmap["papers"], idmap["sum_norms"])  # no id owned twice, or CorruptData
        check_ids(index, self._map.live_ids(), self._tombstones, self._next_id)

