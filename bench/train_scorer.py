"""Train the extractor's learned scorer, report k-fold cross-validated figures, and save the model.

usage: python bench/train_scorer.py [--folds 5] [--save] [--scierc-weight 1.0] [--c 0.1] [--tune] [--min-confidence 0.4]

Training data: the dev gold (shared/eval/gold_dev.jsonl; for the phrase model only, because the rules were written
against it), our non-blind held-out sets (bench/heldout/extraction_
heldout.jsonl, extraction_memory_heldout.jsonl, extraction_othercs_heldout.jsonl) and SciERC's train and dev
documents (bench/scierc.py maps their labels; credit: Luan et al. 2018). The blind sets are never read here.
Cross-validation: the non-blind papers are split into k folds by a hash of the title; each fold is extracted with a
scorer trained on the other folds plus SciERC, so no figure below comes from a paper the model trained on.
--tune picks ScorerParams on those out-of-fold predictions. --save trains on everything and writes
seeds/scorer/extraction_scorer.npz (plain arrays, loaded with allow_pickle=False).
Needs scikit-learn (the `dev` extra); the extractor itself only needs numpy.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import pairwise, product
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scierc import detokenize, documents  # noqa: E402
from bench.scierc import entities as scierc_entities  # noqa: E402
from bench.scierc import lexicon as scierc_lexicon  # noqa: E402
from paperkg.core.records import Extraction  # noqa: E402
from paperkg.graph.extraction import Extractor, annotation  # noqa: E402
from paperkg.graph.extraction.candidates import (  # noqa: E402
    LEXICON_FILE,
    Candidates,
    doc_features,
    tokenize,
    vocabulary_tags,
)
from paperkg.graph.extraction.scorer import DROP, MODEL_FILE, Scorer, ScorerParams, relation_features  # noqa: E402
from paperkg.graph.vocabulary import Vocabulary  # noqa: E402

SHARED = Path(os.environ.get("PAPERKG_SHARED", ROOT.parent / "shared"))
HELDOUT = ROOT / "bench" / "heldout"
SEEDS = ROOT / "seeds"
SETS = {"dev": SHARED / "eval" / "gold_dev.jsonl", "heldout": HELDOUT / "extraction_heldout.jsonl",
        "memory": HELDOUT / "extraction_memory_heldout.jsonl", "compare": HELDOUT / "extraction_compare_heldout.jsonl",
        "othercs": HELDOUT / "extraction_othercs_heldout.jsonl"}
ML_SETS = ("dev", "heldout", "memory", "compare")
CLASSES = (DROP, "Technique", "Model", "Hardware", "Dataset", "Software")
VERSION = "1.7"
PRODUCT_PARAMS = ScorerParams()
"""What --save stores without --tune: ScorerParams' defaults, chosen on the sets annotated by the guide that nothing
trains on, not by --tune's objective, which scores other CS fields by SciERC's labels."""


def shared_scorer() -> Any:
    spec = importlib.util.spec_from_file_location("score_extraction", SHARED / "eval" / "score_extraction.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SC = shared_scorer()


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scierc_papers() -> list[dict]:
    out = []
    for split in ("train", "dev"):
        for number, doc in enumerate(documents(SHARED / "data" / "scierc" / f"ner_{split}.txt")):
            text, spans = detokenize(doc)
            out.append({"title": f"SciERC {split} abstract {number}", "abstract": text,
                        "entities": scierc_entities(text, spans), "relations": [], "spans": spans})
    return out


class Paper:
    """A gold paper with the rules' extraction of it, cached (the rules do not change between folds)."""

    def __init__(self, gold: dict, group: str, rules: Extraction) -> None:
        self.gold, self.group, self.rules = gold, group, rules
        self.title, self.abstract = gold["title"], gold.get("abstract", "")
        self.forms = [(SC.forms(e), e["type"]) for e in gold.get("entities", [])]
        self.fold = zlib.crc32(SC.norm(self.title).encode()) % 1_000_003
        self.lexicon: dict[str, list[str]] | None = None
        """The type lexicon its candidates are described with (None: the scorer's own, built from all of SciERC)."""

    def label(self, names: list[str]) -> str:
        found = {SC.norm(n) for n in names if SC.norm(n)}
        return next((kind for forms, kind in self.forms if forms & found), DROP)


