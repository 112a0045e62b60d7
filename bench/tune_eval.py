"""`paperkg tune` on real abstracts: training time, held-out title -> abstract retrieval, and the search and
similar-paper benchmarks with the base and the tuned model side by side.

usage: python bench/tune_eval.py [--data DIR] [--holdout 0.2] [--set key=value ...] [--no-kb]

Corpus: the real papers of bench/search_eval/corpus.jsonl (111 seed papers, 500 SciERC abstracts whose first
sentence stands in for a title) and the 39 real ML-systems abstracts with published titles of
bench/heldout/extraction_heldout.jsonl: 650 papers. The tuned model is trained exactly as `paperkg tune` trains it
(embeddings/tuning.py, TuneParams; the held-out papers never trained on) and saved under DIR/model. Then, unless
--no-kb, each model builds (in DIR, kept between runs) a knowledge base of the 111 seed papers (the 30 shared dev
queries: nDCG@10 / MRR / recall@10 of `search`) and one of bench/search_eval/corpus.jsonl (topical search on the dev
queries and our halves A and B as bench/search_eval.py scores it; `similar` on the query-by-paper cases of A and B as
bench/similar_eval.py scores its default). Those papers were trained on (tuning adapts to the user's own corpus;
the queries and judgments never are). The time for 10,000 papers is extrapolated from the measured seconds per step.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import asdict, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_eval import HERE, load_corpus  # noqa: E402
from bench.search_quality import K, evaluate, norm, per_query, summary  # noqa: E402
from bench.similar_eval import cases, score  # noqa: E402
from paperkg.core.ids import paper_id  # noqa: E402
from paperkg.core.records import PaperInput  # noqa: E402
from paperkg.core.settings import Settings, default_model  # noqa: E402
from paperkg.embeddings.ranking import SimilarParams  # noqa: E402
from paperkg.embeddings.ranking import similar as similar_papers  # noqa: E402
from paperkg.embeddings.tuning import (  # noqa: E402
    Pair,
    TuneParams,
    holdout_score,
    keeps,
    load_trainable,
    save_model,
    split,
    train,
)
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

DEV = ROOT.parent / "shared/eval/search_queries_dev.json"
SEEDS = ROOT / "seeds/000_a8d658c6adbf4f3a.txt"


def real_corpus() -> list[Pair]:
    rows = [r for r in load_corpus() if r["source"] != "distractor"]
    extra = ROOT / "bench/heldout/extraction_heldout.jsonl"
    rows += [json.loads(line) for line in extra.read_text(encoding="utf-8").splitlines()]
    return [Pair(r.get("id") or paper_id(r["title"]), r["title"], r["abstract"]) for r in rows]


def parse_set(values: list[str]) -> dict[str, object]:
    kinds = {f.name: f.type for f in fields(TuneParams)}
    out: dict[str, object] = {}
    for item in values:
        key, _, value = item.partition("=")
        kind = kinds.get(key)
        if kind is None:
            raise SystemExit(f"unknown TuneParams field {key!r}")
        out[key] = value.lower() in ("1", "true") if kind == "bool" else float(value) if kind == "float" else int(value)
    return out


def tune_model(pairs: list[Pair], params: TuneParams, target: Path) -> None:
    train_pairs, held = split(pairs, params)
    print(f"corpus: {len(pairs)} real papers, {len(train_pairs)} trained on, {len(held)} held out; {params}")
    model = load_trainable(default_model())
    started = time.perf_counter()
    before = holdout_score(model, held, train_pairs, params)
    evaluated = time.perf_counter() - started
    load = os.getloadavg()[0]
    report = train(model, train_pairs, params)
    after = holdout_score(model, held, train_pairs, params)
    per_step = report.seconds / report.steps
    steps_10k = -(-int(10_000 * (1 - params.holdout)) // params.batch_size) * params.epochs
    cpu_step = report.cpu_seconds / report.steps
    print(f"training: {report.steps} steps in {report.seconds:.1f} s ({per_step:.2f} s/step; {cpu_step:.2f} CPU "
          f"s/step; load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs), loss "
          f"{report.first_loss:.3f} -> {report.last_loss:.3f}; one held-out evaluation {evaluated:.1f} s")
    print(f"10,000 papers: {steps_10k} steps, about {steps_10k * per_step / 60:.0f} min at this run's wall time per "
          f"step, {steps_10k * cpu_step / 60:.0f} CPU-minutes (extrapolated)")
    print(f"held-out title -> own abstract ({before.queries} titles, {before.candidates} candidate abstracts):")
    print(f"  base  MRR {before.mrr:.4f}  recall@10 {before.recall_at_10:.4f}")
    print(f"  tuned MRR {after.mrr:.4f}  recall@10 {after.recall_at_10:.4f}  "
          f"({'kept' if keeps(before, after, params) else 'rejected'} at margin {params.margin})")
    if target.exists():
        shutil.rmtree(target)
    save_model(model, default_model(), target)
    (target.parent / "tune_report.json").write_text(json.dumps(
        {"params": asdict(params), "before": asdict(before), "after": asdict(after), "training": asdict(report)},
        indent=1))


def open_kb(directory: Path, model: str, papers: list[PaperInput]) -> KnowledgeBase:
    kb = KnowledgeBase.open(Settings(data=directory, model=model, query_cache_size=4096))
    if kb.paper_count() != len(papers):
        started = time.perf_counter()
        kb.add_papers(papers)
        print(f"  built {directory.name}: {len(papers)} papers in {time.perf_counter() - started:.0f}s")
    return kb


def kb_scores(label: str, model: str, data: Path) -> dict[str, str]:
    cells: dict[str, str] = {}
    with open_kb(data / f"seeds-{label}", model, read_papers(SEEDS)) as kb:
        rows, _ = evaluate(lambda q: [h.title for h in kb.search(q, K).results], json.loads(DEV.read_text()))
        cells["dev (30), seeds"] = "{:.3f} / {:.3f} / {:.3f}".format(*summary(rows))
    corpus = load_corpus()
    papers = [PaperInput(r["title"], r["abstract"], id=r.get("id")) for r in corpus]
    with open_kb(data / f"big-{label}", model, papers) as kb:
        ids = [r.get("id") or paper_id(r["title"]) for r in corpus]
        titles = dict(zip(ids, (r["title"] for r in corpus), strict=True))
        real = {pid for pid, r in zip(ids, corpus, strict=True) if r["source"] != "distractor"}
        sets = {"dev (30), big": DEV, "A (23), big": HERE / "queries_a.json", "B (23), big": HERE / "queries_b.json"}
        for name, path in sets.items():
            rows = []
            for item in json.loads(path.read_text(encoding="utf-8")):
                ranked = [norm(titles[h.id]) for h in kb.search(item["query"], K + 50).results if h.id in real][:K]
                rows.append(per_query(ranked, {norm(t): g for t, g in item["relevant"].items()}))
            cells[name] = " / ".join(f"{statistics.mean(col):.3f}" for col in zip(*rows, strict=True))
        by_title = {r["title"]: pid for pid, r in zip(ids, corpus, strict=True)}
        dense, keyword = kb.indexes.dense, kb.indexes.keyword
        assert dense is not None

        def find(pid: str) -> list[str]:
            return [h.paper_id for h in similar_papers(pid, 20, dense, keyword, real, similar_params=SimilarParams())]

        for half in ("a", "b"):
            at10, at20 = score(find, cases(HERE / f"queries_{half}.json", by_title))
            cells[f"similar {half.upper()}, nDCG@10 / @20"] = f"{at10:.3f} / {at20:.3f}"
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/paperkg-tune-eval"))
    parser.add_argument("--holdout", type=float, default=0.2, help="held-out fraction (0.2: 120 of 650 papers)")
    parser.add_argument("--set", nargs="*", default=[], help="other TuneParams fields, key=value")
    parser.add_argument("--no-kb", action="store_true", help="only train and score the held-out papers")
    parser.add_argument("--reuse", action="store_true", help="keep DATA/model if it exists (no training)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    params = replace(TuneParams(holdout=args.holdout), **parse_set(args.set))  # type: ignore[arg-type]
    target = args.data / "model"
    if not (args.reuse and target.exists()):
        tune_model(real_corpus(), params, target)
    if args.no_kb:
        return
    print("\nnDCG@10 / MRR / recall@10 of `search`; `similar` nDCG@10 / @20 (default SimilarParams, distractors "
          "left out)")
    results = {"base": kb_scores("base", default_model(), args.data),
               "tuned": kb_scores("tuned", str(target), args.data)}
    for key in results["base"]:
        print(f"  {key:<30} base {results['base'][key]:<24} tuned {results['tuned'][key]}")


if __name__ == "__main__":
    main()
