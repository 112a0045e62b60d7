"""`paperkg ingest --ray` on a real two-node Ray cluster started on this machine, against the single-process ingest.

The cluster fixture (`bench._ray_cluster`) starts a head node and a second node with `ray start --block` (one CPU
and a small object store each, sessions and spilled objects in a temporary directory), and stops both by their
process groups whatever the tests do. Deselect with `-m "not ray"`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from bench._ray_cluster import RayCluster
from bench._ray_cluster import ray_cluster as running_cluster
from bench._server import free_port
from paperkg.cli import main
from paperkg.core.settings import Settings
from paperkg.embeddings.loading import resolve
from paperkg.kb import KnowledgeBase
from paperkg.kb.ingest import IngestOptions, ingest_files
from paperkg.store import Store
from tests.conftest import ROOT, SEED_FILE
from tests.test_batch_order import CASES, _files
from tests.test_identity import _openalex

pytestmark = [pytest.mark.ray, pytest.mark.slow]

BATCH = 16
"""Papers per batch, and so per block: 111 seed papers make 7 blocks to spread over the two nodes."""


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    """A head node and a second node, one CPU and a 200 MB object store each."""
    with running_cluster(nodes=2, cpus_per_node=1, object_store_bytes=200 * 2**20) as cluster:
        yield cluster


def _paperkg(cluster: RayCluster, *args: str, model: str = "hashing") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cluster.env, "PAPERKG_MODEL": model, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "paperkg", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)


def _contents(data: Path) -> dict[str, Any]:
    """What a knowledge base stores: papers, entities, mentions, relations, aliases, passages and their vectors."""
    store = Store(data / "paperkg.sqlite3", read_only=True)
    try:
        passages = {(p.paper_id, p.ord): (p.start, p.end, np.frombuffer(p.vector, dtype=np.float32))
                    for p in store.passages()}
        return {"papers": {p.id: p for p in store.iter_papers()},
                "entities": sorted(store.entities(), key=lambda e: e.id),
                "mentions": sorted(store.mentions(), key=repr), "relations": sorted(store.relations(), key=repr),
                "aliases": sorted(store.aliases()), "passages": passages}
    finally:
        store.close()


def _assert_same(ours: dict[str, Any], reference: dict[str, Any]) -> float:
    """The same papers and extraction, the same passages; returns the lowest cosine between passage vectors."""
    assert sorted(ours["papers"]) == sorted(reference["papers"])
    for pid, paper in reference["papers"].items():
        mine = ours["papers"][pid]
        assert (mine.title, mine.abstract, mine.year, mine.authors, mine.ids) == \
            (paper.title, paper.abstract, paper.year, paper.authors, paper.ids)
    for part in ("entities", "mentions", "relations", "aliases"):
        assert ours[part] == reference[part], part
    assert ours["passages"].keys() == reference["passages"].keys()
    cosines = []
    for key, (start, end, vector) in reference["passages"].items():
        other = ours["passages"][key]
        assert other[:2] == (start, end)
        cosines.append(float(vector @ other[2]) / float(np.linalg.norm(vector) * np.linalg.norm(other[2])))
    return min(cosines)


def _single_process(data: Path, model: str) -> Path:
    with KnowledgeBase.open(Settings(data=data, model=model)) as kb:
        ingest_files(kb, [SEED_FILE], IngestOptions(batch_size=BATCH))
    return data


def test_ingest_on_two_nodes_matches_single_process(ray_cluster: RayCluster, tmp_path: Path) -> None:
    result = _paperkg(ray_cluster, "ingest", str(SEED_FILE), "--batch-size", str(BATCH), "--data",
                      str(tmp_path / "ray"), "--json", "--ray", ray_cluster.address)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout)
    assert report["statuses"] == {"created": 111}
    nodes = report["ray"]["nodes"]
    assert len(nodes) == 2, nodes  # both nodes extracted or embedded papers
    assert sum(counts.get("extracted", 0) for counts in nodes.values()) == 111
    assert sum(counts.get("embedded", 0) for counts in nodes.values()) == 111
    reference = _contents(_single_process(tmp_path / "single", "hashing"))
    assert _assert_same(_contents(tmp_path / "ray"), reference) >= 0.999
    with KnowledgeBase.open(Settings(data=tmp_path / "ray", model="hashing"), read_only=True) as kb:
        assert kb.search("speculative decoding", k=3).results  # the indexes were loaded from the shards too
        stats = kb.stats()
    with KnowledgeBase.open(Settings(data=tmp_path / "single", model="hashing"), read_only=True) as kb:
        single = kb.stats()
    assert (stats.nodes, stats.edges, stats.rdf["triples"]) == (single.nodes, single.edges, single.rdf["triples"])

    again = _paperkg(ray_cluster, "ingest", str(SEED_FILE), "--data", str(tmp_path / "ray"), "--json",
                     f"--ray={ray_cluster.address}")
    assert again.returncode == 0, again.stderr[-4000:]
    rerun = json.loads(again.stdout)
    assert rerun["statuses"] == {"unchanged": 111} and rerun["ray"]["staged"] == 0


def test_records_of_one_work_are_read_in_order_as_in_one_process(ray_cluster: RayCluster, tmp_path: Path) -> None:
    """Works given by several records, within and across batches (a retitling onto a title another work holds, an
    OpenAlex snapshot and its update, an own record of an arXiv work's first title): the cluster's ingest stores
    what a single process stores at batch size 1."""
    records = [record for case in CASES.values() for record in case[0]]
    records += [_openalex("W104", "Sparse kernels", "s1 snapshot"), _openalex("W104", "Fused kernels", "s2 update"),
                {"title": "Sparse kernels", "abstract": "s3 another work", "doi": "10.1000/s3"}]
    files = _files(tmp_path, "in", *records)
    with KnowledgeBase.open(Settings(data=tmp_path / "single", model="hashing")) as kb:
        ingest_files(kb, files, IngestOptions(batch_size=1))
    result = _paperkg(ray_cluster, "ingest", *map(str, files), "--batch-size", "3", "--data", str(tmp_path / "ray"),
                      "--json", "--ray", ray_cluster.address)
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads(result.stdout)["ray"]["staged"] < len(records)  # superseded records are not processed
    reference = _contents(tmp_path / "single")
    assert _assert_same(_contents(tmp_path / "ray"), reference) >= 0.999
    abstracts = {paper.abstract for paper in reference["papers"].values()}
    assert {"s2 update", "s3 another work", "e2 vol2", "r2 arxiv other work"} <= abstracts


@pytest.mark.model
def test_real_model_vectors_match_single_process(ray_cluster: RayCluster, real_model_settings: Settings,
                                                 tmp_path: Path) -> None:
    result = _paperkg(ray_cluster, "ingest", str(SEED_FILE), "--batch-size", str(BATCH), "--data",
                      str(tmp_path / "ray"), "--json", "--ray", ray_cluster.address, model="")
    assert result.returncode == 0, result.stderr[-4000:]
    assert len(json.loads(result.stdout)["ray"]["nodes"]) >= 1
    lowest = _assert_same(_contents(tmp_path / "ray"), _contents(real_model_settings.data))
    _, precision = resolve(real_model_settings.encoder_backend, real_model_settings.encoder_precision, None)
    # dynamic int8 scales activations per batch: a passage batched with other passages comes out slightly different
    assert (0.99 if precision.startswith("int8") else 0.999) <= lowest <= 1.0 + 1e-5


def test_unreachable_cluster_is_one_line_error(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    result = CliRunner().invoke(main, ["ingest", str(SEED_FILE), "--data", str(tmp_path / "data"),
                                       f"--ray=127.0.0.1:{port}"], env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"paperkg: error: cannot reach the Ray cluster at 127.0.0.1:{port}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_ray_value_that_is_no_address_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ingest", "--ray", str(SEED_FILE), "--data", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "is not a Ray address" in result.output


def test_without_ray_installed_the_error_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    result = CliRunner().invoke(main, ["ingest", str(SEED_FILE), "--data", str(tmp_path / "data"), "--ray"],
                                env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 1
    assert "pip install 'paperkg[ray]'" in result.stderr