def relation_labels(paper: Paper, extraction: Extraction) -> list[int]:
    """1 where the shared scorer would count the relation as right."""
    gold = paper.gold
    gents = {e["name"]: SC.forms(e) for e in gold.get("entities", [])}
    pents = {e.key: {SC.norm(n) for n in [e.name, *e.aliases] if SC.norm(n)} for e in extraction.entities}
    names = {e.key: e.name for e in extraction.entities}
    ours = {"paper"}
    for r in gold.get("relations", []):
        if r["predicate"] == "proposes":
            ours |= gents.get(r["object"], {SC.norm(r["object"])})

    def side(name: str, table: dict[str, set[str]], subject: bool) -> set[str]:
        forms = {"paper"} if name == "PAPER" else table.get(name) or {SC.norm(name)}
        return ours if subject and forms & ours else forms

    grels = [(r["predicate"], side(r["subject"], gents, True), side(r["object"], gents, False))
             for r in gold.get("relations", [])]
    out = []
    for r in extraction.relations:
        subject = side("PAPER" if r.subject == "PAPER" else names.get(r.subject, r.subject), {names[k]: v for k, v in
                       pents.items()}, True)
        obj = pents.get(r.object, {SC.norm(r.object)})
        out.append(int(any(p == r.predicate and s & subject and o & obj for p, s, o in grels)))
    return out


def examples(papers: list[Paper], cands: Candidates, known: set[str], scierc_weight: float) -> dict[str, tuple]:
    """Training rows (features, label, weight) of the three models."""
    rows: dict[str, tuple[list, list, list]] = {"rule": ([], [], []), "phrase": ([], [], []), "relation": ([], [], [])}

    def add(model: str, features: tuple[str, ...], label: Any, weight: float) -> None:
        rows[model][0].append(features)
        rows[model][1].append(label)
        rows[model][2].append(weight)

    lexicon = cands.lexicon
    for paper in papers:
        cands.lexicon = lexicon if paper.lexicon is None else paper.lexicon
        texts = {"title": paper.title, "abstract": paper.abstract}
        toks = {f: tokenize(t) for f, t in texts.items()}
        weight = scierc_weight if paper.group == "scierc" else 1.0
        by_key = {e.key: e for e in paper.rules.entities}
        # The rules were written against the dev gold: their output there is cleaner than on any unseen text, so
        # the models that judge the rules' entities and relations learn from the other papers only.
        judged = paper.group != "dev"
        for c in cands.from_rules(paper.rules, texts, toks, known) if judged else []:
            e = by_key[c.key]  # type: ignore[index]
            add("rule", c.features, int(paper.label([e.name, *e.aliases]) == e.type), weight)
        taken: dict[str, list[tuple[int, int]]] = {}
        for e in paper.rules.entities:
            for m in e.mentions:
                taken.setdefault(m.field, []).append((m.start, m.end))
        for c in cands.phrases(texts, toks, taken, doc_features(paper.rules, known)):
            add("phrase", c.features, paper.label([c.text]), weight)
        if judged and paper.group != "scierc":  # SciERC has no relations in the guide's sense
            types = {e.key: e.type for e in paper.rules.entities}
            for r, ok in zip(paper.rules.relations, relation_labels(paper, paper.rules), strict=True):
                add("relation", relation_features(r, types, known), ok, 1.0)
    cands.lexicon = lexicon
    return rows


def fit(rows: list[tuple[str, ...]], y: list[Any], weights: list[float] | None, c: float,
        min_count: int = 2) -> tuple[list[str], LogisticRegression]:
    counts = Counter(f for row in rows for f in set(row))
    names = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(names)}
    data, cols, ptr = [], [], [0]
    for row in rows:
        idx = sorted({index[f] for f in row if f in index})
        cols += idx
        data += [1.0] * len(idx)
        ptr.append(len(cols))
    x = csr_matrix((data, cols, ptr), shape=(len(rows), len(names)))
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y, sample_weight=weights)
    return names, model


