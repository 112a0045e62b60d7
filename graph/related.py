"""Related techniques: a fusion of co-occurrence, graph proximity, the SKOS taxonomy and context similarity,
each result explained (shared papers, graph path, taxonomy link, similarity)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from graph.network import KnowledgeGraph
from graph.vocabulary import Vocabulary
from paperkg.results import RelatedTechnique

PaperVector = Callable[[str], "np.ndarray | None"]


@dataclass(frozen=True)
class Weights:
    taxonomy: float = 0.35
    cooccurrence: float = 0.30
    graph: float = 0.15
    embedding: float = 0.20


TAXONOMY_SCORES = {"broader": 1.0, "narrower": 1.0, "sibling": 0.7, "ancestor": 0.6, "descendant": 0.6,
                   "variant": 0.6, "cousin": 0.35}
MAX_CONTEXT_PAPERS = 200


def techniques(graph: KnowledgeGraph) -> list[str]:
    return [n for n, d in graph.g.nodes(data=True) if d.get("type") == "Technique"]


def papers_of(graph: KnowledgeGraph, entity_id: str) -> set[str]:
    return {d["paper"] for _, _, d in graph.g.in_edges(entity_id, data=True)} | \
        {d["paper"] for _, _, d in graph.g.out_edges(entity_id, data=True)}


def taxonomy_link(vocabulary: Vocabulary, graph: KnowledgeGraph, a: str, b: str) -> tuple[str, list[str]] | None:
    """How b relates to a in the SKOS taxonomy (or, for names outside it, by a shared head word)."""
    if b in vocabulary.broader(a):
        return "broader", [a, b]
    if a in vocabulary.broader(b):
        return "narrower", [a, b]
    up_a, up_b = vocabulary.ancestors(a), vocabulary.ancestors(b)
    if b in up_a:
        return "ancestor", [a, *up_a[: up_a.index(b) + 1]]
    if a in up_b:
        return "descendant", [b, *up_b[: up_b.index(a) + 1]][::-1]
    shared = set(vocabulary.broader(a)) & set(vocabulary.broader(b))
    if shared:
        return "sibling", [a, sorted(shared)[0], b]
    common = [x for x in up_a if x in up_b]
    if common and (common[0] in vocabulary.broader(a) or common[0] in vocabulary.broader(b)):
        return "cousin", [a, common[0], b]
    name_a, name_b = (graph.g.nodes[n]["name"].lower() for n in (a, b))
    if len(name_a) >= 4 and len(name_b) >= 4 and (name_b.endswith(name_a) or name_a.endswith(name_b)):
        return "variant", [a, b]
    return None


class RelatedTechniques:
    """Scores every technique in the graph against one technique; context vectors are cached per data version."""

    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or Weights()
        self._contexts: dict[str, np.ndarray] = {}
        self._version = -1

    def invalidate(self) -> None:
        self._contexts.clear()
        self._version = -1

    def _context(self, graph: KnowledgeGraph, entity_id: str, paper_vector: PaperVector) -> np.ndarray | None:
        if entity_id not in self._contexts:
            vectors = [v for p in sorted(papers_of(graph, entity_id))[:MAX_CONTEXT_PAPERS]
                       if (v := paper_vector(p)) is not None]
            if not vectors:
                return None
            mean = np.mean(vectors, axis=0)
            self._contexts[entity_id] = mean / (np.linalg.norm(mean) or 1.0)
        return self._contexts[entity_id]

    def rank(self, graph: KnowledgeGraph, vocabulary: Vocabulary, target: str, k: int, version: int,
             paper_vector: PaperVector, titles: Callable[[list[str]], dict[str, str]]) -> list[RelatedTechnique]:
        if version != self._version:
            self.invalidate()
            self._version = version
        candidates = [c for c in techniques(graph) if c != target]
        target_papers = papers_of(graph, target)
        proximity = self._proximity(graph, target)
        target_context = self._context(graph, target, paper_vector)
        rows: list[tuple[float, str, dict[str, Any]]] = []
        for cand in candidates:
            cand_papers = papers_of(graph, cand)
            shared = target_papers & cand_papers
            cooc = len(shared) / math.sqrt(len(target_papers) * len(cand_papers)) if shared else 0.0
            link = taxonomy_link(vocabulary, graph, target, cand)
            tax = TAXONOMY_SCORES[link[0]] if link else 0.0
            similarity = 0.0
            context = self._context(graph, cand, paper_vector) if target_context is not None else None
            if target_context is not None and context is not None:
                similarity = float(target_context @ context)
            emb = min(1.0, max(0.0, (similarity - 0.3) / 0.6))
            prox = proximity.get(cand, 0.0)
            w = self.weights
            score = w.taxonomy * tax + w.cooccurrence * cooc + w.graph * prox + w.embedding * emb
            if score <= 0.05 or (not shared and not link and emb < 0.5):
                continue
            rows.append((score, cand, {"shared": sorted(shared), "link": link, "similarity": similarity,
                                       "signals": {"taxonomy": tax, "cooccurrence": round(cooc, 4),
                                                   "graph": round(prox, 4), "embedding": round(emb, 4)}}))
        rows.sort(key=lambda r: (-r[0], r[1]))
        return [self._explain(graph, target, score, cand, info, titles) for score, cand, info in rows[:k]]

    @staticmethod
    def _proximity(graph: KnowledgeGraph, target: str) -> dict[str, float]:
        """Personalised PageRank from the target over its 2-hop neighbourhood, scaled to [0, 1]."""
        if target not in graph.g:
            return {}
        local = nx.Graph(graph.neighborhood(target, 2))
        if local.number_of_edges() == 0:
            return {}
        ranks = nx.pagerank(local, alpha=0.85, personalization={target: 1.0}, max_iter=200, tol=1e-8)
        scores = {n: r for n, r in ranks.items() if n != target and graph.g.nodes[n].get("type") == "Technique"}
        top = max(scores.values(), default=0.0)
        return {n: r / top for n, r in scores.items()} if top else {}

    @staticmethod
    def _explain(graph: KnowledgeGraph, target: str, score: float, cand: str, info: dict[str, Any],
                 titles: Callable[[list[str]], dict[str, str]]) -> RelatedTechnique:
        shared: list[str] = info["shared"]
        summary: list[str] = []
        if info["link"]:
            relation = info["link"][0]
            summary.append(f"{relation} in the taxonomy" if relation != "variant" else "a variant by name")
        if shared:
            summary.append(f"{len(shared)} shared paper{'s' if len(shared) > 1 else ''}")
        if info["similarity"] >= 0.5:
            summary.append(f"similar contexts ({info['similarity']:.2f})")
        try:
            path = nx.shortest_path(graph.g.to_undirected(as_view=True), target, cand)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            path = []
        names = titles(shared[:5])
        why = {
            "summary": summary,
            "shared_papers": [{"id": p, "title": names.get(p, "")} for p in shared[:5]],
            "shared_paper_count": len(shared),
            "taxonomy": {"relation": info["link"][0], "path": info["link"][1]} if info["link"] else None,
            "path": path,
            "similarity": round(info["similarity"], 4),
            "signals": info["signals"],
        }
        return RelatedTechnique(cand, graph.g.nodes[cand]["name"], round(score, 4), why)
