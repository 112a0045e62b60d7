"""Candidates for the learned scorer: the rule extractor's entities and the phrases of a simple chunker, each
described by the sparse features the scorer reads (words, head, shape, context, rule evidence)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from paperkg.core.records import PAPER, ExtractedEntity, Extraction
from paperkg.core.text import MAX_CHARS, sentences
from paperkg.graph.vocabulary import Vocabulary

_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\uffff](?:[\w+\u00c0-\uffff]|[-./:'](?=[\w\u00c0-\uffff]))*|\S")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9-]*[A-Z0-9][A-Za-z0-9-]*$")
_SELF = re.compile(r"\b(?:we|our|us|this (?:paper|work|study))\b", re.I)
MAX_WORDS = 6
"""Longest phrase the chunker proposes (in tokens)."""
LEXICON_FILE = "lexicon.json"
"""The type lexicon learned from SciERC (bench/train_scorer.py --save writes it; optional)."""


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lower: str
    word: bool


def tokenize(text: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text, 0, MAX_CHARS):
        word = m.group()
        out.append(Token(word, m.start(), m.end(), word.lower(), word[0].isalnum()))
    return out


def _shape(word: str) -> str:
    if _ACRONYM.match(word) and sum(ch.isupper() for ch in word) >= 2:
        return "A"
    kind = "X" if word[0].isupper() else "d" if word[0].isdigit() else "x"
    if any(ch.isdigit() for ch in word[1:]):
        kind += "d"
    if "-" in word:
        kind += "-"
    return kind


@dataclass(frozen=True)
class Candidate:
    """A span (field, character offsets) with its features; `key` and `type` are set for the rules' entities."""

    field: str
    start: int
    end: int
    text: str
    features: tuple[str, ...]
    key: str | None = None
    type: str | None = None
    vocab: str | None = None
    """For a chunker phrase the vocabulary names (a technique the rules dropped as scene-setting or too generic):
    its type, with "|weak" for the vocabulary's weak concepts."""