def train(papers: list[Paper], cands: Candidates, known: set[str], scierc_weight: float,
          params: ScorerParams | None = None, c: float = 0.5) -> tuple[Scorer, dict[str, np.ndarray]]:
    rows = examples(papers, cands, known, scierc_weight)
    arrays: dict[str, np.ndarray] = {}
    for name, (features, labels, weights) in rows.items():
        names, model = fit(features, labels, weights, c=c, min_count=1 if name == "relation" else 2)
        arrays[f"{name}_features"] = np.array(names, dtype=str)
        if name == "phrase":
            seen = list(model.classes_)
            weights = np.zeros((len(names), len(CLASSES)), dtype=np.float32)
            bias = np.full(len(CLASSES), -20.0, dtype=np.float32)  # a type no phrase ever had: never chosen
            for k, kind in enumerate(CLASSES):
                if kind in seen:
                    weights[:, k] = model.coef_[seen.index(kind)]
                    bias[k] = model.intercept_[seen.index(kind)]
            arrays["phrase_classes"] = np.array(CLASSES, dtype=str)
            arrays["phrase_weights"], arrays["phrase_bias"] = weights, bias
        else:
            arrays[f"{name}_weights"] = model.coef_[0].astype(np.float32)
            arrays[f"{name}_bias"] = model.intercept_.astype(np.float32)
    meta = {"version": VERSION, "params": (params or PRODUCT_PARAMS).__dict__,
            "trained_on": {g: sum(p.group == g for p in papers) for g in sorted({p.group for p in papers})},
            "scierc_weight": scierc_weight, "C": c}
    arrays["meta"] = np.array([json.dumps(meta)], dtype=str)
    return Scorer.from_arrays(arrays, cands, params), arrays


def score_set(papers: list[Paper], outputs: list[Extraction], vocabulary: Vocabulary) -> dict:
    gold = {SC.norm(p.title): p.gold for p in papers}
    pred = {SC.norm(p.title): annotation(p.title, p.abstract, out, vocabulary) for p, out in zip(papers, outputs,
                                                                                                   strict=True)}
    return SC.score(gold, pred)


