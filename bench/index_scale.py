"""The dense index at 100k papers of synthetic clustered vectors: build, search latency, memory, ANN recall, updates.

usage: python bench/index_scale.py [--papers 100000] [--passages 2] [--queries 200] [--hnsw-m 32]
                                   [--ef-construction 80] [--ef-search 64] [--ann-threshold 50000]

Vectors: a shared direction plus topic centres, papers scattered around a topic, passages around their paper, all
L2-normalised; queries are fresh points near a paper (not copies of indexed vectors). Similarity statistics are close
to MiniLM's on the seeds (median ~0.2, query top-1 ~0.65), with neighbourhoods as crowded as 100k papers make them.
Papers are added in ingest-sized batches, so the index starts exact and switches to HNSW when it passes the
threshold, as in production. The keyword index (for the full hybrid rank) is built over synthetic Zipf word ids.
Targets (issue 4): search p50 < 40 ms, recall@10 >= 0.95.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.embeddings.dense import DenseIndex  # noqa: E402
from paperkg.embeddings.keyword import KeywordIndex  # noqa: E402
from paperkg.embeddings.ranking import rank  # noqa: E402

DIM = 384


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def synthetic(papers: int, passages: int, queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(papers, passages, DIM) passage vectors and (queries, DIM) query vectors.

    A shared direction makes the space anisotropic like sentence embeddings (median similarity ~0.2); topics of
    ~100 papers make neighbourhoods crowded (query top-1 ~0.64, 10th ~0.56 at 100k papers).
    """
    rng = np.random.default_rng(seed)
    common = unit(rng.standard_normal(DIM))
    topics = unit(rng.standard_normal((max(10, papers // 100), DIM)))
    topic = rng.integers(0, len(topics), papers)
    paper = unit(0.6 * common + unit(topics[topic] + 0.6 * unit(rng.standard_normal((papers, DIM)))))
    vectors = np.empty((papers, passages, DIM), dtype=np.float32)
    for ordinal in range(passages):
        vectors[:, ordinal] = unit(paper + 0.5 * unit(rng.standard_normal((papers, DIM))))
    asked = rng.integers(0, papers, queries)
    query = unit(paper[asked] + 1.0 * unit(rng.standard_normal((queries, DIM))))
    return vectors, query


class FixedEncoder:
    """Stands in for the model: rank() gets the synthetic query vector for the query text."""

    name, dim, max_tokens = "fixed", DIM, 256

    def __init__(self) -> None:
        self.vector = np.zeros(DIM, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.vector


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--passages", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5_000, help="papers per ingest batch")
    parser.add_argument("--ann-threshold", type=int, default=50_000)
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--skip-keyword", action="store_true")
    args = parser.parse_args()
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; {args.papers:,} papers x "
          f"{args.passages} passages = {args.papers * args.passages:,} vectors of {DIM} dims")

    vectors, queries = synthetic(args.papers, args.passages, args.queries)
    ids = [f"p{i:07d}" for i in range(args.papers)]
    index = DenseIndex(DIM, args.ann_threshold, hnsw_m=args.hnsw_m, ef_construction=args.ef_construction,
                       ef_search=args.ef_search)
    before = rss_bytes()
    start = time.perf_counter()
    switched_at = None
    for first in range(0, args.papers, args.batch):
        batch_start = time.perf_counter()
        index.add_many((ids[i], vectors[i]) for i in range(first, min(first + args.batch, args.papers)))
        if switched_at is None and index.kind == "hnsw":
            switched_at = (first + args.batch, time.perf_counter() - batch_start)
    build = time.perf_counter() - start
    grown = rss_bytes() - before
    stats = index.stats()
    print(f"\nbuild: {build:.1f}s in batches of {args.batch:,} papers ({args.papers / build:,.0f} papers/s); kind "
          f"{stats['kind']} (M={args.hnsw_m}, efConstruction={args.ef_construction}, efSearch={args.ef_search})")
    if switched_at:
        print(f"  switched flat -> hnsw at {switched_at[0]:,} papers; that batch took {switched_at[1]:.1f}s")
    print(f"memory: index {stats['bytes'] / 2**20:,.0f} MiB = {stats['bytes_per_paper']:,} bytes per paper "
          f"(raw vectors alone {args.passages * DIM * 4:,}); process RSS grew {grown / 2**20:,.0f} MiB "
          f"= {grown / args.papers:,.0f} bytes per paper")

    exact = faiss.IndexFlatIP(DIM)
    exact.add(vectors.reshape(-1, DIM))
    truth_scores, truth = exact.search(queries, 300)
    latencies, recalls, recalls_300 = [], [], []
    for row, query in enumerate(queries):
        start = time.perf_counter()
        hits = index.search(query, 10)
        latencies.append(time.perf_counter() - start)
        found = {int(pid[1:]) * args.passages + ordinal for pid, ordinal, _ in hits}
        recalls.append(len(found & set(truth[row, :10].tolist())) / 10)
        wide = {int(pid[1:]) * args.passages + ordinal for pid, ordinal, _ in index.search(query, 300)}
        recalls_300.append(len(wide & set(truth[row].tolist())) / 300)
    flat_latencies = []
    for query in queries[:50]:
        start = time.perf_counter()
        exact.search(query[None, :], 10)
        flat_latencies.append(time.perf_counter() - start)
    print(f"\ndense search k=10: p50 {percentile_ms(latencies, 50):.2f} ms, p99 {percentile_ms(latencies, 99):.2f} ms"
          f" (exact flat search: p50 {percentile_ms(flat_latencies, 50):.2f} ms)")
    print(f"exact neighbourhoods: top-1 similarity {truth_scores[:, 0].mean():.2f}, 10th "
          f"{truth_scores[:, 9].mean():.2f}, 300th {truth_scores[:, 299].mean():.2f}")
    print(f"recall vs exact: @10 {statistics.mean(recalls):.4f}, @300 (what rank() asks for) "
          f"{statistics.mean(recalls_300):.4f}   (target >= 0.95)")

    if not args.skip_keyword:
        rng = np.random.default_rng(1)
        start = time.perf_counter()
        keyword = KeywordIndex()
        words = [f"w{i}" for i in range(30_000)]
        keyword.build({
            pid: " ".join(words[int(w) % len(words)] for w in rng.zipf(1.3, 120)) for pid in ids
        })
        keyword.search("w1", 1)  # the BM25 matrix is built on first use
        print(f"\nkeyword index over {args.papers:,} synthetic docs: built in {time.perf_counter() - start:.1f}s "
              f"(tokenising included), {keyword.stats()['bytes'] / 2**20:,.0f} MiB")
        encoder = FixedEncoder()
        exact_index = DenseIndex(DIM, ann_threshold=10**12)
        exact_index.add_many((ids[i], vectors[i]) for i in range(args.papers))
        ranked: list[float] = []
        agreement: list[float] = []
        for query in queries:
            encoder.vector = query
            text = " ".join(words[int(w) % len(words)] for w in rng.zipf(1.3, 6))
            start = time.perf_counter()
            ranked_hits = rank(text, 10, index, keyword, encoder)  # type: ignore[arg-type]
            ranked.append(time.perf_counter() - start)
            truth_hits = rank(text, 10, exact_index, keyword, encoder)  # type: ignore[arg-type]
            agreement.append(len({h.paper_id for h in ranked_hits} & {h.paper_id for h in truth_hits}) / 10)
        del exact_index
        print(f"hybrid rank() without the query encode: p50 {percentile_ms(ranked, 50):.2f} ms, "
              f"p99 {percentile_ms(ranked, 99):.2f} ms (add the model's query encode, ~8-20 ms on 2 cores)")
        print(f"hybrid top-10 papers, HNSW vs exact dense index: recall@10 {statistics.mean(agreement):.4f}")
        start = time.perf_counter()
        keyword.add({f"new{i}": "w1 w2 w3" for i in range(100)})
        keyword.search("w1", 1)
        print(f"keyword add of 100 papers + rebuild: {time.perf_counter() - start:.2f}s")

    extra, _ = synthetic(100, args.passages, 1, seed=7)
    start = time.perf_counter()
    index.add_many((f"n{i}", extra[i]) for i in range(100))
    added = time.perf_counter() - start
    start = time.perf_counter()
    index.remove(ids[:100])
    removed = time.perf_counter() - start
    assert all(not pid.startswith("p00000") or int(pid[1:]) >= 100 for pid, _, _ in index.search(queries[0], 50))
    start = time.perf_counter()
    index.compact()
    compacted = time.perf_counter() - start
    print(f"\nincremental: add 100 papers {added * 1000:.0f} ms, remove 100 papers {removed * 1000:.0f} ms "
          f"({index.stats()['tombstones'] or 'then'} tombstones), full compaction {compacted:.1f}s")

    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        index.save(Path(directory), version=1)
        saved = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(directory).iterdir())
        start = time.perf_counter()
        loaded, _ = DenseIndex.load(Path(directory))
        print(f"save {saved:.1f}s ({size / 2**20:,.0f} MiB on disk), load with checksums "
              f"{time.perf_counter() - start:.1f}s, {loaded.stats()['vectors']:,} vectors")


if __name__ == "__main__":
    main()
