"""The technique taxonomy that related-technique ranking links through: the SKOS vocabulary's broader/narrower
links, extended by head words and by what a proposed system uses, and the generic techniques that link nothing."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from paperkg.graph.network import KnowledgeGraph, paper_node
from paperkg.graph.vocabulary import Vocabulary, transitive


@dataclass(frozen=True)
class TaxonomyParams:
    """How far taxonomy links reach and how much they are diluted (set on the seed corpus with RelatedParams)."""

    indirect_builds_on: float = 0.8
    """Discount of a "builds on it" link reached through an ancestor of the used technique."""
    reference_fanout: int = 4
    """Parents with up to this many children give siblings full credit; larger ones dilute it by sqrt."""
    ancestor_depth: int = 4
    """How far up the taxonomy ancestors are followed."""
    max_proposal_parents: int = 3
    """Known techniques a proposed system is taken to build on, at most."""
    related_kin: float = 0.7
    """Discount of an associative link reached through one broader step on either side: a kind of a technique
    related to the target (Mip-NeRF beside 3D Gaussian splatting, through neural radiance fields)."""


LINK_SCORES = {"broader": 1.0, "narrower": 1.0, "descendant": 0.7, "ancestor": 0.6, "related": 0.8, "sibling": 0.75,
               "cousin": 0.35, "builds on it": 0.65, "built on it": 0.5}
"""Strength of each taxonomy link. "related": an associative link of the vocabulary (skos:related: an alternative for
the same problem in another branch, a core pairing); "builds on it": the candidate is a system proposed on top of the
technique; "built on it": the technique is such a system and the candidate one of the techniques it uses."""
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

    def __init__(self, graph: KnowledgeGraph, vocabulary: Vocabulary, params: TaxonomyParams,
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
        self._sizes: dict[str, int] = {}
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

    def subtree_size(self, node: str) -> int:
        """How many techniques sit under `node` at any depth: a family of alternatives (LoRA's variants) is small
        and flat, a field (diffusion models, pruning) large."""
        if node not in self._sizes:
            self._sizes[node] = len(self.descendants(node))
        return self._sizes[node]

    def relatives(self, node: str) -> set[str]:
        """Every technique `link` can connect to `node` through the taxonomy alone: ancestors, descendants, the
        vocabulary's associative links, and the descendants of its parents and children of its ancestors (siblings
        and cousins)."""
        up = self.ancestors(node)
        associated = self.vocabulary.related(node)
        found = {*up, *self.descendants(node), *associated}
        for other in associated:
            found.update(self.children(other))
        for parent in self.parents(node):
            found.update(self.vocabulary.related(parent))
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
        related_a = self.vocabulary.related(a)
        if b in related_a:
            return "related", [a, b], LINK_SCORES["related"]
        kin = LINK_SCORES["related"] * self.params.related_kin
        if (via := next((x for x in related_a if x in pb), None)) is not None:
            return "related", [a, via, b], kin  # b is a kind of a technique related to a
        if (via := next((x for x in pa if b in self.vocabulary.related(x)), None)) is not None:
            return "related", [a, via, b], kin  # a is a kind of a technique related to b
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
