"""Score the extractor and the search on our own held-out sets, next to the shared dev sets.

usage: .venv/bin/python bench/heldout.py [--blind] [--url http://127.0.0.1:8000] [--eval-dir DIR]

(a) Runs `paperkg extract` on bench/heldout/extraction_heldout.jsonl and on the dev gold, scores both with the shared
    score_extraction.py and prints the two tables side by side, with held-out/dev ratios of the overall F1s.
(b) With --url (a running `paperkg serve`), scores bench/heldout/search_queries_heldout.json with the shared
    score_search.py (nDCG@10, MRR, recall@10).
The held-out sets are annotated by us, not by the product owner: see bench/heldout/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "bench" / "heldout"
DEFAULT_EVAL = Path(os.environ.get("PAPERKG_EVAL_DIR", ROOT.parent / "shared" / "eval"))


def paperkg() -> str:
    local = ROOT / ".venv" / "bin" / "paperkg"
    found = str(local) if local.exists() else shutil.which("paperkg")
    if found is None:
        sys.exit("heldout: no paperkg command (run `make install` first)")
    return found


def run(command: list[str]) -> str:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"heldout: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def score(scorer: Path, gold: Path, workdir: Path) -> tuple[list[str], dict]:
    """The scorer's text table and its JSON result for the extractor's output on `gold`."""
    pred = workdir / f"{gold.stem}.pred.jsonl"
    pred.write_text(run([paperkg(), "extract", str(gold), "--format", "jsonl"]), encoding="utf-8")
    table = run([sys.executable, str(scorer), str(gold), str(pred)]).splitlines()
    result = json.loads(run([sys.executable, str(scorer), str(gold), str(pred), "--json"]))
    return table, result


def ratio(heldout: float, dev: float) -> str:
    return f"{heldout / dev:.3f}" if dev else "n/a"


def extraction(eval_dir: Path) -> None:
    scorer = eval_dir / "score_extraction.py"
    with tempfile.TemporaryDirectory() as tmp:
        dev_table, dev = score(scorer, eval_dir / "gold_dev.jsonl", Path(tmp))
        held_table, held = score(scorer, HELDOUT / "extraction_heldout.jsonl", Path(tmp))
    width = max(len(line) for line in dev_table) + 3
    print(f"{'DEV (shared/eval/gold_dev.jsonl)':{width}}HELD-OUT (bench/heldout/extraction_heldout.jsonl)")
    for left, right in zip(dev_table, held_table, strict=True):
        print(f"{left:{width}}{right}")
    print()
    for group in ("entities", "relations"):
        d, h = dev[group]["*"]["f1"], held[group]["*"]["f1"]
        print(f"{group:9s} overall F1: dev {d:.3f}  held-out {h:.3f}  held-out/dev {ratio(h, d)}")
    d, h = dev["outperforms_factor_recall"], held["outperforms_factor_recall"]
    if d is not None and h is not None:
        print(f"outperforms factors recovered: dev {d:.3f}  held-out {h:.3f}  held-out/dev {ratio(h, d)}")


def blind(eval_dir: Path) -> None:
    """Totals only: the blind set is never looked at item by item, so it stays a test of unseen text."""
    with tempfile.TemporaryDirectory() as tmp:
        _, result = score(eval_dir / "score_extraction.py", HELDOUT / "extraction_blind.jsonl", Path(tmp))
    entities, relations = result["entities"]["*"], result["relations"]["*"]
    factors = result["outperforms_factor_recall"]
    def totals(group: dict) -> str:
        return f"P {group['precision']:.3f} R {group['recall']:.3f} F1 {group['f1']:.3f}"

    print(f"\nBLIND (bench/heldout/extraction_blind.jsonl, totals only): entities {totals(entities)}; "
          f"relations {totals(relations)}; factors recovered {factors if factors is None else f'{factors:.3f}'}")


def search(eval_dir: Path, url: str) -> None:
    queries = HELDOUT / "search_queries_heldout.json"
    print(f"\nSEARCH on held-out queries ({queries.relative_to(ROOT)}) against {url}")
    done = subprocess.run([sys.executable, str(eval_dir / "score_search.py"), str(queries), "--url", url], cwd=ROOT)
    if done.returncode != 0:
        sys.exit(done.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="URL of a running paperkg server; also score the held-out search queries")
    parser.add_argument("--blind", action="store_true", help="also print the blind set's totals (nothing else)")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL, help="the shared eval folder [%(default)s]")
    args = parser.parse_args()
    if not (args.eval_dir / "score_extraction.py").exists():
        sys.exit(f"heldout: no score_extraction.py in {args.eval_dir} (give --eval-dir or $PAPERKG_EVAL_DIR)")
    extraction(args.eval_dir)
    if args.blind:
        blind(args.eval_dir)
    if args.url:
        search(args.eval_dir, args.url)


if __name__ == "__main__":
    main()
