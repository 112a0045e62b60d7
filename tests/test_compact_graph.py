"""The graph's compact attribute mappings (graph.compact) and the entity lookup's trigram postings: the same graph
and answers as networkx's dicts and Python sets, and shared attributes that cannot be changed in place."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import networkx as nx
import pytest

from paperkg.core.records import PAPER, PaperInput
from paperkg.graph.compact import NO_NEIGHBOURS, EdgeKeys, EdgeView, NodeData, edge_data, put_edge, put_node
from paperkg.graph.lookup import _Postings
from paperkg.graph.network import RESERVED, KnowledgeGraph, paper_node
from paperkg.kb import KnowledgeBase


def _plain(graph: nx.MultiDiGraph) -> tuple[list[Any], list[Any]]:
    """Nodes and edges with their attributes as plain dicts, in networkx's iteration order."""
    return ([(n, dict(d)) for n, d in graph.nodes(data=True)],
            [(u, v, k, dict(d)) for u, v, k, d in graph.edges(keys=True, data=True)])


def _dict_graph(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """The graph as it was built before the compact mappings: networkx's own calls and dicts, from the same rows."""
    store = kb.store
    graph = nx.MultiDiGraph()
    for entity in store.entities():
        attrs = {(f"attr_{k}" if k in RESERVED else k): float(v) if isinstance(v, int | float) else v
                 for k, v in entity.attrs.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
        graph.add_node(entity.id, kind="entity", type=entity.type, name=entity.name, **attrs)
    graph.add_nodes_from((paper_node(h.id), {"kind": "paper", "type": "Paper", "name": h.title,
                                             **({"year": h.year} if h.year else {})})
                         for h in store.paper_heads())
    related = set()
    for rel in store.relation_heads():
        pid, subject, predicate, obj, confidence = rel.paper_id, rel.subject, rel.predicate, rel.object, rel.confidence
        factor, count, metric, hardware = rel.factor, rel.count, rel.metric, rel.hardware
        source = paper_node(pid) if subject == PAPER else subject
        if source not in graph or obj not in graph:
            continue
        data: dict[str, object] = {"predicate": predicate, "paper": pid, "confidence": confidence}
        data.update({k: v for k, v in (("factor", factor), ("count", count), ("metric", metric),
                                       ("hardware", hardware)) if v is not None})
        graph.add_edge(source, obj, f"{predicate}:{pid}", **data)
        if subject == PAPER:
            related.add((pid, obj))
    for pid, entity_id in store.mention_pairs():
        if paper_node(pid) in graph and entity_id in graph and (pid, entity_id) not in related:
            graph.add_edge(paper_node(pid), entity_id, f"mentions:{pid}", predicate="mentions", paper=pid,
                           confidence=1.0)
    return graph


def test_the_compact_graph_is_the_dict_graph(kb: KnowledgeBase, seed_papers: list[PaperInput]) -> None:
    kb.add_papers(seed_papers[20:40])
    first = seed_papers[0]
    kb.add_papers([replace(first, abstract=first.abstract + " We also run it on an RTX 4090 with LoRA.")])
    fresh = KnowledgeGraph()
    fresh.rebuild(kb.store)
    expected = _plain(_dict_graph(kb))
    assert len(expected[1]) > 100
    assert _plain(fresh.snapshot()) == expected  # rebuilt in bulk: the same nodes, edges, attributes and order
    nodes, edges = _plain(kb.graph.snapshot())  # updated write by write: the same contents
    assert sorted(nodes) == sorted(expected[0]) and sorted(edges, key=str) == sorted(expected[1], key=str)
    copy = fresh.snapshot()  # an ordinary networkx graph with dicts, for exports
    assert all(type(d) is dict for _, d in copy.nodes(data=True))
    assert all(type(d) is dict for *_, d in copy.edges(keys=True, data=True))


def test_shared_attributes_cannot_be_changed_in_place(kb: KnowledgeBase) -> None:
    graph = kb.graph._g
    source, target, key, data = next((u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)
                                     if d["predicate"] == "mentions" and graph.out_degree(u) > 1)
    assert isinstance(data, EdgeView)
    with pytest.raises(TypeError):
        data["confidence"] = 0.5  # type: ignore[index]
    with pytest.raises(TypeError):
        data.confidence = 0.5
    with pytest.raises(AttributeError):
        graph.add_edge(source, target, key, confidence=0.5)  # networkx would update the attribute dict
    with pytest.raises(AttributeError):
        graph.add_node(source, name="renamed")
    assert kb.graph.node(source).name != "renamed"  # type: ignore[union-attr]
    assert all(d["confidence"] == 1.0 for *_, d in graph.out_edges(source, data=True) if d["predicate"] == "mentions")


def test_put_node_and_put_edge_do_what_networkx_does() -> None:
    rng = random.Random(7)
    ours, theirs = nx.MultiDiGraph(), nx.MultiDiGraph()
    names = [f"n{i}" for i in range(12)]
    for name in names:
        put_node(ours, name, NodeData("entity", "Technique", name, rest={"vendor": "x"} if name == "n3" else None))
        theirs.add_node(name, kind="entity", type="Technique", name=name, **({"vendor": "x"} if name == "n3" else {}))
    put_node(ours, "paper/p", NodeData("paper", "Paper", "A title", 2024))
    theirs.add_node("paper/p", kind="paper", type="Paper", name="A title", year=2024)
    for step in range(400):
        u, v = rng.choice(names), rng.choice(names)
        predicate, paper = rng.choice(["uses", "outperforms", "mentions"]), rng.choice(["p1", "p2", "p3"])
        extra: dict[str, Any] = {"factor": 2.0, "metric": "acc"} if rng.random() < 0.3 else {}
        if rng.random() < 0.2:
            extra["count"] = step
        key = put_edge(ours, u, v, edge_data(predicate, paper, step / 400, **extra))
        assert key == theirs.add_edge(u, v, f"{predicate}:{paper}", predicate=predicate, paper=paper,
                                      confidence=step / 400, **extra)
        if rng.random() < 0.25:  # networkx's own removals work on the compact key dicts
            a, b, k = rng.choice(list(theirs.edges(keys=True)))
            ours.remove_edge(a, b, k)
            theirs.remove_edge(a, b, k)
        if step % 97 == 0 and v in ours._succ[u]:
            ours.add_edge(u, v, "plain", weight=1)  # an edge networkx adds itself, with a dict
            theirs.add_edge(u, v, "plain", weight=1)
    ours.remove_node("n5")
    theirs.remove_node("n5")
    assert _plain(ours) == _plain(theirs)
    assert _plain(ours.copy()) == _plain(theirs)
    assert sorted(ours.degree) == sorted(theirs.degree)
    assert any(isinstance(kd, EdgeKeys) and len(kd) > 1 for nbrs in ours._succ.values() for kd in nbrs.values())
    put_node(ours, "lonely", NodeData("entity", "Technique", "lonely"))
    assert ours._succ["lonely"] is NO_NEIGHBOURS and ours._pred["lonely"] is NO_NEIGHBOURS
    with pytest.raises(TypeError):  # the shared empty adjacency cannot take an edge behind put_edge's back
        ours.add_edge("lonely", "n1", "plain")
    assert not any(NO_NEIGHBOURS) and ours.degree("lonely") == 0
    put_edge(ours, "lonely", "n1", edge_data("uses", "p9", 1.0))
    assert list(ours.successors("lonely")) == ["n1"] and not any(NO_NEIGHBOURS)


def test_trigram_postings_behave_as_a_set() -> None:
    rng = random.Random(3)
    postings, expected = _Postings(), set()
    for _ in range(5000):
        norm = f"norm{rng.randrange(200)}"
        if norm in expected and rng.random() < 0.6:
            postings.discard(norm)  # the index removes only what is there, and adds only what is not
            expected.discard(norm)
        elif norm not in expected:
            postings.add(norm)
            expected.add(norm)
        assert len(list(postings)) == len(expected)
    assert set(postings) == expected
