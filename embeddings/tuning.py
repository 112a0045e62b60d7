"""Adapting a sentence-transformers model to a corpus without labels: each paper's title and abstract are a positive
pair, the other abstracts of the batch its negatives (MultipleNegativesRankingLoss), and the result is judged by
title -> own-abstract retrieval on held-out papers it never trained on.

The loop is the one sentence-transformers' deprecated `old_fit` runs (AdamW, linear warm-up and decay, gradient
clipping) with the library's loss; its current Trainer would add `datasets` and `accelerate` and write
torch-pickled checkpoints. torch and sentence-transformers are imported only when a model is tuned.
"""

from __future__ import annotations

import hashlib
import math
import random
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperkg.core.errors import InvalidParameter, PaperkgError
from paperkg.core.files import fsync_dir, fsync_tree, sha256_file
from paperkg.embeddings.encoder import PICKLE_SUFFIXES, check_model_dir, resolve_model_dir

StepProgress = Callable[[int, int], None]
"""Called with (steps done, steps in all) after each optimiser step."""
WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class TuneParams:
    """How `paperkg tune` trains and when it keeps the result.

    Defaults: one epoch of batches of 32 title-abstract pairs (31 in-batch negatives each), training texts cut at 128
    tokens (the tuned model keeps the base's window for embedding), AdamW at 3e-5 with 10% linear warm-up, the word
    embeddings frozen (fewer weights to update; the vocabulary of a small corpus would drift). The tuned model is
    kept only if the mean reciprocal rank of held-out titles finding their own abstract (among the held-out
    abstracts and up to `eval_pool` others) rises by at least `margin`. `holdout` is the fraction of papers held out
    (chosen by a hash of the paper id and `seed`, so the same papers stay out as the corpus grows).
    """

    epochs: int = 1
    batch_size: int = 32
    max_length: int = 128
    learning_rate: float = 3e-5
    warmup: float = 0.1
    margin: float = 0.005
    holdout: float = 0.1
    eval_pool: int = 2000
    freeze_embeddings: bool = True
    seed: int = 0
    min_holdout: int = 10

    def __post_init__(self) -> None:
        checks = [("epochs", 1 <= self.epochs <= 20, "between 1 and 20"),
                  ("batch_size", 2 <= self.batch_size <= 512, "between 2 and 512"),
                  ("max_length", 16 <= self.max_length <= 512, "between 16 and 512"),
                  ("learning_rate", 0 < self.learning_rate <= 1e-3, "in (0, 0.001]"),
                  ("warmup", 0 <= self.warmup < 1, "in [0, 1)"),
                  ("margin", -1 <= self.margin <= 1, "in [-1, 1]"),
                  ("holdout", 0 < self.holdout < 1, "in (0, 1)"),
                  ("eval_pool", self.eval_pool >= 0, "at least 0"),
                  ("min_holdout", self.min_holdout >= 1, "at least 1")]
        for name, ok, expected in checks:
            if not ok:
                raise InvalidParameter(f"tune {name} {getattr(self, name)!r}: expected {expected}")


@dataclass(frozen=True)
class Pair:
    """One paper as training or evaluation material."""

    id: str
    title: str
    abstract: str


@dataclass(frozen=True)
class RetrievalScore:
    """Held-out titles as queries, each paper's abstract the one right answer."""

    mrr: float
    recall_at_10: float
    queries: int
    candidates: int


@dataclass(frozen=True)
class TrainReport:
    pairs: int
    steps: int
    seconds: float
    cpu_seconds: float
    """CPU time of this process (all threads): on a busy machine a better measure of the work than wall time."""
    first_loss: float
    last_loss: float


def is_held_out(paper_id: str, params: TuneParams) -> bool:
    """Whether a paper is held out: a stable hash of (seed, id) below the holdout fraction."""
    digest = hashlib.sha256(f"{params.seed}:{paper_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < params.holdout


def split(pairs: Sequence[Pair], params: TuneParams) -> tuple[list[Pair], list[Pair]]:
    """(training, held out)."""
    train: list[Pair] = []
    held: list[Pair] = []
    for pair in pairs:
        (held if is_held_out(pair.id, params) else train).append(pair)
    return train, held


def load_trainable(name_or_path: str) -> Any:
    """A sentence-transformers model on torch from local safetensors only (checked like any served model)."""
    directory = resolve_model_dir(name_or_path)
    check_model_dir(directory)
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415 (heavy, loaded only when used)
    from transformers.utils import logging as hf_logging  # noqa: PLC0415 (heavy, loaded only when used)

    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(directory), device="cpu", local_files_only=True, trust_remote_code=False,
                                   model_kwargs={"use_safetensors": True})
    except (OSError, ValueError, RuntimeError) as error:
        raise PaperkgError(f"cannot load the embedding model from {directory}: {error}") from error


def keeps(before: RetrievalScore, after: RetrievalScore, params: TuneParams) -> bool:
    """Whether the tuned model is kept: its held-out MRR beats the base's by at least `margin`."""
    return after.mrr - before.mrr >= params.margin - 1e-12


