"""The knowledge base: idempotent ingest, replacement, deletion, atomic batches, rebuild triggers, locking."""

from __future__ import annotations

import pytest

from paperkg.core.errors import DataDirLocked, InvalidInput, InvalidParameter, NotFound, ReadOnly
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase


def test_ingest_is_idempotent(kb: KnowledgeBase, seed_papers: list[PaperInput]) -> None:
    before = kb.stats()
    report = kb.add_papers(seed_papers[:20])
    assert {p.status for p in report.papers} == {"unchanged"}
    assert kb.paper_count() == 20
    after = kb.stats()
    assert after.nodes == before.nodes and after.edges == before.edges
    assert after.index["papers"] == 20


def test_same_title_new_abstract_replaces(kb: KnowledgeBase, seed_papers: list[PaperInput]) -> None:
    original = seed_papers[1]
    changed = PaperInput(original.title.upper(), "We present a totally new abstract about LoRA on an RTX 4090.")
    report = kb.add_papers([changed])
    [entry] = report.papers
    assert entry.status == "replaced"
    assert kb.paper_count() == 20
    detail = kb.get_paper(entry.id)
    assert detail.abstract == changed.abstract
    assert detail.title == changed.title


def test_search_shows_a_replaced_paper_as_it_now_is(kb: KnowledgeBase, seed_papers: list[PaperInput]) -> None:
    original = seed_papers[1]
    before = kb.search(original.title, 3)
    assert before.results[0].title == original.title
    changed = PaperInput(original.title.upper(), "We present a totally new abstract about LoRA on an RTX 4090.")
    [entry] = kb.add_papers([changed]).papers
    [hit] = [h for h in kb.search(original.title + " again", 20).results if h.id == entry.id]
    assert (hit.title, hit.passage) == (changed.title, changed.abstract)


def test_duplicate_titles_in_one_batch_later_wins(settings: Settings) -> None:
    with KnowledgeBase.open(settings) as kb:
        report = kb.add_papers([PaperInput("Same Title", "First abstract about quantization."),
                                PaperInput("same title!", "Second abstract about pruning.")])
        assert [p.status for p in report.papers] == ["superseded", "created"]  # one entry per paper, in order
        assert kb.paper_count() == 1
        [paper] = kb.list_papers({}, 10, 0)[0]
        assert kb.get_paper(paper.id).abstract == "Second abstract about pruning."
        report = kb.add_papers([PaperInput("A", "Alpha.", id="a"), PaperInput("B", "Beta.", id="b"),
                                PaperInput("A", "Alpha, revised.", id="a"), PaperInput("C", "Gamma.", id="c")])
        assert [(p.id, p.status) for p in report.papers] == [("a", "superseded"), ("b", "created"),
                                                             ("a", "created"), ("c", "created")]
        assert kb.get_paper("a").abstract == "Alpha, revised."


def test_the_ingest_report_names_entities_as_they_are_stored(settings: Settings) -> None:
    """A vocabulary concept read under another spelling is reported under the concept's name and type, as
    GET /papers/{id} shows it ("LoRA-X" is the software LoRAX)."""
    with KnowledgeBase.open(settings) as kb:
        paper = PaperInput("Paper one about LoRA adapters", "We propose LoRA-X, a low-rank adaptation technique "
                           "evaluated on GLUE using an A100.", id="myid-1")
        [entry] = kb.add_papers([paper]).papers
        stored = {e.id: (e.name, e.type) for e in kb.get_paper("myid-1").entities}
        assert {e.id: (e.name, e.type) for e in entry.entities} == stored


def test_a_filter_takes_any_alias_of_an_entity_and_no_near_name(settings: Settings) -> None:
    """An abbreviation a paper defines is an alias of its technique, so it filters like the name; a near miss of it
    does not."""
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("FooNet", "We propose Dynamic Sparse Gating (DSG), a new technique.")])
        for name in ("DSG", "Dynamic Sparse Gating", "dynamic sparse gating"):
            assert kb.list_papers({"technique": name}, 10, 0)[1] == 1, name
        with pytest.raises(InvalidParameter, match="no technique named 'DSGX'"):
            kb.list_papers({"technique": "DSGX"}, 10, 0)


def test_bad_paper_in_batch_stores_nothing(kb: KnowledgeBase) -> None:
    version = kb.store.version
    with pytest.raises(InvalidInput, match="title without an abstract"):
        kb.add_papers([PaperInput("Fine", "A fine abstract."), PaperInput("Broken", "   ", origin="x.jsonl:2")])
    assert kb.paper_count() == 20
    assert kb.store.version == version


