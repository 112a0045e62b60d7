"""`paperkg tune`: adapt the embedding model to the stored papers, keep it only if held-out retrieval improves.

Every paper's title and abstract form a positive pair (embeddings/tuning.py trains on them with in-batch negatives);
a fixed fraction of papers is held out, and the tuned model is kept only if held-out titles find their own abstracts
better than with the base model by `TuneParams.margin` (mean reciprocal rank). A kept model is written under
`DATA/tuned/<id>/` and recorded in the store (kb/tuned.py); the next opening of the knowledge base re-embeds every
passage with it, on whichever backend is configured (the OpenVINO and ONNX graphs are exported from its weights).
Tuning always starts from the base model, never from an earlier tuned one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from paperkg.core.errors import InvalidInput
from paperkg.embeddings.loading import is_hashing
from paperkg.embeddings.tuning import (
    Pair,
    RetrievalScore,
    StepProgress,
    TrainReport,
    TuneParams,
    holdout_score,
    keeps,
    load_trainable,
    save_model,
    split,
    train,
)
from paperkg.kb.base import KnowledgeBase
from paperkg.kb.tuned import META_KEY, TUNED_DIR, TunedModel

log = logging.getLogger("paperkg")


@dataclass(frozen=True)
class TuneReport:
    """What a tuning run did and why it kept or dropped the tuned model."""

    kept: bool
    dry_run: bool
    decision: str
    base: str
    tuned_id: str | None
    papers: int
    train_papers: int
    held_out: int
    before: RetrievalScore
    after: RetrievalScore
    training: TrainReport
    params: TuneParams
    seconds: float


def tune(kb: KnowledgeBase, params: TuneParams, dry_run: bool = False,
         progress: StepProgress | None = None) -> TuneReport:
    """Train, evaluate on held-out papers and, unless `dry_run`, keep the tuned model if it gains `margin` MRR.

    A kept model takes effect when the knowledge base is next opened (which re-embeds every passage)."""
    started = time.perf_counter()
    if kb.read_only:
        raise InvalidInput(f"the knowledge base in {kb.settings.data} is open read-only: tuning records a model")
    base = kb.base_model_id
    if is_hashing(kb.settings.model_name):
        raise InvalidInput(f"the {kb.settings.model_name} encoder has no weights to tune; configure a "
                           "sentence-transformers model (PAPERKG_MODEL) or the bundled one")
    pairs = [Pair(p.id, p.title, p.abstract) for p in kb.store.iter_papers()]
    version = kb.store.version
    training, held = split(pairs, params)
    if len(held) < params.min_holdout:
        raise InvalidInput(f"{len(pairs)} papers leave {len(held)} held out at holdout {params.holdout}; tuning "
                           f"needs at least {params.min_holdout} to judge the result: add papers or raise --holdout")
    model = load_trainable(kb.settings.model_name)
    before = holdout_score(model, held, training, params)
    log.info("held-out title -> abstract MRR of %s: %.4f over %d papers", base, before.mrr, len(held))
    report = train(model, training, params, progress)
    after = holdout_score(model, held, training, params)
    gain = after.mrr - before.mrr
    kept = keeps(before, after, params)
    decision = (f"held-out MRR {before.mrr:.4f} -> {after.mrr:.4f} ({gain:+.4f}; margin {params.margin}): "
                + ("kept" if kept else "the base model stays"))
    tuned_id = None
    if kept and not dry_run:
        created = datetime.now(UTC)
        tuned_id = f"{created:%Y%m%dT%H%M%S}-v{version}"
        relative = f"{TUNED_DIR}/{tuned_id}"
        digest = save_model(model, kb.settings.model_name, kb.settings.data / relative)
        record = TunedModel(tuned_id, base, relative, digest, version, len(pairs), asdict(params), asdict(before),
                            asdict(after), round(report.seconds, 1), created.isoformat(timespec="seconds"))
        kb.store.set_meta(META_KEY, record.to_json())
        log.info("kept tuned model %s in %s", tuned_id, kb.settings.data / relative)
    elif kept:
        decision = decision.replace(": kept", ": would be kept (dry run: nothing written)")
    return TuneReport(kept and not dry_run, dry_run, decision, base, tuned_id, len(pairs), len(training), len(held),
                      before, after, report, params, time.perf_counter() - started)


def revert(kb: KnowledgeBase) -> bool:
    """Stop serving the tuned model (its files stay); True if one was recorded. The next opening re-embeds."""
    if kb.read_only:
        raise InvalidInput(f"the knowledge base in {kb.settings.data} is open read-only")
    had = bool(kb.store.meta(META_KEY))
    if had:
        kb.store.set_meta(META_KEY, "")
    return had
