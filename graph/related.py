"""Related techniques: a fusion of co-occurrence, graph proximity, the SKOS taxonomy and context similarity,
each result explained (shared papers, graph path, taxonomy link, similarity)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperkg.core.results import RelatedTechnique
from paperkg.graph.network import KnowledgeGraph, paper_node
from paperkg.graph.vocabulary import Vocabulary, transitive

PaperVector = Callable[[str], "np.ndarray | None"]


@dataclass(frozen=True)
class RelatedParams:
    """The tunables of related-technique ranking (set on the seed corpus; see README, "related techniques")."""

    taxonomy: float = 0.35
    """Weight of the taxonomy link's strength (LINK_SCORES)."""
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
    indirect_builds_on: float = 0.8
    """Discount of a "builds on it" link reached through an ancestor of the used technique."""
    reference_fanout: int = 4
    """Parents with up to this many children give siblings full credit; larger ones dilute it by sqrt."""
    ancestor_depth: int = 4
    """How far up the taxonomy ancestors are followed."""
    proximity_depth: int = 2
    """Hops of the neighbourhood that PageRank runs over."""
    pagerank_alpha: float = 0.85
    max_context_papers: int = 200
    """Papers averaged into a technique's context vector at most."""
    max_proposal_parents: int = 3
    """Known techniques a proposed system is taken to build on, at most."""
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


CACHED_LISTS = 1024
"""Related lists kept until the next write (a hub's takes a second or more at 100k papers)."""
LINK_SCORES = {"broader": 1.0, "narrower": 1.0, "descendant": 0.7, "ancestor": 0.6, "sibling": 0.75, "cousin": 0.35,
               "builds on it": 0.65, "built on it": 0.5}
"""Strength of each taxonomy link. "builds on it": the candidate is a system proposed on top of the technique;
"built on it": the technique is such a system and the candidate one of the techniques it uses."""
ROLE_WEIGHTS = {"proposes": 1.0, "uses": 1.0, "mentions": 0.5, "outperforms": 0.4}
"""How much a shared paper counts, by how the technique appears in it (a baseline counts least)."""


def load_generic(path: Path) -> frozenset[str]:
    """Lower-cased names of generic techniques, one a line ('#' starts a comment); empty if the file is absent."""
    if not path.exists():
        return frozenset()
    lines = (line.split("#", 1)[0].strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line)


def techniques(graph: KnowledgeGraph) -> list[str]:
    return graph.ids_of_type("Technique")


def roles(graph: KnowledgeGraph, entity_id: str) -> dict[str, float]:
    """Paper id -> weight of the entity's strongest role in that paper."""
    found: dict[str, float] = {}
    for paper, predicate, outgoing in graph.paper_roles(entity_id):
        weight = ROLE_WEIGHTS.get(predicate, 0.5)
        if predicate == "outperforms" and outgoing:
            weight = 1.0  # the winner of a comparison is what the paper proposes
        if weight > found.get(paper, -1.0):
            found[paper] = weight
    return found


def _specificity(fanout: int, reference: int) -> float:
    """Siblings under a parent with few children are closer than siblings under a catch-all."""
    return min(1.0, math.sqrt(reference / fanout))


