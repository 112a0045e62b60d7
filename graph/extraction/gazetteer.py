"""Vocabulary lookup in one pass: a character trie over the alphanumeric key of every label and alias.

A name matches wherever its key ("llama270b" for "LLaMA2-70B", "Llama 2 70B", "LLAMA2-70B") equals the text's
alphanumeric runs between two run boundaries, so punctuation, spacing and case variants all match without one regex
per alias. Short or word-like aliases ("SAM", "RULER", "Orca") must also match case-exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paperkg.graph.extraction.text import Runs, alnum_key, balanced
from paperkg.graph.vocabulary import Vocabulary

_END = "\x00"
_CAPWORD = re.compile(r"^[A-Z][a-z]+$")
_UPPER = re.compile(r"^[A-Z]+s?$")
_ARTICLES = frozenset({"a", "an"})
_BREAKS = re.compile(r"[:;,!?]|\.\s")
_FIRST_WORD = re.compile(r"[^a-z0-9]*[a-z0-9]*")
_DIMENSION = re.compile(r"(?<=\d)\s?[xX]\s?(?=\d)")


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    concept: str
    alias: str


def needs_case(alias: str) -> bool:
    """Whether an alias only counts when the text has exactly its case (short or ordinary-word aliases)."""
    word = alias.strip()
    if word.startswith("The ") and word[4:5].isupper():
        return True  # "The Stack", "The Pile": not "deep in the stack"
    if " " in word or ("-" in word and len(alnum_key(word)) > 5):
        return False
    if _CAPWORD.match(word) or _UPPER.match(word) or len(alnum_key(word)) <= 2:
        return True  # ("o1", the model, is not "O1", the compiler flag)
    if word.isalpha() and len(word) <= 6 and not word.islower():
        return True  # "ReCoRD", "LLaMA": the casing is what makes them names
    return len(alnum_key(word)) <= 5 and not word.islower()


def _plus_run(text: str, at: int) -> int:
    """How many "+" signs follow position `at` (the end of a name): a "+" is part of a name, not punctuation."""
    count = 0
    while at + count < len(text) and text[at + count] == "+":
        count += 1
    return count


def _mixed(word: str) -> bool:
    """Inner capitals and lower case letters, as in a name ("LLaMA", "DeiT"), not a word or an acronym."""
    return sum(ch.isupper() for ch in word) >= 2 and any(ch.islower() for ch in word)


class Gazetteer:
    """Finds vocabulary names in text. Build once per vocabulary; `find` is linear in the text."""

    def __init__(self, vocabulary: Vocabulary, skip: frozenset[str] = frozenset()) -> None:
        self.root: dict[str, Any] = {}
        self.size = 0
        self.dead: set[str] = set()
        """Lower-cased runs in which every name walk ends before the run does (no match can start there)."""
        for concept in vocabulary.concepts.values():
            for alias in (concept.label, *concept.aliases):
                if alias.strip().lower() in skip:
                    continue
                self.add(alias, concept.id)
                if _DIMENSION.search(alias):  # "ImageNet 256x256" is also written "256×256" (no x in the key)
                    self.add(_DIMENSION.sub("×", alias), concept.id)

    def add(self, alias: str, concept_id: str) -> None:
        key = alnum_key(alias)
        if len(key) < 2 and not key.isdigit():
            return
        node = self.root
        for char in key:
            node = node.setdefault(char, {})
        entries: list[tuple[str, str, bool]] = node.setdefault(_END, [])
        cased = needs_case(alias)
        if not any(c == concept_id and a == alias for c, a, _ in entries):
            entries.append((concept_id, alias, cased))
            self.size += 1

    def find(self, text: str, runs: Runs) -> list[Hit]:
        """All longest matches starting at run starts (several concepts may share one span)."""
        hits: list[Hit] = []
        norm, ends, root, dead = runs.norm, runs.ends, self.root, self.dead
        n = len(norm)
        starts = runs.starts
        for k, start in enumerate(starts):
            node = root.get(norm[start])
            if node is None:
                continue
            run_end = starts[k + 1] if k + 1 < len(starts) else n
            word = norm[start:run_end]
            if word in dead:
                continue  # a word no name starts with ("the", "model"): known from earlier papers
            best: list[Hit] = []
            i = start + 1
            while True:
                entries = node.get(_END)
                if entries and (i in ends or (i + 1 in ends and norm[i] == "s")):
                    found = self._accept(text, runs, k, i, entries)
                    if found:
                        best = found
                if i >= n:
                    break
                node = node.get(norm[i])
                if node is None:
                    break
                i += 1
            if i < run_end - 1 and not best:
                if len(dead) > 100_000:
                    dead.clear()
                dead.add(word)
            hits.extend(best)
        return hits

    @staticmethod
    def _accept(text: str, runs: Runs, k: int, end: int, entries: list[tuple[str, str, bool]]) -> list[Hit]:
        o_start = runs.origins[k]
        o_end = runs.origin(end - 1) + 1
        surface = text[o_start:o_end]
        if not balanced(surface):
            return []  # "Megatron-Turing NLG (530B" matches the alias "... 530B"; the name ends before the bracket
        if end < len(runs.norm) and end not in runs.ends:  # plural "s" folded into the mention
            o_end += 1
        found = []
        surface_key = ""
        pluses = _plus_run(text, runs.origin(end - 1) + 1)
        first = runs.starts[k + 1] - runs.starts[k] if k + 1 < len(runs.starts) and runs.starts[k + 1] < end else 0
        article = runs.norm[runs.starts[k]:runs.starts[k] + first] if first in (1, 2) else ""
        marks = _BREAKS.findall(surface)
        for concept_id, alias, cased in entries:
            if marks and any(m.strip() not in alias for m in marks):
                continue  # "Mixed-Precision: Training ImageNet" is no "mixed-precision training" ("2:4 sparsity" is)
            if article in _ARTICLES and _FIRST_WORD.match(alias.lower()).group() != article:  # type: ignore[union-attr]
                continue  # "a synchronous training framework" is no "asynchronous training"
            if len(alias) - len(alias.rstrip("+")) != pluses:
                continue  # "ZeRO++" and "LoRA+" are other methods than ZeRO and LoRA (and LoRA is not "LoRA+")
            if cased:
                surface_key = surface_key or "".join(ch for ch in surface if ch.isalnum())
                alias_key = "".join(ch for ch in alias if ch.isalnum())
                if surface_key != alias_key and not (_mixed(alias_key) and _mixed(surface_key)):
                    continue  # "LLaMa" and "DeIT" are spellings of "LLaMA" and "DeiT"; "llama" and "Deit" are not
            found.append(Hit(o_start, o_end + pluses, concept_id, alias))
        return found
