"""Start-up builds the networkx graph on a thread: requests and writes made meanwhile wait for it and see it whole."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperkg.api.app import create_app
from paperkg.core.protocols import RecordSource
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.graph.lookup import EntityIndex
from paperkg.graph.network import KnowledgeGraph
from paperkg.kb import KnowledgeBase


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds every graph rebuild running off the main thread until set."""
    event = threading.Event()
    build = KnowledgeGraph._rebuild

    def held(self: KnowledgeGraph, store: RecordSource) -> None:
        if threading.current_thread() is not threading.main_thread():
            assert event.wait(30)
        build(self, store)

    monkeypatch.setattr(KnowledgeGraph, "_rebuild", held)
    yield event
    event.set()


def _stored(settings: Settings, papers: list[PaperInput]) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Graph counts and a search's answers of a knowledge base built in the foreground."""
    with KnowledgeBase.open(settings.model_copy(update={"graph_background": False})) as kb:
        kb.add_papers(papers)
        return kb.graph.counts(), [h.id for h in kb.search("LoRA adapters on a GPU", k=5).results]


def test_requests_during_the_build_wait_for_it(settings: Settings, seed_papers: list[PaperInput],
                                               gate: threading.Event) -> None:
    counts, answers = _stored(settings, seed_papers[:20])
    with KnowledgeBase.open(settings) as kb, TestClient(create_app(settings, kb)) as client:
        health = client.get("/health").json()
        assert health["papers"] == 20 and health["graph_ready"] is False
        found: list[list[str]] = []
        search = threading.Thread(target=lambda: found.append(
            [h.id for h in kb.search("LoRA adapters on a GPU", k=5).results]))
        search.start()
        search.join(0.5)
        assert search.is_alive() and not found  # waiting for the graph, not answering from a half-built one
        gate.set()
        search.join(30)
        assert found == [answers]
        assert client.get("/health").json()["graph_ready"] is True
        assert kb.graph.counts() == counts


def test_a_write_during_the_build_lands_on_the_built_graph(settings: Settings, seed_papers: list[PaperInput],
                                                           gate: threading.Event) -> None:
    _stored(settings, seed_papers[:10])
    with KnowledgeBase.open(settings) as kb:
        assert not kb.graph.ready
        writer = threading.Thread(target=kb.add_papers, args=(seed_papers[10:20],))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive()  # committed to the store, waiting to apply it to the graph
        gate.set()
        writer.join(30)
        assert kb.paper_count() == 20
        papers = {n.id for n in kb.graph.nodes("Paper")}
    counts, _ = _stored(settings, seed_papers[:20])  # reopened in the foreground: the same graph
    assert len(papers) == 20 and counts["nodes"]["Paper"] == 20
    with KnowledgeBase.open(settings) as kb:
        assert kb.graph.counts() == counts


