"""Paper-level relations: proposes, uses, runs-on (with device counts), evaluated-on, each with evidence."""

from __future__ import annotations

import re

from graph.extraction.entities import Entity
from graph.extraction.lexicon import Lexicon
from graph.extraction.text import NUMBER, Sentence, sentence_at
from paperkg.records import PAPER, Evidence, ExtractedRelation

_TOKENS = re.compile(rf"{NUMBER}|[A-Za-z]+(?:-[A-Za-z]+)*|×")
_FUNCTION = {"of", "on", "the", "and", "or", "with", "to", "in", "for", "by", "from", "vs", "than", "using", "at", "as",
             "per", "across", "over", "under", "each", "every", "our", "their", "its", "all", "both"}
_COUNT_AFTER = re.compile(r"\s*(?:GPUs?\s+)?[\s(]*(?:with\s+)?(\d+|[a-z]+)[\s-]GPUs?\b")
_BLOCK_AFTER = re.compile(r"[\s-]*(?:GPUs?|TPUs?|chips?|cards?|NPUs?|accelerators?)?[\s-]*"
                          r"(?:training\s+|compute\s+|GPU[\s-])?(?:hours?|days?|years?|months?|minutes?|seconds?|budget)\b",
                          re.I)
_RUN_CUE = re.compile(r"\b(?:on|using|with|across|over|in|onto|via|equipped|deployed|ran|run|runs|trained|train)\s+"
                      r"(?:\S+\s+){0,4}$", re.I)
_EVAL_CUE = re.compile(r"\b(?:on|evaluat\w*|benchmark\w*|experiments?|results?|tested|datasets?|trained|train|"
                       r"fine-tuned|pretrain\w*|pre-train\w*|test\w*)\b", re.I)


class PaperRelations:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon

    def build(self, entities: list[Entity], texts: dict[str, str], spans: dict[str, list[Sentence]],
              compared: set[str], only_compared: set[str]) -> list[ExtractedRelation]:
        out: list[ExtractedRelation] = []
        for entity in entities:
            if entity.proposed:
                out.append(self._rel("proposes", entity, texts, spans, min(0.99, entity.proposed)))
            if entity.type == "Hardware":
                if entity.key in only_compared:
                    continue
                count, confidence = self._count(entity, texts["abstract"])
                rel = self._rel("runs-on", entity, texts, spans, confidence, cue=_RUN_CUE)
                rel.count = count
                out.append(rel)
            elif entity.type == "Dataset":
                out.append(self._rel("evaluated-on", entity, texts, spans, 0.8, cue=_EVAL_CUE))
            elif not entity.proposed and not entity.weak and entity.key not in only_compared:
                out.append(self._rel("uses", entity, texts, spans, 0.6 if entity.concept else 0.5))
        return out

    def _rel(self, predicate: str, entity: Entity, texts: dict[str, str], spans: dict[str, list[Sentence]],
             confidence: float, cue: re.Pattern[str] | None = None) -> ExtractedRelation:
        ordered = sorted(entity.mentions, key=lambda m: (0 if m[0] == "abstract" else 1, m[1]))
        best = ordered[0]
        boost = 0.0
        if cue is not None:
            for mention in ordered:
                fld, start, _ = mention
                if cue.search(texts[fld], max(0, start - 60), start):
                    best, boost = mention, 0.1
                    break
        fld, start, _ = best
        evidence = evidence_at(texts[fld], spans[fld], fld, start)
        return ExtractedRelation(PAPER, predicate, entity.key, evidence, round(min(0.99, confidence + boost), 2))  # type: ignore[arg-type]

    def _count(self, entity: Entity, abstract: str) -> tuple[int | None, float]:
        counts: list[int] = []
        for fld, start, end in entity.mentions:
            if fld != "abstract":
                continue
            if _BLOCK_AFTER.match(abstract, end):
                continue
            number = self._count_before(abstract, start)
            if number is None:
                after = _COUNT_AFTER.match(abstract, end)
                if after:
                    number = self._number(after.group(1))
            if number:
                counts.append(number)
        if counts:
            return max(counts), 0.9
        return None, 0.75

    def _count_before(self, text: str, start: int) -> int | None:
        """The device count right before a mention: "8", "a single", "two", "4times", "an" (skipping 2 adjectives)."""
        words = _TOKENS.findall(text[max(0, start - 48):start])
        i = len(words) - 1
        if i >= 0 and words[i] in {"times", "x", "×"}:
            i -= 1
        skipped = 0
        while i >= 0:
            word = words[i]
            low = word.lower()
            number = self._number(word)
            if number is not None or low in self.lex.count_words:
                return number
            if low in _FUNCTION or not word.islower() or skipped >= 2:
                return None
            skipped += 1
            i -= 1
        return None

    def _number(self, word: str) -> int | None:
        word = word.strip().lower()
        if word in self.lex.count_words:
            return self.lex.count_words[word] or None
        last = word.split()[-1] if word.split() else word
        if last in self.lex.count_words and word.split()[0] in {"a", "one"}:
            return self.lex.count_words[last] or None
        if re.fullmatch(NUMBER, word):
            value = float(word.replace(",", ""))
            if value.is_integer() and 0 < value < 1_000_000:
                return int(value)
        return None


def evidence_at(text: str, spans: list[Sentence], fld: str, offset: int) -> Evidence:
    sentence = sentence_at(spans, offset)
    if sentence is None:
        start = max(0, text.rfind(".", 0, offset) + 1)
        end = text.find(".", offset)
        end = len(text) if end < 0 else end + 1
        while start < end and text[start].isspace():
            start += 1
        return Evidence(text[start:end], start, end, fld)  # type: ignore[arg-type]
    return Evidence(sentence.text, sentence.start, sentence.end, fld)  # type: ignore[arg-type]
