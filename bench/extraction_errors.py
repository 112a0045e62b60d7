"""Error analysis of the extractor on the dev gold and the NON-blind held-out sets, by type and by cause.

usage: python bench/extraction_errors.py [--folds 5] [--rules-only] [--list FILE]

Each paper is extracted by the rules and a scorer trained (as in bench/train_scorer.py) on the other folds plus
SciERC, so the causes are those of out-of-fold predictions. Prints a table of error causes with counts per set;
--list writes every error (paper, cause, name) to FILE for reading. The blind sets are never read here.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import train_scorer as ts  # noqa: E402
from paperkg.graph.extraction import Extractor, annotation  # noqa: E402
from paperkg.graph.extraction.candidates import Candidates  # noqa: E402
from paperkg.graph.vocabulary import Vocabulary  # noqa: E402

SC = ts.SC


def _overlaps(a: set[str], b: set[str]) -> bool:
    """One normalised form contains another (a boundary error rather than a different thing)."""
    return any(x != y and len(min(x, y, key=len)) >= 3 and (x in y or y in x) for x in a for y in b)


def _named(name: str) -> bool:
    return any(ch.isupper() or ch.isdigit() for ch in name[1:]) or (name[:1].isupper() and " " not in name)


def entity_errors(gold: dict, pred: dict, rules: dict) -> list[tuple[str, str]]:
    """(cause, name) for every entity error of one paper; `rules` is the rules-only annotation."""
    gents = [(e, SC.forms(e)) for e in gold.get("entities", [])]
    pents = [(e, SC.forms(e)) for e in pred.get("entities", [])]
    rforms = [(e, SC.forms(e)) for e in rules.get("entities", [])]
    out = []
    matched_g: set[int] = set()
    for p, pf in pents:
        hit = next((k for k, (g, gf) in enumerate(gents) if k not in matched_g and gf & pf), None)
        if hit is not None:
            matched_g.add(hit)
            g = gents[hit][0]
            if g["type"] != p["type"]:
                out.append((f"wrong type {g['type']}->{p['type']}", p["name"]))
            continue
        src = "scorer-added" if p.get("_source") == "scorer" else "rules"
        if any(_overlaps(pf, gf) for _, gf in gents):
            out.append((f"FP boundary ({src})", p["name"]))
        elif _named(p["name"]):
            out.append((f"FP named {p['type']} ({src})", p["name"]))
        else:
            out.append((f"FP generic {p['type']} ({src})", p["name"]))
    for k, (g, gf) in enumerate(gents):
        if k in matched_g:
            continue
        if any(_overlaps(gf, pf) for _, pf in pents):
            out.append((f"FN boundary {g['type']}", g["name"]))
        elif any(gf & rf for _, rf in rforms):
            out.append((f"FN dropped by scorer {g['type']}", g["name"]))
        else:
            kind = "named" if _named(g["name"]) else "generic"
            out.append((f"FN missed {kind} {g['type']}", g["name"]))
    return out


def relation_errors(gold: dict, pred: dict) -> list[tuple[str, str]]:
    gforms = {e["name"]: SC.forms(e) for e in gold.get("entities", [])}
    pforms = {e["name"]: SC.forms(e) for e in pred.get("entities", [])}
    paper = {"paper"}
    for r in gold.get("relations", []):
        if r["predicate"] == "proposes":
            paper |= gforms.get(r["object"], {SC.norm(r["object"])})

    def side(name: str, table: dict, subject: bool) -> set[str]:
        f = {"paper"} if name == "PAPER" else table.get(name) or {SC.norm(name)}
        return paper if subject and f & paper else f

    grels = [(r["predicate"], side(r["subject"], gforms, True), side(r["object"], gforms, False), r)
             for r in gold.get("relations", [])]
    prels = [(r["predicate"], side(r["subject"], pforms, True), side(r["object"], pforms, False), r)
             for r in pred.get("relations", [])]
    out, used = [], set()
    for pp, ps, po, pr in prels:
        hit = next((k for k, (gp, gs, go, _) in enumerate(grels) if k not in used and gp == pp and gs & ps
                    and go & po), None)
        if hit is not None:
            used.add(hit)
            continue
        same_obj = [gp for gp, gs, go, _ in grels if go & po and gs & ps]
        if same_obj:
            out.append((f"FP {pp} (gold says {same_obj[0]})", pr["object"]))
        elif not any(go & po for _, _, go, _ in grels) and not any(po & gf for gf in gforms.values()):
            out.append((f"FP {pp} on a non-gold entity", pr["object"]))
        else:
            out.append((f"FP {pp} other", f"{pr['subject']} -> {pr['object']}"))
    pall = set().union(*pforms.values()) if pforms else set()
    for k, (gp, gs, go, gr) in enumerate(grels):
        if k in used:
            continue
        if not go & pall:
            out.append((f"FN {gp}: object entity missed", gr["object"]))
        elif any(ps & gs and po & go for pp, ps, po, _ in prels):
            other = next(pp for pp, ps, po, _ in prels if ps & gs and po & go)
            out.append((f"FN {gp} (predicted {other})", gr["object"]))
        elif gp == "outperforms" and not any(ps & gs for pp, ps, po, _ in prels if pp == "outperforms"):
            out.append(("FN outperforms: subject missed", f"{gr['subject']} -> {gr['object']}"))
        else:
            out.append((f"FN {gp}: entity found, relation not", f"{gr['subject']} -> {gr['object']}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--list", type=Path, help="write every error to this file")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    vocabulary = Vocabulary.load(ts.SEEDS)
    rules = Extractor(vocabulary)
    known = set(vocabulary.concepts)
    cands = Candidates.load(ts.SEEDS / "scorer")
    cands.vocab = ts.vocabulary_tags(vocabulary, rules.lex.weak)
    ours = [ts.Paper(g, name, rules.extract(g["title"], g.get("abstract", ""))) for name, path in ts.SETS.items()
            for g in ts.read(path)]
    outs = [p.rules for p in ours]
    if not args.rules_only:
        scierc_docs = ts.scierc_papers()
        cands.lexicon = ts.scierc_lexicon([(g["abstract"], g["spans"]) for g in scierc_docs])
        halves = [ts.scierc_lexicon([(g["abstract"], g["spans"]) for n, g in enumerate(scierc_docs) if n % 2 != h])
                  for h in (0, 1)]
        scierc = [ts.Paper(g, "scierc", rules.extract(g["title"], g["abstract"])) for g in scierc_docs]
        for n, paper in enumerate(scierc):
            paper.lexicon = halves[n % 2]
        saved = ts.Scorer.load(ts.SEEDS / "scorer")
        params = saved.params if saved else None
        scorers = [ts.train([p for p in ours if p.fold % args.folds != k] + scierc, cands, known, 1.0, params,
                            c=0.1)[0] for k in range(args.folds)]
        outs = [scorers[p.fold % args.folds].apply(p.rules, p.title, p.abstract, known) for p in ours]
    listing = []
    table: dict[str, Counter[str]] = {g: Counter() for g in ts.SETS}
    for p, out in zip(ours, outs, strict=True):
        pred = annotation(p.title, p.abstract, out, vocabulary)
        sources = {e.name: e.attrs.get("source") for e in out.entities}
        for e in pred["entities"]:
            e["_source"] = sources.get(e["name"])
        base = annotation(p.title, p.abstract, p.rules, vocabulary)
        errs = [("ent", c, n) for c, n in entity_errors(p.gold, pred, base)]
        if p.group != "othercs":
            errs += [("rel", c, n) for c, n in relation_errors(p.gold, pred)]
        for kind, cause, name in errs:
            table[p.group][f"{kind} {cause}"] += 1
            listing.append(f"{p.group}\t{p.title[:60]}\t{kind} {cause}\t{name}")
    total = sum(table.values(), Counter())
    print(f"{'cause':58s} " + " ".join(f"{g:>8s}" for g in ts.SETS) + "    total")
    for cause, n in total.most_common(args.top):
        print(f"{cause[:58]:58s} " + " ".join(f"{table[g][cause]:8d}" for g in ts.SETS) + f" {n:8d}")
    if args.list:
        args.list.write_text("\n".join(sorted(listing)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
