"""Related techniques: co-occurrence, graph proximity, the SKOS taxonomy and context similarity, weighed by a learned
model (related_model.py) or a fixed fusion, each result explained (shared papers, graph path, taxonomy link,
similarity)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from paperkg.core.results import RelatedTechnique
from paperkg.graph.network import KnowledgeGraph
from paperkg.graph.related_model import PairEvidence, RelatedModel, link_kind
from paperkg.graph.taxonomy import Taxonomy, TaxonomyParams, roles, techniques
from paperkg.graph.vocabulary import Vocabulary

PaperVector = Callable[[str], "np.ndarray | None"]


@dataclass(frozen=True)
class RelatedParams:
    """The tunables of related-technique ranking (set on the seed corpus; see README, "related techniques")."""

    taxonomy: float = 0.35
    """Weight of the taxonomy link's strength (taxonomy.LINK_SCORES)."""
    cooccurrence: float = 0.30
    """Weight of role-weighted shared papers."""
    graph: float = 0.15
    """Weight of personalised PageRank proximity."""
    embedding: float = 0.20
    """Weight of the similarity of the contexts (mean paper vectors) the two techniques appear in."""
    cooccurrence_gain: float = 1.5
    """Scales the smoothed overlap so that sharing about two thirds of the papers already counts fully."""
    similarity_floor: float = 0.3
    """Context cosine at or below which similarity counts nothing (unrelated MiniLM texts sit around 0.2-0.3)."""
    similarity_span: float = 0.6
    """Cosine range above the floor over which similarity rises to full credit."""
    min_score: float = 0.05
    """Fused scores at or below this are noise and dropped."""
    min_unlinked_similarity: float = 0.5
    """A candidate with no shared paper and no taxonomy link needs at least this scaled context similarity
    (only when `require_evidence` is off)."""
    require_evidence: bool = True
    """Offer only candidates backed by evidence that `why` can show: a shared paper or a taxonomy link. Similar
    contexts alone (two techniques talked about in similar words) rank candidates but never admit one."""
    links: TaxonomyParams = field(default_factory=TaxonomyParams)
    """How taxonomy links are found and weighed (graph/taxonomy.py)."""
    proximity_depth: int = 2
    """Hops of the neighbourhood that PageRank runs over."""
    pagerank_alpha: float = 0.85
    max_context_papers: int = 200
    """Papers averaged into a technique's context vector at most."""
    generic_penalty: float = 0.25
    """Factor on the score of a generic technique (seeds/vocab/generic_techniques.txt): it is shown only when
    nothing more specific scores higher."""
    min_unlinked_share: float = 0.3
    """A candidate without a taxonomy link, backed by shared papers only, must be named beside the target in at
    least this share of its papers, unless its papers are about the same things as the target's
    (`unlinked_context`). A hub met by chance falls short ("diffusion models" in 1 of its 13 papers beside mixture
    of experts, "Transformer" in 1 of 7 beside sequence parallelism); so does a technique named in many papers
    and only rarely with the target, whatever the corpus size (unlike pointwise mutual information, which
    unrelated papers added to the corpus inflate)."""
    unlinked_context: float = 0.87
    """Context cosine (mean paper vectors) from which a candidate short of `min_unlinked_share` is still shown:
    papers about the same things (neural radiance fields beside 3D Gaussian splatting)."""
    vocabulary_only: float = 1.3
    """Factor on the taxonomy score of a vocabulary technique that no paper of the corpus names (AWQ beside GPTQ in
    a corpus without an AWQ paper); 0 offers none. At 1.3 a direct link (0.35 x 1.0 x 1.3, about 0.46) ranks above
    a technique the corpus names beside the target in one paper with no link (about 0.35-0.45), and below one
    backed by a link and a shared paper (0.6 and up)."""
    unlinked_single: float = 0.2
    """Factor on the score of a candidate backed by one shared paper and no taxonomy link: one paper names many
    techniques side by side, most of them about something else ("kernel fusion" beside sequence parallelism). Such
    candidates were right 0.29 of the time in the old judged pool, vocabulary-only siblings 0.56: at 0.2 the best of
    them (0.65 x 0.2) ranks after a sibling under a parent of 29 children (about 0.13), so they only fill the places
    the links leave."""
    min_vocabulary_link: float = 0.5
    """The taxonomy link strength (LINK_SCORES times specificity) a vocabulary-only technique needs: a broader or
    narrower technique, a descendant, an associative link (skos:related) or a kind of an associated technique; not
    a cousin."""
    learned: bool = True
    """Order candidates by the learned model of seeds/scorer/related_ranker.json (bench/train_related.py) where one
    is shipped; the weights above then only explain (`why.signals`), and the filters below still apply."""
    min_probability: float = 0.05
    """With the learned model: results it gives at most this probability of being related are dropped."""
    min_vocabulary_sibling: float = 0.0
    """The same for a sibling. A sibling under a parent with many children is diluted (`reference_fanout`) and ranks
    low, but is still offered: another post-training quantization method beside GPTQ, another LoRA variant beside
    QLoRA. Siblings under an umbrella are no link at all (taxonomy.py)."""


