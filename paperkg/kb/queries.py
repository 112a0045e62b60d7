"""Queries over the knowledge base's derived structures: hybrid search, similar papers, related techniques,
exports and the ontology. The caller holds the knowledge base's read lock."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from paperkg.core.errors import InvalidParameter, NotFound
from paperkg.core.formats import names
from paperkg.core.ids import alias_norm, identifier_forms
from paperkg.core.results import EntityRef, RelatedTechnique, ScoredPaper, SearchHit, SearchResults
from paperkg.embeddings.aspects import (
    ASPECTS,
    DEFAULT_ASPECT,
    AspectParams,
    Cues,
    aspect_entities,
    aspect_text,
    sentence_aspects,
)
from paperkg.embeddings.encoder import Encoder
from paperkg.embeddings.ranking import (
    DEFAULT_SIMILAR,
    Boost,
    GraphSignal,
    Hit,
    Hubness,
    SimilarParams,
    neighbour_similarity,
    rank,
    zscores,
)
from paperkg.embeddings.ranking import similar as similar_papers
from paperkg.graph import property_graph
from paperkg.graph.extraction import Extractor
from paperkg.graph.lookup import EntityIndex
from paperkg.graph.network import KnowledgeGraph
from paperkg.graph.rdf.ontology import ontology_document
from paperkg.graph.rdf.serialize import RDF_EXPORTS
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.related import RelatedTechniques
from paperkg.graph.related_model import RelatedModel
from paperkg.graph.sparql.formats import negotiate
from paperkg.graph.taxonomy import load_generic
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb.hits import HitTexts
from paperkg.kb.indexes import Indexes
from paperkg.store import Store


@dataclass(frozen=True)
class QueryParams:
    """Tunables of search beyond the fusion itself (embeddings.ranking.FusionParams)."""

    facet_depth: int = 50
    """Facets count this many top hits."""
    facet_years: int = 20
    """The year facet lists this many years, newest first (the entity facets keep their 20 most frequent)."""
    example_min_chars: int = 200
    """A query holding a whole stored abstract of at least this length is a query by example."""
    boost_max_words: int = 40
    """Queries up to this many words get the graph boost; longer ones are documents."""
    similar_entities: int = 5
    """`similar` also considers the papers linked to this many of the paper's rarest entities."""
    aspect_cache: int = 20_000
    """Papers whose aspect sentences, vectors and entities are kept in memory (all are dropped when it is full)."""
    hit_cache: int = 5_000
    """Papers whose title, abstract and passage spans searches keep for the current data version (kb.hits), and as
    many papers' years (all are dropped when full)."""
    hub_cache: int = 200_000
    """Papers whose hubness (`similar`'s correction) is kept in memory (all are dropped when it is full)."""
    hub_refresh: float = 0.1
    """Kept hubness is dropped once the corpus has grown or shrunk by this share since it was first computed: a
    paper's distance to its nearest neighbours moves slowly as papers arrive, and recomputing it after every write
    would make the first `similar` calls after each write slow (one passage search per candidate: 18.7 ms p50 and
    up to 0.11 s on 1,811 papers, against 3.6 ms once kept). A paper replaced by a write keeps its old value until
    then."""