def holdout_score(model: Any, held: Sequence[Pair], others: Sequence[Pair], params: TuneParams,
                  batch_size: int = 32) -> RetrievalScore:
    """MRR and recall@10 of each held-out title ranking all candidate abstracts (the held-out ones and the first
    `eval_pool` of `others`, in a fixed order) by cosine."""
    if not held:
        raise InvalidParameter("no held-out papers to evaluate on")
    pool = list(held) + sorted(others, key=lambda p: hashlib.sha256(p.id.encode()).digest())[:params.eval_pool]
    was_training = model.training
    model.eval()
    try:
        queries = model.encode([p.title for p in held], batch_size=batch_size, convert_to_numpy=True,
                               normalize_embeddings=True, show_progress_bar=False)
        docs = model.encode([p.abstract for p in pool], batch_size=batch_size, convert_to_numpy=True,
                            normalize_embeddings=True, show_progress_bar=False)
    finally:
        model.train(was_training)
    scores = np.asarray(queries, dtype=np.float32) @ np.asarray(docs, dtype=np.float32).T
    own = scores[np.arange(len(held)), np.arange(len(held))]
    ranks = 1 + (scores > own[:, None]).sum(axis=1)
    return RetrievalScore(float(np.mean(1.0 / ranks)), float(np.mean(ranks <= 10)), len(held), len(pool))


def train(model: Any, pairs: Sequence[Pair], params: TuneParams, progress: StepProgress | None = None) -> TrainReport:
    """Fine-tune `model` in place on (title, abstract) pairs with in-batch negatives."""
    import torch  # noqa: PLC0415 (heavy, loaded only when used)
    from transformers import get_linear_schedule_with_warmup  # noqa: PLC0415 (heavy, loaded only when used)

    try:  # sentence-transformers 6 moved the losses; 3-5 have them here
        from sentence_transformers.sentence_transformer.losses import (  # noqa: PLC0415 (heavy, loaded only when used)
            MultipleNegativesRankingLoss,
        )
    except ImportError:  # pragma: no cover (older sentence-transformers)
        from sentence_transformers.losses import (  # type: ignore[no-redef]  # noqa: PLC0415 (heavy, loaded only when used)
            MultipleNegativesRankingLoss,
        )

    rng = random.Random(params.seed)
    torch.manual_seed(params.seed)
    batches = [b for _ in range(params.epochs) for b in _batches(pairs, params.batch_size, rng)]
    if not batches:
        raise InvalidParameter(f"{len(pairs)} training papers: tuning needs at least two with distinct titles and "
                               "abstracts")
    loss_fn = MultipleNegativesRankingLoss(model)
    if params.freeze_embeddings:
        for name, weight in model.named_parameters():
            if ".embeddings." in f".{name}":
                weight.requires_grad_(False)
    trainable = [(n, w) for n, w in model.named_parameters() if w.requires_grad]
    no_decay = ("bias", "LayerNorm")
    optimizer = torch.optim.AdamW([
        {"params": [w for n, w in trainable if not any(k in n for k in no_decay)], "weight_decay": 0.01},
        {"params": [w for n, w in trainable if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ], lr=params.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(params.warmup * len(batches)), len(batches))
    tokenize = getattr(model, "preprocess", None) or model.tokenize  # `tokenize` before sentence-transformers 6
    window = model.max_seq_length
    model.max_seq_length = params.max_length
    losses: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    model.train()
    try:
        for step, batch in enumerate(batches, 1):
            anchors = tokenize([p.title for p in batch])
            positives = tokenize([p.abstract for p in batch])
            loss = loss_fn([anchors, positives], None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([w for _, w in trainable], 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            if progress is not None:
                progress(step, len(batches))
    finally:
        model.max_seq_length = window
        model.eval()
        for _, weight in model.named_parameters():
            weight.requires_grad_(True)
    return TrainReport(len(pairs), len(batches), time.perf_counter() - started, time.process_time() - cpu_started,
                       losses[0], losses[-1])


def _batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches (the last may be short) in which no title or abstract appears twice: a duplicate would be
    its own negative. A pair that would repeat one waits for the next batch."""
    order = list(pairs)
    rng.shuffle(order)
    pending = deque(order)
    batches: list[list[Pair]] = []
    while pending:
        batch: list[Pair] = []
        seen: set[str] = set()
        skipped: list[Pair] = []
        while pending and len(batch) < size:
            pair = pending.popleft()
            keys = (pair.title.lower(), pair.abstract)
            if seen.intersection(keys):
                skipped.append(pair)
                continue
            batch.append(pair)
            seen.update(keys)
        if len(batch) < 2:
            break
        batches.append(batch)
        pending.extendleft(reversed(skipped))
    return batches


def save_model(model: Any, base: str, target: Path) -> str:
    """Write the tuned model at `target` atomically (built beside it, checked, fsynced, renamed): the base model's
    directory with the tuned weights as model.safetensors, so that configuration, pooling, window and tokenizer stay
    the base's, in the format every backend reads. Nothing is pickled. Returns the SHA-256 of the weights."""
    source = resolve_model_dir(base)
    if target.exists():
        raise PaperkgError(f"{target} exists already")
    building = target.with_name(f".{target.name}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in [*target.parent.glob(".*.tmp"), *target.parent.glob(".weights-*")]:  # an interrupted save
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        shutil.copytree(source, building, ignore=shutil.ignore_patterns("*.safetensors", "README.md", ".*",
                                                                         *(f"*{s}" for s in PICKLE_SUFFIXES)))
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".weights-") as tmp:
            model[0].auto_model.save_pretrained(tmp, safe_serialization=True)
            shutil.move(Path(tmp) / WEIGHTS, building / WEIGHTS)
        check_model_dir(building)
        fsync_tree(building)
        digest = sha256_file(building / WEIGHTS)
        building.rename(target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return digest
