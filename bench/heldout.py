"""Score the extractor and the search on our own held-out sets, next to the shared dev sets.

usage: python bench/heldout.py [--blind] [--rules-only] [--min-confidence X] [--url URL] [--eval-dir DIR]

(a) Extracts (in process, with this checkout's code, rules + learned scorer) the dev gold and the non-blind held-out
    sets (extraction_heldout.jsonl: 39 ML-systems abstracts; extraction_memory_heldout.jsonl: 36 written from
    memory; extraction_compare_heldout.jsonl: 20 ML-systems abstracts that state quantitative comparisons;
    extraction_othercs_heldout.jsonl: 20 SciERC abstracts) and prints the shared scorer's table for each.
    The scorer trained on these (bench/train_scorer.py): its honest figures are the cross-validated ones printed
    there; the figures here are in-sample for the scorer. Except extraction_othercs_extra.jsonl (60 more SciERC
    test abstracts, entities only): nothing trains on it, so its figures are out of sample; it may be read item by
    item. And extraction_othercs_guide_heldout.jsonl: 20 abstracts of other CS fields (databases, security, theory,
    HCI, ...) annotated by the guide itself, not mapped from SciERC; nothing trains on it either. And
    extraction_mlsys_guide.jsonl: 40 more real ML-systems abstracts annotated by the guide (nothing trains on it).
(b) --blind: the blind sets (extraction_blind.jsonl, extraction_memory_blind.jsonl, extraction_compare_blind.jsonl,
    extraction_othercs_blind.jsonl, extraction_othercs_guide_blind.jsonl)
    as totals only: overall P/R/F1, outperforms F1, factors, a reliability table of the confidences and a sweep of
    the minimum confidence. Never per-paper output: the blind sets stay a test of unseen text.
(c) --url: scores bench/heldout/search_queries_heldout.json against a running `paperkg serve`.
The held-out sets are annotated by us, not by the product owner: see bench/heldout/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.core.settings import Settings  # noqa: E402
from paperkg.graph.extraction import Extractor, annotation, learned_extractor  # noqa: E402
from paperkg.graph.vocabulary import Vocabulary  # noqa: E402

HELDOUT = ROOT / "bench" / "heldout"
DEFAULT_EVAL = Path(os.environ.get("PAPERKG_EVAL_DIR", ROOT.parent / "shared" / "eval"))
OPEN_SETS = ("extraction_heldout.jsonl", "extraction_memory_heldout.jsonl", "extraction_compare_heldout.jsonl",
             "extraction_othercs_heldout.jsonl", "extraction_othercs_extra.jsonl",
             "extraction_othercs_guide_heldout.jsonl", "extraction_mlsys_guide.jsonl")
BLIND_ML = ("extraction_blind.jsonl", "extraction_memory_blind.jsonl", "extraction_compare_blind.jsonl")
BLIND_OTHERCS = ("extraction_othercs_blind.jsonl", "extraction_othercs_guide_blind.jsonl")
"""SciERC's labels mapped to the guide, and 20 abstracts of other CS fields annotated by the guide itself."""
BLIND_SETS = (*BLIND_ML, *BLIND_OTHERCS)
SWEEP = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def load_scorer(eval_dir: Path) -> Any:
    spec = importlib.util.spec_from_file_location("score_extraction", eval_dir / "score_extraction.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predict(extractor: Extractor, vocabulary: Vocabulary, gold: list[dict]) -> list[dict]:
    return [annotation(g["title"], g.get("abstract", ""), extractor.extract(g["title"], g.get("abstract", "")),
                       vocabulary) for g in gold]


def scored(sc: Any, gold: list[dict], pred: list[dict]) -> dict:
    return sc.score({sc.norm(g["title"]): g for g in gold}, {sc.norm(p["title"]): p for p in pred})


def table(result: dict) -> list[str]:
    lines = []
    for group in ("entities", "relations"):
        for name, s in result[group].items():
            lines.append(f"{group[:-1] if group == 'relations' else 'entity':9s} {'all' if name == '*' else name:13s}"
                         f" P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  (tp {s['tp']}, pred "
                         f"{s['pred']}, gold {s['gold']})")
    lines.append(f"outperforms factors recovered: {result['outperforms_factor_recall']}")
    return lines


def totals(result: dict) -> str:
    e, r, o = result["entities"]["*"], result["relations"]["*"], result["relations"]["outperforms"]
    f = result["outperforms_factor_recall"]
    return (f"entities P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f}; relations P {r['precision']:.3f}"
            f" R {r['recall']:.3f} F1 {r['f1']:.3f}; outperforms P {o['precision']:.3f} R {o['recall']:.3f} F1 "
            f"{o['f1']:.3f}; factors "
            f"{'-' if f is None else f'{f:.3f}'}")


def reliability(sc: Any, gold: list[dict], pred: list[dict]) -> list[str]:
    """Share of right entities / relations per confidence bin, pooled over all papers."""
    bins = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    ents: list[tuple[float, int]] = []
    rels: list[tuple[float, int]] = []
    by_title = {sc.norm(p["title"]): p for p in pred}
    for g in gold:
        p = by_title[sc.norm(g["title"])]
        gforms = [(sc.forms(e), e["type"]) for e in g.get("entities", [])]
        for e in p["entities"]:
            ents.append((e.get("confidence", 1.0), int(any(f & sc.forms(e) and t == e["type"] for f, t in gforms))))
        for r in p["relations"]:
            one = sc.score({"x": g}, {"x": {**p, "relations": [r]}})["relations"]["*"]["tp"]
            rels.append((r.get("confidence", 1.0), one))
    out = []
    for name, pairs in (("entities", ents), ("relations", rels)):
        for lo, hi in pairwise(bins):
            inside = [ok for c, ok in pairs if lo <= c < hi]
            if inside:
                out.append(f"  {name:9s} confidence [{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}: "
                           f"n {len(inside):4d}, right {sum(inside) / len(inside):.3f}")
    return out


def extraction(sc: Any, eval_dir: Path, extractor: Extractor, vocabulary: Vocabulary) -> None:
    print(f"extractor {extractor.version}")
    for name, path in [("DEV", eval_dir / "gold_dev.jsonl")] + [(n, HELDOUT / n) for n in OPEN_SETS]:
        gold = read(path)
        result = scored(sc, gold, predict(extractor, vocabulary, gold))
        print(f"\n{name} ({len(gold)} papers)")
        print("\n".join(table(result)))


def blind(sc: Any, vocabulary: Vocabulary, seeds: Path, rules_only: bool, dev: list[dict]) -> None:
    """Totals only: the blind sets are never looked at item by item."""
    extractor = Extractor(vocabulary) if rules_only else learned_extractor(vocabulary, seeds, 0.0)
    print(f"\nBLIND SETS (totals only; extractor {extractor.version}, no minimum confidence)")
    pooled_gold: list[dict] = []
    pooled_pred: list[dict] = []
    for name in BLIND_SETS:
        gold = read(HELDOUT / name)
        pred = predict(extractor, vocabulary, gold)
        pooled_gold += gold
        pooled_pred += pred
        print(f"{name:34s} {len(gold):3d} papers: {totals(scored(sc, gold, pred))}")
    print("reliability, all blind papers pooled:")
    print("\n".join(reliability(sc, pooled_gold, pooled_pred)))
    if rules_only:
        return
    comparisons_guard(sc, vocabulary, seeds)
    print("minimum confidence sweep (blind totals):")
    quality: dict[float, float] = {}
    for cut in SWEEP:
        swept = learned_extractor(vocabulary, seeds, cut)
        results = {name: scored(sc, gold, predict(swept, vocabulary, gold)) for name in BLIND_SETS
                   for gold in [read(HELDOUT / name)]}
        print(f"  min {cut:.1f}  " + "\n           ".join(
            f"{name.removeprefix('extraction_').removesuffix('.jsonl')}: {totals(r)}" for name, r in results.items()))
        ml = sum(results[name][group]["*"]["f1"] for name in BLIND_ML for group in ("entities", "relations"))
        other = sum(results[name]["entities"]["*"]["f1"] for name in BLIND_OTHERCS) / len(BLIND_OTHERCS)
        quality[cut] = ml / (2 * len(BLIND_ML)) + other / 2
    best = max(quality.values())
    rules = scored(sc, dev, predict(Extractor(vocabulary), vocabulary, dev))
    floor = {g: rules[g]["*"]["f1"] - 0.005 for g in ("entities", "relations")}
    safe = []
    for cut in sorted(c for c, q in quality.items() if q >= best - 0.01):
        on_dev = scored(sc, dev, predict(learned_extractor(vocabulary, seeds, cut), vocabulary, dev))
        if all(on_dev[g]["*"]["f1"] >= floor[g] for g in floor):
            safe.append(cut)
    chosen = max(safe, default=0.0)
    print(f"suggested minimum confidence: {chosen:.1f}: the highest (precision first) whose blind quality (mean of "
          f"the ML sets' entity and relation F1, plus half the other-CS sets' mean entity F1) is within 0.01 of the "
          f"best ({best:.3f}) and that keeps dev F1 within 0.005 of the rules alone")


def comparisons_guard(sc: Any, vocabulary: Vocabulary, seeds: Path) -> None:
    """Side by side at the default minimum confidence: the learned scorer must never lower `outperforms` F1 or the
    factors recovered below the rules alone on the blind ML sets (exits 1 if it does)."""
    learned, rules = learned_extractor(vocabulary, seeds, Settings().min_confidence), Extractor(vocabulary)
    worse = []
    for name in BLIND_ML:
        gold = read(HELDOUT / name)
        a, b = (scored(sc, gold, predict(x, vocabulary, gold)) for x in (learned, rules))
        pairs = [("outperforms F1", a["relations"]["outperforms"]["f1"], b["relations"]["outperforms"]["f1"]),
                 ("factors", a["outperforms_factor_recall"] or 0.0, b["outperforms_factor_recall"] or 0.0)]
        print(f"{name:34s} rules + scorer vs rules alone (min {learned.min_confidence:g}): "
              + "; ".join(f"{label} {x:.3f} vs {y:.3f}" for label, x, y in pairs))
        worse += [f"{name} {label}" for label, x, y in pairs if x < y]
    if worse:
        sys.exit(f"heldout: the scorer lowers {', '.join(worse)} below the rules alone")


def search(eval_dir: Path, url: str) -> None:
    queries = HELDOUT / "search_queries_heldout.json"
    print(f"\nSEARCH on held-out queries ({queries.relative_to(ROOT)}) against {url}")
    done = subprocess.run([sys.executable, str(eval_dir / "score_search.py"), str(queries), "--url", url], cwd=ROOT)
    if done.returncode != 0:
        sys.exit(done.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="URL of a running paperkg server; also score the held-out search queries")
    parser.add_argument("--blind", action="store_true", help="also print the blind sets' totals (nothing else)")
    parser.add_argument("--rules-only", action="store_true", help="the rules without the learned scorer")
    parser.add_argument("--min-confidence", type=float, default=0.0, help="for the open sets [%(default)s]")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL, help="the shared eval folder [%(default)s]")
    args = parser.parse_args()
    if not (args.eval_dir / "score_extraction.py").exists():
        sys.exit(f"heldout: no score_extraction.py in {args.eval_dir} (give --eval-dir or $PAPERKG_EVAL_DIR)")
    sc = load_scorer(args.eval_dir)
    seeds = ROOT / "seeds"
    vocabulary = Vocabulary.load(seeds)
    extractor = Extractor(vocabulary) if args.rules_only else learned_extractor(vocabulary, seeds,
                                                                                 args.min_confidence)
    extraction(sc, args.eval_dir, extractor, vocabulary)
    if args.blind:
        blind(sc, vocabulary, seeds, args.rules_only, read(args.eval_dir / "gold_dev.jsonl"))
    if args.url:
        search(args.eval_dir, args.url)


if __name__ == "__main__":
    main()