class Taxonomy:
    """Parent links between techniques: the SKOS vocabulary, extended to names outside it by their head words
    ("non-uniform KV cache quantization" under "KV cache quantization") and by proposal (a system a paper
    proposes is taken as a kind of the known techniques that paper uses)."""

    def __init__(self, graph: KnowledgeGraph, vocabulary: Vocabulary, params: RelatedParams,
                 generic: frozenset[str] = frozenset(),
                 roles_of: Callable[[str], dict[str, float]] | None = None) -> None:
        self.graph = graph
        self.params = params
        self.roles_of = roles_of or (lambda node: roles(graph, node))
        self.vocabulary = vocabulary
        self.generic = generic
        self._parents: dict[str, list[str]] = {}
        self._builds_on: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] | None = None
        labels = {c.id: c.label.lower() for c in vocabulary.of_type("Technique")}
        labels.update({node: graph.name(node).lower() for node in techniques(graph)})
        self._heads: dict[str, list[str]] = {}  # a known name -> the techniques it names, longest names first
        for label, other in sorted(((label, i) for i, label in labels.items() if len(label) >= 4),
                                   key=lambda x: -len(x[0])):
            self._heads.setdefault(label, []).append(other)

    def label(self, node: str) -> str:
        if node in self.graph:
            return self.graph.name(node)
        concept = self.vocabulary.get(node)
        return concept.label if concept else node

    def is_generic(self, node: str) -> bool:
        """Whether the node is an umbrella or building-block technique (by name or any vocabulary label)."""
        concept = self.vocabulary.get(node)
        names: Iterable[str] = (self.label(node), *((concept.label, *concept.aliases) if concept else ()))
        return any(name.lower() in self.generic for name in names)

    def parents(self, node: str) -> list[str]:
        """Broader techniques: from the vocabulary, else the longest known name the node's name ends with."""
        if node not in self._parents:
            self._parents[node] = self.vocabulary.broader(node) or self._head(node)
        return self._parents[node]

    def _head(self, node: str) -> list[str]:
        """The longest known name that the node's name ends with, after a space or hyphen ("2:4 structured
        sparsity" -> "structured sparsity"): looked up per word boundary, not by scanning every name."""
        name = self.label(node).lower()
        for cut, char in enumerate(name):
            if char in " -" and len(name) - cut - 1 >= 4:
                for other in self._heads.get(name[cut + 1:], []):
                    if other != node:
                        return [other]
        return []

    def builds_on(self, node: str) -> list[str]:
        """For a system outside the vocabulary that a paper proposes: the known techniques that paper uses."""
        if node not in self._builds_on:
            self._builds_on[node] = [] if self.vocabulary.get(node) else self._used_by_proposer(node)
        return self._builds_on[node]

    def _used_by_proposer(self, node: str) -> list[str]:
        used: list[str] = []
        for paper in self.roles_of(node):
            if not self.graph.has_edge(paper_node(paper), node, "proposes", paper):
                continue
            for entity, _, _, predicate in self.graph.paper_entities(paper):
                if predicate == "uses" and self.vocabulary.get(entity) and entity not in used:
                    used.append(entity)
        return used[:self.params.max_proposal_parents]

    def ancestors(self, node: str) -> list[str]:
        return transitive(node, self.parents, self.params.ancestor_depth)

    def children(self, node: str) -> list[str]:
        """Techniques (in the graph or the vocabulary) whose parents include `node`: the inverse of `parents`,
        built once over every technique."""
        if self._children is None:
            self._children = {}
            nodes = dict.fromkeys([*techniques(self.graph), *(c.id for c in self.vocabulary.of_type("Technique"))])
            for other in nodes:
                for parent in self.parents(other):
                    self._children.setdefault(parent, []).append(other)
        return self._children.get(node, [])

    def descendants(self, node: str) -> list[str]:
        """Everything with `node` among its `ancestors` (the same depth limit)."""
        return transitive(node, self.children, self.params.ancestor_depth)

    def relatives(self, node: str) -> set[str]:
        """Every technique `link` can connect to `node` through the taxonomy alone: ancestors, descendants, and
        the descendants of its parents and children of its ancestors (siblings and cousins)."""
        up = self.ancestors(node)
        found = {*up, *self.descendants(node)}
        for parent in self.parents(node):
            found.update(self.descendants(parent))
        for ancestor in up:
            found.update(self.children(ancestor))
        found.discard(node)
        return found

    def fanout(self, parent: str) -> int:
        return max(1, len(self.vocabulary.narrower(parent)))

    def link(self, a: str, b: str) -> tuple[str, list[str], float] | None:
        """How b relates to a, the path through the taxonomy, and the strength of that link."""
        pa, pb = self.parents(a), self.parents(b)
        if b in pa:
            return "broader", [a, b], LINK_SCORES["broader"]
        if a in pb:
            return "narrower", [a, b], LINK_SCORES["narrower"]
        up_a, up_b = self.ancestors(a), self.ancestors(b)
        if b in up_a:
            return "ancestor", [a, *up_a[: up_a.index(b) + 1]], LINK_SCORES["ancestor"]
        if a in up_b:
            return "descendant", [a, *reversed(up_b[: up_b.index(a)]), b], LINK_SCORES["descendant"]
        for used in self.builds_on(b):
            if a == used or a in self.ancestors(used):
                score = LINK_SCORES["builds on it"] * (1.0 if a == used else self.params.indirect_builds_on)
                return "builds on it", [a, *([] if a == used else [used]), b], score
        if b in self.builds_on(a):
            return "built on it", [a, b], LINK_SCORES["built on it"]
        shared = [p for p in pa if p in pb and not self.is_generic(p)]  # an umbrella links no siblings
        if shared:
            parent = min(shared, key=self.fanout)
            specificity = _specificity(self.fanout(parent), self.params.reference_fanout)
            return "sibling", [a, parent, b], LINK_SCORES["sibling"] * specificity
        common = [x for x in up_a if x in up_b]
        if common and (common[0] in pa or common[0] in pb) and not self.is_generic(common[0]):
            specificity = _specificity(self.fanout(common[0]), self.params.reference_fanout)
            return "cousin", [a, common[0], b], LINK_SCORES["cousin"] * specificity
        return None