class Queries:
    """Read-side queries, each handed the components it reads."""

    def __init__(self, store: Store, graph: KnowledgeGraph, entities: EntityIndex, vocabulary: Vocabulary,
                 extractor: Extractor, indexes: Indexes, rdf: RDFGraph, encoder: Callable[[], Encoder],
                 device_classes: dict[str, str], base_iri: str, ontology_path: Path,
                 params: QueryParams | None = None, generic_techniques: Path | None = None,
                 sentence_roles: Path | None = None, aspect_params: AspectParams = DEFAULT_ASPECT,
                 related_model: RelatedModel | None = None) -> None:
        self.store = store
        self.graph = graph
        self.entities = entities
        self.vocabulary = vocabulary
        self.extractor = extractor
        self.indexes = indexes
        self.rdf = rdf
        self.encoder = encoder
        self.device_classes = device_classes
        self.base_iri = base_iri
        self.ontology_path = ontology_path
        self.params = params or QueryParams()
        generic = load_generic(generic_techniques) if generic_techniques is not None else frozenset()
        self.related_ranker = RelatedTechniques(generic=generic, model=related_model)
        self.cues = Cues.load(sentence_roles) if sentence_roles is not None else Cues(())
        self.aspect_params = aspect_params
        self._aspects: dict[str, tuple[dict[str, str], dict[str, dict[str, float]]]] = {}
        self._aspect_vectors: dict[tuple[str, str], np.ndarray] = {}
        self._aspect_version = -1
        self._hubs: dict[tuple[str, int], float] = {}
        self._hub_papers = -1
        self._hit_texts = HitTexts(self.params.hit_cache)

    def search(self, query: str, k: int, allowed: set[str] | None, named: set[str]) -> SearchResults:
        """Hybrid search; each hit carries its best passage and the entities the query or the filters (`named`)
        pointed at in it."""
        dense = self.indexes.dense
        if dense is None or not len(dense):
            return SearchResults(query, [], {})
        links = self._query_links(query)
        matched = set().union(named, *links)
        # A long query is a document, naming many entities: boosting every paper linked to one of them is noise.
        boost = self._graph_boost(links) if len(query.split()) <= self.params.boost_max_words else None
        depth = max(k, self.params.facet_depth)
        hits = rank(query, depth + 1, dense, self.indexes.keyword, self.encoder(), allowed, boost=boost)
        named_paper = self._identified(query, allowed, hits[0].score + 1.0 if hits else 1.0)
        hits = named_paper + [h for h in hits if h.paper_id not in {n.paper_id for n in named_paper}]
        example = self._example_papers(query, hits[:3])
        hits = [h for h in hits if h.paper_id not in example][:depth]
        ranked = [h.paper_id for h in hits]
        texts, years_of = self._hit_texts.read(self.store, ranked[:k], ranked)
        results = [SearchHit(hit.paper_id, text.title, round(hit.score, 6), text.passage(hit.passage_ord),
                             self._matched_entities(hit.paper_id, matched), text.year)
                   for hit in hits[:k] if (text := texts.get(hit.paper_id)) is not None]
        facets = self.graph.facets(ranked)
        years = Counter(years_of.values())
        if years:  # newest first
            facets["year"] = {str(year): years[year] for year in sorted(years, reverse=True)[:self.params.facet_years]}
        return SearchResults(query, results, facets)

    def _identified(self, query: str, allowed: set[str] | None, score: float) -> list[Hit]:
        """The paper a pasted arXiv id or DOI names (its own id, or an id of a paper read from arXiv, OpenAlex, ...), as
        a hit with the given score."""
        for form in identifier_forms(query):
            paper_id = self.store.resolve(form)
            if paper_id is not None and (allowed is None or paper_id in allowed):
                return [Hit(paper_id, score, 0, 0.0, 0.0)]
        return []

    def _example_papers(self, query: str, hits: list[Hit]) -> set[str]:
        """Papers among `hits` whose whole abstract the query contains: such a query is that paper asking for
        others like it (as `similar` does), so the paper itself is no answer."""
        text = " ".join(query.split()).lower()
        if len(text) < self.params.example_min_chars:
            return set()
        return {p.id for p in self.store.papers([h.paper_id for h in hits])
                if len(p.abstract) >= self.params.example_min_chars and " ".join(p.abstract.split()).lower() in text}

    def _query_links(self, query: str) -> list[set[str]]:
        """What the query names, one set of graph nodes per name: an entity (a technique with its narrower
        techniques), or a class of hardware ("on FPGAs": every FPGA)."""
        groups: list[set[str]] = []
        named = [(e.key, e.type) for e in self.extractor.extract(query, "").entities
                 if e.key in self.graph or self.vocabulary.get(e.key)]
        seen = {key for key, _ in named}
        for key in self.vocabulary.named_in_lowercase(query):  # "lora on a100", as people type
            concept = self.vocabulary.get(key)
            if key not in seen and concept is not None:
                named.append((key, concept.type))
        for key, entity_type in named:
            nodes = {key}
            if entity_type == "Technique":
                nodes |= set(self.vocabulary.descendants(key))
            groups.append(nodes)
        for word in set(re.findall(r"[a-z]+", query.lower())):
            device = self.device_classes.get(word)
            if device:
                groups.append(set(self.graph.nodes_with("attr_type", device)))
        return groups

    def _graph_boost(self, groups: list[set[str]]) -> Boost:
        """Papers linked to what the query names, each group with a strength (its paper's is its strongest)."""
        total = max(1, len(self.indexes.keyword))  # the papers, without a COUNT(*) over the store per query
        found = []
        for nodes in groups:
            papers = self.graph.linked_papers(nodes)
            if papers:
                found.append((papers, math.log1p(total / len(papers)) / math.log1p(total)))  # rare links say more
        return Boost(tuple(found))

    def _matched_entities(self, paper_id: str, matched: set[str]) -> list[EntityRef]:
        """The paper's entities that the query or the filters named."""
        refs = {eid: EntityRef(eid, name, etype) for eid, etype, name, _ in self.graph.paper_entities(paper_id)
                if eid in matched}
        return sorted(refs.values(), key=lambda r: (r.type, r.name))

    def similar(self, pid: str, k: int, params: SimilarParams = DEFAULT_SIMILAR,
                aspect: str | None = None) -> list[ScoredPaper]:
        """The k papers most like `pid`: as a whole, or by one aspect (method, task, results; embeddings.aspects)."""
        if self.indexes.dense is None:
            return []
        if aspect is not None:
            hits = self.similar_by_aspect(pid, k, aspect, params)
        else:
            hits = self.similar_whole(pid, k, params)
        titles = {p.id: p.title for p in self.store.papers([h.paper_id for h in hits])}
        return [ScoredPaper(h.paper_id, titles.get(h.paper_id, ""), round(h.score, 6)) for h in hits]

    def similar_whole(self, pid: str, k: int, params: SimilarParams = DEFAULT_SIMILAR,
                      allowed: set[str] | None = None) -> list[Hit]:
        """Papers like `pid` as a whole: the passage and keyword ranking; with AspectParams.whole_method or
        whole_task set (off by default), its best candidates re-ranked by the similarity of the two papers' method
        sentences and of their task sentences."""
        dense, w = self.indexes.dense, self.aspect_params
        assert dense is not None
        signal, linked = self.graph_similarity(pid) if params.graph_weight > 0 else (None, [])
        weights = {"method": w.whole_method, "task": w.whole_task}
        depth = max(k, w.depth) if any(weights.values()) else k
        hits = similar_papers(pid, depth, dense, self.indexes.keyword, allowed, graph=signal,
                              graph_candidates=linked, similar_params=params, hubness=self.hubness(params))
        if not hits or not any(weights.values()):
            return hits[:k]
        candidates = [h.paper_id for h in hits]
        fused = zscores(np.array([h.score for h in hits]))
        for aspect, weight in weights.items():
            if weight:
                mine = self._aspect_vector([pid], aspect)[pid]
                vectors = self._aspect_vector(candidates, aspect)
                fused = fused + weight * zscores(np.array([float(vectors[c] @ mine) for c in candidates]))
        order = sorted(range(len(hits)), key=lambda i: (-fused[i], candidates[i]))[:k]
        return [replace(hits[i], score=float(fused[i])) for i in order]

    def similar_by_aspect(self, pid: str, k: int, aspect: str, params: SimilarParams = DEFAULT_SIMILAR,
                          allowed: set[str] | None = None) -> list[Hit]:
        """Papers like `pid` in one aspect: the whole-paper ranking fused with the similarity of the two papers'
        aspect sentences (each encoded on its own) and the overlap of the entities they name in that aspect."""
        dense, w = self.indexes.dense, self.aspect_params
        assert dense is not None
        base = {h.paper_id: h.score for h in similar_papers(pid, w.depth, dense, self.indexes.keyword, allowed,
                                                             similar_params=params, hubness=self.hubness(params))}
        mine = self._aspect_vector([pid], aspect)[pid]
        near = [p for p, _, _ in dense.search(mine, w.depth * 2, allowed) if p != pid]
        profile = self._aspect_info([pid])[pid][1][aspect]
        rarest = sorted(profile, key=lambda e: (-profile[e], e))[:self.params.similar_entities]
        # each entity's papers in id order: a set's own order depends on the process's hash seed, and the cut below
        # would keep another subset in every process
        linked = [p for e in rarest for p in sorted(self.graph.papers_citing(e))
                  if p != pid and p in dense and (allowed is None or p in allowed)]
        candidates = list(dict.fromkeys([*base, *near[:w.depth], *linked[:w.depth]]))
        if not candidates:
            return []
        vectors = self._aspect_vector(candidates, aspect)
        infos = self._aspect_info(candidates)
        floor = min(base.values(), default=0.0)
        whole = np.array([base.get(c, floor) for c in candidates])
        text = np.array([float(vectors[c] @ mine) for c in candidates])
        graph = np.array([_cosine(profile, infos[c][1][aspect]) for c in candidates])
        fused = w.whole_weight * zscores(whole) + w.text_weight * zscores(text) + w.graph_weight * zscores(graph)
        order = sorted(range(len(candidates)), key=lambda i: (-fused[i], candidates[i]))[:k]
        return [Hit(candidates[i], float(fused[i]), 0, float(text[i]), float(graph[i])) for i in order]

    def hubness(self, params: SimilarParams) -> Hubness | None:
        """Each paper's mean similarity to its nearest papers, computed once per paper until the corpus has changed
        size by QueryParams.hub_refresh."""
        dense = self.indexes.dense
        if dense is None or not params.hub_weight:
            return None

        def hubness(pids: list[str]) -> np.ndarray:
            papers = len(dense)
            if (abs(papers - self._hub_papers) > self.params.hub_refresh * self._hub_papers
                    or len(self._hubs) > self.params.hub_cache):
                self._hubs = {}  # a new dict: a reader still filling the old one keeps its own
                self._hub_papers = papers
            hubs, neighbours = self._hubs, params.hub_neighbours
            for pid in pids:
                if (pid, neighbours) not in hubs:
                    hubs[(pid, neighbours)] = neighbour_similarity(pid, dense, neighbours)
            return np.array([hubs[(pid, neighbours)] for pid in pids])

        return hubness

    def _aspect_info(self, pids: list[str]) -> dict[str, tuple[dict[str, str], dict[str, dict[str, float]]]]:
        """Per paper: its text per aspect, and the entities it names per aspect weighted by rarity (cached)."""
        if self._aspect_version != self.store.version or len(self._aspects) > self.params.aspect_cache:
            self._aspects.clear()
            self._aspect_vectors.clear()
            self._aspect_version = self.store.version
        missing = [p for p in pids if p not in self._aspects]
        if missing:
            mentions, relations = self.store.mentions_of(missing), self.store.relations_of(missing)
            total = max(1, self.store.count_papers())
            for paper in self.store.papers(missing):
                rels = [r for r in relations.get(paper.id, []) if r.field == "abstract"]
                spans = sentence_aspects(paper.abstract, self.cues, [(r.predicate, r.start) for r in rels],
                                         self.aspect_params)
                ents = [(m.entity_id, m.start, m.end) for m in mentions.get(paper.id, []) if m.field == "abstract"]
                texts, profiles = {}, {}
                for aspect in ASPECTS:
                    texts[aspect] = aspect_text(paper.title, paper.abstract, aspect, spans)
                    named = aspect_entities(ents, [(r.predicate, r.object) for r in rels], spans, aspect)
                    profiles[aspect] = {e: math.log(1.0 + total / max(1, len(self.graph.papers_citing(e))))
                                        for e in named if e in self.graph}
                self._aspects[paper.id] = (texts, profiles)
        return {p: self._aspects.get(p, ({}, {aspect: {} for aspect in ASPECTS})) for p in pids}

    def _aspect_vector(self, pids: list[str], aspect: str) -> dict[str, np.ndarray]:
        """Unit vectors of the papers' aspect texts (cached with the aspect texts; another reader may clear the
        cache meanwhile, so the answer is built from what this call found or encoded)."""
        infos = self._aspect_info(pids)
        found = {p: vector for p in pids if (vector := self._aspect_vectors.get((p, aspect))) is not None}
        missing = [p for p in pids if p not in found]
        if missing:
            encoded = self.encoder().encode([infos[p][0].get(aspect, "") for p in missing], 32)
            for p, vector in zip(missing, encoded, strict=True):
                found[p] = self._aspect_vectors[(p, aspect)] = vector / (np.linalg.norm(vector) or 1.0)
        return found

    def graph_similarity(self, pid: str) -> tuple[GraphSignal, list[str]]:
        """How much each candidate shares the paper's entities (cosine of rarity-weighted entity sets), and the
        papers linked to its rarest entities (candidates the text alone may miss)."""
        profile = self._entity_profile(pid)
        rarest = sorted(profile, key=lambda e: (-profile[e], e))[:self.params.similar_entities]
        linked = sorted({p for e in rarest for p in self.graph.papers_citing(e)})

        def signal(candidates: list[str]) -> np.ndarray:
            return np.array([_cosine(profile, self._entity_profile(c)) for c in candidates])

        return signal, linked

    def _entity_profile(self, pid: str) -> dict[str, float]:
        """The paper's techniques, datasets, hardware, models and software, each weighted by its rarity (idf)."""
        total = max(1, self.store.count_papers())
        return {eid: math.log(1.0 + total / max(1, len(self.graph.papers_citing(eid))))
                for eid, _, _, _ in self.graph.paper_entities(pid)}

    def paper_vector(self, pid: str) -> np.ndarray | None:
        """The mean of a paper's passage vectors (what related techniques' contexts average), None if unembedded."""
        dense = self.indexes.dense
        if dense is None or pid not in dense:
            return None
        vectors = dense.vectors(pid)
        return vectors.mean(axis=0) if len(vectors) else None

    def related(self, technique: str, k: int, corpus_only: bool = False) -> tuple[EntityRef, list[RelatedTechnique]]:
        target = self._technique(technique)

        def titles(ids: list[str]) -> dict[str, str]:
            return {p.id: p.title for p in self.store.papers(ids)}

        results = self.related_ranker.rank(self.graph, self.vocabulary, target, k, self.store.version,
                                           self.paper_vector, titles, corpus_only)
        concept = self.vocabulary.get(target)
        return EntityRef(target, self.graph.name(target, concept.label if concept else ""), "Technique"), results

    def _technique(self, name: str) -> str:
        """A technique in the graph or the vocabulary, by id, name or alias (typos tolerated)."""
        graph, vocabulary = self.graph, self.vocabulary
        for candidate in (name, f"technique/{name}"):
            concept = vocabulary.get(candidate)
            if graph.type_of(candidate) == "Technique" or (concept is not None and concept.type == "Technique"):
                return candidate
        matches = [m for m in self.entities.lookup(name, "Technique", limit=1) if m.entity_id in graph]
        if matches and matches[0].score >= 1.0:
            return matches[0].entity_id
        key = alias_norm(name)
        for concept in vocabulary.of_type("Technique"):
            if key in {alias_norm(label) for label in (concept.label, *concept.aliases)}:
                return concept.id
        if not matches:
            raise NotFound(f"no technique matching {name!r}")
        return matches[0].entity_id

    def export(self, fmt: str) -> tuple[str, Iterator[bytes]]:
        if fmt in RDF_EXPORTS:
            return self.rdf.export_media_type(fmt), self.rdf.export(fmt)
        if fmt in property_graph.PROPERTY_FORMATS:
            return property_graph.PROPERTY_FORMATS[fmt], property_graph.stream(self.graph.snapshot(), fmt)
        raise InvalidParameter(f"unknown export format {fmt[:20]!r}; use one of {', '.join(names('export'))}")

    def ontology(self, accept: str | None) -> tuple[str, bytes]:
        """The ontology in the format the Accept header prefers (Turtle by default; NotAcceptable when it accepts
        no RDF graph format)."""
        return ontology_document(self.base_iri, negotiate("construct", accept), self.ontology_path)


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two sparse weight vectors."""
    dot = sum(weight * b[key] for key, weight in a.items() if key in b)
    if not dot:
        return 0.0
    return dot / math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))