def test_a_failed_build_does_not_hang_readers(settings: Settings, seed_papers: list[PaperInput],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _stored(settings, seed_papers[:5])

    def broken(self: KnowledgeGraph, store: RecordSource) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(KnowledgeGraph, "_rebuild", broken)
    with KnowledgeBase.open(settings) as kb:
        kb.indexes.wait_for_graph()
        assert kb.graph.ready and kb.graph.counts()["nodes"] == {}
        assert kb.search("LoRA", k=3).query == "LoRA"


def test_cached_paper_sets_follow_writes(kb: KnowledgeBase) -> None:
    """The graph caches the papers of an entity for filters, boosts and entity lists; every write clears them."""
    def with_a100() -> set[str]:
        papers, _ = kb.list_papers({"hardware": "A100"}, limit=1000, offset=0)
        return {p.id for p in papers}

    before = with_a100()
    assert before == with_a100()  # the second answer comes from the cache
    [added] = kb.add_papers([PaperInput("Serving on an A100", "We serve LoRA adapters on an NVIDIA A100 GPU.")]).papers
    assert with_a100() == before | {added.id}
    assert added.id in kb.graph.papers_citing("hardware/nvidia-a100")
    kb.remove_paper(added.id)
    assert with_a100() == before and added.id not in kb.graph.papers_citing("hardware/nvidia-a100")


def test_the_entity_lookup_is_built_on_the_thread_and_waited_for(settings: Settings, seed_papers: list[PaperInput],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """At 100k papers the lookup took 10 s of start-up before /health answered; it is built beside the graph."""
    _stored(settings, seed_papers[:20])
    event = threading.Event()
    build = EntityIndex.rebuild

    def held(self: EntityIndex, store: RecordSource) -> None:
        if threading.current_thread() is not threading.main_thread():
            assert event.wait(30)
        build(self, store)

    monkeypatch.setattr(EntityIndex, "rebuild", held)
    fresh = PaperInput("FooQuant: Accurate Quantization", "We propose FooQuant, a quantization method for LLaMA-7B.")
    with KnowledgeBase.open(settings) as kb:
        assert not kb.entities.ready and kb.health().graph_ready is False
        found: list[list[str]] = []
        lookup = threading.Thread(target=lambda: found.append([m.entity_id for m in kb.entities.lookup("A100")]))
        writer = threading.Thread(target=kb.add_papers, args=([fresh],))
        lookup.start()
        writer.start()
        lookup.join(0.5)
        writer.join(0.5)
        assert lookup.is_alive() and writer.is_alive() and not found  # both wait for the lookup
        event.set()
        lookup.join(30)
        writer.join(30)
        assert found and "hardware/nvidia-a100" in found[0]
        assert kb.entities.lookup("FooQuant")[0].entity_id == "technique/fooquant"  # the write landed on top
        assert kb.health().graph_ready is True


def test_linked_papers_are_the_papers_citing_the_entities(kb: KnowledgeBase) -> None:
    """The boost's paper sets (set operations over the graph's node keys) equal `papers_citing_any`, for every
    entity, for a technique with its narrower ones, after writes, and for a paper linked only by a claim."""
    graph = kb.graph

    def same(nodes: set[str]) -> bool:
        linked = graph.linked_papers(nodes)
        expected = graph.papers_citing_any(nodes)
        return set(linked) == expected and len(linked) == len(expected) and all(p in linked for p in expected)

    entities = [n.id for kind in ("Technique", "Hardware", "Dataset", "Model") for n in graph.nodes(kind)]
    assert len(entities) > 50 and all(same({e}) for e in entities)
    groups = [{t, *kb.vocabulary.descendants(t)} for t in entities if t.startswith("technique/")]
    broad = max(groups, key=lambda nodes: (len(graph.papers_citing_any(nodes)), sorted(nodes)))
    assert len(broad) > 1 and len(graph.linked_papers(broad)) > 1 and same(broad)
    # in id order, so that the first of them (a search's boosted candidates) are the same in every process
    assert list(graph.linked_papers(broad)) == sorted(graph.papers_citing_any(broad))
    [added] = kb.add_papers([PaperInput("Serving on an A100", "We serve LoRA adapters on an NVIDIA A100 GPU.")]).papers
    assert added.id in graph.linked_papers({"hardware/nvidia-a100"}) and same({"hardware/nvidia-a100"})
    kb.remove_paper(added.id)
    assert added.id not in graph.linked_papers({"hardware/nvidia-a100"}) and "absent" not in graph.linked_papers(broad)
    for device in ("GPU", "FPGA"):  # hardware by class: read from the entity nodes alone
        every = sorted(n for n, d in graph._g.nodes(data=True) if d.get("attr_type") == device)
        assert every and graph.nodes_with("attr_type", device) == every
    # a claim between two entities (X outperforms Y) whose paper has no edge of its own into Y
    claim = next((u, v, d["paper"]) for u, v, d in graph._g.edges(data=True) if not u.startswith("paper/"))
    graph._g.remove_edges_from([(f"paper/{claim[2]}", claim[1], key) for key in
                                list(graph._g.get_edge_data(f"paper/{claim[2]}", claim[1], default={}))])
    graph._clear_cache()
    assert claim[2] in graph.linked_papers({claim[1]}) and same({claim[1]})
