"""The structures derived from the store of record, kept up to date: dense and keyword indexes, the networkx graph,
the entity lookup and the RDF graph. Each is brought up to date from the store at start-up and after each write.

Index files live in DATA/index/ and carry the data version they reflect; at start-up an index that is missing,
corrupt, or behind the store is caught up from the stored vectors and texts (never by re-embedding).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperkg.core.errors import CorruptData
from paperkg.core.files import scan_for_pickles
from paperkg.core.protocols import RecordSource
from paperkg.core.rwlock import RWLock
from paperkg.embeddings.dense import DenseIndex
from paperkg.embeddings.keyword import KeywordIndex, keyword_text
from paperkg.graph.lookup import EntityIndex
from paperkg.graph.network import KnowledgeGraph
from paperkg.graph.rdf.store import RDFGraph
from paperkg.kb.prefetch import LazyRevs, Prefetched
from paperkg.kb.snapshots import SNAPSHOTS_DIR
from paperkg.store import Store

log = logging.getLogger("paperkg")
INDEX_DIR = "index"
RDF_DIR = "rdf"
"""The on-disk RDF store, DATA/rdf/ (its state file is DATA/rdf.json)."""


@dataclass(frozen=True)
class IndexParams:
    """When the dense index switches to HNSW and how often large indexes are saved (from Settings)."""

    ann_threshold: int
    save_every: float
    """Seconds between saves once the index is large; small indexes are saved after every write."""
    save_sync_vectors: int
    """Indexes up to this many vectors are saved after every write."""
    save_ratio: float = 0.05
    """Larger ones wait (besides save_every) until the papers changed since the last save reach this fraction of
    the index: a save rewrites the whole index, so this keeps its cost per ingested paper constant."""
    graph_in_background: bool = False
    """Build the networkx graph on a thread at start-up (from one read transaction of the store); whatever reads
    the graph meanwhile waits for it, and so does the first write (it applies its change to the built graph)."""
    aside_papers: int = 200
    """A write of this many papers stages into the RDF store for about 0.1 s or more (0.5 s at 1,000), so a checkpoint
    of it is put aside for SPARQL workers and RDF exports that come meanwhile even if none came lately."""
    stage_chunk: int = 256
    """HNSW inserts of a write made ahead of its lock hold, this many vectors per short hold (`DenseIndex.stage`):
    about 15 ms each at a few thousand papers."""


class Indexes:
    """The derived structures of one knowledge base. Writers call `apply` under the write lock."""

    def __init__(self, data: Path, store: Store, graph: KnowledgeGraph, entities: EntityIndex, rdf: RDFGraph,
                 params: IndexParams, read_only: bool, lock: RWLock | None = None) -> None:
        self.data = data
        self.dir = data / INDEX_DIR
        self.store = store
        self.graph = graph
        self.entities = entities
        self.rdf = rdf
        self.params = params
        self.read_only = read_only
        self._lock = lock
        """The knowledge base's lock: with it, dense rebuilds run on a thread and are swapped in under it."""
        self.dense: DenseIndex | None = None
        self.keyword = KeywordIndex()
        self._saved_at = 0.0
        self._unsaved: int | None = None
        self._unsaved_papers = 0
        self._caught_up = False
        self._save_mutex = threading.Lock()
        """Held by saves outside the write lock, and by background swaps, which must not change what is saved."""
        self._graph_build: threading.Thread | None = None

    # -- start-up ------------------------------------------------------------------------------------

    def load(self) -> None:
        """Load each index file and catch it up with the store; rebuild the in-memory graphs from the store."""
        rdf_dirs = (self.data / name for name in (RDF_DIR, f"{RDF_DIR}.new", f"{RDF_DIR}.old"))
        # published snapshots are scanned by the replicas that open them
        scan_for_pickles(self.data, skip=(*self.store.files, *rdf_dirs, self.data / SNAPSHOTS_DIR))
        revs = LazyRevs(self.store)
        version = self.store.version
        self._caught_up = False
        self.dense = self._adopt(self._load_dense(revs))
        self.keyword = self._load_keyword(revs)
        self._rebuild_graph()
        self.rdf.load(self.store, revs)
        if not self.read_only and self._caught_up:  # files that already match the store are not rewritten
            self.save(version)

    def _rebuild_graph(self) -> None:
        """The networkx graph and the entity lookup, built from the store: on a thread when the parameters say so
        (at 100k papers the lookup alone takes 10 s, the graph about 40 s)."""
        self.wait_for_graph()
        if not self.params.graph_in_background:
            self.entities.rebuild(self.store)
            self.graph.rebuild(self.store)
            return
        self.entities.building()
        self.graph.building()
        build = threading.Thread(target=self._build_graph, name="graph-build", daemon=True)
        try:
            build.start()
        except RuntimeError:  # no thread to be had: build here (which also ends the waits announced above)
            self.entities.rebuild(self.store)
            self.graph.rebuild(self.store)
            return
        self._graph_build = build

    def _build_graph(self) -> None:
        """The build thread: every read from one snapshot of the store (writes committed meanwhile wait in `sync`
        for the build and are applied on top of it; applying a paper twice changes nothing). The lookup first:
        it is ready in a fraction of the graph's time."""
        started = time.perf_counter()
        try:
            with self.store.snapshot():
                try:
                    self.entities.rebuild(self.store)
                except Exception:
                    log.exception("could not build the entity lookup from the store; it stays empty until the next "
                                  "start")
                self.graph.rebuild(self.store)
        except Exception:
            log.exception("could not build the graph from the store; it stays empty until the next start")
            return
        finally:
            self.entities.done()  # never left waiting, whatever failed
        if gc.get_freeze_count():  # the server froze what it loaded at start-up (api.app): the graph is as long-lived
            gc.freeze()
        _release_free_memory()
        log.info("graph built in the background in %.1f s", time.perf_counter() - started)

    def wait_for_graph(self) -> None:
        """Wait for a background graph build to end (if one runs)."""
        build = self._graph_build
        if build is not None and build is not threading.current_thread():
            build.join()

    def _load_dense(self, revs: LazyRevs) -> DenseIndex:
        first = self.store.first_passage()
        dim = first.dim if first else None
        index: DenseIndex | None = None
        indexed = -1
        try:
            if (self.dir / "dense.manifest.json").exists():
                index, indexed = DenseIndex.load(self.dir)
        except CorruptData as error:
            log.warning("rebuilding the dense index: %s", error.detail)
        stale_dim = index is not None and dim is not None and index.dim != dim
        if index is not None and (stale_dim or index.ann_threshold != self.params.ann_threshold):
            index = None
        if index is None:
            index, indexed = DenseIndex(dim or 1, self.params.ann_threshold), -1
        changed, removed = self._behind(revs, index, indexed)
        if changed or removed or indexed != self.store.version:
            self._caught_up = True
        if changed or removed:
            log.info("dense index: catching up %d changed and %d removed papers", len(changed), len(removed))
            index.remove([*changed, *removed])
            index.add_many(self._stored_vectors(changed))
        return index

    def _load_keyword(self, revs: LazyRevs) -> KeywordIndex:
        index, indexed = KeywordIndex(), -1
        try:
            if (self.dir / "keyword.manifest.json").exists():
                index, indexed = KeywordIndex.load(self.dir)
        except CorruptData as error:
            log.warning("rebuilding the keyword index: %s", error.detail)
        changed, removed = self._behind(revs, index, indexed)
        if changed or removed or indexed != self.store.version:
            self._caught_up = True
        if changed or removed:
            index.remove([*changed, *removed])
            index.add({p.id: keyword_text(p.title, p.abstract) for p in self.store.papers(changed)})
        return index

    def _behind(self, revs: LazyRevs, index: DenseIndex | KeywordIndex, indexed: int) -> tuple[list[str], list[str]]:
        """What an index saved at version `indexed` lacks or holds stale. One saved at the store's version with its
        number of papers is taken as current without reading every paper's revision (3 s at 1M papers)."""
        if indexed == self.store.version and len(index) == revs.count():
            return [], []
        return _behind(revs, set(index.paper_ids()), indexed)

    def _adopt(self, index: DenseIndex) -> DenseIndex:
        if self._lock is not None:
            index.on_built = self._swap_dense
        return index

    def _swap_dense(self, index: DenseIndex) -> None:
        """Called from the rebuild thread: swap the rebuilt index in under the write lock (a short hold)."""
        if self._lock is None:
            return
        with self._save_mutex, self._lock.write():
            if index is self.dense and index.swap_rebuilt():
                log.info("dense index: rebuilt in the background as %s", index.kind)

    def _stored_vectors(self, paper_ids: Sequence[str]) -> Iterator[tuple[str, np.ndarray]]:
        current: str | None = None
        rows: list[np.ndarray] = []
        for passage in self.store.passages(paper_ids):
            if passage.paper_id != current and current is not None:
                yield current, np.stack(rows)
                rows = []
            current = passage.paper_id
            rows.append(np.frombuffer(passage.vector, dtype=np.float32))
        if current is not None:
            yield current, np.stack(rows)

    # -- writes ------------------------------------------------------------------------------------------

    def stage(self, changed: Sequence[str], removed: Sequence[str], vectors: dict[str, np.ndarray]) -> Prefetched:
        """Before the write lock: read what the write changes through the store's pending transaction, tokenise it
        and count its keyword terms (`KeywordIndex.prepare`), and insert its vectors into an HNSW graph a chunk per
        short hold. `stage_rdf` then brings the on-disk RDF store to it and `apply(..., staged=...)` does the rest
        under the lock, from memory."""
        linked = {e for pid in [*changed, *removed] for e, *_ in self.graph.paper_entities(pid)}
        reads = Prefetched(self.store, changed, linked)
        reads.keyword_tokens = self.keyword.tokenize_docs(
            {p.id: keyword_text(p.title, p.abstract) for p in reads.papers(list(changed))})
        reads.keywords = self.keyword.prepare(reads.keyword_tokens, [*changed, *removed])
        if self.dense is not None and self._lock is not None:
            try:
                self.dense.stage(((pid, vectors[pid]) for pid in changed if pid in vectors), self._lock.write,
                                 self.params.stage_chunk)
            except BaseException:
                self._drop_staged()
                raise
        return reads

    def stage_rdf(self, reads: Prefetched, changed: Sequence[str], removed: Sequence[str]) -> None:
        """Bring the on-disk RDF store to a staged write (the caller keeps SPARQL workers from starting until it is
        committed or undone; those started before keep answering from the previous version)."""
        self.rdf.sync(reads, changed, removed, staged=True)

    def unstage(self, rdf: bool) -> None:
        """After a staged write was rolled back: staged vectors become tombstones, and with `rdf` (`stage_rdf` had
        begun) the RDF store, marked ahead of the store or left mid-write, is rebuilt from the store (rare: a full
        disk, a failed commit)."""
        self._drop_staged()
        if not rdf:
            return
        log.warning("a write was rolled back after the RDF store took it in; rebuilding the RDF store")
        self.rdf.load(self.store, self.store.paper_revs())

    def _drop_staged(self) -> None:
        if self.dense is not None:
            with self._lock.write() if self._lock is not None else contextlib.nullcontext():
                self.dense.drop_staged()

    def apply(self, version: int, changed: Sequence[str], removed: Sequence[str],
              vectors: dict[str, np.ndarray], staged: Prefetched | None = None) -> None:
        """Bring every derived structure to `version` after a committed write (caller holds the write lock); with
        `staged` (what `stage` returned), the RDF store is there already and the store's reads are in memory."""
        source: RecordSource = staged or self.store
        try:
            if self.dense is None or (self.dense.dim != _dim(vectors, self.dense.dim) and not len(self.dense)):
                self.dense = self._adopt(DenseIndex(_dim(vectors, 1), self.params.ann_threshold))
            self.dense.remove([*changed, *removed])
            self.dense.add_many((pid, vectors[pid]) for pid in changed if pid in vectors)
            self.dense.add_many(self._stored_vectors([pid for pid in changed if pid not in vectors]))
            if staged is not None and staged.keywords is not None:
                self.keyword.adopt(staged.keywords)
            else:
                self.keyword.remove([*changed, *removed])
                tokens = staged.keyword_tokens if staged is not None else None
                if tokens is None:
                    tokens = self.keyword.tokenize_docs({p.id: keyword_text(p.title, p.abstract)
                                                         for p in source.papers(changed)})
                self.keyword.add_tokens(tokens)
            touched = self.graph.sync(source, changed, removed)  # what the papers named before or name now
            self.entities.sync(source, touched)
            if staged is not None:
                self.rdf.commit_staged()
            else:
                self.rdf.sync(self.store, changed, removed)
        except Exception:
            log.exception("derived views failed to apply version %d; rebuilding them from the store", version)
            self.load()
            raise
        if not self.read_only:
            self._unsaved = version
            self._unsaved_papers += len(changed) + len(removed)

    def save_if_due(self) -> None:
        """Save what `apply` left unsaved if the index is small or the last save is old enough; otherwise leave it
        for later (or for close): the store is the record, and start-up catches a stale index up from it.

        Call it after releasing the write lock, while no other write can start (the knowledge base holds its write
        mutex): saving reads the indexes like a search does, so searches go on meanwhile."""
        if self._unsaved is None or self.read_only:
            return
        small = self.dense is None or self.dense.vector_count <= self.params.save_sync_vectors
        due = time.monotonic() - self._saved_at >= self.params.save_every \
            and self._unsaved_papers >= self.params.save_ratio * len(self.keyword)
        if small or due:
            with self._save_mutex:
                self.save(self._unsaved)

    def save(self, version: int) -> None:
        """Write index files atomically; a failure leaves the previous files (the store stays the record)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            if self.dense is not None:
                self.dense.save(self.dir, version)
            self.keyword.save(self.dir, version)
        except Exception as error:  # derived files are caches; the committed store is the record
            log.warning("could not save index files (they will be caught up at the next start): %s", error)
        self._saved_at = time.monotonic()
        self._unsaved = None
        self._unsaved_papers = 0

    def copy_files(self, target: Path) -> None:
        """Put index files of the current version and a checkpoint of the RDF store into a snapshot directory (the
        caller holds the knowledge base's write mutex, so no write changes them meanwhile)."""
        with self._save_mutex:
            if self._unsaved is not None and not self.read_only:
                self.save(self._unsaved)
            index = target / INDEX_DIR
            index.mkdir()
            for path in self.dir.iterdir() if self.dir.is_dir() else ():
                if path.is_file() and not path.name.startswith("."):  # not a save's temporary file
                    _link_or_copy(path, index / path.name)
            self.rdf.backup(target / RDF_DIR)

    def close(self) -> None:
        self.wait_for_graph()  # it reads the store, which closes after this
        if self._unsaved is not None and not self.read_only:
            self.save(self._unsaved)
        self.rdf.close()

    def stats(self) -> dict[str, Any]:
        dense = self.dense.stats() if self.dense is not None else {}
        return {**dense, "dim": self.dense.dim if self.dense else None, "keyword": self.keyword.stats()}


def _release_free_memory() -> None:
    """Give the C heap's free memory back to the system (glibc's `malloc_trim`; elsewhere nothing): what the build
    thread read from the store and then dropped stays in that thread's heap otherwise (14 MB at 100k papers)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):  # no C library by that name, or not glibc
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def _behind(revs: Mapping[str, int], indexed: set[str], indexed_version: int) -> tuple[list[str], list[str]]:
    """Papers an index at `indexed_version` lacks or holds stale, and papers it holds that the store does not."""
    changed = sorted(pid for pid, rev in revs.items() if rev > indexed_version or pid not in indexed)
    removed = sorted(indexed - revs.keys())
    return changed, removed


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (index files are replaced by rename, never changed in place), or a copy across file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _dim(vectors: dict[str, np.ndarray], default: int) -> int:
    for matrix in vectors.values():
        if matrix.ndim == 2 and matrix.shape[1]:
            return int(matrix.shape[1])
    return default