class Candidates:
    """Builds the scorer's candidates for one paper."""

    def __init__(self, stop: frozenset[str], starts: frozenset[str],
                 lexicon: Mapping[str, Sequence[str]] | None = None) -> None:
        self.stop = stop
        self.starts = starts
        self.lexicon: Mapping[str, Sequence[str]] = lexicon or {}
        """SciERC's labels by lowercased phrase: (SciERC label, our type or "none", how often labelled where seen)."""
        self.vocab: Mapping[str, tuple[str, str]] = {}
        """The vocabulary's names, lowercased -> (type tag, concept id) (vocabulary_tags; the extractor sets it)."""
        self.generic: frozenset[str] = frozenset()
        """Umbrella names, lowercased, that are never an entity ("natural language processing", "NLP": the
        lexicon's generic names and acronyms; the extractor sets it): never offered as a phrase."""

    @classmethod
    def load(cls, folder: Path) -> Candidates:
        data = json.loads((folder / "phrases.json").read_text(encoding="utf-8"))
        path = folder / LEXICON_FILE
        lexicon = json.loads(path.read_text(encoding="utf-8"))["phrases"] if path.exists() else None
        return cls(frozenset(data["stop"]), frozenset(data["starts"]), lexicon)

    def known_as(self, words: list[Token]) -> list[str]:
        """Features from the type lexicon learned from SciERC ("svm" -> a Method there, "arabic" -> a Material
        that names no resource), for the phrase or its singular."""
        phrase = " ".join(t.lower for t in words)
        entry = self.lexicon.get(phrase) or (self.lexicon.get(phrase[:-1]) if phrase.endswith("s") else None)
        if not entry:
            return []
        label, kind, share = entry
        return [f"slab={label}", f"lex={kind}", f"lex={kind}|{share}"]

    # -- features ----------------------------------------------------------------------------------------------
    def lexical(self, toks: list[Token], i: int, j: int, lowered: str) -> list[str]:
        """Features of the tokens i..j-1 of one field and of their neighbours."""
        words = toks[i:j]
        head, first = words[-1], words[0]
        shapes = [_shape(t.text) for t in words if t.word]
        prev = toks[i - 1].lower if i > 0 else "<s>"
        prev2 = toks[i - 2].lower if i > 1 else "<s>"
        nxt = toks[j].lower if j < len(toks) else "</s>"
        feats = [f"head={head.lower}", f"first={first.lower}", f"n={min(j - i, 5)}", f"hsuf={head.lower[-3:]}",
                 f"shape={' '.join(shapes)[:20]}", f"hshape={shapes[-1] if shapes else '-'}", f"prev={prev}",
                 f"prev2={prev2}", f"next={nxt}", f"pw={prev}|{head.lower}"]
        feats += [f"w={t.lower}" for t in words] + [f"suf={t.lower[-4:]}" for t in words[:-1] if len(t.lower) > 5]
        if head.lower.endswith("s") and not head.lower.endswith("ss"):
            feats.append("plural")
        if len(words) > 1:
            feats.append(f"mod={words[-2].lower}|{head.lower}")
        if nxt == "(" and j + 2 < len(toks) and toks[j + 2].text == ")" and _ACRONYM.match(toks[j + 1].text):
            feats.append("acronym_after")
        if prev == "(" and nxt == ")":
            feats.append("in_parens")
        if i == 0 or not toks[i - 1].word or toks[i - 1].lower in self.stop:
            feats.append("chunk_start")
        count = lowered.count(" ".join(t.lower for t in words)) if j - i < 4 else 1
        feats.append(f"count={min(count, 3)}")
        return feats + self.known_as(words)

    def vocab_tag(self, text: str) -> str | None:
        """The type tag of the vocabulary concept `text` names (or its singular), if any."""
        entry = self.vocab_entry(text)
        return entry[0] if entry else None

    def vocab_entry(self, text: str) -> tuple[str, str] | None:
        low = " ".join(text.lower().split())
        return self.vocab.get(low) or (self.vocab.get(low[:-1]) if low.endswith("s") else None)

    # -- the rules' entities -----------------------------------------------------------------------------------
    def from_rules(self, extraction: Extraction, texts: dict[str, str], toks: dict[str, list[Token]],
                   known: set[str]) -> list[Candidate]:
        lowered = {f: t.lower() for f, t in texts.items()}
        preds: dict[str, set[str]] = {}
        for r in extraction.relations:
            preds.setdefault(r.object, set()).add(r.predicate)
            if r.subject != PAPER:
                preds.setdefault(r.subject, set()).add("subject")
        out = []
        for e in extraction.entities:
            if not e.mentions:
                continue
            m = next((m for m in e.mentions if m.field == "abstract"), e.mentions[0])
            i, j = _token_span(toks[m.field], m.start, m.end)
            feats = self.lexical(toks[m.field], i, j, lowered[m.field]) if i < j else []
            rel = sorted(preds.get(e.key, ()))
            feats += [f"rule={e.type}", f"known={e.key in known}", f"mentions={min(len(e.mentions), 3)}",
                      f"title={any(x.field == 'title' for x in e.mentions)}", f"nrel={min(len(rel), 2)}"]
            feats += [f"rel={p}" for p in rel] + [f"rel={p}|{e.type}" for p in rel]
            feats += [f"rule={e.type}|head={f[5:]}" for f in feats[:1] if f.startswith("head=")]
            feats += [f"rule={e.type}|{f}" for f in feats if f.startswith(("lex=", "slab=")) and "|" not in f]
            feats += doc_features(extraction, known)
            out.append(Candidate(m.field, m.start, m.end, m.text, tuple(feats + familiar(feats)), e.key, e.type))
        return out

    # -- the chunker's phrases ---------------------------------------------------------------------------------
    def phrases(self, texts: dict[str, str], toks: dict[str, list[Token]], taken: dict[str, list[tuple[int, int]]],
                context: list[str], vocab_only: bool = False) -> list[Candidate]:
        """Phrases ending where a run of content words ends (at a stop word or punctuation), that do not overlap
        a span the rules already read. `context`: the paper's doc_features; `vocab_only`: only phrases the
        vocabulary names."""
        out = []
        for fld in ("title", "abstract"):
            tk, busy, lowered = toks[fld], sorted(taken.get(fld, [])), texts[fld].lower()
            own = [(sp.start, sp.end) for sp in sentences(texts[fld]) if _SELF.search(sp.text)] \
                if fld == "abstract" and self.vocab else []
            n, i = len(tk), 0
            while i < n:
                if not tk[i].word or tk[i].lower in self.stop:
                    i += 1
                    continue
                j = i
                while j < n and tk[j].word and tk[j].lower not in self.stop:
                    j += 1
                for a in range(max(i, j - MAX_WORDS), j):
                    if tk[a].lower in self.starts or not tk[j - 1].text[0].isalpha() or len(tk[j - 1].text) < 2:
                        continue
                    s, e = tk[a].start, tk[j - 1].end
                    if any(bs < e and s < be for bs, be in busy):
                        continue
                    text = texts[fld][s:e]
                    if self.generic and _generic(text.lower(), self.generic):
                        continue
                    tag = self.vocab_tag(text)
                    if vocab_only and not tag:
                        continue
                    feats = [*self.lexical(tk, a, j, lowered), "rule=none", f"title={fld == 'title'}", *context]
                    if tag:
                        feats += [f"vocab={tag}", f"vocab={tag}|self={_in_own_sentence(own, s)}"]
                    feats += familiar(feats)
                    out.append(Candidate(fld, s, e, text, tuple(feats), vocab=tag))
                i = j
        return out


