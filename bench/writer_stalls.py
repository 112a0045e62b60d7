"""How long a reader thread of the writing process waits for the GIL while large writes run, with extraction on the
writing thread and in a worker process, side by side in one run.

usage: python bench/writer_stalls.py [--model real|hashing] [--papers 1000] [--writes 3] [--rounds 2]

A ticker thread sleeps 1 ms at a time beside WRITES writes of PAPERS synthetic papers each (after one write of the
same size to warm up), with the GIL switch interval `paperkg serve` sets. Its longest gap is the longest any reader
thread of the server would have waited. Exits 1 when a gap over 100 ms remains with this machine's default set-up
(`Settings.extract_processes` unset: one worker per 8 CPUs), the target of issue 14 for reads beside writes.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_scale import new_papers  # noqa: E402
from bench.sparql_bench import vocabulary  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.kb.extracting import ExtractionParams  # noqa: E402

STALL = 0.1


@dataclass(frozen=True)
class Run:
    longest_ms: float
    over_100ms: int
    over_50ms: int
    write_s: float


def run(model: str, processes: int, papers: int, writes: int, model_cache: Path | None) -> Run:
    batch = new_papers(vocabulary(), papers * (writes + 1), "w", 5)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data=Path(tmp), model="" if model == "real" else model, extract_processes=processes,
                            model_cache=model_cache)
        with KnowledgeBase.open(settings) as kb:
            kb.add_papers(batch[:papers])
            gc.collect()
            gc.freeze()  # as `paperkg serve` does after start-up
            gaps: list[float] = []
            stop = threading.Event()

            def ticker() -> None:
                last = time.perf_counter()
                while not stop.is_set():
                    time.sleep(0.001)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            thread = threading.Thread(target=ticker)
            switch = sys.getswitchinterval()
            sys.setswitchinterval(settings.switch_interval)
            thread.start()
            took = []
            try:
                for start in range(papers, papers * (writes + 1), papers):
                    began = time.perf_counter()
                    kb.add_papers(batch[start:start + papers])
                    took.append(time.perf_counter() - began)
            finally:
                stop.set()
                thread.join()
                sys.setswitchinterval(switch)
                gc.unfreeze()
    return Run(max(gaps) * 1e3, sum(g > STALL for g in gaps), sum(g > STALL / 2 for g in gaps), statistics.mean(took))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["real", "hashing"], default="real")
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model-cache", type=Path)
    args = parser.parse_args()
    modes = {"extraction on the writing thread": 0, "extraction in a worker process": 1}
    results: dict[str, list[Run]] = {name: [] for name in modes}
    for _ in range(args.rounds):
        for name, processes in modes.items():
            results[name].append(run(args.model, processes, args.papers, args.writes, args.model_cache))
    print(f"model {args.model}: {args.writes} writes of {args.papers} papers, {args.rounds} rounds; ticker gaps")
    print(f"  {'':<36} {'longest':>9} {'> 100 ms':>9} {'> 50 ms':>8} {'write':>8}")
    for name, runs in results.items():
        print(f"  {name:<36} {max(r.longest_ms for r in runs):7.0f} ms {sum(r.over_100ms for r in runs):9d} "
              f"{sum(r.over_50ms for r in runs):8d} {statistics.mean(r.write_s for r in runs):6.2f} s")
    off, on = (statistics.mean(r.write_s for r in results[name]) for name in modes)
    print(f"  write time with workers / without: {on / off:.2f}x")
    default = list(modes)[min(1, ExtractionParams.configured(None).processes)]
    stalls = sum(r.over_100ms for r in results[default])
    print(f"  this machine's default: {default}")
    if stalls:
        print(f"FAIL: {stalls} reader stalls over 100 ms by default")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