def test_remove_paper_everywhere(kb: KnowledgeBase) -> None:
    [paper] = kb.list_papers({}, 1, 0)[0]
    kb.remove_paper(paper.id)
    assert kb.paper_count() == 19
    with pytest.raises(NotFound):
        kb.get_paper(paper.id)
    assert f"paper/{paper.id}" not in kb.graph
    assert kb.stats().index["papers"] == 19
    with pytest.raises(NotFound):
        kb.remove_paper(paper.id)


def test_one_writer_per_data_directory(kb: KnowledgeBase) -> None:
    with pytest.raises(DataDirLocked, match="in use by another paperkg writer"):
        KnowledgeBase.open(kb.settings)
    with KnowledgeBase.open(kb.settings, read_only=True) as reader:
        assert reader.paper_count() == 20
        with pytest.raises(ReadOnly):
            reader.add_papers([PaperInput("T", "A.")])


def test_reopen_serves_the_same_data(settings: Settings, seed_papers: list[PaperInput]) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:5])
        stats = kb.stats()
    with KnowledgeBase.open(settings) as kb:
        again = kb.stats()
        assert (again.papers, again.nodes, again.edges) == (stats.papers, stats.nodes, stats.edges)


def test_extractor_change_triggers_reextraction(settings: Settings, seed_papers: list[PaperInput],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:3])
        version = kb.store.version
    from paperkg.graph.extraction import Extractor

    monkeypatch.setattr(Extractor, "version", "test-changed", raising=False)
    with KnowledgeBase.open(settings) as kb:
        assert kb.store.meta("extractor_version") == "test-changed"
        assert kb.store.version > version
        assert kb.manifest().extractor_version == "test-changed"


def test_model_change_triggers_reembedding(settings: Settings, seed_papers: list[PaperInput]) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:3])
    other = settings.model_copy(update={"model": "hashing:128"})
    with KnowledgeBase.open(other) as kb:
        assert kb.store.meta("model", ) == kb.model_id
        assert kb.stats().index["dim"] == 128
        assert kb.search("quantization", 3).results


def test_readers_see_a_paper_everywhere_or_nowhere(kb: KnowledgeBase) -> None:
    import threading

    from paperkg.core.ids import paper_id

    papers = [PaperInput(f"Atomic Visibility {i}", f"We propose AV{i}, which runs 2.{i}x faster than vLLM on an A100.")
              for i in range(12)]
    ids = [paper_id(p.title) for p in papers]
    torn: list[tuple[str, tuple[bool, ...]]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            # the read lock, and no write staged into the RDF store: what SPARQL workers and exports start from
            with kb.snapshot_read():
                revs = kb.store.paper_revs()
                dense = kb.indexes.dense
                for pid in ids:
                    seen = (pid in revs, f"paper/{pid}" in kb.graph, dense is not None and pid in dense,
                            pid in kb.indexes.keyword, kb.rdf.has_paper(pid))
                    if len(set(seen)) > 1:
                        torn.append((pid, seen))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for paper in papers:
        kb.add_papers([paper])
    for pid in ids[::2]:
        kb.remove_paper(pid)
    stop.set()
    for thread in threads:
        thread.join()
    assert not torn, torn[:3]
    assert kb.paper_count() == 20 + 6


def test_a_system_is_one_node_whether_proposed_or_used(settings: Settings) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([
            PaperInput("Efficient Memory Management for LLM Serving",
                       "We present vLLM, a high-throughput serving system built on PagedAttention."),
            PaperInput("FastServe Something", "We introduce FastServe, which is 3x faster than vLLM on an A100."),
        ])
        assert kb.graph.type_of("software/vllm") == "Software"
        predicates = {e.predicate for e in kb.graph.edges_in("software/vllm")}
        assert {"proposes", "outperforms"} <= predicates
        assert not [n for n in kb.graph.nodes() if n.id.startswith("technique/vllm")]


def test_unchanged_reingest_writes_nothing_and_new_metadata_updates(kb: KnowledgeBase,
                                                                   seed_papers: list[PaperInput]) -> None:
    version = kb.store.version
    assert {p.status for p in kb.add_papers(seed_papers[:3]).papers} == {"unchanged"}
    assert kb.store.version == version
    paper = seed_papers[0]
    report = kb.add_papers([PaperInput(paper.title, paper.abstract, year=2024, url="https://example.org/p")])
    assert report.papers[0].status == "updated" and kb.store.version == version + 1
    detail = kb.get_paper(report.papers[0].id)
    assert (detail.year, detail.url) == (2024, "https://example.org/p")
