"""The FAISS passage index: exact and HNSW search, incremental writes, filters, files and corruption."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import paperkg.embeddings.dense as dense_module
from paperkg.core.errors import CorruptData, StorageFull
from paperkg.embeddings import generations as embeddings
from paperkg.embeddings.dense import DenseIndex
from paperkg.embeddings.generations import manifest_version
from tests.conftest import damage as damage_file
from tests.conftest import stored_file

DIM = 32


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def random_papers(count: int, per_paper: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"p{i:04d}": unit(rng.standard_normal((per_paper, DIM))) for i in range(count)}


def filled(count: int, ann_threshold: int = 10_000, per_paper: int = 2) -> tuple[DenseIndex, dict[str, np.ndarray]]:
    papers = random_papers(count, per_paper)
    index = DenseIndex(DIM, ann_threshold, ef_search=128)
    index.add_many(papers.items())
    return index, papers


def exact_top(papers: dict[str, np.ndarray], query: np.ndarray, k: int) -> list[tuple[str, int]]:
    scored = [(float(v @ query), pid, o) for pid, vs in papers.items() for o, v in enumerate(vs)]
    return [(pid, o) for _, pid, o in sorted(scored, key=lambda t: (-t[0], t[1], t[2]))[:k]]


def test_exact_search_returns_passages_best_first() -> None:
    index, papers = filled(50)
    assert index.kind == "flat" and len(index) == 50 and index.vector_count == 100
    query = papers["p0007"][1]
    hits = index.search(query, 5)
    assert hits[0][:2] == ("p0007", 1) and hits[0][2] == pytest.approx(1.0, abs=1e-5)
    assert [h[:2] for h in hits] == exact_top(papers, query, 5)
    assert [h[2] for h in hits] == sorted((h[2] for h in hits), reverse=True)
    assert len(index.search(query, 1000)) == 100
    assert index.search(query, 0) == [] and DenseIndex(DIM).search(query, 3) == []


def test_vectors_round_trip_and_add_replaces() -> None:
    index, papers = filled(5)
    np.testing.assert_allclose(index.vectors("p0003"), papers["p0003"])
    replacement = unit(np.ones((3, DIM)))
    index.add("p0003", replacement)
    assert index.vector_count == 11
    np.testing.assert_allclose(index.vectors("p0003"), replacement)
    assert {h[1] for h in index.search(replacement[0], 3)} == {0, 1, 2}
    with pytest.raises(ValueError):
        index.add("bad", np.ones((2, DIM + 1), dtype=np.float32))
    with pytest.raises(ValueError):
        index.add("bad", np.full((1, DIM), np.nan, dtype=np.float32))
    with pytest.raises(ValueError):
        index.add("bad", np.zeros((0, DIM), dtype=np.float32))
    assert "bad" not in index


def test_a_paper_given_twice_in_one_batch_keeps_the_last() -> None:
    index = DenseIndex(DIM)
    first, second = random_papers(2, per_paper=2).values()
    index.add_many([("p", first), ("q", first[:1]), ("p", second)])
    assert index.vector_count == 3
    np.testing.assert_allclose(index.vectors("p"), second)
    assert {h[0] for h in index.search(first[0], 10)} == {"p", "q"}


def test_remove_is_incremental_on_flat() -> None:
    index, papers = filled(20)
    faiss_index = index._index
    assert index.remove(["p0001", "p0002", "unknown"]) == 4
    assert index._index is faiss_index  # removed in place, no rebuild
    assert "p0001" not in index and index.vector_count == 36
    hits = index.search(papers["p0001"][0], 40)
    assert all(pid not in ("p0001", "p0002") for pid, _, _ in hits)
    assert index.remove(["p0001"]) == 0
    assert index.remove(pid for pid in ["p0003"]) == 2  # any iterable
    assert "p0003" not in index and index.sum_norms(["p0004"]).shape == (1,)


def test_switches_to_hnsw_above_the_threshold_and_back() -> None:
    index = DenseIndex(DIM, ann_threshold=60, ef_search=128)
    papers = random_papers(40)
    index.add_many(list(papers.items())[:25])
    assert index.kind == "flat"
    index.add_many(list(papers.items())[25:])  # 80 vectors > 60
    assert index.kind == "hnsw" and index.vector_count == 80
    assert index.stats()["kind"] == "hnsw"
    query = papers["p0030"][0]
    assert index.search(query, 1)[0][:2] == ("p0030", 0)
    faiss_index = index._index
    index.remove(["p0030"])  # a tombstone, not a rebuild
    assert index._index is faiss_index and index.stats()["tombstones"] == 2
    assert all(pid != "p0030" for pid, _, _ in index.search(query, 80))
    index.remove([f"p{i:04d}" for i in range(20)])  # past the compaction ratio and below the threshold
    assert index.kind == "flat" and index.stats()["tombstones"] == 0 and index.vector_count == 38


def test_hnsw_recall_against_exact() -> None:
    rng = np.random.default_rng(1)
    centres = unit(rng.standard_normal((20, DIM)))
    papers = {
        f"p{i:04d}": unit(centres[i % 20] + 0.6 * rng.standard_normal((2, DIM)) / np.sqrt(DIM) * 4)
        for i in range(1500)
    }
    index = DenseIndex(DIM, ann_threshold=1000, ef_search=64)
    index.add_many(papers.items())
    assert index.kind == "hnsw"
    queries = unit(centres[rng.integers(0, 20, 30)] + 0.5 * rng.standard_normal((30, DIM)) / np.sqrt(DIM) * 4)
    recall = np.mean([
        len({h[:2] for h in index.search(q, 10)} & set(exact_top(papers, q, 10))) / 10 for q in queries
    ])
    assert recall >= 0.95


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_allowed_filter_returns_k_hits_from_allowed_papers(threshold: int) -> None:
    index, papers = filled(100, ann_threshold=threshold)
    assert index.kind == ("flat" if threshold > 200 else "hnsw")
    query = papers["p0000"][0]
    allowed = {"p0090", "p0091", "p0092", "missing"}
    hits = index.search(query, 5)
    assert all(pid not in allowed for pid, _, _ in hits[:1])
    filtered = index.search(query, 5, allowed=allowed)
    assert len(filtered) == 5 and {pid for pid, _, _ in filtered} <= allowed
    expected = exact_top({p: papers[p] for p in allowed if p in papers}, query, 5)
    assert [h[:2] for h in filtered] == expected
    assert len(index.search(query, 50, allowed=allowed)) == 6
    assert index.search(query, 5, allowed=set()) == []


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_allowed_filter_through_the_index_for_large_sets(threshold: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense_module, "EXACT_ALLOWED_LIMIT", 10)
    index, papers = filled(100, ann_threshold=threshold)
    allowed = {f"p{i:04d}" for i in range(0, 100, 2)}
    query = papers["p0001"][0]
    hits = index.search(query, 10, allowed=allowed)
    assert len(hits) == 10 and {pid for pid, _, _ in hits} <= allowed
    exact = exact_top({p: papers[p] for p in allowed}, query, 10)
    assert len({h[:2] for h in hits} & set(exact)) >= 9


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_search_papers_is_search_deduplicated(threshold: int) -> None:
    index, _ = filled(60, ann_threshold=threshold, per_paper=3)
    index.remove([f"p{i:04d}" for i in range(0, 60, 7)])  # holes in a flat index, tombstones in an HNSW one
    queries = unit(np.random.default_rng(5).standard_normal((20, DIM)))
    for query in queries:
        for k in (1, 10, 50, 500):
            assert index.search_papers(query, k) == list(dict.fromkeys(pid for pid, _, _ in index.search(query, k)))
    allowed = {"p0001", "p0002", "p0009"}
    assert index.search_papers(queries[0], 5, allowed) == list(dict.fromkeys(
        pid for pid, _, _ in index.search(queries[0], 5, allowed)))


def test_passage_vectors_groups_by_paper() -> None:
    index, papers = filled(5, per_paper=3)
    matrix, owners, present = index.passage_vectors(["p0002", "nope", "p0000", "p0002"])
    assert present == ["p0002", "p0000"] and owners.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(matrix[:3], papers["p0002"])
    assert index.passage_vectors([])[0].shape == (0, DIM)


def test_stats_report_memory_per_paper() -> None:
    index, _ = filled(10)
    stats = index.stats()
    assert stats["kind"] == "flat" and stats["papers"] == 10 and stats["vectors"] == 20
    assert stats["bytes_per_paper"] >= 2 * DIM * 4


# -- files ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_save_and_load_round_trip(tmp_path: Path, threshold: int) -> None:
    index, papers = filled(60, ann_threshold=threshold)
    index.remove(["p0005"])
    index.save(tmp_path, version=7)
    loaded, version = DenseIndex.load(tmp_path)
    assert version == 7 and manifest_version(tmp_path, "dense") == 7
    assert loaded.kind == index.kind and sorted(loaded.paper_ids()) == sorted(index.paper_ids())
    assert loaded.stats()["tombstones"] == index.stats()["tombstones"]
    query = papers["p0010"][1]
    assert loaded.search(query, 10) == index.search(query, 10)
    loaded.add("new", papers["p0005"])  # ids keep growing after a load
    assert loaded.search(papers["p0005"][0], 1)[0][0] == "new"


def test_save_keeps_one_previous_generation(tmp_path: Path) -> None:
    index, papers = filled(10)
    for version in range(1, 5):
        index.add(f"v{version}", papers["p0000"])
        index.save(tmp_path, version)
    data_files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("dense-"))
    assert len(data_files) == 4  # index + id map, for the current and the previous generation
    assert DenseIndex.load(tmp_path)[1] == 4


def test_a_failed_save_leaves_the_previous_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index, papers = filled(10)
    index.save(tmp_path, 1)
    index.add("extra", papers["p0001"])
    real = embeddings.write_atomic

    def failing(path: Path, data: bytes) -> None:
        if path.name.endswith("manifest.json"):
            raise StorageFull("disk full")
        real(path, data)

    monkeypatch.setattr(embeddings, "write_atomic", failing)
    with pytest.raises(StorageFull):
        index.save(tmp_path, 2)
    monkeypatch.undo()
    loaded, version = DenseIndex.load(tmp_path)
    assert version == 1 and "extra" not in loaded


def test_save_clears_temporary_files_of_a_killed_writer(tmp_path: Path) -> None:
    index, _ = filled(5)
    stale = tmp_path / ".dense-0123456789abcdef.faiss.999999.tmp"
    stale.write_bytes(b"half written")
    other = tmp_path / ".keyword.manifest.json.999999.tmp"
    other.write_bytes(b"not ours")
    index.save(tmp_path, 1)
    assert not stale.exists() and other.exists()


@pytest.mark.parametrize("key", ["index", "ids"])
@pytest.mark.parametrize("damage", ["truncate", "zero", "flip", "delete"])
def test_damaged_files_raise_corrupt_data(tmp_path: Path, key: str, damage: str) -> None:
    index, _ = filled(20)
    index.save(tmp_path, 3)
    damage_file(stored_file(tmp_path, "dense", key), damage)
    with pytest.raises(CorruptData):
        DenseIndex.load(tmp_path)


@pytest.mark.parametrize("content", [b"", b"{trunc", b"[]", b'{"format": "paperkg-dense/1"}'])
def test_bad_manifests_raise_corrupt_data(tmp_path: Path, content: bytes) -> None:
    index, _ = filled(5)
    index.save(tmp_path, 1)
    (tmp_path / "dense.manifest.json").write_bytes(content)
    with pytest.raises(CorruptData):
        DenseIndex.load(tmp_path)
    assert manifest_version(tmp_path, "dense") is None


def test_missing_index_raises_corrupt_data(tmp_path: Path) -> None:
    with pytest.raises(CorruptData, match="missing"):
        DenseIndex.load(tmp_path)


def test_checksum_mismatch_in_manifest(tmp_path: Path) -> None:
    index, _ = filled(5)
    index.save(tmp_path, 1)
    manifest = json.loads((tmp_path / "dense.manifest.json").read_text())
    manifest["files"]["index"]["sha256"] = "0" * 64
    (tmp_path / "dense.manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptData, match="checksum"):
        DenseIndex.load(tmp_path)


def test_id_map_disagreeing_with_the_index_is_corrupt(tmp_path: Path) -> None:
    index, _ = filled(5)
    other, _ = filled(6)
    index.save(tmp_path / "a", 1)
    other.save(tmp_path / "b", 1)
    manifest = json.loads((tmp_path / "a" / "dense.manifest.json").read_text())
    manifest_b = json.loads((tmp_path / "b" / "dense.manifest.json").read_text())
    ids_b = tmp_path / "b" / manifest_b["files"]["ids"]["name"]
    (tmp_path / "a" / ids_b.name).write_bytes(ids_b.read_bytes())
    manifest["files"]["ids"] = manifest_b["files"]["ids"]  # checksums fine, contents inconsistent
    (tmp_path / "a" / "dense.manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptData, match="disagree"):
        DenseIndex.load(tmp_path / "a")


def _holds() -> tuple[list[int], Callable[[], contextlib.AbstractContextManager[None]]]:
    """An `exclusive` for `DenseIndex.stage` that counts its holds."""
    count = [0]

    @contextlib.contextmanager
    def exclusive() -> Iterator[None]:
        count[0] += 1
        yield

    return count, exclusive


def test_staged_vectors_stay_out_of_search_until_the_write_takes_them(tmp_path: Path) -> None:
    index, _ = filled(60, ann_threshold=50)
    assert index.kind == "hnsw"
    new = {f"n{i}": v for i, v in enumerate(random_papers(10, seed=7).values())}
    holds, exclusive = _holds()
    index.stage(new.items(), exclusive, chunk=4)
    assert holds[0] == 1 + 5  # one to reserve the ids, then 20 vectors four at a time
    query = new["n3"][0]
    assert all(hit[0] not in new for hit in index.search(query, 20))
    assert index.vector_count == 120 and "n3" not in index
    inserted = index._index.ntotal
    index.add_many(new.items())
    assert index._index.ntotal == inserted  # registered, not inserted again
    assert index.search(query, 1)[0][:2] == ("n3", 0)
    np.testing.assert_allclose(index.vectors("n7"), new["n7"])
    index.save(tmp_path, 1)
    loaded, _ = DenseIndex.load(tmp_path)
    assert loaded.search(query, 1)[0][:2] == ("n3", 0) and loaded.vector_count == 140


def test_staged_vectors_of_an_abandoned_or_changed_write_become_tombstones(tmp_path: Path) -> None:
    index, _ = filled(60, ann_threshold=50)
    new = {f"n{i}": v for i, v in enumerate(random_papers(6, seed=9).values())}
    _, exclusive = _holds()
    index.stage(new.items(), exclusive, chunk=256)
    index.drop_staged()
    assert all(hit[0] not in new for hit in index.search(new["n1"][0], 30))
    index.stage(new.items(), exclusive, chunk=256)
    changed = unit(np.ones((2, DIM)))
    index.add_many([("n1", changed), ("n2", new["n2"])])  # n1 changed since staging; n0, n3.. never came
    assert sorted(p for p in new if p in index) == ["n1", "n2"]
    np.testing.assert_allclose(index.vectors("n1"), changed)
    assert index.search(new["n0"][0], 1)[0][0] != "n0" and index.search(new["n2"][1], 1)[0][:2] == ("n2", 1)
    index.save(tmp_path, 1)  # the id map and the index agree: abandoned vectors are tombstones
    assert DenseIndex.load(tmp_path)[0].vector_count == index.vector_count == 124


def test_exact_indexes_are_not_staged() -> None:
    index, _ = filled(10)
    holds, exclusive = _holds()
    index.stage(random_papers(3, seed=3).items(), exclusive, chunk=1)
    assert holds[0] == 0 and index._staged is None
