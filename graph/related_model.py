"""The learned order of related techniques: a logistic model over the evidence for one (target, candidate) pair,
trained on judged lists (bench/train_related.py) and stored as plain JSON with the seeds."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE = "related_ranker.json"

LINK_KINDS = ("broader", "narrower", "ancestor", "descendant", "related", "related kin", "sibling", "cousin",
              "builds on it", "builds on it, indirect", "built on it", "none")
"""The taxonomy link between target and candidate (taxonomy.Taxonomy.link), with the two-step forms apart: a kind
of an associated technique ("related kin") and a system built on a kind of the target ("builds on it, indirect")."""

FEATURES = (*LINK_KINDS, "strength", "single_unlinked", "cooccurrence", "share", "similarity", "proximity",
            "generic", "log_fanout", "log_parent_size")
_SIMILARITY = FEATURES.index("similarity")


@dataclass(frozen=True)
class PairEvidence:
    """What paperkg knows about a candidate beside a target, every signal `why` can show."""

    link_kind: str
    """One of LINK_KINDS."""
    strength: float
    """The link's strength (taxonomy.LINK_SCORES times specificity); 0 without a link."""
    fanout: int
    """Children of the parent a sibling or cousin link goes through; 0 for other links."""
    parent_size: int
    """Techniques under that parent at any depth; 0 for other links."""
    shared: int
    """Papers naming both."""
    cooccurrence: float
    """Role-weighted, smoothed share of the two techniques' papers (0-1)."""
    share: float
    """Shared papers over the candidate's papers."""
    similarity: float
    """Cosine of the two techniques' context vectors (mean paper vectors); 0 when either has none."""
    proximity: float
    """Personalised PageRank from the target, scaled to the best candidate (0-1)."""
    generic: bool
    """An umbrella or building block (seeds/vocab/generic_techniques.txt)."""

    def vector(self) -> np.ndarray:
        kinds = [float(self.link_kind == kind) for kind in LINK_KINDS]
        return np.array([*kinds, self.strength, float(self.link_kind == "none" and self.shared == 1),
                         self.cooccurrence, self.share, self.similarity, self.proximity, float(self.generic),
                         math.log1p(self.fanout), math.log1p(self.parent_size)], dtype=np.float64)


def link_kind(link: tuple[str, list[str], float] | None) -> str:
    """The LINK_KINDS entry of a taxonomy link."""
    if link is None:
        return "none"
    if link[0] == "related" and len(link[1]) > 2:
        return "related kin"
    if link[0] == "builds on it" and len(link[1]) > 2:
        return "builds on it, indirect"
    return link[0]


@dataclass(frozen=True)
class RelatedModel:
    """Weights of a logistic model over FEATURES: the probability that a judge finds the candidate related."""

    weights: tuple[float, ...]
    bias: float
    version: str

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"related ranker: {len(self.weights)} weights for {len(FEATURES)} features")

    def probability(self, evidence: PairEvidence) -> float:
        return _sigmoid(float(np.dot(self.weights, evidence.vector())) + self.bias)

    def bound(self, evidence: PairEvidence) -> float:
        """The highest probability the pair can reach whatever its context similarity (0 to 1), which costs a mean
        of up to a few hundred paper vectors to compute: pairs below the k-th result are never asked for it."""
        linear = float(np.dot(self.weights, evidence.vector())) + self.bias
        weight = self.weights[_SIMILARITY]
        return _sigmoid(linear - weight * evidence.similarity + max(0.0, weight))

    @classmethod
    def load(cls, folder: Path) -> RelatedModel | None:
        """The model stored in `folder` (seeds/scorer), or None when there is none."""
        path = folder / MODEL_FILE
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: trained on other features than this version of paperkg computes; retrain it "
                             "(bench/train_related.py --save, after removing the file)")
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]), str(data["version"]))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
