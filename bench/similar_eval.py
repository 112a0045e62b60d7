"""Similar papers on the bigger corpus: BM25, dense, their RRF and paperkg's `similar`, side by side.

usage: python bench/similar_eval.py [--data DIR] [--model PATH] [--grid]

Judgments come from our graded query judgments (bench/search_eval/queries_{a,b}.json, made by reading the
abstracts): every paper judged 2 for a query asks for papers like it, and the query's other judged papers are the
answers, with their grades (a paper judged 2 for several queries gets the union, best grade kept). Half A (from
queries_a) was used to choose SimilarParams (--grid prints the grids, B beside A); half B was never tuned on. The
knowledge base is the one bench/search_eval.py builds (same --data).
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

from bench.search_eval import HERE, Methods, load_corpus  # noqa: E402
from bench.search_quality import ndcg  # noqa: E402
from paperkg.core.settings import Settings, default_model  # noqa: E402
from paperkg.embeddings.ranking import SimilarParams, reciprocal_rank_fusion  # noqa: E402
from paperkg.embeddings.ranking import similar as similar_papers  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402

K = 20
Finder = Callable[[str], list[str]]


def cases(path: Path, ids: dict[str, str]) -> dict[str, dict[str, int]]:
    """Query paper id -> {similar paper id: grade}."""
    found: dict[str, dict[str, int]] = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        judged = {ids[t]: g for t, g in item["relevant"].items()}
        for pid, grade in judged.items():
            if grade == 2:
                answers = found.setdefault(pid, {})
                for other, g in judged.items():
                    if other != pid:
                        answers[other] = max(answers.get(other, 0), g)
    return {pid: answers for pid, answers in found.items() if answers}


def score(finder: Finder, judged: dict[str, dict[str, int]]) -> tuple[float, float]:
    rows: list[tuple[float, float]] = []
    for pid, answers in judged.items():
        ranked = finder(pid)
        rows.append((ndcg(ranked, answers, 10), ndcg(ranked, answers, K)))
    return statistics.mean(r[0] for r in rows), statistics.mean(r[1] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/paperkg-search-eval"))
    parser.add_argument("--model", default="")
    parser.add_argument("--grid", action="store_true", help="print the SimilarParams grid on both halves")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args.model = args.model or default_model()
    corpus = load_corpus()
    with KnowledgeBase.open(Settings(data=args.data / "kb", model=args.model), read_only=True) as kb:
        if kb.paper_count() != len(corpus):
            raise SystemExit(f"run bench/search_eval.py --data {args.data} first (it builds the knowledge base)")
        methods = Methods(kb, corpus, args.data)
        ids = {row["title"]: pid for pid, row in zip(methods.ids, corpus, strict=True)}
        halves = {"A (tuned)": cases(HERE / "queries_a.json", ids), "B (held out)": cases(HERE / "queries_b.json", ids)}
        dense, keyword, queries = kb.indexes.dense, kb.indexes.keyword, kb.queries
        assert dense is not None
        # Distractors hold halves of real abstracts: near-copies nobody judged, so every method leaves them out.
        real = {pid for pid, row in zip(methods.ids, corpus, strict=True) if row["source"] != "distractor"}

        def bm25(pid: str) -> list[str]:
            return [p for p, _ in keyword.score_like(pid).top(K + 1, real) if p != pid][:K]

        def window(pid: str) -> list[str]:
            return [p for p, _, _ in methods.window.search(methods.window.vectors(pid)[0], K + 1, real) if p != pid][:K]

        def rrf(pid: str) -> list[str]:
            lexical = [p for p, _ in keyword.score_like(pid).top(101, real) if p != pid]
            semantic = [p for p, _, _ in methods.window.search(methods.window.vectors(pid)[0], 101, real) if p != pid]
            return [p for p, _ in reciprocal_rank_fusion([lexical, semantic])[:K]]

        def ours(params: SimilarParams, use_graph: bool = True) -> Finder:
            hubness = queries.hubness(params)  # over every paper of the corpus, distractors too

            def find(pid: str) -> list[str]:
                signal, linked = queries.graph_similarity(pid)
                hits = similar_papers(pid, K, dense, keyword, real, graph=signal if use_graph else None,
                                      graph_candidates=linked if use_graph else (), similar_params=params,
                                      hubness=hubness)
                return [h.paper_id for h in hits]
            return find

        def whole(params: SimilarParams, method: float, task: float) -> Finder:
            def find(pid: str) -> list[str]:
                kept = queries.aspect_params
                queries.aspect_params = replace(kept, whole_method=method, whole_task=task)
                try:
                    return [h.paper_id for h in queries.similar_whole(pid, K, params, real)]
                finally:
                    queries.aspect_params = kept
            return find

        def aspect(name: str) -> Finder:
            return lambda pid: [h.paper_id for h in queries.similar_by_aspect(pid, K, name, allowed=real)]

        rows: dict[str, Finder] = {
            "BM25 (paper text as query)": bm25,
            "dense, one window": window,
            "BM25 + dense RRF": rrf,
            "before: centroid + BM25 0.5": ours(SimilarParams(keyword_weight=0.5, hub_weight=0), use_graph=False),
            "centroid + BM25 0.25": ours(SimilarParams(hub_weight=0), use_graph=False),
            "paperkg: + hubness 0.25": ours(SimilarParams(), use_graph=False),
            "+ passage max-sim": ours(SimilarParams(maxsim_weight=0.5), use_graph=False),
            "+ max-sim + graph": ours(SimilarParams(maxsim_weight=0.5, graph_weight=0.15)),
            "+ method (0.75) and task (1.0) sentences": whole(SimilarParams(), 0.75, 1.0),
            "aspect=method (not the aim here)": aspect("method"),
            "aspect=task (not the aim here)": aspect("task"),
        }
        print("nDCG@10 / nDCG@20" + "".join(f"{f'{n} ({len(c)} papers)':>28}" for n, c in halves.items()))
        for name, finder in rows.items():
            cells = [score(finder, judged) for judged in halves.values()]
            print(f"{name:<28}" + "".join(f"{f'{a:.3f} / {b:.3f}':>28}" for a, b in cells))
        if args.grid:
            print("\nkeyword maxsim graph feedback " + "".join(f"{n:>16}" for n in halves))
            for keyword_weight in (0.1, 0.25, 0.5):
                for share, graph_weight, feedback in ((0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (0.5, 0.15, 0.0),
                                                      (0.0, 0.0, 0.5), (0.5, 0.15, 0.5), (0.5, 0.15, 1.0)):
                    finder = ours(SimilarParams(maxsim_weight=share, graph_weight=graph_weight,
                                                keyword_weight=keyword_weight, feedback_weight=feedback))
                    grid = [score(finder, judged)[1] for judged in halves.values()]
                    print(f"{keyword_weight:>7} {share:>6} {graph_weight:>5} {feedback:>8} "
                          + "".join(f"{c:>16.3f}" for c in grid))
            print("\nhubness (weight, neighbours), nDCG@10 / @20" + "".join(f"{n:>28}" for n in halves))
            for hub_weight in (0.0, 0.25, 0.5, 0.75, 1.0):
                for neighbours in ((20,) if hub_weight == 0 else (5, 10, 20)):
                    finder = ours(SimilarParams(hub_weight=hub_weight, hub_neighbours=neighbours), use_graph=False)
                    cells = [score(finder, judged) for judged in halves.values()]
                    print(f"{hub_weight:>10} {neighbours:>10}"
                          + "".join(f"{f'{a:.3f} / {b:.3f}':>28}" for a, b in cells))


if __name__ == "__main__":
    main()
