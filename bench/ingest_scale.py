"""Ingest cost against corpus size: the same 10k new papers into an empty knowledge base, a 10k one and a 100k one.

    .venv/bin/python bench/ingest_scale.py [--papers 10000] [--base 100000] [--batch 1000]

Hashing encoder (no model time). The new papers are synthetic abstracts naming vocabulary entities and stating 3-6
facts (bench/sparql_bench.py's generator), ingested through KnowledgeBase.add_papers in batches of --batch, so
extraction, embedding, the SQLite write and every derived structure are on the clock. The 10k base is the empty
run's result; the 100k base is written through Store.write directly (synthetic extraction, random unit vectors),
then opened once (which builds the indexes and the RDF store; that time is printed too).

Prints, per scenario, the cost per paper of each step side by side; "apply" is the derived structures (dense and
keyword indexes, networkx graph, entity lookup, RDF), "save" the index files written after a batch. The target is
the same per-paper cost whatever the corpus size. Timings only, no assertions; run on a quiet machine for absolute
numbers (ratios between columns of one run are what it is for).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sparql_bench import synthetic, vocabulary  # noqa: E402
from paperkg.core.records import EntityInfo, PaperInput  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.graph.vocabulary import Vocabulary  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.store import Store  # noqa: E402

STEPS = ("prepare", "existing", "write", "apply", "dense", "keyword", "graph", "entities", "rdf", "save")
DIM = 384


class Clock:
    """Wraps methods so that their wall time accumulates under a step name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._wrapped: list[tuple[Any, str]] = []

    def unwrap(self) -> None:
        for owner, method in self._wrapped:
            delattr(owner, method)  # the instance attribute goes; the class's method shows through again
        self._wrapped = []

    def wrap(self, owner: Any, method: str, step: str) -> None:
        inner: Callable[..., Any] = getattr(owner, method)
        self._wrapped.append((owner, method))

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[step] += time.perf_counter() - started

        setattr(owner, method, timed)


def new_papers(vocab: Vocabulary, count: int, tag: str, seed: int) -> list[PaperInput]:
    papers: list[PaperInput] = []
    for batch in synthetic(vocab, count, seed=seed):
        for write in batch:
            paper = write.paper
            papers.append(replace(paper, id=f"{tag}-{paper.id}", title=f"{paper.title} ({tag})"))
    return papers


def build_base(settings: Settings, vocab: Vocabulary, count: int) -> float:
    """Write `count` synthetic papers straight into the store (no extraction or embedding); seconds taken."""
    with KnowledgeBase.open(settings):
        pass  # records the model and extractor the store is made with, so opening it later re-processes nothing
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    store = Store(settings.data / "paperkg.sqlite3")
    for batch in synthetic(vocab, count, seed=11, batch=2000):
        vectors = rng.standard_normal((len(batch), DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        batch = [replace(w, vectors=vectors[i:i + 1]) for i, w in enumerate(batch)]
        info = {e.key: EntityInfo(c.label, None, tuple(c.aliases), dict(c.attrs))
                for w in batch for e in w.extraction.entities if (c := vocab.get(e.key)) is not None}
        store.write(batch, info)
    store.close()
    return time.perf_counter() - started


def ingest(kb: KnowledgeBase, papers: list[PaperInput], batch: int) -> dict[str, float]:
    clock = Clock()
    clock.wrap(kb, "_prepare", "prepare")
    clock.wrap(kb.store, "existing_many", "existing")
    clock.wrap(kb.store, "write", "write")
    clock.wrap(kb.indexes, "apply", "apply")
    clock.wrap(kb.indexes, "save", "save")
    clock.wrap(kb.indexes.graph, "sync", "graph")
    clock.wrap(kb.indexes.entities, "sync", "entities")
    clock.wrap(kb.indexes.rdf, "sync", "rdf")
    clock.wrap(kb.indexes.keyword, "add", "keyword")
    clock.wrap(kb.indexes.keyword, "remove", "keyword")
    started = time.perf_counter()
    dense = None
    for first in range(0, len(papers), batch):
        if kb.indexes.dense is not None and kb.indexes.dense is not dense:
            dense = kb.indexes.dense
            clock.wrap(dense, "add_many", "dense")
            clock.wrap(dense, "remove", "dense")
        kb.add_papers(papers[first:first + batch])
    clock.unwrap()
    seconds = dict(clock.seconds)
    seconds["total"] = time.perf_counter() - started
    return seconds


def rows(results: dict[str, dict[str, float]], papers: int) -> Iterator[str]:
    names = list(results)
    yield f"{'ms per paper':14s}" + "".join(f"{name:>16s}" for name in names)
    for step in ("total", *STEPS):
        yield f"{step:14s}" + "".join(f"{results[n].get(step, 0.0) * 1e3 / papers:16.3f}" for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--base", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    vocab = vocabulary()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        small = Settings(data=Path(tmp) / "small", model="hashing")
        with KnowledgeBase.open(small) as kb:
            results["into empty"] = ingest(kb, new_papers(vocab, args.papers, "a", 1), args.batch)
            label = f"into {kb.paper_count() // 1000}k"
            results[label] = ingest(kb, new_papers(vocab, args.papers, "b", 2), args.batch)
        big = Settings(data=Path(tmp) / "big", model="hashing")
        written = build_base(big, vocab, args.base)
        print(f"{args.base:,}-paper base written through Store.write in {written:.1f} s")
        started = time.perf_counter()
        with KnowledgeBase.open(big) as kb:
            print(f"first open (indexes, graphs and RDF built from the store): {time.perf_counter() - started:.1f} s")
            label = f"into {kb.paper_count() // 1000}k"
            results[label] = ingest(kb, new_papers(vocab, args.papers, "c", 3), args.batch)
    print(f"\n{args.papers:,} new papers in batches of {args.batch:,} (hashing encoder)")
    for line in rows(results, args.papers):
        print(line)


if __name__ == "__main__":
    main()
