"""`paperkg tune`: training on a tiny corpus for a few steps, the keep/reject decision, the record, re-embedding."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from paperkg.cli import main
from paperkg.core.errors import InvalidInput
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.embeddings.encoder import check_model_dir
from paperkg.embeddings.loading import EncoderParams, load_encoder
from paperkg.embeddings.passages import passage_texts
from paperkg.embeddings.tuning import (
    Pair,
    RetrievalScore,
    TuneParams,
    holdout_score,
    keeps,
    load_trainable,
    split,
)
from paperkg.kb import KnowledgeBase
from paperkg.kb.manifest import Manifest
from paperkg.kb.tuned import META_KEY, TunedModel
from paperkg.kb.tuning import revert, tune

TINY = TuneParams(batch_size=6, max_length=24, holdout=0.4, min_holdout=5, eval_pool=10, learning_rate=1e-4)
"""About 18 training pairs (3 steps) and 12 held out: a few seconds on a CPU."""


def test_holdout_is_stable_and_disjoint() -> None:
    pairs = [Pair(f"p{i}", f"title {i}", f"abstract {i}") for i in range(1000)]
    train, held = split(pairs, TuneParams(holdout=0.1))
    assert {p.id for p in train}.isdisjoint(p.id for p in held)
    assert 60 < len(held) < 140
    again = split([*pairs, Pair("new", "t", "a")], TuneParams(holdout=0.1))[1]
    assert {p.id for p in held} <= {p.id for p in again}  # a growing corpus keeps its held-out papers out


@pytest.mark.parametrize(("before", "after", "margin", "kept"), [
    (0.70, 0.74, 0.005, True), (0.70, 0.703, 0.005, False), (0.70, 0.705, 0.005, True), (0.70, 0.69, 0.005, False),
    (0.70, 0.69, -0.02, True), (0.70, 0.75, 0.1, False),
])
def test_the_decision_follows_the_held_out_mrr(before: float, after: float, margin: float, kept: bool) -> None:
    def score(mrr: float) -> RetrievalScore:
        return RetrievalScore(mrr, 1.0, 10, 100)

    assert keeps(score(before), score(after), TuneParams(margin=margin)) is kept


@pytest.mark.parametrize(("option", "message"), [
    (["--holdout", "1.5"], "tune holdout 1.5: expected in (0, 1)"),
    (["--batch-size", "1"], "tune batch_size 1: expected between 2 and 512"),
    (["--learning-rate", "0"], "tune learning_rate 0.0: expected in (0, 0.001]"),
])
def test_bad_parameters_are_one_line_errors(tmp_path: Path, option: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["tune", *option, "--data", str(tmp_path)], env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 1
    assert result.stderr == f"paperkg: error: {message}\n"


def test_missing_knowledge_base_and_hashing_encoder(tmp_path: Path, seed_papers: list[PaperInput]) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["tune", "--data", str(tmp_path / "none")], env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 1 and "no knowledge base in" in result.stderr and "paperkg build" in result.stderr
    assert not (tmp_path / "none").exists()
    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        kb.add_papers(seed_papers[:5])
    result = runner.invoke(main, ["tune", "--revert", "--data", str(tmp_path / "data")],
                           env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 0 and result.stdout == "no tuned model was served\n"
    result = runner.invoke(main, ["tune", "--data", str(tmp_path / "data")], env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 1
    assert result.stderr == ("paperkg: error: the hashing encoder has no weights to tune; configure a "
                             "sentence-transformers model (PAPERKG_MODEL) or the bundled one\n")


@pytest.mark.model
def test_tune_keeps_or_rejects_by_the_held_out_score_and_re_embeds(tmp_path: Path,
                                                                    seed_papers: list[PaperInput]) -> None:
    settings = Settings(data=tmp_path / "data", encoder_backend="torch")
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:30])
        base_id = kb.model_id
        paper = seed_papers[0]
        pid = kb.search(paper.title, 1).results[0].id
        before_vectors = kb.indexes.dense.vectors(pid).copy() if kb.indexes.dense else None
        with pytest.raises(InvalidInput, match=r"leave \d+ held out"):
            tune(kb, TuneParams(holdout=0.01, min_holdout=5))

        # a margin no tuning can reach: the base model stays, nothing is written
        rejected = tune(kb, TuneParams(**{**TINY.__dict__, "margin": 1.0}))
        assert not rejected.kept and rejected.tuned_id is None and "the base model stays" in rejected.decision
        assert rejected.held_out >= 5 and rejected.training.steps >= 2
        assert rejected.after.mrr - rejected.before.mrr < 1.0
        assert not kb.store.meta(META_KEY) and not (settings.data / "tuned").exists()
        # any held-out score clears a margin of -1: kept, recorded, written as safetensors
        kept = tune(kb, TuneParams(**{**TINY.__dict__, "margin": -1.0}))
        assert kept.kept and kept.tuned_id
        record = TunedModel.from_json(kb.store.meta(META_KEY))
        assert record is not None and record.id == kept.tuned_id and record.base == "bundled:all-MiniLM-L6-v2"
        assert record.params["batch_size"] == 6 and record.after["mrr"] == pytest.approx(kept.after.mrr)
        assert record.corpus_version == kb.store.version and record.papers == 30
        papers = list(kb.store.iter_papers())
    directory = settings.data / record.path
    check_model_dir(directory)  # safetensors only, sentence-transformers modules only
    saved = load_trainable(str(directory))  # the saved weights are the ones judged
    training, held = split([Pair(p.id, p.title, p.abstract) for p in papers], TINY)
    assert holdout_score(saved, held, training, TINY).mrr == pytest.approx(kept.after.mrr, abs=1e-6)
    assert not list(directory.rglob("*.bin")) and not list(directory.parent.glob(".*.tmp"))

    with KnowledgeBase.open(settings) as kb:  # the new model identity re-embeds every passage
        assert kb.model_id == f"tuned:{record.id}@bundled:all-MiniLM-L6-v2#passage=160" != base_id
        assert kb.store.meta("model") == kb.model_id
        manifest = Manifest.read(settings.data)
        assert manifest is not None and manifest.model == kb.model_id
        assert manifest.tuned is not None and manifest.tuned["id"] == record.id
        assert manifest.tuned["corpus_version"] == record.corpus_version
        assert kb.indexes.dense is not None and before_vectors is not None
        after_vectors = kb.indexes.dense.vectors(pid)
        assert after_vectors.shape == before_vectors.shape
        assert float(np.min(np.sum(after_vectors * before_vectors, axis=1))) < 0.9999
        # the stored vectors are the tuned model's
        spans = kb.store.passage_spans(pid)
        detail = kb.get_paper(pid)
        texts = passage_texts(detail.title, detail.abstract, spans)
        tuned_encoder = load_encoder(str(directory), 0, EncoderParams("torch"))
        expected = tuned_encoder.encode(texts, batch_size=8)
        assert float(np.min(np.sum(expected * after_vectors, axis=1))) > 0.999
        assert kb.search(paper.title, 3).results[0].id == pid
        snapshot = kb.publish()
        assert revert(kb)
    # a published snapshot (what replicas serve) carries the record and finds the weights in the writer's DATA
    with KnowledgeBase.open(settings.model_copy(update={"data": snapshot.path}), read_only=True) as replica:
        assert replica.tuned is not None and replica.tuned[1] == directory
        assert replica.model_id == replica.store.meta("model")
        assert replica.model_id == f"tuned:{record.id}@bundled:all-MiniLM-L6-v2#passage=160"
    with KnowledgeBase.open(settings) as kb:  # reverted: the base model again, re-embedded
        assert kb.model_id == base_id and kb.tuned is None
        assert json.loads((settings.data / "manifest.json").read_text()).get("tuned") is None
        restored = kb.indexes.dense.vectors(pid) if kb.indexes.dense else None
        assert restored is not None
        assert float(np.min(np.sum(restored * before_vectors, axis=1))) > 0.9999
