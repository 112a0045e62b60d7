"""Everything derived from the store of record: dense and keyword indexes, the networkx graph, the entity lookup,
the RDF graph and its SPARQL executor. Each is brought up to date from the store at start-up and after each write.

Index files live in DATA/index/ and carry the data version they reflect; at start-up an index that is missing,
corrupt, or behind the store is caught up from the stored vectors and texts (never by re-embedding).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from paperkg.core.errors import CorruptData, InvalidInput, NotFound
from paperkg.core.files import scan_for_pickles
from paperkg.core.ids import alias_norm
from paperkg.core.results import EntityRef, RelatedTechnique, ScoredPaper, SearchHit, SearchResults
from paperkg.embeddings.dense import DenseIndex
from paperkg.embeddings.keyword import KeywordIndex, keyword_text
from paperkg.embeddings.ranking import Hit, rank
from paperkg.embeddings.ranking import similar as similar_papers
from paperkg.graph import export as property_export
from paperkg.graph.rdf import ONTOLOGY_FORMATS, RDFGraph, ontology_document
from paperkg.graph.related import RelatedTechniques
from paperkg.graph.sparql import SparqlExecutor, SparqlResult
from paperkg.kb.views import descendants

if TYPE_CHECKING:
    from paperkg.kb import KnowledgeBase

log = logging.getLogger("paperkg")
INDEX_DIR = "index"
RDF_FORMATS = ("turtle", "ntriples", "jsonld")
FACET_DEPTH = 50
EXAMPLE_MIN_CHARS = 200
"""A query holding a whole stored abstract of at least this length is a query by example."""
BOOST_MAX_WORDS = 40
"""Queries up to this many words get the graph boost; longer ones are documents."""


class DerivedViews:
    """The derived structures of one knowledge base. Writers call `apply` under the write lock."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.dir = kb.settings.data / INDEX_DIR
        self.dense: DenseIndex | None = None
        self.keyword = KeywordIndex()
        self.rdf = RDFGraph(kb.settings.base_iri, kb.vocabulary, kb.extractor.version,
                            kb.settings.seeds / "ontology.ttl")
        self.sparql_executor = SparqlExecutor.from_settings(self.rdf, kb.settings, snapshot=kb.lock.read)
        self.related_ranker = RelatedTechniques()
        self._saved_at = 0.0
        self._unsaved: int | None = None
        self.device_classes: dict[str, str] = {
            k: v for k, v in json.loads((kb.settings.seeds / "vocab" / "device_classes.json").read_text()).items()
            if not k.startswith("_")}

    # -- start-up ------------------------------------------------------------------------------------

    def load(self) -> None:
        """Load each index file and catch it up with the store; rebuild the in-memory graphs from the store."""
        scan_for_pickles(self.kb.settings.data, skip=self.kb.store.files)
        store = self.kb.store
        revs = store.paper_revs()
        version = store.version
        self.dense = self._load_dense(revs)
        self.keyword = self._load_keyword(revs)
        self.kb.graph.rebuild(store)
        self.kb.entities.rebuild(store)
        self.rdf.rebuild(store)
        self.sparql_executor.invalidate(version)
        if not self.kb.read_only:
            self.save(version)

    def _load_dense(self, revs: dict[str, int]) -> DenseIndex:
        dim = self._stored_dim()
        index: DenseIndex | None = None
        indexed = -1
        try:
            if (self.dir / "dense.manifest.json").exists():
                index, indexed = DenseIndex.load(self.dir)
        except CorruptData as error:
            log.warning("rebuilding the dense index: %s", error.detail)
        stale_dim = index is not None and dim is not None and index.dim != dim
        if index is not None and (stale_dim or index.ann_threshold != self.kb.settings.ann_threshold):
            index = None
        if index is None:
            index, indexed = DenseIndex(dim or 1, self.kb.settings.ann_threshold), -1
        changed, removed = _behind(revs, set(index.paper_ids()), indexed)
        if changed or removed:
            log.info("dense index: catching up %d changed and %d removed papers", len(changed), len(removed))
            index.remove([*changed, *removed])
            index.add_many(self._stored_vectors(changed))
        return index

    def _load_keyword(self, revs: dict[str, int]) -> KeywordIndex:
        index, indexed = KeywordIndex(), -1
        try:
            if (self.dir / "keyword.manifest.json").exists():
                index, indexed = KeywordIndex.load(self.dir)
        except CorruptData as error:
            log.warning("rebuilding the keyword index: %s", error.detail)
        changed, removed = _behind(revs, set(index.paper_ids()), indexed)
        if changed or removed:
            index.remove([*changed, *removed])
            index.add({p.id: keyword_text(p.title, p.abstract) for p in self.kb.store.papers(changed)})
        return index

    def _stored_dim(self) -> int | None:
        for row in self.kb.store.passages_head():
            return len(row[4]) // 4
        return None

    def _stored_vectors(self, paper_ids: Sequence[str]) -> Iterator[tuple[str, np.ndarray]]:
        current: str | None = None
        rows: list[np.ndarray] = []
        for pid, _, _, _, blob in self.kb.store.passages(paper_ids):
            if pid != current and current is not None:
                yield current, np.stack(rows)
                rows = []
            current = pid
            rows.append(np.frombuffer(blob, dtype=np.float32))
        if current is not None:
            yield current, np.stack(rows)

    # -- writes ------------------------------------------------------------------------------------------

    def apply(self, version: int, changed: Sequence[str], removed: Sequence[str],
              vectors: dict[str, np.ndarray]) -> None:
        """Bring every derived structure to `version` after a committed write (caller holds the write lock)."""
        store = self.kb.store
        touched: set[str] = set()
        try:
            if self.dense is None or (self.dense.dim != _dim(vectors, self.dense.dim) and not len(self.dense)):
                self.dense = DenseIndex(_dim(vectors, 1), self.kb.settings.ann_threshold)
            self.dense.remove([*changed, *removed])
            self.dense.add_many((pid, vectors[pid]) for pid in changed if pid in vectors)
            self.dense.add_many(self._stored_vectors([pid for pid in changed if pid not in vectors]))
            self.keyword.remove([*changed, *removed])
            self.keyword.add({p.id: keyword_text(p.title, p.abstract) for p in store.papers(changed)})
            for pid in [*changed, *removed]:
                touched.update(e for e, *_ in self.kb.graph.paper_entities(pid))
            self.kb.graph.sync(store, changed, removed)
            touched.update(e for pid in changed for e, *_ in self.kb.graph.paper_entities(pid))
            self.kb.entities.sync(store, touched)
            self.rdf.sync(store, changed, removed)
        except Exception:
            log.exception("derived views failed to apply version %d; rebuilding them from the store", version)
            self.load()
            raise
        self.sparql_executor.invalidate(version)
        self.related_ranker.invalidate()
        if not self.kb.read_only:
            self._save_soon(version)

    def _save_soon(self, version: int) -> None:
        """Save now if the index is small or the last save is old; otherwise leave it for later (or for close):
        the store is the record, and start-up catches a stale index up from it."""
        settings = self.kb.settings
        small = self.dense is None or self.dense.vector_count <= settings.index_save_sync_vectors
        if small or time.monotonic() - self._saved_at >= settings.index_save_every:
            self.save(version)
        else:
            self._unsaved = version

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

    def close(self) -> None:
        if self._unsaved is not None and not self.kb.read_only:
            self.save(self._unsaved)
        self.sparql_executor.close()

    # -- reads (caller holds the read lock) -----------------------------------------------------------

    def search(self, query: str, k: int, allowed: set[str] | None, named: set[str]) -> SearchResults:
        """Hybrid search; each hit carries its best passage and the entities the query or the filters (`named`)
        pointed at in it."""
        if self.dense is None or not len(self.dense):
            return SearchResults(query, [], {})
        links = self._query_links(query)
        matched = set().union(named, *links)
        # A long query is a document, naming many entities: boosting every paper linked to one of them is noise.
        boost = self._graph_boost(links) if len(query.split()) <= BOOST_MAX_WORDS else None
        hits = rank(query, max(k, FACET_DEPTH) + 1, self.dense, self.keyword, self.kb.encoder, allowed, boost=boost)
        example = self._example_papers(query, hits[:3])
        hits = [h for h in hits if h.paper_id not in example][: max(k, FACET_DEPTH)]
        papers = {p.id: p for p in self.kb.store.papers([h.paper_id for h in hits[:k]])}
        results = []
        for hit in hits[:k]:
            paper = papers.get(hit.paper_id)
            if paper is None:
                continue
            spans = self.kb.store.passage_spans(paper.id)
            start, end = spans[hit.passage_ord] if hit.passage_ord < len(spans) else (0, len(paper.abstract))
            results.append(SearchHit(paper.id, paper.title, round(hit.score, 6), paper.abstract[start:end],
                                     self._matched_entities(paper.id, matched)))
        facets = self.kb.graph.facets([h.paper_id for h in hits])
        return SearchResults(query, results, facets)

    def _example_papers(self, query: str, hits: list[Hit]) -> set[str]:
        """Papers among `hits` whose whole abstract the query contains: such a query is that paper asking for
        others like it (as `similar` does), so the paper itself is no answer."""
        text = " ".join(query.split()).lower()
        if len(text) < EXAMPLE_MIN_CHARS:
            return set()
        return {p.id for p in self.kb.store.papers([h.paper_id for h in hits])
                if len(p.abstract) >= EXAMPLE_MIN_CHARS and " ".join(p.abstract.split()).lower() in text}

    def _query_links(self, query: str) -> list[set[str]]:
        """What the query names, one set of graph nodes per name: an entity (a technique with its narrower
        techniques), or a class of hardware ("on FPGAs": every FPGA)."""
        graph = self.kb.graph.g
        groups: list[set[str]] = []
        for entity in self.kb.extractor.extract(query, "").entities:
            if entity.key in graph or self.kb.vocabulary.get(entity.key):
                nodes = {entity.key}
                if entity.type == "Technique":
                    nodes |= set(descendants(self.kb.vocabulary, entity.key))
                groups.append(nodes)
        for word in set(re.findall(r"[a-z]+", query.lower())):
            device = self.device_classes.get(word)
            if device:
                groups.append({n for n, d in graph.nodes(data=True) if d.get("attr_type") == device})
        return groups

    def _graph_boost(self, groups: list[set[str]]) -> dict[str, float]:
        """Papers linked to what the query names, each with the strength of its rarest match."""
        graph = self.kb.graph.g
        total = max(1, self.kb.store.count_papers())
        boost: dict[str, float] = {}
        for nodes in groups:
            papers = {d["paper"] for n in nodes if n in graph for _, _, d in graph.in_edges(n, data=True)}
            if not papers:
                continue
            weight = math.log1p(total / len(papers)) / math.log1p(total)  # rare links say more
            for paper in papers:
                boost[paper] = max(boost.get(paper, 0.0), weight)
        return boost

    def _matched_entities(self, paper_id: str, matched: set[str]) -> list[EntityRef]:
        """The paper's entities that the query or the filters named."""
        refs = {eid: EntityRef(eid, name, etype) for eid, etype, name, _ in self.kb.graph.paper_entities(paper_id)
                if eid in matched}
        return sorted(refs.values(), key=lambda r: (r.type, r.name))

    def similar(self, pid: str, k: int) -> list[ScoredPaper]:
        if self.dense is None:
            return []
        hits = similar_papers(pid, k, self.dense, self.keyword)
        titles = {p.id: p.title for p in self.kb.store.papers([h.paper_id for h in hits])}
        return [ScoredPaper(h.paper_id, titles.get(h.paper_id, ""), round(h.score, 6)) for h in hits]

    def related(self, technique: str, k: int) -> tuple[EntityRef, list[RelatedTechnique]]:
        target = self._technique(technique)
        dense = self.dense

        def paper_vector(pid: str) -> np.ndarray | None:
            if dense is None or pid not in dense:
                return None
            vectors = dense.vectors(pid)
            return vectors.mean(axis=0) if len(vectors) else None

        def titles(ids: list[str]) -> dict[str, str]:
            return {p.id: p.title for p in self.kb.store.papers(ids)}

        results = self.related_ranker.rank(self.kb.graph, self.kb.vocabulary, target, k, self.kb.store.version,
                                           paper_vector, titles)
        concept = self.kb.vocabulary.get(target)
        name = self.kb.graph.g.nodes[target]["name"] if target in self.kb.graph.g else concept.label if concept else ""
        return EntityRef(target, str(name), "Technique"), results

    def _technique(self, name: str) -> str:
        """A technique in the graph or the vocabulary, by id, name or alias (typos tolerated)."""
        graph, vocabulary = self.kb.graph.g, self.kb.vocabulary
        for candidate in (name, f"technique/{name}"):
            concept = vocabulary.get(candidate)
            if (candidate in graph and graph.nodes[candidate].get("type") == "Technique") or \
                    (concept is not None and concept.type == "Technique"):
                return candidate
        matches = [m for m in self.kb.entities.lookup(name, "Technique", limit=1) if m.entity_id in graph]
        if matches and matches[0].score >= 1.0:
            return matches[0].entity_id
        key = alias_norm(name)
        for concept in vocabulary.of_type("Technique"):
            if key in {alias_norm(label) for label in (concept.label, *concept.aliases)}:
                return concept.id
        if not matches:
            raise NotFound(f"no technique matching {name!r}")
        return matches[0].entity_id

    def sparql(self, query: str, accept: str | None, fmt: str | None) -> SparqlResult:
        return self.sparql_executor.execute(query, accept=accept, fmt=fmt)

    def export(self, fmt: str) -> tuple[str, Iterator[bytes]]:
        if fmt in RDF_FORMATS:
            return self.rdf.export_media_type(fmt), self.rdf.export(fmt)
        if fmt in property_export.PROPERTY_FORMATS:
            snapshot = property_export.snapshot(self.kb.graph.g)
            return property_export.PROPERTY_FORMATS[fmt], property_export.stream(snapshot, fmt)
        allowed = ", ".join((*RDF_FORMATS, *property_export.PROPERTY_FORMATS))
        raise InvalidInput(f"unknown export format {fmt[:20]!r}; use one of {allowed}")

    def ontology(self, accept: str | None) -> tuple[str, bytes]:
        """The ontology in the format the Accept header prefers (Turtle by default)."""
        wanted = (accept or "").lower()
        fmt = next((name for name, (_, media) in ONTOLOGY_FORMATS.items() if media.split(";")[0] in wanted), "turtle")
        return ontology_document(self.kb.settings.base_iri, fmt, self.kb.settings.seeds / "ontology.ttl")

    def index_stats(self) -> dict[str, Any]:
        dense = self.dense.stats() if self.dense is not None else {}
        return {**dense, "dim": self.dense.dim if self.dense else None, "keyword": self.keyword.stats()}

    def rdf_stats(self) -> dict[str, Any]:
        return {"triples": self.rdf.triple_count, "papers": self.rdf.paper_count,
                "sparql": self.sparql_executor.stats()}


def _behind(revs: dict[str, int], indexed: set[str], indexed_version: int) -> tuple[list[str], list[str]]:
    """Papers an index at `indexed_version` lacks or holds stale, and papers it holds that the store does not."""
    changed = sorted(pid for pid, rev in revs.items() if rev > indexed_version or pid not in indexed)
    removed = sorted(indexed - revs.keys())
    return changed, removed


def _dim(vectors: dict[str, np.ndarray], default: int) -> int:
    for matrix in vectors.values():
        if matrix.ndim == 2 and matrix.shape[1]:
            return int(matrix.shape[1])
    return default
