"""Corpus scale: bulk reads on the write path, and the on-disk RDF store that start-up opens instead of rebuilding."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.embeddings.dense import DenseIndex
from paperkg.graph.lookup import EntityIndex
from paperkg.graph.network import KnowledgeGraph
from paperkg.graph.rdf.disk import read_state, state_path
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.sparql import worker as child
from paperkg.kb import KnowledgeBase


def _quads(graph: RDFGraph) -> set[str]:
    return {str(q) for q in graph.store.quads_for_pattern(None, None, None, None)}


def _rebuilt(kb: KnowledgeBase) -> RDFGraph:
    fresh = RDFGraph(kb.settings.base_iri, kb.vocabulary, kb.extractor.version, kb.settings.seeds / "ontology.ttl")
    fresh.rebuild(kb.store)
    return fresh


def _assert_rdf_matches_store(kb: KnowledgeBase) -> None:
    fresh = _rebuilt(kb)
    assert _quads(kb.rdf) == _quads(fresh)
    assert (kb.rdf.triple_count, kb.rdf.paper_count) == (fresh.triple_count, fresh.paper_count)
    assert kb.rdf.paper_ids() == {p.id for p in kb.store.iter_papers()}


def test_distinct_aliases_walk_matches_a_plain_distinct(kb: KnowledgeBase) -> None:
    ids = [e.id for e in kb.store.entities()]
    walked = kb.store.aliases_of(ids)
    with sqlite3.connect(kb.store.path) as conn:
        plain: dict[str, list[str]] = {i: [] for i in ids}
        for entity_id, alias in conn.execute("SELECT DISTINCT entity_id, alias FROM aliases ORDER BY entity_id, alias"):
            plain[entity_id].append(alias)
    assert walked == plain and sum(map(len, walked.values())) > len(ids)
    assert kb.store.entity_aliases(ids[0]) == plain[ids[0]] and kb.store.aliases_of(["nope/none"]) == {"nope/none": []}


def test_incremental_entity_lookup_matches_a_rebuild(kb: KnowledgeBase, seed_papers: list[PaperInput]) -> None:
    kb.add_papers(seed_papers[20:40])
    first = seed_papers[0]
    kb.add_papers([replace(first, abstract=first.abstract + " We also run it on an RTX 4090 with LoRA.")])
    kb.remove_paper(kb.store.existing(seed_papers[1], seed_papers[1].id or "").id)  # type: ignore[union-attr]
    fresh = EntityIndex()
    fresh.rebuild(kb.store)
    names = [e.name for e in kb.store.entities()] + ["llama 2 70b", "rtx4090", "lora"]
    for name in names:
        assert kb.entities.lookup(name, limit=5) == fresh.lookup(name, limit=5), name


def test_start_up_opens_the_on_disk_rdf_store_without_rebuilding(settings: Settings, seed_papers: list[PaperInput],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:15])
        kb.remove_paper(kb.store.existing(seed_papers[3], seed_papers[3].id or "").id)  # type: ignore[union-attr]
        before = _quads(kb.rdf)
    state = read_state(settings.data / "rdf")
    assert state is not None and not state.dirty and state.papers == 14

    def refuse(*_: object) -> None:
        raise AssertionError("rebuilt although the on-disk store was current")

    monkeypatch.setattr(RDFGraph, "rebuild", refuse)
    orphan, alive = settings.data / "rdf.workers" / "999999999-0", settings.data / "rdf.workers" / "1-0"
    orphan.mkdir(parents=True)  # a query worker's checkpoint left by a process that is gone, and one of a live one
    alive.mkdir()
    with KnowledgeBase.open(settings) as kb:
        assert _quads(kb.rdf) == before and kb.rdf.paper_count == 14
        answer = kb.sparql("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a pkg:Paper }", fmt="json")
        assert not orphan.exists() and alive.exists()  # cleaned when the first worker is started
        assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == "14"
        kb.add_papers(seed_papers[15:18])  # new query workers read a checkpoint of it
        answer = kb.sparql("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a pkg:Paper }", fmt="json")
        assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == "17"
        monkeypatch.undo()
        _assert_rdf_matches_store(kb)


def test_an_rdf_store_left_behind_is_caught_up(settings: Settings, seed_papers: list[PaperInput],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:12])
        # as if the RDF store had missed these writes (as one did when killed between the commit and its sync)
        monkeypatch.setattr(kb.rdf, "sync", lambda *_, **__: None)
        kb.add_papers([replace(seed_papers[0], abstract=seed_papers[0].abstract + " It runs on TPU v4.")])
        kb.add_papers(seed_papers[12:16])
        kb.remove_paper(kb.store.existing(seed_papers[5], seed_papers[5].id or "").id)  # type: ignore[union-attr]
        monkeypatch.undo()
    state = read_state(settings.data / "rdf")
    assert state is not None and not state.dirty
    with KnowledgeBase.open(settings) as kb:
        assert state.version < kb.store.version
        _assert_rdf_matches_store(kb)


@pytest.mark.parametrize("damage", ["dirty", "state-missing", "state-garbage", "store-deleted", "store-garbage",
                                    "other-extractor"])
def test_a_damaged_or_foreign_rdf_store_is_rebuilt(settings: Settings, seed_papers: list[PaperInput],
                                                   damage: str) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:8])
    directory, state_file = settings.data / "rdf", state_path(settings.data / "rdf")
    state = json.loads(state_file.read_text())
    if damage in ("dirty", "other-extractor"):
        state.update({"dirty": True} if damage == "dirty" else {"extractor": "0.0"})
        state_file.write_text(json.dumps(state))
    elif damage == "state-missing":
        state_file.unlink()
    elif damage == "state-garbage":
        state_file.write_bytes(b"\x00{not json")
    elif damage == "store-deleted":
        for path in sorted(directory.iterdir(), reverse=True):
            path.unlink()
        directory.rmdir()
    else:
        for path in directory.iterdir():
            if path.name.startswith(("CURRENT", "MANIFEST")):
                path.write_bytes(b"garbage")
    with KnowledgeBase.open(settings) as kb:
        _assert_rdf_matches_store(kb)
        assert kb.rdf.paper_count == 8
    again = read_state(directory)
    assert again is not None and not again.dirty and again.extractor != "0.0"


def test_read_only_knowledge_bases_build_rdf_in_memory(settings: Settings, seed_papers: list[PaperInput]) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:5])
    with KnowledgeBase.open(settings, read_only=True) as reader:
        assert reader.rdf.path is None and reader.rdf.paper_count == 5
        assert not (Path(settings.data) / "rdf.new").exists()


def test_bulk_graph_rebuild_matches_the_incremental_graph(kb: KnowledgeBase, seed_papers: list[PaperInput]) -> None:
    kb.add_papers(seed_papers[20:60])
    kb.remove_paper(kb.store.existing(seed_papers[2], seed_papers[2].id or "").id)  # type: ignore[union-attr]
    fresh = KnowledgeGraph()
    fresh.rebuild(kb.store)

    def edges(graph: KnowledgeGraph) -> set[tuple[str, str, str, str, float | None]]:
        return {(e.source, e.target, e.predicate, e.paper, e.factor)
                for n in graph.nodes() for e in graph.edges_out(n.id)}

    assert {n.id for n in fresh.nodes()} == {n.id for n in kb.graph.nodes()}
    assert edges(fresh) == edges(kb.graph) and len(edges(fresh)) > 100
    assert fresh.counts() == kb.graph.counts()


def _unit(rng: np.random.Generator, rows: int) -> np.ndarray:
    matrix = rng.standard_normal((rows, 16)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_dense_rebuilds_run_aside_and_replay_the_writes_made_meanwhile() -> None:
    rng = np.random.default_rng(3)
    vectors = {f"p{i}": _unit(rng, 2) for i in range(90)}
    built = threading.Event()
    index = DenseIndex(16, ann_threshold=100, ef_search=200)
    index.on_built = lambda _: built.set()
    index.add_many((pid, vectors[pid]) for pid in list(vectors)[:45])
    assert index.kind == "flat" and not index.rebuilding
    index.add_many((pid, vectors[pid]) for pid in list(vectors)[45:60])  # 120 vectors: past the threshold
    assert index.rebuilding and index.kind == "flat"  # still serving exactly, from the old index
    index.add_many((pid, vectors[pid]) for pid in list(vectors)[60:])  # written while the build runs
    index.remove(["p1", "p50", "p70"])
    assert built.wait(30) and index.swap_rebuilt()
    assert index.kind == "hnsw" and not index.rebuilding
    live = sorted(set(vectors) - {"p1", "p50", "p70"})
    assert sorted(index.paper_ids()) == live and index.vector_count == 2 * len(live)
    for pid in live:
        assert index.search(vectors[pid][0], 1)[0][:2] == (pid, 0)
    assert not {"p1", "p50", "p70"} & {hit[0] for hit in index.search(vectors["p1"][0], 200)}

    built.clear()
    index.remove(live[:40])  # tombstones past the compaction ratio: compacted aside too
    assert index.rebuilding
    index.remove(live[40:45])
    assert built.wait(30) and index.swap_rebuilt()
    survivors = live[45:]
    assert index.kind == "flat" and sorted(index.paper_ids()) == survivors  # shrunk below the threshold
    assert {hit[0] for hit in index.search(vectors[survivors[0]][0], 200)} == set(survivors)


def test_workers_over_the_on_disk_store_cannot_connect_even_if_the_guard_were_bypassed(kb: KnowledgeBase) -> None:
    executor = kb.sparql_executor
    assert kb.rdf.path is not None
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        query = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
        head = {"split": len(query), "cap": 10, "fmt": "json", "kind": "select", "capped": False, "union": True}
        answer, _ = executor._run(child.encode_frame(head, query.encode()), time.monotonic() + 10, 10)
        assert answer["ok"] is False and answer["error"] in ("network", "query")
        with pytest.raises(TimeoutError):
            listener.accept()
    assert kb.sparql("ASK { ?p a pkg:Paper }").body  # and the store is still read


def test_workers_over_the_on_disk_store_read_a_checkpoint_in_a_fresh_process(kb: KnowledgeBase,
                                                                             seed_papers: list[PaperInput]) -> None:
    """A forked copy of a process running RocksDB threads could wait forever on a mutex one of them held at the fork;
    workers over an on-disk store are fresh interpreters on a checkpoint taken under the snapshot lock."""
    assert kb.rdf.path is not None
    scratch = kb.rdf.path.with_name(kb.rdf.path.name + ".workers")
    count = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a pkg:Paper }"
    before = int(kb.sparql(count, fmt="csv").body.split()[-1])
    assert before == kb.rdf.paper_count
    pid = kb.sparql_executor.worker_pids()[0]
    assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1:3] == [b"-c", b"from paperkg.graph.sparql.worker "
                                                                            b"import main; main()"]
    checkpoints = list(scratch.iterdir())
    assert len(checkpoints) == 1 and checkpoints[0].name.startswith(f"{os.getpid()}-")
    kb.add_papers([replace(seed_papers[2], id="checkpoint-probe", title="A paper written after the checkpoint")])
    assert int(kb.sparql(count, fmt="csv").body.split()[-1]) == before + 1  # a new worker on a new checkpoint
    deadline = time.monotonic() + 10
    while checkpoints[0].exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not checkpoints[0].exists()  # the stale worker's checkpoint went with it
