"""The learned order of related techniques: the shipped model, its bound, and a stale model file."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from paperkg.graph.related_model import FEATURES, LINK_KINDS, MODEL_FILE, PairEvidence, RelatedModel, link_kind
from paperkg.kb import KnowledgeBase

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def evidence(kind: str = "none", strength: float = 0.0, shared: int = 0, similarity: float = 0.0,
             generic: bool = False, fanout: int = 0, size: int = 0) -> PairEvidence:
    return PairEvidence(kind, strength, fanout, size, shared, 0.3 if shared else 0.0, 0.5 if shared else 0.0,
                        similarity, 0.2 if shared else 0.0, generic)


def test_the_shipped_model_matches_the_features_and_is_used(kb: KnowledgeBase) -> None:
    stored = json.loads((SEEDS / "scorer" / MODEL_FILE).read_text(encoding="utf-8"))
    assert tuple(stored["features"]) == FEATURES and len(stored["weights"]) == len(FEATURES)
    model = kb.queries.related_ranker.model
    assert model is not None and model.version == stored["version"]
    results = kb.related("speculative decoding", 10)
    assert results and all(0.0 < r.score < 1.0 for r in results)  # probabilities


def test_what_the_model_learned_reads_as_a_judge_would() -> None:
    model = RelatedModel.load(SEEDS / "scorer")
    assert model is not None
    narrower = model.probability(evidence("narrower", 1.0))
    assert narrower > model.probability(evidence("none", 0.0, shared=1, similarity=0.8))
    assert narrower > model.probability(evidence("narrower", 1.0, generic=True))
    # a sibling in a small flat family beats one in a large field
    small = model.probability(evidence("sibling", 0.75, fanout=4, size=4))
    large = model.probability(evidence("sibling", 0.3, fanout=25, size=90))
    assert small > large


@pytest.mark.parametrize(("kind", "similarity"), itertools.product(LINK_KINDS, (0.0, 0.4, 0.9, 1.0)))
def test_the_bound_is_never_below_the_probability(kind: str, similarity: float) -> None:
    """`rank` skips the similarity of candidates whose bound cannot reach the top k: the bound must hold."""
    model = RelatedModel.load(SEEDS / "scorer")
    assert model is not None
    pair = evidence(kind, 0.5, shared=1, similarity=similarity)
    assert model.bound(evidence(kind, 0.5, shared=1)) >= model.probability(pair) - 1e-12


def test_link_kinds_keep_two_step_links_apart() -> None:
    assert link_kind(None) == "none"
    assert link_kind(("related", ["a", "b"], 0.8)) == "related"
    assert link_kind(("related", ["a", "via", "b"], 0.56)) == "related kin"
    assert link_kind(("builds on it", ["a", "used", "b"], 0.52)) == "builds on it, indirect"


def test_a_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    stored = json.loads((SEEDS / "scorer" / MODEL_FILE).read_text(encoding="utf-8"))
    stored["features"] = stored["features"][:-1]
    (tmp_path / MODEL_FILE).write_text(json.dumps(stored), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        RelatedModel.load(tmp_path)
    assert RelatedModel.load(tmp_path / "absent") is None
