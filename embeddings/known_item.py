"""Known-item evidence: how nearly a query is a paper's title.

A query that is a paper's title, exactly or nearly (case, punctuation, British or American spelling, a dropped or
mistyped word), asks for that paper. Both sides are compared as their stemmed, stopword-free words in order (the
keyword index's title field), by normalised Indel similarity (rapidfuzz's `ratio`: character edits, so a typo or a
spelling variant costs a few characters, a dropped word its length, and a different word order a lot, which is
the phrase evidence). Papers merely sharing words with the query score far lower than the paper whose title it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz.fuzz import ratio

from paperkg.embeddings.keyword import KeywordIndex


@dataclass(frozen=True)
class KnownItemParams:
    """When a query counts as a title and how much that weighs in the fused ranking."""

    floor: float = 0.8
    """Title similarity (0-1) at or below which a candidate gets no known-item credit: sharing most words in
    order is not enough, a title query stays within a word or a few characters of its title."""
    weight: float = 4.0
    """Credit (in z-score units of the fused ranking) at similarity 1; it rises linearly from the floor."""
    candidates: int = 20
    """Papers taken from BM25 over the title field alone, so a title of common words still finds its paper."""
    min_terms: int = 2
    """Queries with fewer stemmed words are topics, not titles ("LoRA"), and get no known-item credit."""


DEFAULT_KNOWN_ITEM = KnownItemParams()
CUTOFF_MARGIN = 1e-6
"""`ratio` scores below floor * 100 less this come back as 0 (no credit either way); those above it exactly."""


def title_similarity(query_terms: list[str], title_terms: list[str]) -> float:
    """Similarity in [0, 1] of two word sequences, by characters (typos and spelling variants cost little)."""
    return _text_similarity(" ".join(query_terms), " ".join(title_terms))


def _text_similarity(text: str, title: str, cutoff: float = 0.0) -> float:
    """`title_similarity` of two joined word sequences; below `cutoff` (in ratio's 0-100) it may come back as 0."""
    return float(ratio(text, title, score_cutoff=cutoff)) / 100.0 if text and title else 0.0


def known_item_credit(query: str, candidates: list[str], keyword: KeywordIndex,
                      params: KnownItemParams = DEFAULT_KNOWN_ITEM) -> np.ndarray:
    """Per candidate, the credit for being the paper whose title the query is (zero for most). The same similarity
    as `title_similarity`, from the index's kept title texts; `ratio` skips the pairs that cannot pass the floor."""
    terms = keyword.tokenize(query)
    credit = np.zeros(len(candidates))
    if len(terms) < params.min_terms:
        return credit
    text, cutoff = " ".join(terms), max(0.0, params.floor * 100.0 - CUTOFF_MARGIN)
    for i, pid in enumerate(candidates):
        similarity = _text_similarity(text, keyword.title_text(pid), cutoff)
        if similarity > params.floor:
            credit[i] = params.weight * (similarity - params.floor) / (1.0 - params.floor)
    return credit
