"""Extraction quality on the dev gold (the scorer's table) and extraction throughput on one core.

usage: python bench/extraction_quality.py [GOLD.jsonl] [--scorer PATH] [--repeat N] [--halves] [--no-speed]

GOLD defaults to ../shared/eval/gold_dev.jsonl beside the repository (or $PAPERKG_SHARED/eval/gold_dev.jsonl).
Predictions are written to a temporary JSONL file and scored by ../shared/eval/score_extraction.py.
--halves also scores the even- and odd-numbered gold papers separately (a split-half check).
Throughput: the 111 seed abstracts extracted --repeat times (default 10) in one process pinned to one core;
CPU time is the figure to compare with the target (>= 200 abstracts/s), wall time is shown too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.graph.extraction import Extractor, annotation  # noqa: E402
from paperkg.graph.vocabulary import Vocabulary  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_a8d658c6adbf4f3a.txt"


def shared_dir() -> Path:
    return Path(os.environ.get("PAPERKG_SHARED", ROOT.parent / "shared"))


def score(gold: list[dict], extractor: Extractor, vocabulary: Vocabulary, scorer: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        gold_file, pred_file = Path(tmp) / "gold.jsonl", Path(tmp) / "pred.jsonl"
        with open(gold_file, "w", encoding="utf-8") as g, open(pred_file, "w", encoding="utf-8") as p:
            for paper in gold:
                g.write(json.dumps(paper, ensure_ascii=False) + "\n")
                result = extractor.extract(paper["title"], paper.get("abstract", ""))
                p.write(json.dumps(annotation(paper["title"], paper.get("abstract", ""), result, vocabulary),
                                   ensure_ascii=False) + "\n")
        done = subprocess.run([sys.executable, str(scorer), str(gold_file), str(pred_file)],
                              capture_output=True, text=True, check=True)
        return done.stdout.rstrip()


def throughput(extractor: Extractor, repeat: int) -> str:
    papers = read_papers(SEED_FILE)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    for paper in papers:  # warm-up (regex compilation, caches)
        extractor.extract(paper.title, paper.abstract)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        for paper in papers:
            extractor.extract(paper.title, paper.abstract)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = len(papers) * repeat
    return (f"throughput: {n} abstracts ({len(papers)} seed papers x {repeat} repetitions) on one core: "
            f"{n / cpu:.0f} abstracts/s CPU time, {n / wall:.0f} abstracts/s wall time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", type=Path, default=shared_dir() / "eval" / "gold_dev.jsonl")
    parser.add_argument("--scorer", type=Path, default=None, help="score_extraction.py (default: beside GOLD)")
    parser.add_argument("--repeat", type=int, default=10, help="passes over the 111 seeds for the speed figure")
    parser.add_argument("--halves", action="store_true", help="also score even- and odd-numbered papers")
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    args = parser.parse_args()
    scorer = args.scorer or args.gold.parent / "score_extraction.py"
    if not args.gold.exists() or not scorer.exists():
        sys.exit(f"missing {args.gold} or {scorer} (set PAPERKG_SHARED or pass GOLD and --scorer)")
    vocabulary = Vocabulary.load(SEEDS)
    extractor = Extractor(vocabulary)
    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"extractor {extractor.version}, vocabulary of {len(vocabulary)} concepts, gold {args.gold}")
    print(score(gold, extractor, vocabulary, scorer))
    if args.halves:
        for name, part in (("even", gold[0::2]), ("odd", gold[1::2])):
            print(f"\n-- {name}-numbered papers --")
            print(score(part, extractor, vocabulary, scorer))
    if not args.no_speed:
        print()
        print(throughput(extractor, args.repeat))


if __name__ == "__main__":
    main()
