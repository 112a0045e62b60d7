"""End-to-end speed of the knowledge base against raw model work, measured side by side in one run.

usage: python bench/kb_speed.py [--rounds 2] [--queries 60]

Ingest: `KnowledgeBase.add_papers` on the 111 seed papers into a fresh data directory (extraction, passage split,
embedding, SQLite commit, FAISS, BM25, networkx, RDF) against raw `model.encode` on the very same passage texts with
the same batch size. Search: GET /search on a `paperkg serve` subprocess over loopback (HTTP, validation, hybrid
ranking, graph boost, facets, JSON) against a raw query encode + raw FAISS flat search, each query encoded afresh
on both sides.
Targets (issue 4): ingest >= 0.9x raw; /search p50 <= 1.5x raw and < 25 ms at 111 papers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from paperkg.core.settings import Settings
from paperkg.embeddings.passages import passage_text
from paperkg.kb import KnowledgeBase
from paperkg.sources import read_papers

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "000_a8d658c6adbf4f3a.txt"
WORDS = ("kv cache", "quantization", "speculative decoding", "lora", "fpga", "moe", "diffusion", "pruning",
         "long context", "attention kernel", "distillation", "tpu", "memory", "throughput", "video")


def ingest(rounds: int) -> None:
    papers = read_papers(SEEDS)
    model_side: list[float] = []
    raw_side: list[float] = []
    passages = 0
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp, KnowledgeBase.open(Settings(data=Path(tmp) / "d")) as kb:
            kb.warm_up()
            start = time.perf_counter()
            kb.add_papers(papers)
            model_side.append(time.perf_counter() - start)
            texts = [passage_text(p.title, p.abstract, (row.start, row.end)) for p in kb.store.iter_papers()
                     for row in kb.store.passages([p.id])]
            passages = len(texts)
            model = kb.encoder.model  # type: ignore[attr-defined]
            start = time.perf_counter()
            model.encode(texts, batch_size=kb.settings.batch_size, normalize_embeddings=True)
            raw_side.append(time.perf_counter() - start)
    ours, raw = statistics.median(model_side), statistics.median(raw_side)
    print(f"ingest: {len(papers)} papers, {passages} passages; add_papers {ours:.2f} s ({len(papers) / ours:.1f} "
          f"papers/s), raw encode {raw:.2f} s; throughput ratio {raw / ours:.2f}x raw (target >= 0.9x)")


def search(count: int) -> None:
    import httpx

    from bench._server import running_server

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d"
        with KnowledgeBase.open(Settings(data=data)) as kb:
            kb.add_papers(read_papers(SEEDS))
        # the server is the one writer; this process only reads the vectors and uses the model for the raw side
        with KnowledgeBase.open(Settings(data=data), read_only=True) as kb, running_server(data) as url, \
                httpx.Client(base_url=url, timeout=60) as client:
            dense = kb.indexes.dense
            assert dense is not None
            vectors = np.concatenate([dense.vectors(p) for p in dense.paper_ids()])
            flat = faiss.IndexFlatIP(vectors.shape[1])
            flat.add(vectors)
            model = kb.encoder.model  # type: ignore[attr-defined]
            queries = [f"{a} {b} {i}" for i in range(count) for a, b in [(WORDS[i % 15], WORDS[(i * 7 + 3) % 15])]]
            ours: list[float] = []
            raw: list[float] = []
            client.get("/search", params={"q": "warm up"})
            model.encode(["warm up"], batch_size=1, normalize_embeddings=True)
            for query in queries:  # interleaved, every query new to both sides
                start = time.perf_counter()
                response = client.get("/search", params={"q": query, "k": 10})
                ours.append(time.perf_counter() - start)
                assert response.status_code == 200
                start = time.perf_counter()
                vector = model.encode([query + " raw"], batch_size=1, normalize_embeddings=True)
                flat.search(np.asarray(vector, dtype=np.float32), 10)
                raw.append(time.perf_counter() - start)
    p50, raw50 = statistics.median(ours) * 1000, statistics.median(raw) * 1000
    print(f"/search over loopback HTTP (paperkg serve): p50 {p50:.1f} ms (p90 "
          f"{sorted(ours)[int(0.9 * len(ours))] * 1000:.1f}), raw encode + FAISS p50 {raw50:.1f} ms; "
          f"ratio {p50 / raw50:.2f}x raw (target <= 1.5x, p50 < 25 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    ingest(args.rounds)
    search(args.queries)


if __name__ == "__main__":
    main()
