"""How long writes block reads: write-lock holds and read waits during an ingest that crosses the HNSW threshold.

    .venv/bin/python bench/lock_hold.py [--papers 4000] [--threshold 3000] [--batch 25]

The same synthetic papers (bench/ingest_scale.py's, hashing encoder) are ingested in small batches twice: with the
dense index's HNSW switch built in the background and swapped in (the default), and built synchronously under the
write lock (as before). Meanwhile a reader thread takes the read lock in a loop. Prints the longest and 99th
percentile write-lock hold, the longest read wait, how many holds exceeded 100 ms, and the batch that held the lock
longest. Timings only, no assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
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


def run(data: Path, papers: list, threshold: int, batch: int, background: bool) -> dict[str, float]:
    holds: list[float] = []
    waits: list[float] = []
    settings = Settings(data=data, model="hashing", ann_threshold=threshold)
    original = Indexes._adopt
    if not background:
        Indexes._adopt = lambda self, index: index  # type: ignore[method-assign]
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

            def reader() -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    with kb.lock.read():
                        waits.append(time.perf_counter() - started)
                    time.sleep(0.005)

            thread = threading.Thread(target=reader)
            thread.start()
            started = time.perf_counter()
            for first in range(0, len(papers), batch):
                kb.add_papers(papers[first:first + batch])
            dense = kb.indexes.dense
            while isinstance(dense, DenseIndex) and dense.rebuilding:
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            stop.set()
            thread.join()
            kind = dense.kind if dense else "none"
    finally:
        Indexes._adopt = original  # type: ignore[method-assign]
    hold = np.asarray(holds) * 1e3
    return {"max hold ms": float(hold.max()), "p99 hold ms": float(np.percentile(hold, 99)),
            "holds > 100 ms": float((hold > 100).sum()), "writes": float(len(hold)),
            "max read wait ms": float(max(waits) * 1e3), "p99 read wait ms": float(np.percentile(waits, 99) * 1e3),
            "ingest s": elapsed, "final kind hnsw": float(kind == "hnsw")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=4_000)
    parser.add_argument("--threshold", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=25)
    args = parser.parse_args()
    papers = new_papers(vocabulary(), args.papers, "l", 5)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, background in (("background", True), ("synchronous", False)):
            results[name] = run(Path(tmp) / name, papers, args.threshold, args.batch, background)
    print(f"{args.papers:,} papers in batches of {args.batch}, HNSW threshold {args.threshold:,} passages")
    print(f"{'':20s}" + "".join(f"{name:>14s}" for name in results))
    for key in next(iter(results.values())):
        print(f"{key:20s}" + "".join(f"{r[key]:14.1f}" for r in results.values()))


if __name__ == "__main__":
    main()
