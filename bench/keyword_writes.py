"""The keyword index under writes at corpus scale: what a write costs, and the first search after it.

usage: python bench/keyword_writes.py [--papers 100000] [--writes 1 25 1000] [--repeats 3] [--queries 20]

Synthetic documents of Zipf-distributed words (as bench/index_scale.py) are indexed, then writes of each size come
(half new papers, half replacing indexed ones). Side by side in one run, each write is measured:
- now: `prepare` (before the write lock) and `adopt` (under it), then the first search after the write, which
  computes its terms' weights under the new statistics, and the same search again (weights cached);
- before (the index up to this change): a write left the BM25 matrix stale and the next search rebuilt it over every
  paper (`bm25_matrix`, timed on the same documents), then searched.
The ratio is (write + first search) before / now. Then the answers are checked: the index after all writes against
one built at once from the same papers, top 10 of every query and every score bit for bit (exit 1 if any differ).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.embeddings.bm25 import bm25_matrix  # noqa: E402
from paperkg.embeddings.keyword import KeywordIndex, TokenizedDoc  # noqa: E402

WORDS = 30_000


def documents(rng: np.random.Generator, ids: list[str]) -> dict[str, TokenizedDoc]:
    """Titles of 8 and abstracts of 120 Zipf-drawn words (stems already: no stemming cost in the build)."""
    drawn = rng.zipf(1.3, (len(ids), 128)) % WORDS
    return {pid: TokenizedDoc(tuple(f"w{w}" for w in row[:8]), tuple(f"w{w}" for w in row[8:]))
            for pid, row in zip(ids, drawn.tolist(), strict=True)}


def timed(action: object) -> float:
    begun = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - begun


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--writes", type=int, nargs="+", default=[1, 25, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    ids = [f"p{i:07d}" for i in range(args.papers)]
    index = KeywordIndex()
    built = timed(lambda: index.add_tokens(documents(rng, ids)))
    print(f"{args.papers:,} papers indexed in {built:.1f} s, {index.stats()['bytes'] / 2**20:,.0f} MiB")
    queries = [" ".join(f"w{w % WORDS}" for w in rng.zipf(1.3, 3)) for _ in range(args.queries)]
    fresh_serial = args.papers
    print(f"\n{'write':>6} | {'prepare':>9} {'adopt':>8} {'1st search':>11} {'again':>8} | "
          f"{'rebuild':>9} {'search':>8} | before / now")
    for size in args.writes:
        rows: list[tuple[float, ...]] = []
        for repeat in range(args.repeats):
            replaced = [ids[int(i)] for i in rng.integers(0, len(ids), size // 2)]
            new = [f"n{fresh_serial + i:07d}" for i in range(size - len(replaced))]
            fresh_serial += len(new)
            ids.extend(new)
            tokens = documents(rng, replaced + new)
            query = queries[repeat % len(queries)]
            begun = time.perf_counter()
            prepared = index.prepare(tokens, ())
            prepare = time.perf_counter() - begun
            adopt = timed(lambda: index.adopt(prepared))  # noqa: B023
            first = timed(lambda: index.search(query, 10))  # noqa: B023
            again = timed(lambda: index.search(query, 10))  # noqa: B023
            docs = [index._docs[p] for p in index.paper_ids()]
            rebuild = timed(lambda: bm25_matrix(docs, len(index._vocab), index.k1, index.b))  # noqa: B023
            rows.append((prepare, adopt, first, again, rebuild, again))
        median = [statistics.median(column) * 1000 for column in zip(*rows, strict=True)]
        now, before = median[0] + median[1] + median[2], median[4] + median[5]
        print(f"{size:>6} | {median[0]:>7.1f}ms {median[1]:>6.1f}ms {median[2]:>9.1f}ms {median[3]:>6.1f}ms | "
              f"{median[4]:>7.0f}ms {median[5]:>6.1f}ms | {before / now:.1f}x")
    print(f"\nafter the writes: {index.stats()['segments']} segments, {index._whole.dead:,} dead positions of "
          f"{index._whole.positions:,}")
    fresh = KeywordIndex()
    fresh.add_tokens({p: TokenizedDoc(tuple(index.title_terms(p)), tuple(
        index._terms[t] for t in index._docs[p][len(index.title_terms(p)):].tolist())) for p in index.paper_ids()})
    warm = [timed(lambda: index.search(q, 10)) for q in queries for _ in range(2)][1::2]  # noqa: B023
    one = [timed(lambda: fresh.search(q, 10)) for q in queries for _ in range(2)][1::2]  # noqa: B023
    print(f"warm search p50: {statistics.median(warm) * 1000:.2f} ms over the segments, "
          f"{statistics.median(one) * 1000:.2f} ms over one segment built at once")
    differ = 0
    for query in queries:
        ours, theirs = index.score_all(query), fresh.score_all(query)
        differ += index.search(query, 10) != fresh.search(query, 10)
        differ += any(ours.of(p) != theirs.of(p) for p in np.asarray(fresh.paper_ids())[theirs.scores > 0].tolist())
    print(f"answers against a fresh build: {len(queries) - differ} of {len(queries)} queries identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
