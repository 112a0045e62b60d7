"""The read side of the knowledge base: every query, under the read lock (or the snapshot lock), handed to the
views and `Queries`. `KnowledgeBase` inherits it and owns what it reads."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import asdict

import numpy as np

from paperkg import __version__
from paperkg.core.errors import InvalidParameter, NotFound
from paperkg.core.formats import of_kind
from paperkg.core.lru import LRUCache
from paperkg.core.records import MAX_QUERY_CHARS
from paperkg.core.results import (
    EntityDetail,
    EntityMatchView,
    EntityPage,
    EntityRef,
    Health,
    Neighborhood,
    PaperDetail,
    PaperSummary,
    RelatedTechnique,
    ScoredPaper,
    SearchResults,
    Stats,
)
from paperkg.core.rwlock import RWLock
from paperkg.core.text import forbidden_char
from paperkg.embeddings.aspects import check_aspect
from paperkg.embeddings.encoder import Encoder
from paperkg.graph.lookup import EntityIndex
from paperkg.graph.network import KnowledgeGraph
from paperkg.graph.rdf.aside import ExportAside
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.sparql.executor import SparqlExecutor, SparqlResult
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import views
from paperkg.kb.indexes import Indexes
from paperkg.kb.manifest import Manifest
from paperkg.kb.queries import Queries
from paperkg.store import Store

SearchKey = tuple[int, str, int, tuple[tuple[str, str], ...]]
"""(data version, query, k, filters): what a search result is cached under."""


class Reading:
    """Queries over the knowledge base's components; the subclass sets them and provides the encoder and the
    manifest."""

    store: Store
    graph: KnowledgeGraph
    entities: EntityIndex
    vocabulary: Vocabulary
    rdf: RDFGraph
    indexes: Indexes
    queries: Queries
    sparql_executor: SparqlExecutor
    export_aside: ExportAside
    lock: RWLock
    _rdf_mutex: threading.Lock
    """Held by a writer while it stages its write into the RDF store and commits it."""
    read_only: bool
    _search_cache: LRUCache[SearchKey, SearchResults]

    @property
    def encoder(self) -> Encoder:
        raise NotImplementedError

    @contextlib.contextmanager
    def snapshot_read(self) -> Iterator[None]:
        """The read lock, taken while no write is being staged into the RDF store: SPARQL workers start and RDF exports
        begin under it, so each sees one version of the RDF store."""
        with self._rdf_mutex, self.lock.read():
            yield

    def manifest(self) -> Manifest:
        raise NotImplementedError

    def paper_count(self) -> int:
        return self.store.count_papers()

    def health(self) -> Health:
        return Health("ok", self.store.count_papers(), self.store.version, self.read_only, __version__,
                      self.graph.ready and self.entities.ready)

    def stats(self) -> Stats:
        """Counts of the committed version (the RDF store's too while a write is staged into it: no wait)."""
        with self.lock.read():
            counts = self.graph.counts()
            entity_counts = {t: n for t, n in counts["nodes"].items() if t != "Paper"}
            rdf = {"triples": self.rdf.triple_count, "papers": self.rdf.paper_count,
                   "sparql": self.sparql_executor.stats()}
            return Stats(self.store.count_papers(), self.store.version, counts["nodes"], counts["edges"],
                         entity_counts, self.indexes.stats(), rdf, asdict(self.manifest()))

    def get_paper(self, pid: str) -> PaperDetail:
        with self.lock.read():
            return views.paper_detail(self.store, self.store.resolve(pid) or pid)

    def list_papers(self, filters: dict[str, str | None], limit: int, offset: int) -> tuple[list[PaperSummary], int]:
        with self.lock.read():
            allowed, _ = views.resolve_filters(views.entity_filters(filters), self.graph, self.entities,
                                               self.vocabulary)
            allowed = views.restrict_by_metadata(self.store, allowed, filters)
            return views.list_papers(self.store, allowed, limit, offset)

    def find_entities(self, q: str | None, entity_type: str | None, limit: int = 20) -> list[EntityMatchView]:
        with self.lock.read():
            return views.entity_matches(self.store, self.entities, self.graph, q, entity_type, limit)

    def get_entity(self, entity_id: str, page: EntityPage | None = None) -> EntityDetail:
        with self.lock.read():
            return views.entity_detail(self.store, self.graph, self.vocabulary, entity_id, page or EntityPage())

    def neighborhood(self, node: str, depth: int = 1) -> Neighborhood:
        with self.lock.read():
            return views.neighborhood(self.store, self.graph, node, depth)

    def search(self, query: str, k: int = 10, filters: dict[str, str | None] | None = None) -> SearchResults:
        """Hybrid dense + keyword search; filters restrict to papers linked to the named entities."""
        query = query.strip()
        if not query:
            raise InvalidParameter("empty query")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidParameter(f"a query of {len(query):,} characters (limit {MAX_QUERY_CHARS:,})")
        bad = forbidden_char(query)
        if bad:
            raise InvalidParameter(f"{bad} in the query")
        if not any(ch.isalnum() for ch in query):
            raise InvalidParameter("the query has no letters or digits")
        if not 1 <= k <= 100:
            raise InvalidParameter("k must be between 1 and 100")
        key = (self.store.version, query, k, tuple(sorted((f, v) for f, v in (filters or {}).items() if v)))
        return self._search_cache.get_or_compute(key, self._search)

    def prefetch_query(self, query: str) -> Future[np.ndarray] | None:
        """Start embedding `query` in a batch with concurrent ones; a caller that awaits the future before `search`
        holds no thread meanwhile. None when there is nothing to wait for."""
        query = query.strip()
        return self.encoder.encode_query_later(query) if query else None

    def _search(self, key: SearchKey) -> SearchResults:
        _, query, k, filters = key
        self.encoder.encode_query(query)  # embed (and cache) before taking the lock
        with self.lock.read():
            allowed, named = views.resolve_filters(views.entity_filters(dict(filters)), self.graph, self.entities,
                                                   self.vocabulary)
            allowed = views.restrict_by_metadata(self.store, allowed, dict(filters))
            return self.queries.search(query, k, allowed, named)

    def similar(self, pid: str, k: int = 10, aspect: str | None = None) -> list[ScoredPaper]:
        """Papers most like `pid`, as a whole or by one aspect ("method", "task", "results"; None or "all": whole)."""
        aspect = check_aspect(aspect)
        with self.lock.read():
            pid = self.store.resolve(pid) or pid
            if self.store.paper(pid) is None:
                raise NotFound(f"no paper with id {pid!r}")
            return self.queries.similar(pid, k, aspect=aspect)

    def related(self, technique: str, k: int = 10, corpus_only: bool = False) -> list[RelatedTechnique]:
        return self.related_with_subject(technique, k, corpus_only)[1]

    def related_with_subject(self, technique: str, k: int = 10,
                             corpus_only: bool = False) -> tuple[EntityRef, list[RelatedTechnique]]:
        """The technique `technique` resolves to (id, name or alias, typos tolerated) and its related techniques;
        `corpus_only` leaves out taxonomy relatives that no paper of the corpus names."""
        with self.lock.read():
            return self.queries.related(technique, k, corpus_only)

    def sparql(self, query: str, accept: str | None = None, fmt: str | None = None) -> SparqlResult:
        return self.sparql_executor.execute(query, accept=accept, fmt=fmt)

    def export(self, fmt: str) -> tuple[str, Iterator[bytes]]:
        """(media type, chunks) of the whole graph in `fmt`; the snapshot is taken before this returns. Property-graph
        exports read the graph as committed; RDF exports during a staged write read the RDF store's checkpoint put
        aside before it (`graph.rdf.aside`), or wait for the write if none was (no RDF export in the last 30 s)."""
        exporter = of_kind("export").get(fmt)
        if exporter is None or not exporter.rdf:
            with self.lock.read():
                return self.queries.export(fmt)
        self.export_aside.last_use = time.monotonic()
        if self._rdf_mutex.locked():  # a write is being staged: the checkpoint put aside before it, if there is one
            chunks = self.export_aside.export(fmt)
            if chunks is not None:
                return self.rdf.export_media_type(fmt), chunks
        with self.snapshot_read():
            return self.queries.export(fmt)

    def ontology(self, accept: str | None = None) -> tuple[str, bytes]:
        """(media type, document) of the ontology, negotiated from an Accept header."""
        return self.queries.ontology(accept)
