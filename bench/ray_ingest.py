"""Speed of `paperkg ingest --ray` with one Ray worker node and with two, against the single-process ingest, side by
side in one run, with the real model (the encoder is the cost).

usage: python bench/ray_ingest.py [--papers 2000] [--rounds 1] [--model ''] [--cpus-per-node 1]

Each configuration is one `paperkg ingest` process on the same generated abstracts (seed sentences recombined,
`bench.encoder_speed.make_abstracts`) into a fresh data directory, process start and model load included:

- single process: `paperkg ingest FILE` (the encoder runs one thread per core of the machine);
- Ray, one node: `--ray ADDRESS` on a cluster of one node of `--cpus-per-node` CPUs started by this script;
- Ray, two nodes: the same after a second node joins (on this machine: the nodes share its cores).

Rounds interleave the three. The exported model is cached once before the first run. Printed: wall time,
papers/s and the ratio to the single process; the time spent in the Ray pipeline itself (`processing`, without
start-up, staging and loading); the papers each node embedded; and the lowest cosine between a passage vector of
the two-node run and the single-process one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._ray_cluster import RayCluster
from bench.encoder_speed import make_abstracts
from paperkg.core.settings import default_model
from paperkg.embeddings.loading import EncoderParams, load_encoder
from paperkg.store import Store

ROOT = Path(__file__).resolve().parents[1]


def ingest(papers: Path, data: Path, env: dict[str, str], *ray: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one `paperkg ingest` process, and its JSON report."""
    command = [sys.executable, "-m", "paperkg", "ingest", str(papers), "--data", str(data), "--json", *ray]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds, json.loads(result.stdout)


def vectors(data: Path) -> dict[tuple[str, int], np.ndarray]:
    store = Store(data / "paperkg.sqlite3", read_only=True)
    try:
        return {(p.paper_id, p.ord): np.frombuffer(p.vector, dtype=np.float32) for p in store.passages()}
    finally:
        store.close()


def lowest_cosine(one: Path, other: Path) -> float:
    a, b = vectors(one), vectors(other)
    if a.keys() != b.keys():
        return float("nan")
    return min(float(a[k] @ b[k] / (np.linalg.norm(a[k]) * np.linalg.norm(b[k]))) for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--model", default="", help="PAPERKG_MODEL ('' for the bundled MiniLM; hashing for a dry run)")
    parser.add_argument("--cpus-per-node", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ray-bench-") as tmp:
        work = Path(tmp)
        papers = work / "papers.jsonl"
        make_abstracts(args.papers, papers)
        cache = Path(os.environ.get("PAPERKG_MODEL_CACHE") or work / "models")
        env = {"PAPERKG_MODEL": args.model, "PAPERKG_MODEL_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1"}
        if args.model != "hashing":
            load_encoder(args.model or default_model(), 0, EncoderParams(cache_dir=cache)).close()  # export once
        times: dict[str, list[float]] = {"single process": [], "Ray, one node": [], "Ray, two nodes": []}
        processing: dict[str, list[float]] = {name: [] for name in times}
        nodes: dict[str, dict[str, Any]] = {}
        cluster = RayCluster(args.cpus_per_node, 300 * 2**20).start()
        try:
            cluster_env = {**env, **cluster.env}
            for number in range(args.rounds):
                seconds, _ = ingest(papers, work / f"single-{number}", env)
                times["single process"].append(seconds)
                print(f"round {number + 1}: single process {seconds:.1f} s", flush=True)
                for name, directory, extra in (("Ray, one node", "one", False), ("Ray, two nodes", "two", True)):
                    if extra:
                        cluster.add_node()
                    seconds, report = ingest(papers, work / f"{directory}-{number}", cluster_env, "--ray",
                                             cluster.address)
                    if extra:
                        cluster.stop_node(1)
                    times[name].append(seconds)
                    processing[name].append(report["ray"]["seconds"].get("processing", 0.0))
                    nodes[name] = report["ray"]["nodes"]
                    print(f"round {number + 1}: {name} {seconds:.1f} s", flush=True)
            cosine = lowest_cosine(work / "single-0", work / "two-0")
        finally:
            cluster.close()

    base = statistics.median(times["single process"])
    print(f"\n{args.papers} abstracts, model {args.model or 'bundled MiniLM (OpenVINO bf16)'}, "
          f"{args.rounds} round(s), {args.cpus_per_node} CPU(s) per Ray node, {os.cpu_count()} cores in all")
    print("| configuration | wall s (median) | papers/s | vs single process | Ray pipeline s | papers embedded "
          "per node |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        wall = statistics.median(values)
        pipeline = f"{statistics.median(processing[name]):.1f}" if processing[name] else "-"
        per_node = ", ".join(str(c.get("embedded", 0)) for c in nodes.get(name, {}).values()) or "-"
        print(f"| {name} | {wall:.1f} | {args.papers / wall:.1f} | {base / wall:.2f}x | {pipeline} | {per_node} |")
    print(f"lowest cosine, two-node vs single-process passage vectors: {cosine:.5f}")


if __name__ == "__main__":
    main()
