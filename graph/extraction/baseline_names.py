"""Whether an unseen phrase after a comparison cue can name a baseline: the shape of a name."""

from __future__ import annotations

import re

from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import is_name_token

SIZE_WORD = re.compile(r"^\d+(?:\.\d+)?\s?[KMBkmb]\b")
"""A size leading a phrase ("7B model")."""
DEVICE_ONLY = re.compile(r"(?:(?:its|their|the|a|an|contemporary|comparable|high-end|commodity|modern|same|"
                         r"server-class|desktop|general-purpose)\s+)*(GPU|CPU|FPGA|TPU|NPU)s?", re.I)
"""A bare kind of device ("its contemporary GPU")."""
_TITLE_WORD = re.compile(r"[A-Z][a-z][\w.+-]*")
_CAPITALISED = re.compile(r"[A-Z][\w.+-]*[a-zA-Z0-9]")
_PLAIN_NAME = re.compile(r"[A-Z][a-z]{2,}[\w-]*")


def titled(words: list[str]) -> bool:
    """Up to four words in title case: one name ("Ray Serve", "Hamiltonian Monte Carlo")."""
    return len(words) <= 4 and all(_TITLE_WORD.fullmatch(w) for w in words)


class NameShapes:
    """The lexicon's word lists that decide whether a phrase names a baseline."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.stop = lexicon.stop_words
        self.class_heads = lexicon.words("class_heads")
        self.baseline_heads = lexicon.words("baseline_heads")

    def named(self, word: str) -> bool:
        """A word that names: capitalised or name-shaped, not a function word, a generic acronym or a device."""
        return bool(_CAPITALISED.fullmatch(word)) and word.lower() not in self.stop and \
            word not in self.lex.generic_acronyms and DEVICE_ONLY.fullmatch(word) is None and self.acceptable(word)

    def acceptable(self, phrase: str) -> bool:
        """An unseen baseline: a name, or a specific noun phrase with a method-like head ("decode-only batch")."""
        words = phrase.split()
        if SIZE_WORD.match(phrase):
            return False
        head = words[-1].lower()
        if head in self.class_heads:
            return False
        if len(words) == 1 and _PLAIN_NAME.fullmatch(words[0]) and words[0].lower() not in self.stop:
            return True  # "Rerender" in "than FlowVid, CoDeF, Rerender, and TokenFlow"
        if any(is_name_token(w) for w in words):
            return not all(w in self.lex.generic_acronyms for w in words if is_name_token(w))
        if len(words) >= 2 and titled(words):
            return True  # "Ray Serve", "Text Generation Inference", "Hamiltonian Monte Carlo": a name in title case
        return len(words) >= 2 and (head in self.lex.technique_heads or head in self.baseline_heads)
