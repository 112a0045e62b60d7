"""Similar papers by aspect against our own graded judgments: does `aspect=method` find papers with a similar method,
and `aspect=task` papers on the same problem, better than the whole-paper rankings and the baselines?

usage: python bench/similar_aspects.py [--data DIR] [--model PATH]

Judgments (bench/similar_aspects/judgments.json): 24 seed papers drawn at random (seed 15), each with the union of
the top 4 of six rankers (BM25 on the paper's text, dense passage centroid, paperkg `similar`, and its method,
task and results aspects), listed by title in alphabetical order and judged blind twice, 0-2: method (2 the same
kind of method, 1 a shared key technique, 0 different) and task (2 the same problem, 1 a related problem in the
same area and phase, 0 different). Halves alternate in the random order: A may be tuned on, B never. The aspect
weights (embeddings.aspects.AspectParams) were set before these judgments and not tuned on either half.
nDCG@5 per kind of judgment, over the papers with at least one similar paper of that kind in the pool; unjudged
papers count as not similar (the pool is each ranker's top 4).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_quality import ndcg  # noqa: E402
from paperkg.core.settings import Settings, default_model  # noqa: E402
from paperkg.embeddings.ranking import reciprocal_rank_fusion  # noqa: E402
from paperkg.embeddings.ranking import similar as similar_papers  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

K = 5
Finder = Callable[[str], list[str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/paperkg-related-eval"))
    parser.add_argument("--model", default="")
    parser.add_argument("--grid", action="store_true", help="AspectParams weights, each aspect on its own kind, half A")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args.model = args.model or default_model()
    judged = json.loads((ROOT / "bench/similar_aspects/judgments.json").read_text(encoding="utf-8"))
    papers = read_papers(ROOT / "seeds/000_a8d658c6adbf4f3a.txt")
    with KnowledgeBase.open(Settings(data=args.data, model=args.model)) as kb:
        if kb.paper_count() != len(papers):
            kb.add_papers(papers)
        dense, keyword = kb.indexes.dense, kb.indexes.keyword
        assert dense is not None
        ids = {p.title: p.id for p in kb.store.papers(dense.paper_ids())}
        titles = {pid: title for title, pid in ids.items()}

        def bm25(pid: str) -> list[str]:
            return [p for p, _ in keyword.score_like(pid).top(K + 1) if p != pid][:K]

        def centroid(pid: str) -> list[str]:
            return [h.paper_id for h in similar_papers(pid, K, dense)]

        def rrf(pid: str) -> list[str]:
            lexical = [p for p, _ in keyword.score_like(pid).top(101) if p != pid]
            semantic = [h.paper_id for h in similar_papers(pid, 100, dense)]
            return [p for p, _ in reciprocal_rank_fusion([lexical, semantic])[:K]]

        def ours(aspect: str | None) -> Finder:
            return lambda pid: [r.id for r in kb.similar(pid, K, aspect)]

        rows: dict[str, Finder] = {
            "BM25 (paper text as query)": bm25, "dense passage centroid": centroid, "BM25 + dense RRF": rrf,
            "paperkg similar (whole paper)": ours(None), "paperkg aspect=method": ours("method"),
            "paperkg aspect=task": ours("task"), "paperkg aspect=results": ours("results"),
        }
        # a paper with nothing similar in the pool for a kind of judgment says nothing about that kind
        halves = {(kind, h): {q: {t: g[kind] for t, g in v["judged"].items()} for q, v in judged.items()
                              if v["half"] == h and any(g[kind] for g in v["judged"].values())}
                  for kind in ("method", "task") for h in ("A", "B")}
        header = "".join(f"{f'{kind}, {h} ({len(c)})':>18}" for (kind, h), c in halves.items())
        print(f"nDCG@{K}{'':<29}{header}")
        for name, finder in rows.items():
            ranked = {q: [titles[p] for p in finder(ids[q])] for q in judged}
            cells = [statistics.mean(ndcg(ranked[q], grades, K) for q, grades in cases.items())
                     for cases in halves.values()]
            print(f"{name:<36}" + "".join(f"{c:>18.3f}" for c in cells))
        # Over every seed paper: how often the first neighbour shares an entity the paper names in its method
        # (task) sentences or relations, i.e. whether the aspects rank by what they say they rank by.
        info = kb.queries._aspect_info(list(titles))
        print(f"\nfirst neighbour shares an entity of the paper's ... ({len(titles)} seed papers)   method    task")
        for name in ("paperkg similar (whole paper)", "paperkg aspect=method", "paperkg aspect=task"):
            shares = {"method": 0, "task": 0}
            for pid in titles:
                top = rows[name](pid)[:1]
                for kind in shares:
                    shares[kind] += bool(top and set(info[pid][1][kind]) & set(info[top[0]][1][kind]))
            print(f"{name:<70}" + "".join(f"{shares[k] / len(titles):>8.2f}" for k in shares))
        if args.grid:
            kept = kb.queries.aspect_params
            print("\nwhole  text  graph   method (A)   task (A)")
            for whole, text, graph in ((0.5, 1.0, 0.5), (1.0, 1.0, 0.5), (2.0, 1.0, 0.5), (1.0, 0.5, 0.5),
                                       (1.0, 1.0, 0.0), (1.0, 0.5, 0.0), (2.0, 1.0, 1.0), (1.0, 0.0, 1.0)):
                kb.queries.aspect_params = replace(kept, whole_weight=whole, text_weight=text, graph_weight=graph)
                cells = []
                for kind in ("method", "task"):
                    cases = halves[(kind, "A")]
                    cells.append(statistics.mean(
                        ndcg([titles[p] for p in ours(kind)(ids[q])], grades, K) for q, grades in cases.items()))
                print(f"{whole:>5} {text:>5} {graph:>6} " + "".join(f"{c:>11.3f}" for c in cells))
            kb.queries.aspect_params = kept


if __name__ == "__main__":
    main()
