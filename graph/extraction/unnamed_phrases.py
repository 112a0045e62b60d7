"""Unnamed contributions a paper proposes, by the shape of their phrase: "we introduce progressive quantization that
...", "(a) X, (b) Y", "two techniques: X and Y", "a layer-wise scheme is proposed", and the word lists that say where
such a phrase stops. `Proposals` reads the named ones and asks here about the rest."""

from __future__ import annotations

import re

from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import is_name_token, only_devices
from paperkg.graph.extraction.text import Sentence

_ENUM = re.compile(r"\((?:i{1,3}|iv|v|vi{0,3}|[1-9]|[a-f])\)\s+([A-Za-z0-9][^,:;.()]{2,70}?)(?=\s*(?:,|:|;|\bthat\b|"
                   r"\bwhich\b|\bwhere\b|\bto\b|\.))")
_LIST_ITEM = re.compile(r"(?:^|,|\band\b|;)\s*(?:and\s+)?(?:\(\w{1,4}\)\s*)?([^,;.()]{2,60}?)"
                        r"(?=\s*(?:,|;|\band\b|\.|$|\bwhere\b|\bwhich\b|\(|\bthat\b))")
DISCOURSE = {"first", "firstly", "second", "secondly", "third", "thirdly", "finally", "lastly", "then", "next",
             "moreover", "furthermore", "additionally", "specifically", "besides", "also"}
"""Words that order what a text says ("First, we propose ..."): never a name."""
_PLAIN = re.compile(r"[a-z0-9][a-z0-9-]*")
_OPERATION_HEADS = {"quantization", "pruning", "distillation", "attention", "decoding", "sampling", "caching",
                    "scheduling", "training", "tuning", "strategy", "mechanism", "encoding", "compression",
                    "sparsification", "normalization", "parallelism", "batching", "augmentation", "optimization",
                    "search", "regularization", "modularization", "selection", "merging", "prompting"}
FILLER = {"a", "an", "the", "novel", "new", "simple", "efficient", "effective", "first", "our", "two", "three",
          "yet", "and", "highly", "fast", "lightweight", "general", "unified", "scalable", "generic", "powerful",
          "robust", "principled", "practical", "versatile", "flexible", "set", "of", "family", "series",
          "universal", "innovative", "surprisingly", "very", "open-source", "open-sourced", "fine-tuned", "also"}
"""Words skipped before a proposed thing's own words ("a novel, simple X")."""
STOP = {"that", "which", "to", "for", "by", "in", "on", "with", "from", "where", "whose", "inspired", "based",
        "using", "via", "under", "as", "at", "into", "across", "while", "because", "so", "whereby", "such"}
"""Words that end a proposed phrase ("X that ...", "X for ...")."""