@dataclass(frozen=True)
class _Target:
    target: str
    roles: dict[str, float]
    """Paper -> the strongest role the target (or a technique under it) has there."""
    context: np.ndarray | None
    proximity: dict[str, float]


@dataclass(frozen=True)
class _Pair:
    evidence: PairEvidence
    shared: list[str]
    link: tuple[str, list[str], float] | None
    penalty: float
    """The fusion's factor for an umbrella or a candidate backed by one paper and no link."""


CACHED_LISTS = 1024
"""Related lists kept until the next write (a hub's takes a second or more at 100k papers)."""
class RelatedTechniques:
    """Scores every technique in the graph against one technique; context vectors are cached per data version."""

    def __init__(self, params: RelatedParams | None = None, generic: frozenset[str] = frozenset(),
                 model: RelatedModel | None = None) -> None:
        self.params = params or RelatedParams()
        self.generic = generic
        self.model = model if self.params.learned else None
        """Orders the candidates by the probability that they are related (related_model.py); without one, by
        the weighted fusion of RelatedParams."""
        self._contexts: dict[str, np.ndarray | None] = {}
        self._roles: dict[str, dict[str, float]] = {}
        self._lists: dict[tuple[str, int, bool], list[RelatedTechnique]] = {}
        self._taxonomy: Taxonomy | None = None
        self._version = -1

    def invalidate(self) -> None:
        self._contexts.clear()
        self._roles.clear()
        self._lists.clear()
        self._taxonomy = None
        self._version = -1

    def _roles_of(self, graph: KnowledgeGraph, entity_id: str) -> dict[str, float]:
        found = self._roles.get(entity_id)
        if found is None:
            found = self._roles[entity_id] = roles(graph, entity_id)
        return found

    def _context(self, graph: KnowledgeGraph, entity_id: str, paper_vector: PaperVector) -> np.ndarray | None:
        """Mean vector of the papers that name the technique: what it is talked about with."""
        if entity_id not in self._contexts:
            vectors = [v for p in sorted(self._roles_of(graph, entity_id))[:self.params.max_context_papers]
                       if (v := paper_vector(p)) is not None]
            self._contexts[entity_id] = _unit(np.mean(vectors, axis=0)) if vectors else None
        return self._contexts[entity_id]

    def rank(self, graph: KnowledgeGraph, vocabulary: Vocabulary, target: str, k: int, version: int,
             paper_vector: PaperVector, titles: Callable[[list[str]], dict[str, str]],
             corpus_only: bool = False) -> list[RelatedTechnique]:
        """The k techniques most related to `target`: a technique in the graph, or a vocabulary concept whose
        narrower techniques are in the graph. Unless `corpus_only`, the vocabulary's taxonomy relatives that no paper
        names may fill the places the corpus leaves (`RelatedParams.vocabulary_only`)."""
        if version != self._version:
            self.invalidate()
            self._version = version
        taxonomy = self._taxonomy_of(graph, vocabulary)
        found = self._lists.get((target, k, corpus_only))
        if found is None:
            if len(self._lists) >= CACHED_LISTS:
                self._lists.clear()
            found = self._lists[(target, k, corpus_only)] = self._rank(graph, taxonomy, target, k, paper_vector,
                                                                       titles, corpus_only)
        return list(found)

    def _rank(self, graph: KnowledgeGraph, taxonomy: Taxonomy, target: str, k: int, paper_vector: PaperVector,
              titles: Callable[[list[str]], dict[str, str]], corpus_only: bool) -> list[RelatedTechnique]:
        w = self.params
        side = self._target_side(graph, taxonomy, target, paper_vector)
        relatives = taxonomy.relatives(target)
        if w.require_evidence:
            # Only a technique named in one of those papers or linked in the taxonomy can be shown (a result needs
            # evidence), so only those are scored: scoring every technique took seconds per call at 100k papers.
            possible = relatives | {e for paper in side.roles for e, kind, _, _ in graph.paper_entities(paper)
                                    if kind == "Technique"}
            candidates = [c for c in techniques(graph) if c != target and c in possible]
        else:
            candidates = [c for c in techniques(graph) if c != target]
        # Every signal but the context similarity first, for every candidate; the similarity (a mean of up to
        # max_context_papers vectors per candidate, the dearest part at a hub) only while a candidate can still
        # reach the top k, taking it at full credit: the same k results as scoring all of them.
        partial: list[tuple[float, str, _Pair]] = []
        for cand in candidates:
            pair = self._pair(graph, taxonomy, side, cand)
            if not pair.shared and not pair.link and w.require_evidence:
                continue  # unbacked
            partial.append((self._score(pair, None), cand, pair))
        partial.sort(key=lambda r: (-r[0], r[1]))
        rows: list[tuple[float, str, dict[str, Any]]] = []
        for bound, cand, pair in partial:
            if len(rows) >= k and bound < rows[k - 1][0]:
                break  # neither this candidate nor any after it can reach the top k
            similarity = self._similarity(graph, side, cand, paper_vector)
            score = self._score(pair, similarity)
            emb = self._scaled(similarity)
            unbacked = not pair.shared and not pair.link
            if not pair.link and pair.shared and pair.evidence.share < w.min_unlinked_share \
                    and similarity < w.unlinked_context:
                continue  # a hub met by chance: named in many papers, rarely beside the target
            if score <= (w.min_probability if self.model else w.min_score) or \
                    (unbacked and (w.require_evidence or emb < w.min_unlinked_similarity)):
                continue
            e = pair.evidence
            signals = {"taxonomy": round(e.strength, 4), "cooccurrence": round(e.cooccurrence, 4),
                       "graph": round(e.proximity, 4), "embedding": round(emb, 4)}
            bisect.insort(rows, (score, cand, {"shared": pair.shared, "link": pair.link, "similarity": similarity,
                                               "signals": signals}),
                          key=lambda r: (-r[0], r[1]))
        if not corpus_only and w.vocabulary_only > 0:
            for row in self._vocabulary_only(graph, taxonomy, side, relatives):
                bisect.insort(rows, row, key=lambda r: (-r[0], r[1]))
        return [self._explain(graph, taxonomy, target, score, cand, info, titles) for score, cand, info in rows[:k]]

    def evidence(self, graph: KnowledgeGraph, vocabulary: Vocabulary, target: str, candidates: list[str],
                 paper_vector: PaperVector) -> dict[str, PairEvidence]:
        """The evidence `rank` weighs for each candidate (in the graph or the vocabulary) beside `target`, whether
        or not it would be shown: what bench/train_related.py learns the order from."""
        taxonomy = self._taxonomy_of(graph, vocabulary)
        side = self._target_side(graph, taxonomy, target, paper_vector)
        found = {}
        for cand in candidates:
            pair = self._pair(graph, taxonomy, side, cand)
            found[cand] = replace(pair.evidence, similarity=self._similarity(graph, side, cand, paper_vector))
        return found

    def _taxonomy_of(self, graph: KnowledgeGraph, vocabulary: Vocabulary) -> Taxonomy:
        """The taxonomy over this graph and vocabulary, built once (the cached lists go with a new one)."""
        taxonomy = self._taxonomy
        if taxonomy is None or taxonomy.graph is not graph or taxonomy.vocabulary is not vocabulary:
            taxonomy = self._taxonomy = Taxonomy(graph, vocabulary, self.params.links, self.generic,
                                                 lambda node: self._roles_of(graph, node))
            self._lists.clear()
        return taxonomy

    def _target_side(self, graph: KnowledgeGraph, taxonomy: Taxonomy, target: str,
                     paper_vector: PaperVector) -> _Target:
        # The target stands for itself and everything under it: "quantization" is also what its PTQ papers do.
        extension = ([target] if target in graph else []) + [c for c in taxonomy.descendants(target) if c in graph]
        target_roles: dict[str, float] = {}
        for node in extension:
            for paper, weight in self._roles_of(graph, node).items():
                target_roles[paper] = max(target_roles.get(paper, 0.0), weight)
        contexts = [c for n in extension if (c := self._context(graph, n, paper_vector)) is not None]
        return _Target(target, target_roles, _unit(np.mean(contexts, axis=0)) if contexts else None,
                       self._proximity(graph, target, self.params))

    def _pair(self, graph: KnowledgeGraph, taxonomy: Taxonomy, side: _Target, cand: str) -> _Pair:
        """Every signal of a candidate but its context similarity."""
        w = self.params
        cand_roles = self._roles_of(graph, cand) if cand in graph else {}
        small, large = (cand_roles, side.roles) if len(cand_roles) < len(side.roles) else (side.roles, cand_roles)
        shared = sorted(p for p in small if p in large)
        overlap = sum(min(side.roles[p], cand_roles[p]) for p in shared)
        # +1 smoothing: one shared paper between two rare techniques is weak evidence
        cooc = min(1.0, w.cooccurrence_gain * overlap / math.sqrt((len(side.roles) + 1) * (len(cand_roles) + 1)))
        link = taxonomy.link(side.target, cand)
        generic = taxonomy.is_generic(cand)
        penalty = w.generic_penalty if generic else 1.0
        if not link and len(shared) == 1:
            penalty *= w.unlinked_single
        parent = link[1][1] if link and link[0] in ("sibling", "cousin") else None
        evidence = PairEvidence(link_kind(link), link[2] if link else 0.0,
                                taxonomy.fanout(parent) if parent else 0,
                                taxonomy.subtree_size(parent) if parent else 0, len(shared), cooc,
                                len(shared) / max(1, len(cand_roles)), 0.0, side.proximity.get(cand, 0.0), generic)
        return _Pair(evidence, shared, link, penalty)

    def _similarity(self, graph: KnowledgeGraph, side: _Target, cand: str, paper_vector: PaperVector) -> float:
        if side.context is None or cand not in graph:
            return 0.0
        context = self._context(graph, cand, paper_vector)
        return float(side.context @ context) if context is not None else 0.0

    def _scaled(self, similarity: float) -> float:
        w = self.params
        return min(1.0, max(0.0, (similarity - w.similarity_floor) / w.similarity_span))

    def _score(self, pair: _Pair, similarity: float | None) -> float:
        """The pair's score; with `similarity` None, the most it can reach whatever its similarity."""
        w, e = self.params, pair.evidence
        if self.model:
            if similarity is None:
                return self.model.bound(e)
            return self.model.probability(replace(e, similarity=similarity))
        emb = 1.0 if similarity is None else self._scaled(similarity)
        return (w.taxonomy * e.strength + w.cooccurrence * e.cooccurrence + w.graph * e.proximity
                + w.embedding * emb) * pair.penalty

    def _vocabulary_only(self, graph: KnowledgeGraph, taxonomy: Taxonomy, side: _Target,
                         relatives: set[str]) -> list[tuple[float, str, dict[str, Any]]]:
        """The target's taxonomy `relatives` that no paper names, scored by the link alone; umbrellas never."""
        w = self.params
        found = []
        for cand in relatives:
            if cand in graph or taxonomy.is_generic(cand):
                continue
            pair = self._pair(graph, taxonomy, side, cand)
            link = pair.link
            if link is None or link[2] < (w.min_vocabulary_sibling if link[0] == "sibling" else w.min_vocabulary_link):
                continue
            if self.model:
                score = self.model.probability(pair.evidence)
                if score <= w.min_probability:
                    continue
            else:
                score = w.taxonomy * link[2] * w.vocabulary_only
            signals = {"taxonomy": round(link[2], 4), "cooccurrence": 0.0, "graph": 0.0, "embedding": 0.0}
            found.append((score, cand, {"shared": [], "link": link, "similarity": 0.0, "signals": signals}))
        return found

    @staticmethod
    def _proximity(graph: KnowledgeGraph, target: str, params: RelatedParams) -> dict[str, float]:
        """Personalised PageRank from the target over its neighbourhood, scaled to [0, 1]."""
        ranks = graph.personalised_pagerank(target, params.proximity_depth, params.pagerank_alpha)
        scores = {n: r for n, r in ranks.items() if n != target and graph.type_of(n) == "Technique"}
        top = max(scores.values(), default=0.0)
        return {n: r / top for n, r in scores.items()} if top else {}

    @staticmethod
    def _explain(graph: KnowledgeGraph, taxonomy: Taxonomy, target: str, score: float, cand: str,
                 info: dict[str, Any], titles: Callable[[list[str]], dict[str, str]]) -> RelatedTechnique:
        shared: list[str] = info["shared"]
        summary: list[str] = []
        link = info["link"]
        if link:
            summary.append(f"{link[0]} in the taxonomy (via {' > '.join(taxonomy.label(n) for n in link[1])})")
        if shared:
            summary.append(f"{len(shared)} shared paper{'s' if len(shared) > 1 else ''}")
        if info["similarity"] >= 0.5:
            summary.append(f"similar contexts ({info['similarity']:.2f})")
        in_corpus = cand in graph
        if not in_corpus:
            summary.append("in the vocabulary only: no paper of this corpus names it")
        path = graph.shortest_path(target, cand)
        names = titles(shared[:5])
        why = {
            "summary": summary,
            "shared_papers": [{"id": p, "title": names.get(p, "")} for p in shared[:5]],
            "shared_paper_count": len(shared),
            "taxonomy": {"relation": link[0], "path": link[1]} if link else None,
            "path": path,
            "similarity": round(info["similarity"], 4),
            "signals": info["signals"],
            "in_corpus": in_corpus,
        }
        return RelatedTechnique(cand, taxonomy.label(cand), round(score, 4), why)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)
