"""The networkx view of the knowledge graph: papers and entities as nodes, typed relations as edges.

Node ids: "paper/<paper id>" for papers, the entity id ("hardware/nvidia-a100") for entities. Edges carry
`predicate` (proposes, uses, runs-on, evaluated-on, outperforms, or `mentions` for an entity named without a
typed relation) and the paper they were read from.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import chain

import networkx as nx

from paperkg.core.protocols import RecordSource
from paperkg.core.records import PAPER, StoredEntity, StoredMention, StoredRelation
from paperkg.core.results import GraphEdge, GraphNode
from paperkg.graph import paths
from paperkg.graph.compact import NodeData, Shared, attributes, edge_data, put_edge, put_node
from paperkg.graph.linked import PAPER_PREFIX, LinkedPapers, untouched

FILTER_PREDICATES = {
    "technique": ("uses", "proposes"),
    "hardware": ("runs-on",),
    "dataset": ("evaluated-on",),
    "model": ("uses", "proposes", "mentions"),
}
RESERVED = frozenset({"kind", "type", "name"})
FILTER_TYPES = {"technique": "Technique", "hardware": "Hardware", "dataset": "Dataset", "model": "Model"}
FACET_KINDS = {(FILTER_TYPES[kind], predicate): tuple(k for k, ps in FILTER_PREDICATES.items()
                                                      if FILTER_TYPES[k] == FILTER_TYPES[kind] and predicate in ps)
               for kind, predicates in FILTER_PREDICATES.items() for predicate in predicates}
"""(entity type, predicate) -> the filter kinds an edge of that type and predicate counts for."""
CACHE_MEMBERS = 2_000_000
"""Paper sets of entities (searches ask for the same popular ones again) are cached up to this many members in
all; any write clears the cache."""
CACHE_PAPERS = 100_000
"""Papers whose entity lists are cached (facets ask for them): bounded, so memory does not grow with searches."""
CACHE_LINKED = 4_096
"""Linked-paper collections kept with their sorted order (each wraps a set of the cache above)."""


def paper_node(paper_id: str) -> str:
    return PAPER_PREFIX + paper_id


class KnowledgeGraph:
    """A MultiDiGraph kept in step with the store; rebuilt from it on start-up. networkx stays behind these methods.

    A rebuild may run on another thread (`building()` first): until it is done, every method that reads the graph
    waits for it, and `ready` is False."""

    def __init__(self) -> None:
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._claims: dict[str, list[tuple[str, str, str]]] = {}
        self._entity_nodes: set[str] = set()
        """Every entity node: `linked_papers` tells an entity's entity neighbours (claims, whose paper is in the
        edge's data) from its papers by intersecting with this."""
        self._entities_of: dict[str, list[tuple[str, str, str, str]]] = {}
        self._facets_of: dict[str, tuple[list[tuple[str, str, str, str]], tuple[tuple[str, str], ...]]] = {}
        self._cache: dict[tuple[object, ...], frozenset[str]] = {}
        self._linked: dict[frozenset[str], LinkedPapers] = {}
        self._cache_members = 0
        self._shared = Shared()
        self._ready = threading.Event()
        self._ready.set()

    @property
    def _g(self) -> nx.MultiDiGraph:
        if not self._ready.is_set():
            self._ready.wait()
        return self._graph

    @property
    def ready(self) -> bool:
        """False while a rebuild announced by `building()` runs."""
        return self._ready.is_set()

    def building(self) -> None:
        """Announce a rebuild about to run on another thread: readers wait for it from now on."""
        self._ready.clear()

    def _cached(self, key: tuple[object, ...], compute: Callable[[], frozenset[str]]) -> frozenset[str]:
        found = self._cache.get(key)
        if found is None:
            found = compute()
            if self._cache_members + len(found) > CACHE_MEMBERS:
                self._cache, self._cache_members, self._linked = {}, 0, {}
            self._cache[key] = found
            self._cache_members += len(found)
        return found

    def _clear_cache(self) -> None:
        self._cache, self._cache_members, self._linked = {}, 0, {}

    def rebuild(self, store: RecordSource) -> None:
        """Build from the store with three narrow bulk reads (no abstracts, no evidence) and bulk inserts, then
        swap the new graph in (and end a rebuild announced by `building()`, also when this fails).

        Each paper and entity id is held once: edges and attributes share the node's string. Attributes and key
        dicts are compact read-only mappings (`graph.compact`): a third of the dicts' memory."""
        try:
            self._rebuild(store)
        finally:
            self._ready.set()

    def _rebuild(self, store: RecordSource) -> None:
        graph = nx.MultiDiGraph()
        claims: dict[str, list[tuple[str, str, str]]] = {}
        shared = self._shared = Shared()
        for entity in store.entities():
            self._add_entity(entity, graph)
        entity_nodes = set(graph)
        ids: dict[str, str] = {}  # paper id -> the one copy of it; node ids below are the nodes' own strings
        for head in store.paper_heads():
            pid = ids.setdefault(head.id, sys.intern(head.id))  # interned: the indexes hold the same string
            put_node(graph, paper_node(pid), NodeData("paper", "Paper", head.title,
                                                      shared(head.year) if head.year else None))
        nodes = {n: n for n in graph}
        for rel in store.relation_heads():
            pid = ids.get(rel.paper_id, rel.paper_id)
            node = nodes.get(paper_node(pid))
            source = node if rel.subject == PAPER else nodes.get(rel.subject)
            target = nodes.get(rel.object)
            if source is None or target is None:
                continue
            key = put_edge(graph, source, target, edge_data(shared(rel.predicate), pid, shared(rel.confidence),
                                                           rel.factor, shared(rel.count), shared(rel.metric),
                                                           shared(rel.hardware)))
            if source != node:
                claims.setdefault(pid, []).append((source, target, key))
        succ = graph._succ
        for pid, entity_id in store.mention_pairs():
            pid = ids.get(pid, pid)
            node, target = nodes.get(paper_node(pid)), nodes.get(entity_id)
            # the paper's edges so far are its relations: a mention adds an edge where none of them is
            if node is not None and target is not None and target not in succ[node]:
                put_edge(graph, node, target, edge_data("mentions", pid, 1.0))
        self._graph, self._claims, self._entities_of = graph, claims, {}
        self._entity_nodes = entity_nodes
        self._clear_cache()

    def sync(self, store: RecordSource, changed: Iterable[str], removed: Iterable[str]) -> set[str]:
        """Replace the given papers' nodes and edges with what the store now holds (bulk reads: linear in the
        batch, not in the corpus). Returns the entities those papers named before or name now."""
        changed = list(changed)
        touched: set[str] = set()
        for paper_id in [*changed, *removed]:
            self._entities_of.pop(paper_id, None)
            node = paper_node(paper_id)
            if node in self._g:
                touched.update(self._g.successors(node))
                self._g.remove_node(node)
            # Claims between entities (X outperforms Y) are not incident to the paper node.
            claims = self._claims.pop(paper_id, [])
            touched.update(n for u, v, _ in claims for n in (u, v))
            self._g.remove_edges_from(claims)
        papers = store.papers(changed)
        mentions = store.mentions_of([p.id for p in papers])
        relations = store.relations_of([p.id for p in papers])
        missing = {m.entity_id for rows in mentions.values() for m in rows if m.entity_id not in self._g}
        for entity in store.entities_by_id(sorted(missing)).values():
            self._add_entity(entity)
            self._entity_nodes.add(entity.id)
        for paper in papers:
            self._add_paper(paper.id, paper.title, paper.year, mentions[paper.id], relations[paper.id])
        isolated = [n for n in touched if n in self._g and self._g.degree(n) == 0]
        self._g.remove_nodes_from(isolated)
        self._entity_nodes.difference_update(isolated)
        touched.update(m.entity_id for rows in mentions.values() for m in rows)
        touched.update(e for rows in relations.values() for r in rows for e in (r.subject, r.object))
        self._cache, self._cache_members, self._linked = untouched(self._cache, self._linked, touched)
        return touched

    def _add_entity(self, entity: StoredEntity, graph: nx.MultiDiGraph | None = None) -> None:
        # numbers as floats: GraphML types an attribute once, so 80 and 38.7 must share a type
        attrs = {(f"attr_{k}" if k in RESERVED else k): float(v) if isinstance(v, int | float) else v
                 for k, v in entity.attrs.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
        put_node(self._g if graph is None else graph, entity.id,
                 NodeData("entity", self._shared(entity.type), entity.name, rest=attrs))

    def _add_paper(self, paper_id: str, title: str, year: int | None,
                   mentions: list[StoredMention], relations: list[StoredRelation]) -> None:
        graph, shared = self._g, self._shared
        paper_id = sys.intern(paper_id)  # the indexes hold the same string
        node = paper_node(paper_id)
        put_node(graph, node, NodeData("paper", "Paper", title, shared(year) if year else None))
        related = set()
        for rel in relations:
            source = node if rel.subject == PAPER else rel.subject
            if source not in graph or rel.object not in graph:
                continue
            key = put_edge(graph, source, rel.object,
                           edge_data(shared(rel.predicate), paper_id, shared(rel.confidence), rel.factor,
                                    shared(rel.count), shared(rel.metric), shared(rel.hardware)))
            if source == node:
                related.add(rel.object)
            else:
                self._claims.setdefault(paper_id, []).append((source, rel.object, key))
        mention = edge_data("mentions", paper_id, 1.0)  # put_edge copies its fields
        for entity_id in {m.entity_id for m in mentions} - related:
            if entity_id in graph:
                put_edge(graph, node, entity_id, mention)

    # -- nodes and edges ------------------------------------------------------------------------------

    def __contains__(self, node: object) -> bool:
        return node in self._g

    def node(self, node: str) -> GraphNode | None:
        if node not in self._g:
            return None
        data = self._g.nodes[node]
        return GraphNode(node, str(data["type"]), str(data["name"]))

    def name(self, node: str, default: str = "") -> str:
        return str(self._g.nodes[node]["name"]) if node in self._g else default

    def type_of(self, node: str) -> str | None:
        return str(self._g.nodes[node]["type"]) if node in self._g else None

    def nodes(self, node_type: str | None = None) -> list[GraphNode]:
        return [GraphNode(n, str(d["type"]), str(d["name"])) for n, d in self._g.nodes(data=True)
                if node_type is None or d.get("type") == node_type]

    def ids_of_type(self, node_type: str) -> list[str]:
        """Ids of the nodes of one type, sorted (cached until the next write)."""
        return sorted(self._cached(("type", node_type), lambda: frozenset(
            n for n, d in self._g.nodes(data=True) if d.get("type") == node_type)))

    def nodes_with(self, attribute: str, value: object) -> list[str]:
        """Entity nodes whose attribute equals value (e.g. every hardware node of one device class); the papers'
        nodes are not looked at."""
        nodes = self._g.nodes
        return sorted(self._cached(("with", attribute, value), lambda: frozenset(
            n for n in self._entity_nodes if nodes[n].get(attribute) == value)))

    def edges_in(self, node: str) -> list[GraphEdge]:
        return [_edge(u, v, d) for u, v, d in self._g.in_edges(node, data=True)] if node in self._g else []

    def edges_out(self, node: str) -> list[GraphEdge]:
        return [_edge(u, v, d) for u, v, d in self._g.out_edges(node, data=True)] if node in self._g else []

    def paper_roles(self, entity_id: str) -> list[tuple[str, str, bool]]:
        """(paper id, predicate, whether the edge starts at the entity) for every edge of the entity: what
        `edges_in` and `edges_out` say about its papers, read from the adjacency without building edge rows."""
        graph = self._g
        if entity_id not in graph:
            return []
        found = [(str(d["paper"]), str(d["predicate"]), False) for keys in graph._pred[entity_id].values()
                 for d in attributes(keys)]
        found += [(str(d["paper"]), str(d["predicate"]), True) for keys in graph._succ[entity_id].values()
                  for d in attributes(keys)]
        return found

    def has_edge(self, source: str, target: str, predicate: str, paper_id: str) -> bool:
        return bool(self._g.has_edge(source, target, key=f"{predicate}:{paper_id}"))

    def papers_citing(self, entity_id: str, outgoing: bool = False) -> frozenset[str]:
        """Papers with an edge into the entity (and, with `outgoing`, papers whose claims start at it); cached."""
        def compute() -> frozenset[str]:
            if entity_id not in self._g:
                return frozenset()
            # networkx's own adjacency dicts: its read-only views cost a wrapper call per neighbour
            found = {str(d["paper"]) for keys in self._g._pred[entity_id].values() for d in attributes(keys)}
            if outgoing:
                found.update(str(d["paper"]) for keys in self._g._succ[entity_id].values() for d in attributes(keys))
            return frozenset(found)

        return self._cached(("citing", entity_id, outgoing), compute)

    def papers_citing_any(self, entity_ids: Iterable[str]) -> frozenset[str]:
        """Papers with an edge into any of the entities; cached."""
        nodes = frozenset(entity_ids)
        if len(nodes) == 1:
            return self.papers_citing(next(iter(nodes)))
        return self._cached(("any", nodes), lambda: frozenset().union(*(self.papers_citing(n) for n in nodes)))

    def linked_papers(self, entity_ids: Iterable[str]) -> LinkedPapers:
        """The papers `papers_citing_any` gives, as their nodes: the union of the entities' predecessor sets (set
        operations over networkx's adjacency keys, at C speed), claims between entities resolved to their papers;
        cached."""
        nodes = frozenset(entity_ids)

        def compute() -> frozenset[str]:
            pred = self._g._pred
            present = [n for n in nodes if n in pred]
            found = frozenset().union(*(pred[n] for n in present))
            claimants = found & self._entity_nodes  # X -> entity edges: their paper is in the edge's data
            if not claimants:
                return found
            claimed = {paper_node(str(d["paper"])) for n in present for m in claimants.intersection(pred[n])
                       for d in attributes(pred[n][m])}
            return (found - claimants) | claimed

        found = self._cached(("linked", nodes), compute)
        wrapper = self._linked.get(nodes)
        if wrapper is None or not wrapper.wraps(found):  # kept with its sorted order while the set is cached
            if len(self._linked) >= CACHE_LINKED:
                self._linked = {}
            wrapper = self._linked[nodes] = LinkedPapers(found)
        return wrapper

    def shortest_path(self, source: str, target: str) -> list[str]:
        """Nodes on a shortest path ignoring direction; empty when there is none (graph.paths)."""
        graph = self._g
        if source not in graph or target not in graph:
            return []
        return paths.shortest_path(graph._succ, graph._pred, source, target)

    def personalised_pagerank(self, node: str, depth: int, alpha: float = 0.85, max_iter: int = 200,
                              tol: float = 1e-8) -> dict[str, float]:
        """PageRank personalised on `node` over its `depth`-hop neighbourhood (undirected, parallel edges merged;
        graph.paths)."""
        graph = self._g
        if node not in graph:
            return {}
        return paths.personalised_pagerank(graph._succ, list(self._within(node, depth)), node, alpha, max_iter, tol)

    def snapshot(self) -> nx.MultiDiGraph:
        """A copy of the whole graph, for exports that stream after the caller releases its lock."""
        return self._g.copy()

    # -- queries ------------------------------------------------------------------------------------

    def papers_with(self, entity_ids: Iterable[str], predicates: tuple[str, ...]) -> set[str]:
        """Paper ids linked to any of the entities by one of the predicates (a copy of a cached set: filters name
        the same entities again)."""
        nodes = frozenset(entity_ids)

        def compute() -> frozenset[str]:
            graph = self._g
            return frozenset(str(d["paper"]) for n in nodes if n in graph for keys in graph._pred[n].values()
                             for d in attributes(keys) if d["predicate"] in predicates)

        return set(self._cached(("by-predicate", nodes, tuple(predicates)), compute))

    def paper_entities(self, paper_id: str) -> list[tuple[str, str, str, str]]:
        """(entity id, type, name, predicate) for the paper's outgoing edges (cached: searches ask for them often)."""
        found = self._entities_of.get(paper_id)
        if found is None:
            node = paper_node(paper_id)
            if node not in self._g:
                return []
            if len(self._entities_of) >= CACHE_PAPERS:
                self._entities_of = {}
            found = self._entities_of[paper_id] = [(v, self._g.nodes[v]["type"], self._g.nodes[v]["name"],
                                                    d["predicate"]) for _, v, d in self._g.out_edges(node, data=True)]
        return found

    def facets(self, paper_ids: Iterable[str]) -> dict[str, dict[str, int]]:
        """For each filter kind, how many of the given papers link to each entity (by name)."""
        counts: dict[str, dict[str, int]] = {kind: {} for kind in FILTER_PREDICATES}
        for (kind, name), count in Counter(chain.from_iterable(map(self._facet_entries, paper_ids))).items():
            counts[kind][name] = count
        # ties by name: insertion order differs between a graph updated write by write and one rebuilt
        return {kind: dict(sorted(c.items(), key=lambda item: (-item[1], item[0]))[:20])
                for kind, c in counts.items()}

    def _facet_entries(self, paper_id: str) -> tuple[tuple[str, str], ...]:
        """(filter kind, entity name) once per kind and entity the paper links to; kept as long as the paper's
        cached entity list (`paper_entities`) it was read from."""
        entities = self.paper_entities(paper_id)
        kept = self._facets_of.get(paper_id)
        if kept is None or kept[0] is not entities:
            unique = dict.fromkeys((kind, eid, name) for eid, etype, name, predicate in entities
                                   for kind in FACET_KINDS.get((etype, predicate), ()))
            if len(self._facets_of) >= CACHE_PAPERS:
                self._facets_of = {}
            kept = self._facets_of[paper_id] = (entities, tuple((kind, name) for kind, _, name in unique))
        return kept[1]

    def neighborhood(self, node: str, depth: int) -> tuple[list[GraphNode], list[GraphEdge]]:
        """Nodes and edges within `depth` hops of `node`, ignoring edge direction."""
        sub = self._subgraph(node, depth)
        nodes = [GraphNode(n, str(d["type"]), str(d["name"])) for n, d in sub.nodes(data=True)]
        return nodes, [_edge(u, v, d) for u, v, d in sub.edges(data=True)]

    def neighborhood_size(self, node: str, depth: int) -> int:
        return len(self._within(node, depth))

    def _subgraph(self, node: str, depth: int) -> nx.MultiDiGraph:
        return self._g.subgraph(self._within(node, depth))

    def _within(self, node: str, depth: int) -> set[str]:
        graph = self._g
        return paths.within(graph._succ, graph._pred, node, depth)

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = Counter(d["type"] for _, d in self._g.nodes(data=True))
        edges = Counter(d["predicate"] for _, _, d in self._g.edges(data=True))
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}


def _edge(source: str, target: str, data: dict[str, object]) -> GraphEdge:
    factor = data.get("factor")
    return GraphEdge(source, target, str(data["predicate"]), str(data["paper"]),
                     float(factor) if isinstance(factor, int | float) else None)