class UnnamedPhrases:
    def __init__(self, lexicon: Lexicon, verbs: set[str]) -> None:
        self.lex = lexicon
        self.verbs = verbs
        """Verbs that end a phrase ("(1) FooNet outperforms X" is a finding, not a contribution)."""

    def generic(self, word: str) -> bool:
        """A word that names no method of its own (an umbrella acronym, a modifier, a language)."""
        parts = word.split("-")
        generic_head = parts[0] in self.lex.generic_acronyms and all(p.islower() for p in parts[1:])
        return word in self.lex.generic_acronyms or generic_head or self.lex.is_modifier(word) or \
            word.lower() in self.lex.generic_names or word.lower() in self.lex.words("languages")

    def titled(self, text: str, start: int | None, end: int, title: str) -> tuple[int, int] | None:
        """A lower-case phrase the title also names ("parallel prompt decoding")."""
        if start is None:
            return None
        phrase = text[start:end].strip(" ,")
        words = phrase.split()
        if len(words) < 2 or words[-1].lower() not in self.lex.technique_heads:
            return None
        if phrase.lower() not in title.lower():
            return None
        return start, start + len(phrase)

    def novel(self, text: str, start: int | None, end: int) -> tuple[int, int] | None:
        """A plain phrase of 2-4 words ("we introduce the attention bias, a new way to ...")."""
        if start is None:
            return None
        phrase = text[start:end].strip(" ,")
        words = phrase.split()
        if not 2 <= len(words) <= 4 or any(not _PLAIN.fullmatch(w) or w in STOP or w in FILLER or w in self.verbs
                                           for w in words):
            return None
        return start, start + len(phrase)

    def operations(self, text: str, start: int | None, end: int) -> list[tuple[int, int]]:
        """Lower-case operation phrases right after the verb ("we introduce progressive quantization that ...",
        "it introduces segmented neuron caching and block-wise prefetching, which ..."): every coordinated
        part must be 2-4 plain words ending in an operation head (quantization, caching, pipelining, ...)."""
        if start is None:
            return []
        phrase = text[start:end].rstrip(" ,")
        out: list[tuple[int, int]] = []
        pos = start
        for part in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", phrase):
            words = part.split()
            if not 2 <= len(words) <= 4 or words[-1].lower() not in self.lex.strong_heads:
                return []
            if any(not (_PLAIN.fullmatch(w) or only_devices(w, self.lex)) or w in STOP or w in FILLER
                   or w in self.verbs for w in words):
                return []
            a = text.index(part, pos)
            out.append((a, a + len(part)))
            pos = a + len(part)
        return out

    def listed(self, text: str, start: int, end: int, named_only: bool = False) -> list[tuple[int, int]]:
        """Items of "including X, Y, and Z" / ": X, Y and Z" that look like names or method phrases."""
        if re.match(r"\s*\((?:i|1|a)\)", text[start:end]):
            return []  # an enumeration: see enumeration
        items = []
        for m in _LIST_ITEM.finditer(text[start:end]):
            phrase = m.group(1).strip()
            det = re.match(r"(?:an?|the|our)\s+", phrase, re.I)
            offset = start + m.start(1) + (det.end() if det else 0)
            phrase = phrase[det.end():] if det else phrase
            words = phrase.split()
            if not words or len(words) > 6 or any(w.lower() in STOP for w in words):
                break
            if words[0].lower() in DISCOURSE:
                break  # "three new optimizations: First, we propose ...": an enumeration, no item named "First"
            named = any(is_name_token(w) or w[:1].isupper() for w in words)
            if not (named or (not named_only and len(words) >= 2 and words[-1].islower())):
                break
            items.append((offset, offset + len(phrase)))
        return items

    def enumeration(self, text: str, sentence: Sentence, contributions: bool = False) -> list[tuple[int, int]]:
        """Items "(a) X, (b) Y" of a sentence; after "we propose"/"FooNet introduces" (`contributions`) a plain
        operation phrase ("(b) double quantization to ...") counts too."""
        out = []
        for m in _ENUM.finditer(text, sentence.start, sentence.end):
            phrase = m.group(1).strip()
            det = re.match(r"(?:an?|the|our)\s+", phrase, re.I)
            offset = m.start(1) + (det.end() if det else 0)
            phrase = phrase[det.end():] if det else phrase
            words = phrase.split()
            if any(w in self.verbs for w in words):
                continue  # "(1) FooNet outperforms X": a finding, not a contribution
            if len(words) == 1 and (is_name_token(words[0]) or re.fullmatch(r"[A-Z][\w]*-[A-Z][\w-]*", words[0])) \
                    and not self.generic(words[0]):
                out.append((offset, offset + len(phrase)))
                continue
            named = any(is_name_token(w) for w in words) and not any(self.generic(w) for w in words)
            head = words[-1].lower()
            if not 2 <= len(words) <= 6 or (head.rstrip("s") not in _OPERATION_HEADS and head not in
                                             self.lex.method_heads and not named):
                continue
            titled = sum(w[:1].isupper() for w in words) >= len(words) - 1
            plain = contributions and len(words) <= 4 and head in self.lex.strong_heads and \
                all(_PLAIN.fullmatch(w) and w not in STOP for w in words)
            if plain or titled or named or any("-" in w for w in words) or head in {"strategy", "mechanism"}:
                out.append((offset, offset + len(phrase)))
        return out

    def before_head(self, text: str, start: int, head_start: int, plural: bool = False,
            novel: bool = False) -> list[tuple[int, int]]:
        """The phrase before a method head: a hyphenated one, or a plain operation the verb calls novel ("we propose
        a novel progressive shrinking algorithm")."""
        phrase = text[start:head_start].rstrip(" ,")
        if plural and " and " in phrase:
            out = []
            for m in re.finditer(r"[^,]+?(?=\s*(?:,|\band\b|$))", phrase):
                part = re.sub(r"^\s*(?:and\s+)?", "", m.group())
                if len(part.split()) >= 2 and all(re.match(r"^[a-z0-9][\w-]*$", w) for w in part.split()):
                    a = start + m.start() + (len(m.group()) - len(m.group().lstrip()))
                    a = start + phrase.index(part, a - start)
                    out.append((a, a + len(part)))
            return out
        words = phrase.split()
        coined = novel and 2 <= len(words) <= 3 and words[-1].endswith(("ing", "ion", "ment")) and \
            not any(w.endswith(("ly", "ed")) for w in words) and phrase.lower() not in self.lex.generic_names
        if len(words) < 2 or not (coined or any("-" in w for w in words)):
            return []
        if any(w.lower() in STOP or not re.match(r"^[a-z0-9][\w-]*$", w) for w in words):
            return []
        if self.lex.is_modifier(words[-1]) or words[0].lower() in self.lex.words("evaluative_modifiers") or \
                words[0].lower() in self.verbs:  # (nor "we propose applying parallel test-time scaling techniques")
            return []  # "a machine learning-based method", "a high-performance im2win-based convolution algorithm":
            # what the method rests on or how good it is, no name
        return [(start, start + len(phrase))]

    def passive(self, text: str, sentence_start: int, verb_start: int) -> list[tuple[int, int]]:
        """A hyphenated phrase before "is proposed" ("a layer-wise scheme is proposed"), without a generic head."""
        before = text[sentence_start:verb_start].rstrip()
        m = re.search(r"(?:^|\b(?:a|an|the|our)\s+)((?:[a-z][\w-]*\s+){1,4}?[a-z][\w-]*)"
                      r"(?:\s+(?:with|for|of)\s+(?:[a-z][\w-]*\s*){1,3})?$", before)
        if not m:
            return []
        words = m.group(1).split()
        if len(words) < 2 or not any("-" in w for w in words):
            return []
        start = sentence_start + m.start(1)
        head = words[-1].lower()
        end = start + len(m.group(1))
        if head in {"mechanism", "method", "technique", "scheme", "module", "strategy"}:
            end = start + len(" ".join(m.group(1).split()[:-1]))
        return [(start, end)]
