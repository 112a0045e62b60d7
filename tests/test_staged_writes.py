"""A write is staged before the write lock: while the store's transaction is pending and the RDF store takes it in,
searches, reads and SPARQL (on workers forked before) answer from the previous version and do not wait for it."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from paperkg.core.errors import StorageFull
from paperkg.core.ids import paper_id
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.embeddings import bm25_field
from paperkg.kb import KnowledgeBase
from paperkg.kb.indexes import Indexes
from paperkg.kb.prefetch import Prefetched

NEW = PaperInput("Wombatdecoding: Burrowing Speculation for Fast Inference",
                 "We propose Wombatdecoding, a speculative decoding method. It runs on an NVIDIA A100.")
COUNT = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a pkg:Paper }"


def _sparql_count(kb: KnowledgeBase) -> int:
    return int(json.loads(kb.sparql(COUNT).body)["results"]["bindings"][0]["n"]["value"])


@contextlib.contextmanager
def _write_paused_in_rdf_staging(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Inside the block, `kb.add_papers([NEW])` runs on a thread, paused once the RDF store has taken the write in
    (before the commit); on leaving, the write goes on and is waited for."""
    staged, release = threading.Event(), threading.Event()
    original = Indexes.stage_rdf

    def paused(self: Indexes, reads: Prefetched, changed: Sequence[str], removed: Sequence[str]) -> None:
        original(self, reads, changed, removed)
        staged.set()
        release.wait()

    monkeypatch.setattr(Indexes, "stage_rdf", paused)
    writer = threading.Thread(target=kb.add_papers, args=([NEW],))
    writer.start()
    try:
        assert staged.wait(120)
        yield
    finally:
        release.set()
        writer.join()