def fbeta(s: dict, beta: float = 0.5) -> float:
    """F-beta with beta < 1: precision first (a junk node is worse than a missed one)."""
    p, r = s["precision"], s["recall"]
    return (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def line(name: str, result: dict) -> str:
    e, r = result["entities"]["*"], result["relations"]["*"]
    o = result["relations"]["outperforms"]
    f = result["outperforms_factor_recall"]
    return (f"{name:22s} entities P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f} | relations P "
            f"{r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f} | outperforms F1 {o['f1']:.3f} | factors "
            f"{'-' if f is None else f'{f:.3f}'}")


def reliability(pairs: list[tuple[float, int]]) -> list[str]:
    edges = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    out = []
    for lo, hi in pairwise(edges):
        inside = [ok for conf, ok in pairs if lo <= conf < hi]
        if inside:
            out.append(f"  [{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}  n {len(inside):4d}  "
                       f"right {sum(inside) / len(inside):.3f}")
    return out


def confidence_pairs(papers: list[Paper], outputs: list[Extraction]) -> tuple[list, list]:
    ents, rels = [], []
    for paper, out in zip(papers, outputs, strict=True):
        for e in out.entities:
            found = {SC.norm(n) for n in [e.name, *e.aliases] if SC.norm(n)}
            ents.append((e.confidence, int(any(forms & found and kind == e.type for forms, kind in paper.forms))))
        rels += [(r.confidence, ok) for r, ok in zip(out.relations, relation_labels(paper, out), strict=True)]
    return ents, rels


def write_lexicon(path: Path, lexicon: Mapping[str, Sequence[str]]) -> None:
    """The SciERC type lexicon as JSON, one phrase a line."""
    lines = ",\n".join(f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(list(v))}"
                       for k, v in sorted(lexicon.items()))
    comment = ("Type lexicon learned from SciERC train+dev (Luan et al. 2018, EMNLP; files as shipped in "
               "allenai/scibert, Apache License 2.0), written by bench/train_scorer.py --save: lowercased phrase -> "
               "[SciERC label, our type or none, how often it is labelled where it occurs]. Features of the learned "
               "scorer (candidates.py).")
    path.write_text(f'{{\n"_comment": {json.dumps(comment)},\n"phrases": {{\n{lines}\n}}\n}}\n', encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--scierc-weight", type=float, default=1.0)
    parser.add_argument("--c", type=float, default=0.1, help="inverse L2 strength of the logistic models "
                        "(0.1 had the best cross-validated objective of 0.1, 0.2, 0.5)")
    parser.add_argument("--tune", action="store_true", help="pick ScorerParams on the out-of-fold predictions")
    parser.add_argument("--save", action="store_true", help="train on all non-blind data and save the model")
    parser.add_argument("--min-confidence", type=float, default=0.0,
                        help="score the out-of-fold predictions at this minimum confidence (the product's default "
                             "is 0.4); tuning then picks the thresholds for it")
    args = parser.parse_args()
    vocabulary = Vocabulary.load(SEEDS)
    rules = Extractor(vocabulary)
    known = set(vocabulary.concepts)
    cands = Candidates.load(SEEDS / "scorer")
    cands.vocab = vocabulary_tags(vocabulary, rules.lex.weak)
    scierc_docs = scierc_papers()
    cands.lexicon = scierc_lexicon([(g["abstract"], g["spans"]) for g in scierc_docs])
    # a SciERC document is described with the lexicon of the other half, so the models never learn from a
    # document whose own labels are in its lexicon features (our papers and new text are not in SciERC at all)
    halves = [scierc_lexicon([(g["abstract"], g["spans"]) for n, g in enumerate(scierc_docs) if n % 2 != h])
              for h in (0, 1)]
    ours = [Paper(g, name, rules.extract(g["title"], g.get("abstract", ""))) for name, path in SETS.items()
            for g in read(path)]
    scierc = [Paper(g, "scierc", rules.extract(g["title"], g["abstract"])) for g in scierc_docs]
    for n, paper in enumerate(scierc):
        paper.lexicon = halves[n % 2]
    print(f"papers: {Counter(p.group for p in ours)} + SciERC {len(scierc)} (weight {args.scierc_weight})")
    scorers = []
    for k in range(args.folds):
        train_on = [p for p in ours if p.fold % args.folds != k] + scierc
        scorers.append(train(train_on, cands, known, args.scierc_weight, c=args.c)[0])
        print(f"  model {k + 1}/{args.folds} trained", file=sys.stderr)
    def evaluate(params: ScorerParams) -> tuple[float, dict, list[Extraction]]:
        outs = []
        for p in ours:
            s = scorers[p.fold % args.folds]
            s.params = params
            outs.append(s.apply(p.rules, p.title, p.abstract, known, args.min_confidence))
        results = {g: score_set([p for p in ours if p.group == g], [o for p, o in zip(ours, outs, strict=True)
                                                                      if p.group == g], vocabulary) for g in SETS}
        objective = sum(fbeta(results[g]["entities"]["*"]) + results[g]["relations"]["*"]["f1"]
                        for g in ML_SETS) + 2 * fbeta(results["othercs"]["entities"]["*"])
        return objective, results, outs

    # two stages: the entity thresholds and `familiar` first, then (with those fixed) whether the rules' home ground
    # takes vocabulary phrases the rules dropped, and whether added entities get a `uses`
    grid = [ScorerParams(keep, add, relation, int(familiar)) for keep, add, relation, familiar in
            product((0.2, 0.35, 0.5), (0.4, 0.5, 0.6, 0.7, 0.8, 0.9), (0.1, 0.3), (2, 3, 4, 99))] if args.tune \
        else [PRODUCT_PARAMS]
    best: tuple[float, ScorerParams] | None = None
    for stage in (1, 2) if args.tune else (1,):
        if stage == 2:
            assert best is not None
            grid = [replace(best[1], home_add=h, added_uses=u)
                    for h, u in product((1.01, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (False, True))]
        for params in grid:
            objective, results, outs = evaluate(params)
            if best is None or objective > best[0]:
                best = (objective, params)
                best_results, best_outs = results, outs
            if stage == 2:
                print(f"  {params.home_add} {params.added_uses}: objective {objective:.4f}; " + "; ".join(
                    f"{g} E {results[g]['entities']['*']['f1']:.3f} R {results[g]['relations']['*']['f1']:.3f}"
                    for g in SETS), file=sys.stderr)
    assert best is not None
    print(f"\nparams {best[1]}  ({'tuned on the cross-validated predictions' if args.tune else 'defaults'}); "
          f"objective {best[0]:.4f} (precision-first F0.5 of entities + relation F1)")
    print(f"\n{args.folds}-fold cross-validation (each paper scored by a model that never saw it):")
    for g in SETS:
        members = [p for p in ours if p.group == g]
        print(line(f"{g} rules only", score_set(members, [p.rules for p in members], vocabulary)))
        print(line(f"{g} rules + scorer", best_results[g]))
    ents, rels = confidence_pairs(ours, best_outs)
    print("\nreliability (out-of-fold), entities:", *reliability(ents), sep="\n")
    print("relations:", *reliability(rels), sep="\n")
    if args.save:
        _, arrays = train(ours + scierc, cands, known, args.scierc_weight, best[1], c=args.c)
        np.savez_compressed(SEEDS / "scorer" / MODEL_FILE, **arrays)  # type: ignore[arg-type]
        write_lexicon(SEEDS / "scorer" / LEXICON_FILE, cands.lexicon)
        sizes = ", ".join(f"{len(arrays[f'{m}_features'])} {m} features" for m in ("rule", "phrase", "relation"))
        print(f"\nsaved {SEEDS / 'scorer' / MODEL_FILE} ({sizes}); params {best[1]}")


if __name__ == "__main__":
    main()
