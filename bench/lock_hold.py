"""How long writes block reads: write-lock holds and read waits during an ingest that crosses the HNSW threshold.

    .venv/bin/python bench/lock_hold.py [--papers 4000] [--threshold 3000] [--batch 25] [--runs staged,unstaged]

The same synthetic papers (bench/ingest_scale.py's, hashing encoder) are ingested in small batches, once per run,
side by side: `staged` (the default: the SQLite rows are written in a transaction left pending and the on-disk RDF
store takes them in before the write lock, which then covers the commit and the in-memory structures), `unstaged`
(as before: the SQLite write and commit and the RDF sync under the write lock too), `late-tokens` (staged, but the
keyword index's tokenisation under the write lock, as before it moved out), and `synchronous` (unstaged, and
the dense index's HNSW switch built under the write lock instead of in the background). Meanwhile a reader thread
takes the read lock in a loop (as searches and reads do), another `snapshot_read` (as SPARQL worker forks do), a third
starts an N-Quads export every second (`--export-every`). Prints the longest and 99th percentile write-lock hold,
how many holds exceeded 100 ms, and the longest and 99th percentile wait of each reader (an export's: until it
returns with its snapshot taken). Timings only, no assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ingest_scale import new_papers  # noqa: E402
from bench.sparql_bench import vocabulary  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.embeddings.dense import DenseIndex  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.kb.indexes import Indexes  # noqa: E402
from paperkg.kb.prefetch import Prefetched  # noqa: E402


def commit_unstaged(self: KnowledgeBase, write: Callable[[], tuple[int, list[str], list[str]]],
                    vectors: dict[str, np.ndarray]) -> int:
    """`KnowledgeBase._commit` as it was: the store's write and commit and every derived structure under the lock."""
    with self.lock.write():
        with self.store.pending() as pending:
            version, changed, removed = write()
            pending.commit()
        if changed or removed:
            self._apply(version, changed, removed, vectors)
    return version


def run(data: Path, papers: list, threshold: int, batch: int, mode: str, export_every: float) -> dict[str, float]:
    holds: list[float] = []
    waits: list[float] = []
    snapshot_waits: list[float] = []
    export_waits: list[float] = []
    settings = Settings(data=data, model="hashing", ann_threshold=threshold)
    original, commit, stage = Indexes._adopt, KnowledgeBase._commit, Indexes.stage
    if mode == "late-tokens":
        def stage_late(self: Indexes, changed: Sequence[str], removed: Sequence[str],
                       vectors: dict[str, np.ndarray]) -> Prefetched:
            reads = stage(self, changed, removed, vectors)
            reads.keyword_tokens = reads.keywords = None
            return reads

        Indexes.stage = stage_late  # type: ignore[method-assign]
    if mode == "synchronous":
        Indexes._adopt = lambda self, index: index  # type: ignore[method-assign]
    if mode not in ("staged", "late-tokens"):
        KnowledgeBase._commit = commit_unstaged  # type: ignore[method-assign]
    try:
        with KnowledgeBase.open(settings) as kb:
            write = kb.lock.write

            @contextlib.contextmanager
            def timed_write() -> Iterator[None]:
                with write():
                    started = time.perf_counter()
                    try:
                        yield
                    finally:
                        holds.append(time.perf_counter() - started)

            kb.lock.write = timed_write  # type: ignore[method-assign]
            stop = threading.Event()

            def reader(enter: Callable[[], contextlib.AbstractContextManager[None]], log: list[float]) -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    with enter():
                        log.append(time.perf_counter() - started)
                    time.sleep(0.005)

            def exporter(log: list[float]) -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    _media, chunks = kb.export("nquads")  # returns with the snapshot taken and a first chunk made
                    log.append(time.perf_counter() - started)
                    del chunks
                    time.sleep(export_every)

            # searches and reads take the read lock; SPARQL worker forks also wait for a write being staged into the
            # RDF store (snapshot_read), and so do RDF exports unless a checkpoint was put aside for them
            threads = [threading.Thread(target=reader, args=(kb.lock.read, waits)),
                       threading.Thread(target=reader, args=(kb.snapshot_read, snapshot_waits)),
                       *([threading.Thread(target=exporter, args=(export_waits,))] if export_every else [])]
            for thread in threads:
                thread.start()
            started = time.perf_counter()
            for first in range(0, len(papers), batch):
                kb.add_papers(papers[first:first + batch])
            dense = kb.indexes.dense
            while isinstance(dense, DenseIndex) and dense.rebuilding:
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            stop.set()
            for thread in threads:
                thread.join()
            kind = dense.kind if dense else "none"
    finally:
        Indexes._adopt, KnowledgeBase._commit = original, commit  # type: ignore[method-assign]
        Indexes.stage = stage  # type: ignore[method-assign]
    hold = np.asarray(holds) * 1e3
    return {"max hold ms": float(hold.max()), "p99 hold ms": float(np.percentile(hold, 99)),
            "holds > 100 ms": float((hold > 100).sum()), "writes": float(len(hold)),
            "max read wait ms": float(max(waits) * 1e3), "p99 read wait ms": float(np.percentile(waits, 99) * 1e3),
            "max snapshot wait ms": float(max(snapshot_waits) * 1e3),
            "p99 snapshot wait ms": float(np.percentile(snapshot_waits, 99) * 1e3),
            "max export start ms": float(max(export_waits, default=0) * 1e3),
            "p99 export start ms": float(np.percentile(export_waits or [0], 99) * 1e3),
            "ingest s": elapsed, "final kind hnsw": float(kind == "hnsw")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=4_000)
    parser.add_argument("--threshold", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--export-every", type=float, default=1.0, help="seconds between exports (0: none)")
    parser.add_argument("--runs", default="staged,unstaged",
                        help="comma-separated: staged, late-tokens, unstaged, synchronous")
    args = parser.parse_args()
    papers = new_papers(vocabulary(), args.papers, "l", 5)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.runs.split(","):
            results[mode] = run(Path(tmp) / mode, papers, args.threshold, args.batch, mode, args.export_every)
    print(f"{args.papers:,} papers in batches of {args.batch}, HNSW threshold {args.threshold:,} passages")
    print(f"{'':20s}" + "".join(f"{name:>14s}" for name in results))
    for key in next(iter(results.values())):
        print(f"{key:20s}" + "".join(f"{r[key]:14.1f}" for r in results.values()))


if __name__ == "__main__":
    main()
