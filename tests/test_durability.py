"""Durability and faults: kill -9 during ingest, corrupt derived files, planted pickles, unsafe models,
disk full, read-only data directory, concurrent writers and readers, hostile input."""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.kill_test import api_trial, cli_trial, make_papers, run_readers, verify
from paperkg.core.errors import InvalidInput, ReadOnly, StorageFull, UnsafeModel
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.store import Store
from paperkg.store.sqlite import CHECKPOINT_ROWS


def _kill_trials(modes: tuple[str, ...], seed: int, workdir: Path) -> tuple[int, int, int]:
    """`bench/kill_test.py` trials in one data directory, in the order `modes` gives ("api": a server killed while
    papers are POSTed to it, "cli": `paperkg ingest` killed), each verified after its kill as `run` does; returns
    (trials, acknowledged papers lost, inconsistencies)."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True)
    data = workdir / "data"
    acknowledged: set[str] = set()
    lost_total = inconsistencies = 0
    for n, mode in enumerate(modes):
        papers = make_papers(200, seed * 1000 + n)
        trial = api_trial(data, papers, rng) if mode == "api" else cli_trial(data, papers, rng, workdir)
        acknowledged |= trial.acknowledged
        lost, problems = verify(data, acknowledged)
        lost_total += lost
        inconsistencies += len(problems)
    return len(modes), lost_total, inconsistencies


@pytest.mark.slow
def test_kill_nine_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Four kill -9 trials, two server and two CLI ingests, each killed at a random moment of 1-10 s. They run as two
    sequences in two data directories at once (a trial mostly waits for its timer): a server then a CLI ingest, and a
    CLI ingest then a server, so each kind starts on a fresh data directory once and on one the other kind's kill
    left once."""
    sequences = [(("api", "cli"), 2), (("cli", "api"), 5)]  # first kills at 9.6 s and 6.6 s: after startup
    with ThreadPoolExecutor(len(sequences)) as pool:
        runs = [pool.submit(_kill_trials, modes, seed, tmp_path / f"run{seed}") for modes, seed in sequences]
        results = [run.result() for run in runs]
    trials, lost, inconsistencies = (sum(counts) for counts in zip(*results, strict=True))
    assert (trials, lost, inconsistencies) == (4, 0, 0), results


@pytest.mark.slow
@pytest.mark.timeout(900)  # two ingests with readers in a loop: minutes on a crowded machine
def test_readers_coming_and_going_never_kill_an_ingest() -> None:
    """Issue 18: a reader arriving during an ingest (CLI, then server) killed it with SIGBUS. 600 papers: the CLI
    ingest is one transaction as 1000 were, the server still takes two POSTs of at most 500 (two commits with readers
    before and between them), and each ingest lasts long enough for readers of every kind."""
    result = run_readers(2, seed=3, papers=600, verbose=False)
    assert (result.writer_deaths, result.reader_deaths, result.lost, result.inconsistencies) == (0, 0, 0, 0)
    assert result.readers >= 3 * result.trials  # every kind of reader, during each ingest


def _index_files(settings: Settings) -> list[Path]:
    return sorted(p for p in (settings.data / "index").iterdir() if not p.name.endswith(".manifest.json"))


@pytest.mark.parametrize("damage", ["truncate", "zero", "flip", "delete-manifest", "garbage-manifest"])
def test_corrupt_index_files_are_rebuilt_from_the_store(settings: Settings, seed_papers: list[PaperInput],
                                                        damage: str) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:10])
        expected = kb.search("sparse attention for long prompts", 5)
    for path in _index_files(settings):
        data = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "zero":
            path.write_bytes(b"")
        elif damage == "flip":
            path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])
    for manifest in (settings.data / "index").glob("*.manifest.json"):
        if damage == "delete-manifest":
            manifest.unlink()
        elif damage == "garbage-manifest":
            manifest.write_bytes(b"\x00garbage")
    with KnowledgeBase.open(settings) as kb:
        stats = kb.stats()
        assert stats.index["papers"] == 10 and stats.index["keyword"]["papers"] == 10
        again = kb.search("sparse attention for long prompts", 5)
        assert [h.id for h in again.results] == [h.id for h in expected.results]


