"""Extraction quality on the dev gold (the scorer's table) and extraction throughput on one core.

usage: python bench/extraction_quality.py [GOLD.jsonl] [--scorer PATH] [--repeat N] [--halves] [--no-speed]
       [--rules-only]

GOLD defaults to ../shared/eval/gold_dev.jsonl beside the repository (or $PAPERKG_SHARED/eval/gold_dev.jsonl).
Predictions are written to a temporary JSONL file and scored by ../shared/eval/score_extraction.py.
--halves also scores the even- and odd-numbered gold papers separately (a split-half check).
Scores the product's extractor (rules + learned scorer at the default minimum confidence) and, with --rules-only,
the rules alone. The scorer trained on the dev gold: its honest dev figure is bench/train_scorer.py's cross-validated
one. Throughput: the 111 seed abstracts extracted --repeat times (default 10) in one process pinned to one core, by
the rules alone and by rules + scorer side by side (CPU time is the figure to compare with the target, >= 100
abstracts/s beyond the shared forward pass; the scorer makes no model forward pass of its own).
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

from paperkg.core.settings import Settings  # noqa: E402
from paperkg.graph.extraction import Extractor, annotation, learned_extractor  # noqa: E402
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


def throughput(extractors: dict[str, Extractor], repeat: int) -> str:
    papers = read_papers(SEED_FILE)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    lines, rates = [], {}
    for name, extractor in extractors.items():
        for paper in papers:  # warm-up (regex compilation, caches)
            extractor.extract(paper.title, paper.abstract)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            for paper in papers:
                extractor.extract(paper.title, paper.abstract)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        n = len(papers) * repeat
        rates[name] = n / cpu
        lines.append(f"throughput {name}: {n} abstracts ({len(papers)} seed papers x {repeat} repetitions) on one "
                     f"core: {n / cpu:.0f} abstracts/s CPU time, {n / wall:.0f} abstracts/s wall time")
    if len(rates) == 2:
        first, second = rates.values()
        lines.append(f"cost of the scorer: {1000 / second - 1000 / first:.2f} ms CPU per abstract "
                     f"(rules + scorer run at {second / first:.2f}x the rules' speed)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", nargs="?", type=Path, default=shared_dir() / "eval" / "gold_dev.jsonl")
    parser.add_argument("--scorer", type=Path, default=None, help="score_extraction.py (default: beside GOLD)")
    parser.add_argument("--repeat", type=int, default=10, help="passes over the 111 seeds for the speed figure")
    parser.add_argument("--halves", action="store_true", help="also score even- and odd-numbered papers")
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput measurement")
    parser.add_argument("--rules-only", action="store_true", help="also score the rules without the scorer")
    args = parser.parse_args()
    scorer = args.scorer or args.gold.parent / "score_extraction.py"
    if not args.gold.exists() or not scorer.exists():
        sys.exit(f"missing {args.gold} or {scorer} (set PAPERKG_SHARED or pass GOLD and --scorer)")
    vocabulary = Vocabulary.load(SEEDS)
    rules = Extractor(vocabulary)
    extractor = learned_extractor(vocabulary, SEEDS, Settings.model_fields["min_confidence"].default)
    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.rules_only:
        print(f"extractor {rules.version} (rules only), gold {args.gold}")
        print(score(gold, rules, vocabulary, scorer) + "\n")
    print(f"extractor {extractor.version}, vocabulary of {len(vocabulary)} concepts, gold {args.gold}")
    print(score(gold, extractor, vocabulary, scorer))
    if args.halves:
        for name, part in (("even", gold[0::2]), ("odd", gold[1::2])):
            print(f"\n-- {name}-numbered papers --")
            print(score(part, extractor, vocabulary, scorer))
    if not args.no_speed:
        print()
        print(throughput({"rules": rules, "rules + scorer": extractor}, args.repeat))


if __name__ == "__main__":
    main()
