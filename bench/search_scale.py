"""`KnowledgeBase.search` against corpus size, new path and old path side by side in one process, projected to 1M.

    .venv/bin/python bench/search_scale.py DATA_20K DATA_100K [--queries 30]
    .venv/bin/python bench/search_scale.py --recall DATA      # HNSW: recall of the dense candidates against exact

Each DATA is a knowledge base made with the hashing encoder (bench/startup_scale.py --keep DIR writes DIR/base<size>).
Per data directory, the same new queries (startup_scale.py's) are searched in-process (no HTTP, no query cache) by
the current code and by the old path, alternating query by query. The old path: the graph boost's paper sets walked
edge by edge (`papers_citing_any`), hardware classes looked up among every node, BM25 scoring every posting of the
query's terms (`score_all`). "cold" empties the graph's cached paper sets and the cached BM25 weights before every query
(each query meets its entities and terms for the first time, as right after a start or a write); "warm" does not.
The top 10 of both paths are compared (they should be the same), and the per-paper slope between the sizes is
projected linearly to a million papers. Timings only: load-sensitive, read the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.startup_scale import WORDS  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402


def queries(count: int, salt: str) -> list[str]:
    return [" ".join(WORDS[(n * 7 + i * 5) % len(WORDS)] for i in range(3)) + f" {n}{salt}" for n in range(count)]


@contextmanager
def old_path(kb: KnowledgeBase) -> Iterator[None]:
    """The code before this change, by substitution: edge-walking paper sets and hardware classes, full BM25."""
    graph, keyword = kb.graph, kb.indexes.keyword
    graph.linked_papers = graph.papers_citing_any  # type: ignore[method-assign,assignment]
    graph.nodes_with = lambda attribute, value: sorted(graph._cached(  # type: ignore[method-assign]
        ("with, every node", attribute, value),
        lambda: frozenset(n for n, d in graph._g.nodes(data=True) if d.get(attribute) == value)))
    keyword.score = keyword.score_all  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        del graph.linked_papers, graph.nodes_with, keyword.score


def measure(data: Path, count: int) -> dict[str, float]:
    kb = KnowledgeBase.open(Settings(data=data, model="hashing", query_cache_size=0))
    try:
        kb.indexes.wait_for_graph()
        kb.search("warm up the indexes")
        with old_path(kb):
            kb.search("warm up the old path")
        papers = kb.paper_count()
        result: dict[str, float] = {"papers": papers}
        differ = 0
        dense, spent = kb.indexes.dense, [0.0]
        assert dense is not None
        search = dense.search

        def timed(*args: Any, **kwargs: Any) -> Any:
            begun = time.perf_counter()
            try:
                return search(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - begun

        dense.search = timed  # type: ignore[method-assign]
        for mode, salt in (("cold", "c"), ("warm", "w")):
            times: dict[str, list[float]] = {"new": [], "old": [], "new, dense search": [], "new, the rest": []}
            for query in queries(count, salt):
                answers = {}
                for side in ("old", "new") if len(times["new"]) % 2 else ("new", "old"):
                    if mode == "cold":
                        kb.graph._clear_cache()
                        kb.indexes.keyword.forget_weights()
                    begun, spent[0] = time.perf_counter(), 0.0
                    with old_path(kb) if side == "old" else nullcontext():
                        answers[side] = [h.id for h in kb.search(query, k=10).results]
                    times[side].append(time.perf_counter() - begun)
                    if side == "new":
                        times["new, dense search"].append(spent[0])
                        times["new, the rest"].append(times[side][-1] - spent[0])
                differ += answers["new"] != answers["old"]
            for side, values in times.items():
                result[f"{mode} {side}"] = statistics.median(values)
                result[f"{mode} {side} mean"] = statistics.mean(values)
        result["differ"] = differ
        return result
    finally:
        kb.close()


def passage_recall(data: Path, count: int) -> None:
    """How many of the 100 dense candidate papers (the first 100 papers among the passages HNSW returns) exact
    search also gives, asking HNSW for 300 passages (as `rank` does), 200 or 100, and what each costs."""
    kb = KnowledgeBase.open(Settings(data=data, model="hashing"))
    try:
        dense = kb.indexes.dense
        assert dense is not None and dense.kind == "hnsw", "--recall needs a knowledge base over an HNSW index"
        papers = dense.paper_ids()
        ids, _ = dense._map.ids_many(papers)
        matrix = dense._reconstruct(ids)
        vectors = [kb.encoder.encode_query(q) for q in queries(count, "r")]
        for passages in (300, 200, 100):
            recall, times = [], []
            for vector in vectors:
                begun = time.perf_counter()
                hits = dense.search(vector, passages)
                times.append(time.perf_counter() - begun)
                found = list(dict.fromkeys(pid for pid, _, _ in hits))[:100]
                best = np.argsort(-(matrix @ vector))[:3000]
                owners = dense._map.owners(ids[best].tolist())
                exact = list(dict.fromkeys(o[0] for o in owners if o is not None))[:100]
                recall.append(len(set(found) & set(exact)) / len(exact))
            print(f"HNSW asked for {passages} passages: recall of the 100 dense candidates "
                  f"{statistics.mean(recall):.3f}, search p50 {statistics.median(times) * 1e3:.2f} ms")
    finally:
        kb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, nargs="+")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--recall", action="store_true", help="only the HNSW candidate recall of the one DATA given")
    args = parser.parse_args()
    if args.recall:
        passage_recall(args.data[0], args.queries)
        return
    results = [measure(data, args.queries) for data in args.data]
    small, large = sorted(results, key=lambda r: r["papers"])
    span = large["papers"] - small["papers"]
    print(f"\n/search in-process, ms ({args.queries} new queries per row; k=10; dense search: the FAISS call, exact "
          f"at {small['papers']:,.0f}, HNSW at {large['papers']:,.0f} papers)")
    print(f"{'':28s}{small['papers']:>12,.0f}{large['papers']:>12,.0f}{'us / paper':>12s}{'1M (proj.)':>12s}")
    for mode in ("cold", "warm"):
        for side in ("new", "old", "new, dense search", "new, the rest"):
            for stat in ("", " mean"):
                key = f"{mode} {side}{stat}"
                a, b = small[key] * 1e3, large[key] * 1e3
                slope = (b - a) / span
                label = f"{mode} {side} " + ("mean" if stat else "p50")
                print(f"{label:28s}{a:12.1f}{b:12.1f}{slope * 1e3:12.3f}"
                      f"{b + slope * (1_000_000 - large['papers']):12.1f}")
    for row in (small, large):
        print(f"{row['papers']:,.0f} papers: old / new p50 cold {row['cold old'] / row['cold new']:.2f}x, warm "
              f"{row['warm old'] / row['warm new']:.2f}x; top-10 differs in {row['differ']:.0f} of "
              f"{2 * args.queries} queries")


if __name__ == "__main__":
    main()