def test_reads_answer_from_the_previous_version_while_a_write_is_staged(kb: KnowledgeBase,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = _sparql_count(kb)  # forks a worker at the current version
    with _write_paused_in_rdf_staging(kb, monkeypatch):
        # the write is in the RDF store and in an uncommitted transaction; none of these waits for it
        assert kb.rdf.has_paper(paper_id(NEW.title)) and kb.paper_count() == 20
        assert all(hit.title != NEW.title for hit in kb.search("wombatdecoding burrowing", k=5).results)
        assert _sparql_count(kb) == before
        assert kb.health().papers == 20
    assert kb.search("wombatdecoding burrowing", k=1).results[0].title == NEW.title
    assert _sparql_count(kb) == before + 1


def test_stats_and_property_graph_exports_do_not_wait_for_a_staged_write(kb: KnowledgeBase,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """They read the committed version (the RDF store's counts as committed too) while the write sits in the RDF
    store; an RDF export waits for the commit (its snapshot is the RDF store's own)."""
    before = kb.stats()
    answers: list[object] = []

    def read() -> None:
        answers.append(kb.stats())
        _media, chunks = kb.export("graphml")
        answers.append(b"".join(chunks))

    with _write_paused_in_rdf_staging(kb, monkeypatch):
        assert kb.rdf.has_paper(paper_id(NEW.title))
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(60)
        assert not reader.is_alive()  # with the write paused, a wait would never end
    stats, graphml = answers
    assert stats == before and NEW.title.encode() not in graphml  # type: ignore[operator]
    after = kb.stats()
    assert after.papers == before.papers + 1 and after.rdf["triples"] > before.rdf["triples"]


def test_rdf_exports_during_a_staged_write_read_the_checkpoint_put_aside(kb: KnowledgeBase,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With RDF exports in use, a write puts a checkpoint of the RDF store aside before staging into it: an export
    that comes meanwhile streams the committed version from it without waiting, and the checkpoint goes once the
    write is done and that export has finished."""
    scratch = kb.settings.data / "rdf.workers"
    title = NEW.title.encode()
    _media, chunks = kb.export("nquads")  # an export: they are in use
    before = b"".join(chunks).count(b"\n")
    exports: list[Iterator[bytes]] = []
    with _write_paused_in_rdf_staging(kb, monkeypatch):
        assert kb.rdf.has_paper(paper_id(NEW.title))
        reader = threading.Thread(target=lambda: exports.extend(kb.export(fmt)[1] for fmt in ("nquads", "turtle")))
        reader.start()
        reader.join(60)
        assert not reader.is_alive()  # with the write paused, a wait would never end
        assert [p.name.split("-")[1] for p in scratch.iterdir()] == ["export"]
    nquads, turtle = (b"".join(chunks) for chunks in exports)  # read here, on another thread than made them
    assert title not in nquads and title not in turtle and nquads.count(b"\n") == before
    assert not list(scratch.iterdir())  # removed once the write was done and the exports had read it
    _media, chunks = kb.export("nquads")
    assert title in b"".join(chunks)  # after the write, the store itself


def test_a_checkpoint_that_cannot_be_taken_does_not_fail_the_write(kb: KnowledgeBase,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk, say: exports and SPARQL workers then wait for the write, which goes through."""
    monkeypatch.setattr(kb.indexes, "params", replace(kb.indexes.params, aside_papers=1))  # both try

    def full(target: Path) -> Path:
        target.mkdir()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kb.rdf, "checkpoint", full)
    kb.add_papers([NEW])
    assert kb.rdf.has_paper(paper_id(NEW.title)) and NEW.title.encode() in b"".join(kb.export("nquads")[1])
    assert not list((kb.settings.data / "rdf.workers").iterdir())


def test_a_large_write_puts_checkpoints_aside_even_if_nothing_used_them_lately(kb: KnowledgeBase,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither SPARQL nor RDF exports were used lately, but the write is large (here: one paper or more), so its
    staging is long: the first query and the first export during it do not wait for it."""
    monkeypatch.setattr(kb.indexes, "params", replace(kb.indexes.params, aside_papers=1))
    pool = kb.sparql_executor.pool
    assert not pool.pids()
    pool.last_use = kb.export_aside.last_use = -1e9
    before, lines = kb.paper_count(), b"".join(kb.export("nquads")[1]).count(b"\n")
    kb.export_aside.last_use = -1e9
    answers: list[object] = []

    def read() -> None:
        answer = kb.sparql_executor.execute(COUNT, timeout=20)
        answers.append(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])
        answers.append(b"".join(kb.export("nquads")[1]).count(b"\n"))

    with _write_paused_in_rdf_staging(kb, monkeypatch):
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(60)
        assert not reader.is_alive()  # with the write paused, a wait would never end
    assert answers == [str(before), lines]


def test_a_sparql_worker_started_during_a_staged_write_does_not_wait_for_it(kb: KnowledgeBase,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker exists when the write begins, SPARQL being in use: the query needs a new one while the RDF store is
    ahead of the store, and gets one on the checkpoint put aside before the write (not waiting for the write, which
    would time it out here) that answers from the previous version."""
    before = kb.paper_count()
    pool = kb.sparql_executor.pool
    assert not pool.pids()
    pool.last_use = time.monotonic()  # as after a query
    with _write_paused_in_rdf_staging(kb, monkeypatch):
        assert kb.rdf.has_paper(paper_id(NEW.title))
        answer = kb.sparql_executor.execute(COUNT, timeout=20)
        assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == str(before)
    assert _sparql_count(kb) == before + 1  # the worker on the checkpoint was retired by the commit
    kb.close()
    assert not [p for p in (kb.settings.data / "rdf.workers").iterdir()]  # no checkpoint left behind


def test_a_failed_commit_leaves_every_view_at_the_previous_version(kb: KnowledgeBase,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = _sparql_count(kb)

    def full(self: object) -> None:
        raise StorageFull("disk full while writing the store; nothing was changed")

    monkeypatch.setattr("paperkg.store.sqlite.Pending.commit", full)
    with pytest.raises(StorageFull):
        kb.add_papers([NEW])
    monkeypatch.undo()
    assert kb.paper_count() == 20 and kb.store.version == kb.rdf.version
    assert not kb.rdf.has_paper(paper_id(NEW.title))  # the RDF store took it in, and was rebuilt without it
    assert _sparql_count(kb) == before
    assert all(hit.title != NEW.title for hit in kb.search("wombatdecoding burrowing", k=5).results)
    kb.add_papers([NEW])  # and the next write goes through
    assert _sparql_count(kb) == before + 1


def test_staged_writes_leave_the_views_a_rebuild_from_the_store_gives(settings: Settings,
                                                                     seed_papers: list[PaperInput]) -> None:
    """Adds, updates (another title for an id) and removals applied from the prefetched reads, against the same
    views rebuilt from the store at the next start."""
    queries = ["speculative decoding", "KV cache compression", "quantization A100"]
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:15])
        kb.add_papers(seed_papers[10:25])
        first = seed_papers[0]
        kb.add_papers([PaperInput(first.title, first.abstract + " It also runs on an RTX 4090.", first.id)])
        for paper in seed_papers[20:23]:
            kb.remove_paper(kb.store.resolve(paper.id or paper_id(paper.title)) or paper_id(paper.title))
        applied = (kb.stats(), [kb.search(q, k=10) for q in queries], kb.find_entities("llama", None),
                   kb.get_entity("hardware/nvidia-rtx-4090"))
    with KnowledgeBase.open(settings) as kb:
        rebuilt = (kb.stats(), [kb.search(q, k=10) for q in queries], kb.find_entities("llama", None),
                   kb.get_entity("hardware/nvidia-rtx-4090"))
    assert (applied[0].papers, applied[0].nodes, applied[0].edges, applied[0].rdf["triples"]) == \
        (rebuilt[0].papers, rebuilt[0].nodes, rebuilt[0].edges, rebuilt[0].rdf["triples"])
    assert applied[1:] == rebuilt[1:]


def test_a_write_into_an_hnsw_index_is_inserted_ahead_and_rolled_back_cleanly(
        settings: Settings, seed_papers: list[PaperInput], monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the HNSW threshold a write's vectors enter the graph before its lock hold (`DenseIndex.stage`): a
    failed commit leaves them as tombstones, and the next write and the next start agree with the store."""
    with KnowledgeBase.open(settings.model_copy(update={"ann_threshold": 10})) as kb:
        kb.add_papers(seed_papers[:20])
        while kb.indexes.dense is not None and kb.indexes.dense.rebuilding:
            time.sleep(0.01)
        dense = kb.indexes.dense
        assert dense is not None and dense.kind == "hnsw"
        inserted = dense._index.ntotal
        monkeypatch.setattr("paperkg.store.sqlite.Pending.commit",
                            lambda self: (_ for _ in ()).throw(StorageFull("disk full; nothing was changed")))
        with pytest.raises(StorageFull):
            kb.add_papers([NEW])
        monkeypatch.undo()
        assert kb.indexes.dense is dense and dense._index.ntotal > inserted  # staged, then left as tombstones
        assert dense.vector_count == inserted and NEW.title not in {
            hit.title for hit in kb.search("wombatdecoding burrowing speculation", k=20).results}
        kb.add_papers([NEW])
        assert kb.search("wombatdecoding burrowing speculation", k=1).results[0].title == NEW.title
        count = dense.vector_count
    with KnowledgeBase.open(settings.model_copy(update={"ann_threshold": 10})) as kb:
        assert kb.indexes.dense is not None and kb.indexes.dense.vector_count == count
        assert kb.search("wombatdecoding burrowing speculation", k=1).results[0].title == NEW.title


def test_an_external_sparql_server_is_pushed_to_after_the_write_lock(kb: KnowledgeBase) -> None:
    """The push to a configured endpoint takes the server's time: it runs once readers are let in again."""
    held: list[bool] = []

    class Remote:
        version = -1

        def push(self, store: object, version: int, graphs: object, since: int) -> bool:
            held.append(kb.lock._writer)
            return True

    kb.sparql_executor.remote = Remote()  # type: ignore[assignment]
    try:
        kb.add_papers([NEW])
    finally:
        kb.sparql_executor.remote = None
    assert held == [False]


def test_a_write_counts_its_keyword_terms_before_its_lock(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write's own papers' terms are counted while it is staged (no search after it rebuilds BM25: 4.2 s at a
    million papers), and what it put in place is what the next search finds."""
    counted: list[tuple[int, bool]] = []
    original = bm25_field.count_postings

    def spy(docs: list[np.ndarray], first: int, vocabulary: int) -> bm25_field.Postings:
        counted.append((len(docs), kb.lock._writer))
        return original(docs, first, vocabulary)

    monkeypatch.setattr(bm25_field, "count_postings", spy)
    kb.search("speculative decoding", k=5)
    kb.add_papers([NEW])
    assert counted == [(1, False), (1, False)]  # both fields, outside the write lock
    assert kb.search("wombatdecoding burrowing", k=1).results[0].title == NEW.title
    assert counted == [(1, False), (1, False)]


def test_a_write_keeps_the_cached_paper_sets_of_entities_it_does_not_touch(kb: KnowledgeBase) -> None:
    """A popular entity's papers cost a search 100 ms to recompute at a million papers: a write drops only the
    sets of the entities its papers name (or named)."""
    graph = kb.indexes.graph
    a100 = kb.find_entities("NVIDIA A100", None)[0].id
    other = next(e for e in sorted(graph._entity_nodes) if graph.linked_papers([e])
                 and not any(word in e for word in ("a100", "speculative", "wombat")))
    before_a100, before_other = graph.linked_papers([a100]), graph.linked_papers([other])
    kb.add_papers([NEW])
    new_id = paper_id(NEW.title)
    assert graph.linked_papers([other]) is before_other  # kept, with its order
    after = graph.linked_papers([a100])
    assert after is not before_a100 and new_id in after and new_id not in before_a100