def vocabulary_tags(vocabulary: Vocabulary, weak: set[str]) -> dict[str, tuple[str, str]]:
    """The vocabulary's names and aliases, lowercased -> (type, "Technique|weak" for its weak concepts; id)."""
    out: dict[str, tuple[str, str]] = {}
    for concept in vocabulary.concepts.values():
        tag = f"{concept.type}|weak" if concept.id in weak else concept.type
        for name in (concept.label, *concept.aliases):
            out.setdefault(" ".join(name.lower().split()), (tag, concept.id))
    return out


def _generic(lowered: str, generic: frozenset[str]) -> bool:
    return lowered in generic or (lowered.endswith("s") and lowered[:-1] in generic)


def _in_own_sentence(own: list[tuple[int, int]], start: int) -> bool:
    """Whether the offset lies in a sentence where the paper speaks of itself ("we", "our")."""
    return any(a <= start < b for a, b in own)


def doc_features(extraction: Extraction, known: set[str]) -> list[str]:
    """How familiar the paper's field is to the rules: how many entities they read, how many of them the
    vocabulary knows. Phrases in a paper full of known names are rarely missed entities; in an unfamiliar one they
    often are."""
    found = sum(is_known(e, known) for e in extraction.entities)
    return [f"doc_known={min(found, 4)}", f"doc_rules={min(len(extraction.entities) // 3, 4)}",
            f"fam={min(found, 2)}"]


def is_known(entity: ExtractedEntity, known: set[str]) -> bool:
    """The vocabulary knows the entity, or the family of a sized model ("LLaMA-13B" of LLaMA)."""
    return entity.key in known or entity.attrs.get("family") in known


def familiar(features: list[str]) -> list[str]:
    """Conjunctions of the paper's familiarity with the words that matter most, so that one model can learn that
    "a parameter-efficient approach" is no entity in a field the rules know and "a maximum entropy model" is one
    in a field they do not."""
    fam = next((f for f in features if f.startswith("fam=")), "fam=?")
    return [f"{fam}|{f}" for f in features if f.startswith(("head=", "hshape=", "rule=", "n=", "first=", "vocab="))]


def _token_span(toks: list[Token], start: int, end: int) -> tuple[int, int]:
    i = next((k for k, t in enumerate(toks) if t.end > start), len(toks))
    j = next((k for k in range(i, len(toks)) if toks[k].start >= end), len(toks))
    return i, j
