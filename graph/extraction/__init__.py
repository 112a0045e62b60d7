"""Entity and relation extraction from paper titles and abstracts (see ANNOTATION_GUIDE.md in shared/eval)."""

from pathlib import Path

from paperkg.graph.extraction.annotate import annotation
from paperkg.graph.extraction.extractor import Extractor
from paperkg.graph.extraction.scorer import Scorer, ScorerParams
from paperkg.graph.vocabulary import Vocabulary

__all__ = ["Extractor", "Scorer", "ScorerParams", "annotation", "learned_extractor", "seeded_extractor"]


def learned_extractor(vocabulary: Vocabulary, seeds: Path, min_confidence: float = 0.0) -> Extractor:
    """The rules with the learned scorer stored under `seeds`/scorer (rules alone when there is none)."""
    return Extractor(vocabulary, Scorer.load(seeds / "scorer"), min_confidence)


def seeded_extractor(seeds: Path, min_confidence: float = 0.0) -> Extractor:
    """`learned_extractor` over the vocabulary of `seeds` (for worker processes, which load it themselves)."""
    return learned_extractor(Vocabulary.load(seeds), seeds, min_confidence)
