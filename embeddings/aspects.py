"""Aspects of a paper for "similar papers": which sentences of its abstract say what it does (method), which problem
it addresses (task) and what it found (results), read from cue phrases (seeds/vocab/sentence_roles.json), the
relation types the extraction found in each sentence, and the sentence's place in the abstract."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from paperkg.core.errors import InvalidInput
from paperkg.core.text import Sentence, sentences

ASPECTS = ("method", "task", "results")
"""The aspects `similar` can compare papers by."""

RELATION_ASPECTS = {"proposes": "method", "uses": "method", "outperforms": "results", "runs-on": "results",
                    "evaluated-on": "task"}
"""The aspect a sentence holding a relation of each type speaks to (the relation's evidence sentence)."""


@dataclass(frozen=True)
class AspectParams:
    """How sentences are assigned to aspects, and how `similar` weighs an aspect against the whole paper."""

    cue_vote: float = 1.0
    """Votes per cue phrase found in the sentence."""
    relation_vote: float = 1.0
    """Votes per extracted relation whose evidence is the sentence (see RELATION_ASPECTS)."""
    position_vote: float = 0.75
    """Votes for "task" to the first sentence and for "results" to the last one: abstracts open with the problem
    and close with the findings. Also breaks ties of sentences without cues (first third task, last third
    results, the middle method)."""
    whole_weight: float = 1.0
    """Weight of the paper's whole-text similarity (the default `similar` ranking) in an aspect ranking (the three
    weights were chosen on half A of bench/similar_aspects.py, method judgments)."""
    text_weight: float = 0.5
    """Weight of the similarity of the two papers' aspect sentences (each side encoded on its own)."""
    graph_weight: float = 0.5
    """Weight of the rarity-weighted overlap of the entities the two papers name in that aspect."""
    depth: int = 60
    """Candidates taken from the whole-paper ranking, and again from the aspect sentences' nearest passages."""
    whole_method: float = 0.0
    """In the whole-paper ranking (no aspect asked), weight of the similarity of the two papers' method sentences.
    Off: at 0.75 (with `whole_task` 1.0, the best on half A of bench/similar_eval.py) nDCG@20 rose from 0.681 to
    0.717 on A but stayed at 0.602 on the held-out half B, for an encoding of every candidate's sentences."""
    whole_task: float = 0.0
    """In the whole-paper ranking, weight of the similarity of their task sentences (off, see `whole_method`)."""


DEFAULT_ASPECT = AspectParams()


def check_aspect(aspect: str | None) -> str | None:
    """The aspect, or None for the whole paper; InvalidInput for anything else."""
    if aspect is None or aspect in ("", "all"):
        return None
    if aspect not in ASPECTS:
        raise InvalidInput(f"unknown aspect {aspect[:20]!r}; use one of all, {', '.join(ASPECTS)}")
    return aspect


@dataclass(frozen=True)
class Cues:
    """Compiled cue phrases per aspect."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def load(cls, path: Path) -> Cues:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple((aspect, re.compile(pattern, re.IGNORECASE))
                         for aspect in ASPECTS for pattern in data.get(aspect, [])))

    def votes(self, text: str) -> dict[str, float]:
        found = dict.fromkeys(ASPECTS, 0.0)
        for aspect, pattern in self.patterns:
            found[aspect] += len(pattern.findall(text))
        return found


def sentence_aspects(abstract: str, cues: Cues, relations: Iterable[tuple[str, int]] = (),
                     params: AspectParams = DEFAULT_ASPECT) -> list[tuple[Sentence, str]]:
    """Each sentence of the abstract with the aspect it speaks to; `relations` are (predicate, start offset of its
    evidence sentence) pairs of the paper's extracted relations."""
    spans = sentences(abstract)
    by_start: dict[int, list[str]] = {}
    for predicate, start in relations:
        if predicate in RELATION_ASPECTS:
            by_start.setdefault(start, []).append(RELATION_ASPECTS[predicate])
    found: list[tuple[Sentence, str]] = []
    for i, span in enumerate(spans):
        votes = {a: v * params.cue_vote for a, v in cues.votes(span.text).items()}
        for aspect in by_start.get(span.start, []):
            votes[aspect] += params.relation_vote
        if i == 0 and len(spans) > 1:
            votes["task"] += params.position_vote
        if i == len(spans) - 1 and len(spans) > 1:
            votes["results"] += params.position_vote
        third = min(2, 3 * i // max(1, len(spans)))
        default = ("task", "method", "results")[third]
        best = max(votes.values())
        found.append((span, default if best <= 0 or votes[default] == best else max(votes, key=lambda a: votes[a])))
    return found


def aspect_text(title: str, abstract: str, aspect: str, spans: Sequence[tuple[Sentence, str]]) -> str:
    """The sentences of the abstract that speak to the aspect (`spans` from sentence_aspects; the whole abstract if
    none does); the title leads the method and task texts, which it usually names."""
    chosen = [s.text for s, a in spans if a == aspect]
    body = " ".join(chosen) if chosen else abstract
    return f"{title}. {body}" if aspect != "results" and title else body


def aspect_entities(entities: Sequence[tuple[str, int, int]], relations: Sequence[tuple[str, str]],
                    spans: Sequence[tuple[Sentence, str]], aspect: str) -> set[str]:
    """The entities a paper names in the aspect: those mentioned in its sentences of that aspect ((entity, start,
    end) mentions in the abstract) and the objects of its relations of the aspect's types ((predicate, object))."""
    chosen = [s for s, a in spans if a == aspect]
    found = {eid for eid, start, _ in entities if any(s.start <= start < s.end for s in chosen)}
    found |= {obj for predicate, obj in relations if RELATION_ASPECTS.get(predicate) == aspect}
    return found
