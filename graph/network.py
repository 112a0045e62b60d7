"""The networkx view of the knowledge graph: papers and entities as nodes, typed relations as edges.

Node ids: "paper/<paper id>" for papers, the entity id ("hardware/nvidia-a100") for entities. Edges carry
`predicate` (proposes, uses, runs-on, evaluated-on, outperforms, or `mentions` for an entity named without a
typed relation) and the paper they were read from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import networkx as nx

from paperkg.core.records import PAPER
from paperkg.store import Store, StoredRelation

FILTER_PREDICATES = {
    "technique": ("uses", "proposes"),
    "hardware": ("runs-on",),
    "dataset": ("evaluated-on",),
    "model": ("uses", "proposes", "mentions"),
}
RESERVED = frozenset({"kind", "type", "name"})
FILTER_TYPES = {"technique": "Technique", "hardware": "Hardware", "dataset": "Dataset", "model": "Model"}


def paper_node(paper_id: str) -> str:
    return f"paper/{paper_id}"


class KnowledgeGraph:
    """A MultiDiGraph kept in step with the store; rebuilt from it on start-up."""

    def __init__(self) -> None:
        self.g: nx.MultiDiGraph = nx.MultiDiGraph()
        self._claims: dict[str, list[tuple[str, str, str]]] = {}
        self._entities_of: dict[str, list[tuple[str, str, str, str]]] = {}

    def rebuild(self, store: Store) -> None:
        self.g = nx.MultiDiGraph()
        self._claims = {}
        self._entities_of = {}
        for entity in store.entities():
            self._add_entity(entity)
        mentions: dict[str, list[tuple[str, str, str, int, int, str]]] = {}
        for row in store.mentions():
            mentions.setdefault(row[0], []).append(row)
        relations: dict[str, list[StoredRelation]] = {}
        for rel in store.relations():
            relations.setdefault(rel.paper_id, []).append(rel)
        for paper in store.iter_papers():
            self._add_paper(paper.id, paper.title, paper.year, mentions.get(paper.id, []),
                            relations.get(paper.id, []))

    def sync(self, store: Store, changed: Iterable[str], removed: Iterable[str]) -> None:
        """Replace the given papers' nodes and edges with what the store now holds."""
        changed = list(changed)
        touched: set[str] = set()
        for paper_id in [*changed, *removed]:
            self._entities_of.pop(paper_id, None)
            node = paper_node(paper_id)
            if node in self.g:
                touched.update(self.g.successors(node))
                self.g.remove_node(node)
            # Claims between entities (X outperforms Y) are not incident to the paper node.
            claims = self._claims.pop(paper_id, [])
            touched.update(n for u, v, _ in claims for n in (u, v))
            self.g.remove_edges_from(claims)
        for paper in store.papers(changed):
            mentions = store.mentions(paper.id)
            for entity_id in {m[1] for m in mentions} - set(self.g):
                found = store.entity(entity_id)
                if found:
                    self._add_entity(found)
            self._add_paper(paper.id, paper.title, paper.year, mentions, store.relations(paper.id))
        self.g.remove_nodes_from([n for n in touched if n in self.g and self.g.degree(n) == 0])

    def _add_entity(self, entity: dict[str, Any]) -> None:
        # numbers as floats: GraphML types an attribute once, so 80 and 38.7 must share a type
        attrs = {(f"attr_{k}" if k in RESERVED else k): float(v) if isinstance(v, int | float) else v
                 for k, v in entity["attrs"].items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
        self.g.add_node(entity["id"], kind="entity", type=entity["type"], name=entity["name"], **attrs)

    def _add_paper(self, paper_id: str, title: str, year: int | None,
                   mentions: list[tuple[str, str, str, int, int, str]], relations: list[StoredRelation]) -> None:
        node = paper_node(paper_id)
        self.g.add_node(node, kind="paper", type="Paper", name=title, **({"year": year} if year else {}))
        related = set()
        for rel in relations:
            source = node if rel.subject == PAPER else rel.subject
            if source not in self.g or rel.object not in self.g:
                continue
            data = {"predicate": rel.predicate, "paper": paper_id, "confidence": rel.confidence}
            data.update({k: v for k, v in (("factor", rel.factor), ("count", rel.count), ("metric", rel.metric),
                                           ("hardware", rel.hardware)) if v is not None})
            key = self.g.add_edge(source, rel.object, key=f"{rel.predicate}:{paper_id}", **data)
            if source == node:
                related.add(rel.object)
            else:
                self._claims.setdefault(paper_id, []).append((source, rel.object, key))
        for entity_id in {m[1] for m in mentions} - related:
            if entity_id in self.g:
                self.g.add_edge(node, entity_id, key=f"mentions:{paper_id}", predicate="mentions",
                                paper=paper_id, confidence=1.0)

    # -- queries ------------------------------------------------------------------------------------

    def papers_with(self, entity_ids: Iterable[str], predicates: tuple[str, ...]) -> set[str]:
        """Paper ids linked to any of the entities by one of the predicates."""
        found: set[str] = set()
        for entity_id in entity_ids:
            if entity_id not in self.g:
                continue
            for _, _, data in self.g.in_edges(entity_id, data=True):
                if data["predicate"] in predicates:
                    found.add(data["paper"])
        return found

    def paper_entities(self, paper_id: str) -> list[tuple[str, str, str, str]]:
        """(entity id, type, name, predicate) for the paper's outgoing edges (cached: searches ask for them often)."""
        found = self._entities_of.get(paper_id)
        if found is None:
            node = paper_node(paper_id)
            if node not in self.g:
                return []
            found = self._entities_of[paper_id] = [(v, self.g.nodes[v]["type"], self.g.nodes[v]["name"],
                                                    d["predicate"]) for _, v, d in self.g.out_edges(node, data=True)]
        return found

    def facets(self, paper_ids: Iterable[str]) -> dict[str, dict[str, int]]:
        """For each filter kind, how many of the given papers link to each entity (by name)."""
        counts: dict[str, Counter[str]] = {kind: Counter() for kind in FILTER_PREDICATES}
        for paper_id in paper_ids:
            seen: set[tuple[str, str]] = set()
            for entity_id, etype, name, predicate in self.paper_entities(paper_id):
                for kind, predicates in FILTER_PREDICATES.items():
                    if FILTER_TYPES[kind] == etype and predicate in predicates and (kind, entity_id) not in seen:
                        seen.add((kind, entity_id))
                        counts[kind][name] += 1
        return {kind: dict(c.most_common(20)) for kind, c in counts.items()}

    def neighborhood(self, node: str, depth: int) -> nx.MultiDiGraph:
        """The subgraph within `depth` hops of `node`, ignoring edge direction."""
        undirected = self.g.to_undirected(as_view=True)
        nodes = nx.single_source_shortest_path_length(undirected, node, cutoff=depth)
        return self.g.subgraph(nodes).copy()

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = Counter(d["type"] for _, d in self.g.nodes(data=True))
        edges = Counter(d["predicate"] for _, _, d in self.g.edges(data=True))
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}
