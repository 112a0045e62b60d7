"""Parse speed and memory of the source readers on a synthetic arXiv metadata snapshot, measured side by side.

usage: python bench/parse_speed.py [--lines 100000] [--small 10000]

Writes a synthetic snapshot (JSON Lines shaped like the real one: hard-wrapped title and abstract with two-space
indents, `authors` and `authors_parsed`, categories, versions; about 1.3 kB a line) of `--small` and of `--lines`
records, plain and gzip, and reads each in a child process pinned to one core: `scan` (parse, unwrap, clean names,
normalise ids, validate, slice) plus the tally the CLI's check pass keeps. Each child reports records per second
(per CPU-second of the child, and per wall-clock second, which other processes on a shared machine lower) and
its peak RSS before and after reading; flat memory shows as the same peak for 10x the records.
Target (issue 13): >= 5,000 records/s on one core, parsing and normalising only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from paperkg.sources import Tally, scan

WORDS = ("efficient", "inference", "quantization", "large", "language", "models", "attention", "sparse", "memory",
         "throughput", "latency", "accelerator", "speculative", "decoding", "kernel", "training", "low-rank",
         "adaptation", "mixture", "experts", "cache", "long-context", "retrieval", "benchmark", "GPU", "FPGA")
SYLLABLES = ("ka", "lo", "mi", "ren", "sha", "to", "vic", "wen", "zhu", "bar", "del", "gar", "hon", "ste", "nak")
ACCENTED = ("M\\\"u", "Garc{\\'\\i}", "{\\L}u", "Erd\\H{o}", "\\c{C}e", "Dvo\\v{r}", "Jos\\'e")
GIVEN = ("Edward J.", "Yelong", "Anna", "Lu", "Wei", "Maria", "John", "Ji-hoon", "Yuki")
CATEGORIES = ("cs.LG", "cs.CL", "cs.AI", "cs.AR", "cs.DC", "stat.ML", "math.OC", "eess.SP")


def surname(rng: random.Random) -> str:
    """Mostly distinct names (as in the real snapshot), one in eight with a LaTeX accent."""
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
    return rng.choice(ACCENTED) + stem if rng.random() < 0.125 else stem.capitalize()


def wrap(words: list[str], per_line: int, joint: str) -> str:
    """Hard-wrapped as in the snapshot: `per_line` words a line, lines joined by `joint`."""
    return joint.join(" ".join(words[i:i + per_line]) for i in range(0, len(words), per_line))


def record(number: int, rng: random.Random) -> dict[str, object]:
    title = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    abstract = [rng.choice(WORDS) for _ in range(rng.randint(120, 200))]
    people = [[surname(rng), rng.choice(GIVEN), ""] for _ in range(rng.randint(2, 9))]
    year = 2007 + number % 18
    return {
        "id": f"{year % 100:02d}{1 + number % 12:02d}.{number % 100000:05d}", "submitter": people[0][1],
        "authors": ", ".join(f"{p[1]} {p[0]}" for p in people), "title": wrap(title, 9, "\n  ").capitalize(),
        "comments": "12 pages", "journal-ref": None, "doi": None, "report-no": None,
        "categories": " ".join(rng.sample(CATEGORIES, rng.randint(1, 3))), "license": None,
        "abstract": "  " + wrap(abstract, 11, "\n") + ".\n",
        "versions": [{"version": "v1", "created": f"Mon, 1 Jan {year} 10:00:00 GMT"}],
        "update_date": f"{year}-01-02", "authors_parsed": people,
    }


def write(path: Path, lines: int, compress: bool) -> None:
    rng = random.Random(13)
    opener = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for number in range(lines):
            handle.write(json.dumps(record(number, rng)) + "\n")


def child(path: Path) -> None:
    """Runs in its own process: read the file once, print one JSON line."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tally = Tally()
    start, cpu = time.perf_counter(), time.process_time()
    for item in scan(path, "arxiv"):
        tally.add(item)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": tally.papers, "bad": tally.bad_count, "seconds": seconds, "cpu": cpu,
                      "rss_before_mb": before / 1024, "rss_peak_mb": after / 1024}))


def measure(path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True, capture_output=True,
                         text=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--child", type=Path, default=None)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for lines in (args.small, args.lines):
            for compress in (False, True):
                path = Path(tmp) / f"arxiv-{lines}.json{'.gz' if compress else ''}"
                write(path, lines, compress)
                result = measure(path)
                rows.append((lines, compress, path.stat().st_size, result))
        print(f"{'lines':>8} {'gzip':>5} {'file MB':>8} {'rec/CPU-s':>10} {'rec/wall-s':>11} {'RSS before':>11} "
              f"{'RSS peak':>9}")
        for lines, compress, size, r in rows:
            assert r["records"] == lines and r["bad"] == 0, r
            print(f"{lines:>8,} {'yes' if compress else 'no':>5} {size / 2**20:>8.1f} "
                  f"{r['records'] / r['cpu']:>10,.0f} {r['records'] / r['seconds']:>11,.0f} "
                  f"{r['rss_before_mb']:>9.1f}MB {r['rss_peak_mb']:>7.1f}MB")
        small, large = rows[0][3], rows[2][3]
        print(f"peak RSS {args.lines:,} / {args.small:,} lines (plain): "
              f"{large['rss_peak_mb'] / small['rss_peak_mb']:.2f}x for {args.lines / args.small:.0f}x the records; "
              f"growth during the read: {small['rss_peak_mb'] - small['rss_before_mb']:.1f} MB vs "
              f"{large['rss_peak_mb'] - large['rss_before_mb']:.1f} MB")
        rate = min(r["records"] / r["cpu"] for *_, r in rows)
        print(f"slowest rate {rate:,.0f} records per CPU-second on one core (target >= 5,000): "
              f"{'ok' if rate >= 5000 else 'MISSED'} (wall-clock rates are lower when other processes share the core)")


if __name__ == "__main__":
    main()