class RelatedTechniques:
    """Scores every technique in the graph against one technique; context vectors are cached per data version."""

    def __init__(self, params: RelatedParams | None = None, generic: frozenset[str] = frozenset()) -> None:
        self.params = params or RelatedParams()
        self.generic = generic
        self._contexts: dict[str, np.ndarray | None] = {}
        self._roles: dict[str, dict[str, float]] = {}
        self._lists: dict[tuple[str, int], list[RelatedTechnique]] = {}
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
             paper_vector: PaperVector, titles: Callable[[list[str]], dict[str, str]]) -> list[RelatedTechnique]:
        """The k techniques most related to `target`: a technique in the graph, or a vocabulary concept whose
        narrower techniques are in the graph."""
        if version != self._version:
            self.invalidate()
            self._version = version
        taxonomy = self._taxonomy
        if taxonomy is None or taxonomy.graph is not graph or taxonomy.vocabulary is not vocabulary:
            taxonomy = self._taxonomy = Taxonomy(graph, vocabulary, self.params, self.generic,
                                                 lambda node: self._roles_of(graph, node))
            self._lists.clear()
        found = self._lists.get((target, k))
        if found is None:
            if len(self._lists) >= CACHED_LISTS:
                self._lists.clear()
            found = self._lists[(target, k)] = self._rank(graph, taxonomy, target, k, paper_vector, titles)
        return list(found)

    def _rank(self, graph: KnowledgeGraph, taxonomy: Taxonomy, target: str, k: int, paper_vector: PaperVector,
              titles: Callable[[list[str]], dict[str, str]]) -> list[RelatedTechnique]:
        w = self.params
        everything = [c for c in techniques(graph) if c != target]
        # The target stands for itself and everything under it: "quantization" is also what its PTQ papers do.
        under = set(taxonomy.descendants(target))
        extension = ([target] if target in graph else []) + [c for c in everything if c in under]
        target_roles: dict[str, float] = {}
        for node in extension:
            for paper, weight in self._roles_of(graph, node).items():
                target_roles[paper] = max(target_roles.get(paper, 0.0), weight)
        if w.require_evidence:
            # Only a technique named in one of those papers or linked in the taxonomy can be shown (a result needs
            # evidence), so only those are scored: scoring every technique took seconds per call at 100k papers.
            possible = taxonomy.relatives(target)
            possible.update(e for paper in target_roles for e, kind, _, _ in graph.paper_entities(paper)
                            if kind == "Technique")
            candidates = [c for c in everything if c in possible]
        else:
            candidates = everything
        contexts = [c for n in extension if (c := self._context(graph, n, paper_vector)) is not None]
        target_context = _unit(np.mean(contexts, axis=0)) if contexts else None
        proximity = self._proximity(graph, target, w)
        # Every signal but the context similarity first, for every candidate; the similarity (a mean of up to
        # max_context_papers vectors per candidate, the dearest part at a hub) only while a candidate can still
        # reach the top k, taking it at full credit: the same k results as scoring all of them.
        partial: list[tuple[float, str, float, float, float, list[str], Any, float]] = []
        for cand in candidates:
            cand_roles = self._roles_of(graph, cand)
            small, large = (cand_roles, target_roles) if len(cand_roles) < len(target_roles) else (target_roles,
                                                                                                  cand_roles)
            shared = sorted(p for p in small if p in large)
            overlap = sum(min(target_roles[p], cand_roles[p]) for p in shared)
            # +1 smoothing: one shared paper between two rare techniques is weak evidence
            cooc = min(1.0, w.cooccurrence_gain * overlap / math.sqrt((len(target_roles) + 1) * (len(cand_roles) + 1)))
            link = taxonomy.link(target, cand)
            if not shared and not link and w.require_evidence:
                continue  # unbacked
            tax = link[2] if link else 0.0
            prox = proximity.get(cand, 0.0)
            penalty = w.generic_penalty if taxonomy.is_generic(cand) else 1.0
            bound = (w.taxonomy * tax + w.cooccurrence * cooc + w.graph * prox + w.embedding) * penalty
            partial.append((bound, cand, tax, cooc, prox, shared, link, penalty))
        partial.sort(key=lambda r: (-r[0], r[1]))
        rows: list[tuple[float, str, dict[str, Any]]] = []
        for bound, cand, tax, cooc, prox, shared, link, penalty in partial:
            if len(rows) >= k and bound < rows[k - 1][0]:
                break  # neither this candidate nor any after it can reach the top k
            context = self._context(graph, cand, paper_vector) if target_context is not None else None
            similarity = float(target_context @ context) if target_context is not None and context is not None else 0.0
            emb = min(1.0, max(0.0, (similarity - w.similarity_floor) / w.similarity_span))
            score = (w.taxonomy * tax + w.cooccurrence * cooc + w.graph * prox + w.embedding * emb) * penalty
            unbacked = not shared and not link
            share = len(shared) / max(1, len(self._roles_of(graph, cand)))
            if not link and shared and share < w.min_unlinked_share and similarity < w.unlinked_context:
                continue  # a hub met by chance: named in many papers, rarely beside the target
            if score <= w.min_score or (unbacked and (w.require_evidence or emb < w.min_unlinked_similarity)):
                continue
            bisect.insort(rows, (score, cand, {"shared": shared, "link": link, "similarity": similarity,
                                               "signals": {"taxonomy": round(tax, 4), "cooccurrence": round(cooc, 4),
                                                           "graph": round(prox, 4), "embedding": round(emb, 4)}}),
                          key=lambda r: (-r[0], r[1]))
        return [self._explain(graph, taxonomy, target, score, cand, info, titles) for score, cand, info in rows[:k]]

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
        }
        return RelatedTechnique(cand, graph.name(cand), round(score, 4), why)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)