def test_planted_pickle_refused_at_start(settings: Settings, seed_papers: list[PaperInput]) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:2])
    (settings.data / "index" / "evil.bin").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(UnsafeModel, match=r"evil\.bin is a pickle"):
        KnowledgeBase.open(settings)


def test_custom_model_code_refused(settings: Settings, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "",
                                                     "type": "evil_package.Backdoor"}]), encoding="utf-8")
    (model / "model.safetensors").write_bytes(b"")
    with KnowledgeBase.open(settings.model_copy(update={"model": str(model)})) as kb, \
            pytest.raises(UnsafeModel, match="outside sentence_transformers"):
        kb.add_papers([PaperInput("T", "An abstract.")])


def test_disk_full_during_commit_keeps_previous_data(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    version = kb.store.version

    def full(*args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("paperkg.store.sqlite.write_paper", full)
    with pytest.raises(StorageFull):
        kb.add_papers([PaperInput("Disk Full Paper", "An abstract that will not fit.")])
    monkeypatch.undo()
    assert kb.store.version == version and kb.paper_count() == 20
    assert kb.search("disk full paper", 3).results[0].title != "Disk Full Paper"


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    if not _mount_tmpfs(mount, "16m"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_real_disk_full_then_read_only(small_disk: Path, seed_papers: list[PaperInput]) -> None:
    settings = Settings(data=small_disk / "data", model="hashing")
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:5])
        filler = small_disk / "filler"
        try:
            with open(filler, "wb") as handle:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
        except OSError:
            pass  # the disk is full now
        big = [PaperInput(f"Filler paper {i}", " ".join(seed_papers[i % 50].abstract for _ in range(20)))
               for i in range(40)]
        with pytest.raises((StorageFull, ReadOnly)):
            kb.add_papers(big)
        assert kb.paper_count() == 5
        assert kb.search("quantization", 3).results
    filler.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with KnowledgeBase.open(settings) as kb:
        assert kb.read_only and kb.paper_count() == 5
        assert kb.search("vision transformer sparsity", 3).results
        with pytest.raises(ReadOnly):
            kb.add_papers([PaperInput("New", "Abstract.")])


def test_read_only_server_answers_503_on_writes(kb: KnowledgeBase) -> None:
    from fastapi.testclient import TestClient

    from paperkg.api.app import create_app

    kb.read_only = True
    with TestClient(create_app(kb.settings, kb)) as client:
        response = client.post("/papers", json={"title": "T", "abstract": "A."})
        assert response.status_code == 503 and response.headers["content-type"].startswith("application/problem")
        assert client.get("/health").json()["read_only"] is True
        assert client.get("/search", params={"q": "quantization"}).status_code == 200


@pytest.mark.slow
def test_concurrent_writers_and_readers_no_5xx(tmp_path: Path) -> None:
    from bench._server import running_server, tail

    papers = make_papers(60, 99)
    acknowledged: set[str] = set()
    failures: list[str] = []
    stop = threading.Event()
    log = tmp_path / "server.log"  # a failure shows the server's side of it (a 500's traceback)
    with running_server(tmp_path / "data", env={"PAPERKG_MODEL": "hashing"}, log=log) as url:
        def writer(chunk: list[dict[str, str]]) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                for start in range(0, len(chunk), 3):
                    batch = chunk[start:start + 3]
                    try:
                        response = client.post("/papers", json=batch)
                    except httpx.TransportError as error:  # recorded, so the assertion shows it
                        failures.append(f"POST {type(error).__name__}: {error}")
                        continue
                    if response.status_code == 200:
                        acknowledged.update(p["title"] for p in batch)
                    else:  # the problem's detail says which error it was
                        failures.append(f"POST {response.status_code}: {response.text[:300]}")

        def reader(n: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                while not stop.is_set():
                    for response in (client.get("/search", params={"q": "speculative decoding"}),
                                     client.get("/papers", params={"limit": 5}),
                                     client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}),
                                     client.get("/stats")):
                        if response.status_code >= 500:
                            failures.append(f"{response.request.url.path} {response.status_code}: "
                                            f"{response.text[:300]}")

        writers = [threading.Thread(target=writer, args=(papers[i::3],)) for i in range(3)]
        readers = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
        for thread in writers + readers:
            thread.start()
        for thread in writers:
            thread.join(timeout=240)
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
        health = httpx.get(url + "/health", timeout=30).json()
    assert not failures, (failures[:5], tail(log))
    assert len(acknowledged) == 60
    assert health["papers"] == 111 + 60


