"""The learned scorer: keeps or drops the rules' entities, adds and types phrases the rules missed, and gives every
entity and relation a calibrated confidence. Three logistic models over sparse features (candidates.py), trained by
bench/train_scorer.py and stored as plain arrays (npz, no pickle) with the seeds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from paperkg.core.records import PAPER, Evidence, ExtractedEntity, ExtractedRelation, Extraction, Mention
from paperkg.core.text import sentence_at, sentences
from paperkg.graph.extraction.candidates import Candidate, Candidates, doc_features, is_known, tokenize
from paperkg.graph.extraction.names import unseen_key

MODEL_FILE = "extraction_scorer.npz"
DROP = "drop"


@dataclass(frozen=True)
class ScorerParams:
    """Thresholds of the scorer. The defaults are scorer 1.6's, chosen on the sets annotated by the guide that nothing
    trains on (README "Rater, not editor"); bench/train_scorer.py stores them with the model, and --tune searches
    others by cross-validation, never on blind data."""

    keep: float = 0.35
    """A rule entity whose keep-probability is below this is dropped with its relations."""
    add: float = 0.8
    """A phrase the rules did not read is added only at this keep-probability or above (precision first)."""
    relation: float = 0.1
    """A rule relation whose probability of being right is below this is dropped."""
    familiar: int = 1
    """Papers in which the vocabulary knows at least this many of the rules' entities are the rules' home ground:
    there the scorer only rates (min_confidence still applies) and neither drops, adds nor retypes on its own, except
    for `home_add`."""
    home_add: float = 1.01
    """In the rules' home ground, a phrase the vocabulary names that the rules dropped (scene-setting or too
    generic: "tensor parallelism", "pruning") is added at this keep-probability or above (above 1: never)."""
    added_uses: bool = False
    """A technique, model or software the scorer adds gets a `uses` from the paper with its confidence (the guide's
    reading of a method a paper names as done or applied)."""
    title_name: float = 0.95
    """A proposal the rules read at this confidence or above and the title names (the title's "Name:" the abstract
    names again) is rated at least this: 154 of 156 such names on the open sets are right (the scorer's own rating
    went down to 0.3)."""
    stated_factor: float = 0.7
    """A comparison with a stated factor ("12.6x faster than the original Eyeriss"), and the entities it links, are
    rated at least this: 121 of 123 such facts on the open sets are right, 8 of 8 among those the scorer rated under
    0.7 (its rating of the baseline's name went down to 0.25)."""


@dataclass(frozen=True)
class LinearModel:
    """Weights of a (multinomial) logistic model over named binary features."""

    index: dict[str, int]
    weights: np.ndarray
    """(features, classes)"""
    bias: np.ndarray
    classes: tuple[str, ...]

    def probabilities(self, rows: list[tuple[str, ...]]) -> np.ndarray:
        logits = np.tile(self.bias, (len(rows), 1)).astype(np.float64)
        owners, found = [], []
        for n, feats in enumerate(rows):
            for f in feats:
                k = self.index.get(f)
                if k is not None:
                    owners.append(n)
                    found.append(k)
        if found:
            np.add.at(logits, np.asarray(owners), self.weights[np.asarray(found)])
        if len(self.classes) == 1:  # binary: one logit for the positive class
            return 1.0 / (1.0 + np.exp(-logits))
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def relation_features(rel: ExtractedRelation, types: Mapping[str, str], known: set[str]) -> tuple[str, ...]:
    otype = types.get(rel.object, "?")
    conf = f"{round(rel.confidence * 10) / 10:.1f}"
    feats = [f"pred={rel.predicate}", f"pred={rel.predicate}|otype={otype}", f"conf={conf}",
             f"pred={rel.predicate}|conf={conf}", f"subj={'paper' if rel.subject == PAPER else 'entity'}",
             f"known={rel.object in known}", f"pred={rel.predicate}|known={rel.object in known}"]
    if rel.factor is not None:
        feats.append("factor")
    if rel.count is not None:
        feats.append("count")
    return tuple(feats)


class Scorer:
    """Applies the two models to the rules' extraction of one paper."""

    def __init__(self, rules: LinearModel, phrases: LinearModel, relations: LinearModel, candidates: Candidates,
                 version: str, params: ScorerParams | None = None) -> None:
        self.rules = rules
        """keep-probability of an entity the rules read"""
        self.phrases = phrases
        """drop / type of a phrase the rules did not read"""
        self.relations = relations
        """probability that a relation the rules read is right"""
        self.candidates = candidates
        self.version = version
        self.params = params or ScorerParams()

    @classmethod
    def load(cls, folder: Path, params: ScorerParams | None = None) -> Scorer | None:
        """The scorer stored in `folder` (seeds/scorer), or None when there is none."""
        path = folder / MODEL_FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return cls.from_arrays(arrays, Candidates.load(folder), params)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], candidates: Candidates,
                    params: ScorerParams | None = None) -> Scorer:
        meta = json.loads(str(arrays["meta"][0]))

        def model(name: str, classes: tuple[str, ...]) -> LinearModel:
            weights = arrays[f"{name}_weights"].astype(np.float32)
            return LinearModel({str(f): i for i, f in enumerate(arrays[f"{name}_features"])},
                               weights.reshape(len(weights), -1), arrays[f"{name}_bias"].astype(np.float32).ravel(),
                               classes)

        if params is None and "params" in meta:
            params = ScorerParams(**meta["params"])
        return cls(model("rule", ("keep",)), model("phrase", tuple(str(c) for c in arrays["phrase_classes"])),
                   model("relation", ("right",)), candidates, str(meta["version"]), params)

    def apply(self, extraction: Extraction, title: str, abstract: str, known: set[str],
              min_confidence: float = 0.0) -> Extraction:
        texts = {"title": title, "abstract": abstract}
        toks = {f: tokenize(t) for f, t in texts.items()}
        home = sum(is_known(e, known) for e in extraction.entities) >= self.params.familiar
        keep_at = min_confidence if home else max(self.params.keep, min_confidence)
        rule = self.candidates.from_rules(extraction, texts, toks, known)
        confidence: dict[str, float] = {}
        if rule:
            probs = self.rules.probabilities([c.features for c in rule])[:, 0]
            confidence = {c.key: float(p) for c, p in zip(rule, probs, strict=True) if c.key}
        # a comparison with a stated factor is the rules' strongest evidence: it and the entities it links are rated
        # at least `stated_factor`, and the scorer's own thresholds never drop them (only a user's higher minimum does)
        compared = {k for r in extraction.relations if r.predicate == "outperforms" and r.factor is not None
                    for k in (r.subject, r.object)}
        for key in compared & confidence.keys():
            confidence[key] = max(confidence[key], self.params.stated_factor)
        # the title's name that the abstract gives the paper ("ShiftAddLLM: ..." and "..., dubbed ShiftAddLLM") is
        # rated at least `title_name`: such names are right 0.99 of the time, where the scorer said 0.5 for some
        titled = {e.key for e in extraction.entities if any(m.field == "title" for m in e.mentions)}
        for r in extraction.relations:
            if r.predicate == "proposes" and r.object in titled and r.confidence >= self.params.title_name:
                confidence[r.object] = max(confidence.get(r.object, 1.0), self.params.title_name)
        entities = [replace(e, confidence=round(confidence.get(e.key, 1.0), 3)) for e in extraction.entities
                    if confidence.get(e.key, 1.0) >= (min_confidence if e.key in compared else keep_at)]
        taken: dict[str, list[tuple[int, int]]] = {}
        for e in extraction.entities:
            for m in e.mentions:
                taken.setdefault(m.field, []).append((m.start, m.end))
        added: list[ExtractedEntity] = []
        if not home or self.params.home_add <= 1.0:
            added = self._added(texts, toks, taken, doc_features(extraction, known), {e.key for e in entities},
                                max(self.params.home_add if home else self.params.add, min_confidence), home)
            entities += added
        types = {e.key: e.type for e in entities}
        relations = [r for r in extraction.relations if r.object in types and (r.subject == PAPER or
                                                                              r.subject in types)]
        if relations:
            right = self.relations.probabilities([relation_features(r, types, known) for r in relations])[:, 0]
            sure = {e.key: e.confidence for e in entities}
            # a fact is no surer than the entities it links: a wrong entity makes every fact about it wrong
            capped = [min(float(p), sure[r.object], sure.get(r.subject, 1.0)) for r, p in zip(relations, right,
                                                                                             strict=True)]
            capped = [max(p, self.params.stated_factor) if r.predicate == "outperforms" and r.factor is not None
                      else p for r, p in zip(relations, capped, strict=True)]
            at = min_confidence if home else max(self.params.relation, min_confidence)
            relations = [replace(r, confidence=round(p, 3)) for r, p in zip(relations, capped, strict=True)
                         if p >= (min_confidence if r.predicate == "outperforms" and r.factor is not None else at)]
        if self.params.added_uses and added:
            relations += self._uses(added, abstract)
        return Extraction(entities, relations)

    @staticmethod
    def _uses(added: list[ExtractedEntity], abstract: str) -> list[ExtractedRelation]:
        """`uses` from the paper to each added technique, model or software, with the entity's confidence."""
        spans = sentences(abstract)
        out = []
        for e in added:
            m = next((m for m in e.mentions if m.field == "abstract"), None)
            sentence = sentence_at(spans, m.start) if m is not None else None
            if e.type not in ("Technique", "Model", "Software") or sentence is None:
                continue
            evidence = Evidence(sentence.text, sentence.start, sentence.end, "abstract")
            out.append(ExtractedRelation(PAPER, "uses", e.key, evidence, e.confidence))
        return out

    def _added(self, texts: dict[str, str], toks: dict, taken: dict[str, list[tuple[int, int]]],
               context: list[str], keys: set[str], threshold: float, vocab_only: bool = False) -> list[ExtractedEntity]:
        """Phrases the rules did not read, kept at `threshold` or above; `vocab_only`: only those the vocabulary
        names."""
        phrases = self.candidates.phrases(texts, toks, taken, context, vocab_only)
        if not phrases:
            return []
        probs = self.phrases.probabilities([c.features for c in phrases])
        drop = self.phrases.classes.index(DROP)
        ranked = sorted(((float(1.0 - p[drop]), c, p) for c, p in zip(phrases, probs, strict=True)),
                        key=lambda x: -x[0])
        chosen: list[tuple[float, Candidate, str]] = []
        for keep, cand, p in ranked:
            if keep < threshold:
                break
            if any(c.field == cand.field and c.start < cand.end and cand.start < c.end for _, c, _ in chosen):
                continue
            best = max((k for k in range(len(p)) if k != drop), key=lambda k: p[k])
            chosen.append((keep, cand, self.phrases.classes[best]))
        out: dict[str, ExtractedEntity] = {}
        for keep, cand, kind in chosen:
            entry = self.candidates.vocab_entry(cand.text) if cand.vocab else None
            if entry:  # a concept of the vocabulary: its own id and type, one node across papers
                kind, key = entry[0].split("|")[0], entry[1]
            else:
                key = unseen_key(kind, cand.text)
            if key in keys:
                continue
            mention = Mention(cand.field, cand.start, cand.end, cand.text)  # type: ignore[arg-type]
            if key in out:
                out[key].mentions.append(mention)
                continue
            out[key] = ExtractedEntity(key, cand.text, kind, [], [mention],  # type: ignore[arg-type]
                                       {"source": "scorer"}, round(keep, 3))
        return list(out.values())