def test_hostile_jsonl_rejected_before_any_work(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    lines = [json.dumps({"title": f"Paper {i}", "abstract": "Short abstract."}) for i in range(100_000)]
    lines[99_998] = '{"title": "Broken", "abstract": '
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from paperkg.sources import read_papers

    with pytest.raises(InvalidInput, match=r"huge.jsonl:99999: not JSON"):
        read_papers(path)
    with KnowledgeBase.open(settings) as kb:
        assert kb.paper_count() == 0


def test_ten_megabyte_body_refused_without_reading(client: object) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    body = b'{"title": "T", "abstract": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/papers", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.get("/health").json()["papers"] == 20


def test_stored_files_are_never_pickles(kb: KnowledgeBase) -> None:
    for path in kb.settings.data.rglob("*"):
        if path.is_file() and path not in kb.store.files:  # only SQLite may open those (tests/test_readers.py)
            assert path.read_bytes()[:2] not in (b"\x80\x04", b"\x80\x05", b"\x80\x03"), path
    assert os.path.exists(kb.settings.data / "manifest.json")


def test_large_index_saves_are_deferred_and_caught_up(settings: Settings, seed_papers: list[PaperInput]) -> None:
    deferred = settings.model_copy(update={"index_save_sync_vectors": 0, "index_save_every": 3600.0})
    import json as json_module

    def saved_version() -> int:
        manifest = json_module.loads((settings.data / "index" / "dense.manifest.json").read_text())
        return int(manifest["version"])

    with KnowledgeBase.open(deferred) as kb:
        kb.add_papers(seed_papers[:3])  # the first save happens at open, later ones wait
        kb.add_papers(seed_papers[3:6])
        assert saved_version() < kb.store.version
        version = kb.store.version
    assert saved_version() == version  # close flushed it
    with KnowledgeBase.open(deferred) as kb:
        kb.add_papers(seed_papers[6:8])
        kb.indexes._unsaved = None  # simulate a crash before the flush
    with KnowledgeBase.open(deferred) as kb:
        assert kb.stats().index["papers"] == 8


def test_the_wal_is_checkpointed_after_a_pending_write_not_inside_its_commit(tmp_path: Path) -> None:
    """SQLite's automatic checkpoint would run inside `commit()`, where a knowledge base holds its write lock; the
    store copies the WAL back after the pending block instead (and after ordinary transactions), once enough rows
    changed. The database file only grows when a checkpoint copies pages into it."""
    path = tmp_path / "paperkg.sqlite3"
    store = Store(path)
    try:
        before = path.stat().st_size
        with store.pending() as pending:
            for n in range(CHECKPOINT_ROWS + 500):
                store.set_meta(f"key-{n}", "x" * 4000)
            pending.commit()
            assert path.stat().st_size == before  # committed to the WAL only
            assert Store(path, read_only=True).meta(f"key-{CHECKPOINT_ROWS}") == "x" * 4000
        assert path.stat().st_size > before  # checkpointed once the block was left
        grown = path.stat().st_size
        for n in range(CHECKPOINT_ROWS + 10):  # ordinary transactions checkpoint after their commit
            store.set_meta(f"more-{n}", "y" * 200)
        assert path.stat().st_size > grown
    finally:
        store.close()
