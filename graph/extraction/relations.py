"""Paper-level relations: proposes, uses, runs-on (with device counts), evaluated-on, each with evidence."""

from __future__ import annotations

import re
from dataclasses import replace

from paperkg.core.records import PAPER, Evidence, ExtractedRelation, Extraction
from paperkg.graph.extraction.entities import Entity
from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.text import MAX_CHARS, NUMBER, Sentence, sentence_at
from paperkg.graph.vocabulary import Vocabulary

_TOKENS = re.compile(rf"(?<![\w.-])(?:{NUMBER})(?=times|x\b|×)|(?<=\d)(?:times|x)(?![\w-])|"
                     rf"(?<![\w.-])(?:{NUMBER}|[A-Za-z]+(?:-[A-Za-z]+)*)(?![\w-])|×")
"""Whole words and numbers only: the "3" of "STM32H7A3" is no device count."""
_FUNCTION = {"of", "on", "the", "and", "or", "with", "to", "in", "for", "by", "from", "vs", "than", "using", "at", "as",
             "per", "across", "over", "under", "each", "every", "our", "their", "its", "all", "both"}
_COUNT_AFTER = re.compile(r"\s*(?:GPUs?\s+)?[\s(]*(?:with\s+)?(\d+|[a-z]+)[\s-]GPUs?\b")
_BLOCK_AFTER = re.compile(r"[\s-]*(?:GPUs?|TPUs?|chips?|cards?|NPUs?|accelerators?)?[\s-]*"
                          r"(?:training\s+|compute\s+|GPU[\s-])?(?:hours?|days?|years?|months?|minutes?|seconds?|budget)\b",
                          re.I)
_GROUP_AFTER = re.compile(r"[\s-]+(?:pods?|clusters?|supercomputers?|slices?|nodes?|servers?|racks?|systems?|"
                          r"instances?|machines?)\b")
_POOL_WORD = re.compile(r"(?<=\s)(GPUs|TPUs|NPUs|HPUs|IPUs|FPGAs|chips|accelerators|cards)\b")
_POOL_NUMBER = re.compile(r"(?<![\w.,-])(\d{1,3}(?:,\d{3})+|\d+|two|four|eight|sixteen)\s+$")
_NEGATION_HINT = re.compile(r"without|w/o|instead|rather|need|free|obviat|forgo|task|application|workload|scenario|"
                            r"use\s+case|unlike|replac|contrast|opposed|\bno\b", re.I)
_KINDS = {"gpu": ("GPU",), "tpu": ("TPU",), "npu": ("NPU",), "hpu": ("ACCELERATOR", "HPU"), "ipu": ("ACCELERATOR",),
          "fpga": ("FPGA",), "chip": ("TPU", "NPU", "ACCELERATOR", "OTHER", "FPGA"),
          "accelerator": ("TPU", "NPU", "ACCELERATOR", "OTHER", "FPGA"), "card": ("GPU", "ACCELERATOR", "OTHER")}
"""Which kinds of device (the hardware table's `type`) a pooled count word can refer to."""
_CLAUSE_WORDS = "we|it|they|is|are|can|uses|applies|employs|adopts|leverages|combines|integrates|relies|builds"
"""Words that start a clause of its own: a "without ..." or "unlike ..." phrase does not reach past them."""
_NEGATION = re.compile(r"\b(?:without|w/o|instead\s+of|rather\s+than|no\s+need\s+for|eliminat\w+\s+the\s+need\s+for|"
                       r"free\s+of|obviat\w+|forgo\w*|(?:requires?|needs?|involves?|uses?)\s+no)\s+"
                       r"(?:(?!via\b|using\b|by\b|through\b|with\b|and\s+(?:achiev|enabl|improv|reduc)\w*\b|"
                       rf"(?:{_CLAUSE_WORDS})\b)[\w'’-]+,?\s+){{0,6}}(?:or\s+|and\s+|any\s+|the\s+)?$", re.I)
"""Done without: "without model parallel, checkpointing, or offloading"; not past a clause of its own ("Without
retraining, FooNet uses LoRA")."""
_CONTRASTED = re.compile(r"\b(?:unlike|replac(?:es|ed|ing|e)|in\s+contrast\s+to|as\s+opposed\s+to)\s+"
                         rf"(?:(?!(?:{_CLAUSE_WORDS}|our|use)\b)[\w'’-]+,?\s+){{0,8}}$", re.I)
"""'Unlike a mixture of experts, ...', 'replaces PagedAttention with ...', 'In contrast to ... developments that rely
on continuous optimization methods': named, even compared, but not used."""
_TASKS = re.compile(r"\b(?:tasks?|applications?|workloads?|scenarios?|use\s+cases)\s*,?\s*(?:such\s+as|including|like|"
                    r"e\.g\.,?|namely|:)\s+(?:(?!\b(?:using|via|through|by|with|based)\b)[^.;()])*$")
_HOSTED = re.compile(r"\b(?:open[\s-]sourced?|released?|available|hosted|published|uploaded|shared|accessible)\b"
                     r"[^.;]{0,60}?\b(?:on|at|via|through|from)\s+(?:the\s+)?$", re.I)
"""Before a platform that only hosts the paper's code or weights ("available on GitHub", "released on ...")."""
_RUN_CUE = re.compile(r"\b(?:on|using|with|across|over|in|onto|via|equipped|deployed|ran|run|runs|trained|train)\s+"
                      r"(?:\S+\s+){0,4}$", re.I)
_EVAL_CUE = re.compile(r"\b(?:on|evaluat\w*|benchmark\w*|experiments?|results?|tested|datasets?|trained|train|"
                       r"fine-tuned|pretrain\w*|pre-train\w*|test\w*)\b", re.I)


class PaperRelations:
    def __init__(self, lexicon: Lexicon, vocabulary: Vocabulary | None = None) -> None:
        self.lex = lexicon
        self.vocabulary = vocabulary

    def build(self, entities: list[Entity], texts: dict[str, str], spans: dict[str, list[Sentence]],
              compared: set[str], only_compared: set[str]) -> list[ExtractedRelation]:
        out: list[ExtractedRelation] = []
        hardware = [e for e in entities if e.type == "Hardware" and not e.attrs.get("vendor_level")]
        pooled: list[tuple[str, int]] | None = None
        hints = bool(_NEGATION_HINT.search(texts["abstract"], 0, MAX_CHARS))
        for entity in entities:
            if entity.proposed and entity.type != "Hardware":  # a paper presenting its own chip runs on it
                out.append(self._rel("proposes", entity, texts, spans, min(0.99, entity.proposed)))
            if entity.type == "Hardware":
                if hints and self._contrasted(entity, texts):
                    continue  # "Unlike systems that require an NVIDIA H100, ...": not run on
                count, confidence, stated = self._count(entity, texts["abstract"])
                if entity.key in only_compared and not stated:
                    continue  # a baseline device the paper did not run ("faster than the A100", "over a DGX H100")
                if not stated and entity in hardware:  # "an A100" is 1 unless a pooled number names more
                    named = [(st, en) for h in hardware for f, st, en in h.mentions if f == "abstract"]
                    pooled = self._pooled(texts["abstract"], named) if pooled is None else pooled
                    count = self._pooled_count(entity, [h for h in hardware if h.key not in only_compared],
                                               pooled) or count
                rel = self._rel("runs-on", entity, texts, spans, confidence, cue=_RUN_CUE)
                rel.count = count
                out.append(rel)
            elif entity.type == "Dataset":
                out.append(self._rel("evaluated-on", entity, texts, spans, 0.8, cue=_EVAL_CUE))
            elif not entity.proposed and not entity.weak and entity.key not in only_compared:
                if hints and self._negated(entity, texts):
                    entity.weak = entity.type == "Technique"  # a generic technique the paper does without: dropped
                    continue
                if hints and self._contrasted(entity, texts):
                    continue  # set against the paper's own approach, not used by it
                if entity.type == "Software" and all(f == "abstract" and _HOSTED.search(texts[f], max(0, s - 90), s)
                                                     for f, s, _ in entity.mentions):
                    entity.weak = True  # "weights released on Hugging Face": where the artifacts live, not a tool
                    continue
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

    @staticmethod
    def _negated(entity: Entity, texts: dict[str, str]) -> bool:
        """Named only as what the paper does without ("without model parallel, checkpointing, or offloading"), or
        as one of the tasks it is evaluated on ("on tasks including agent control, JSON decoding, ...")."""
        return all(f == "abstract" and (_NEGATION.search(texts[f], max(0, s - 70), s) or (
            entity.type == "Technique" and _TASKS.search(texts[f], max(0, s - 160), s))) for f, s, _ in entity.mentions)

    @staticmethod
    def _contrasted(entity: Entity, texts: dict[str, str]) -> bool:
        """Named only as what the paper sets its approach against ("Unlike X, ...", "replaces X with ...")."""
        return all(f == "abstract" and _CONTRASTED.search(texts[f], max(0, st - 90), st)
                   for f, st, _ in entity.mentions)

    def _pooled(self, abstract: str, named: list[tuple[int, int]]) -> list[tuple[str, int]]:
        """Device counts stated without a device name ("scales to 4096 chips", "up to 64 GPUs"): (kind, count).
        A number inside a device's name (`named`: the mentions' spans) is none: "RTX 3090 GPUs"."""
        out = []
        for d in _POOL_WORD.finditer(abstract, 0, min(len(abstract), MAX_CHARS)):
            m = _POOL_NUMBER.search(abstract, max(0, d.start() - 14), d.start())
            if m is None or _BLOCK_AFTER.match(abstract, d.end()) or any(a <= m.start(1) < b for a, b in named):
                continue
            number = self._number(m.group(1))
            if number and number > 1:
                out.append((d.group(1).lower().rstrip("s"), number))
        return out

    def _pooled_count(self, entity: Entity, hardware: list[Entity], pooled: list[tuple[str, int]]) -> int | None:
        """The pooled count of the paper's only device of that kind."""
        counts = [n for kind, n in pooled if self.kind_of(entity) in _KINDS.get(kind, ())
                  and sum(self.kind_of(h) in _KINDS.get(kind, ()) for h in hardware) == 1]
        return max(counts) if counts else None

    def kind_of(self, entity: Entity) -> str:
        """GPU, CPU, TPU, NPU, FPGA, ACCELERATOR, ... (the hardware table's `type`), or OTHER."""
        concept = self.vocabulary.get(entity.concept) if self.vocabulary and entity.concept else None
        if concept is not None and concept.attrs.get("type"):
            return str(concept.attrs["type"]).split()[0].upper()
        surfaces = " ".join(entity.surfaces).upper()
        return next((k for k in ("GPU", "FPGA", "TPU", "NPU", "CPU") if k in surfaces), "OTHER")

    def _count(self, entity: Entity, abstract: str) -> tuple[int | None, float, bool]:
        """The device count stated at the entity's mentions, a confidence, and whether a number (not only an article,
        "an A100") states it."""
        counts: list[int] = []
        stated = False
        for fld, start, end in entity.mentions:
            if fld != "abstract":
                continue
            if _BLOCK_AFTER.match(abstract, end):
                continue
            number, word = self._count_before(abstract, start)
            if number is None:
                after = _COUNT_AFTER.match(abstract, end)
                if after:
                    number, word = self._number(after.group(1)), after.group(1).lower()
            if number and word in ("a", "an") and _GROUP_AFTER.match(abstract, end):
                continue  # "a TPU v4 pod", "a DGX cluster": the article counts the group, not the devices
            if number:
                counts.append(number)
                stated = stated or word not in ("a", "an")
        if counts:
            return max(counts), 0.9, stated
        return None, 0.75, False

    def _count_before(self, text: str, start: int) -> tuple[int | None, str]:
        """The device count right before a mention: "8", "a single", "two", "4times", "an" (skipping 2 adjectives)."""
        window = text[max(0, start - 48):start]
        words = _TOKENS.findall(re.split(r",(?=\s)|[;:()]|\.\s", window)[-1])  # "pods of 256 chips, TPU v5e": no count
        i = len(words) - 1
        if i >= 0 and words[i] in {"times", "x", "×"}:
            i -= 1
        skipped = 0
        while i >= 0:
            word = words[i]
            low = word.lower()
            number = self._number(word)
            if number is not None or low in self.lex.count_words:
                return number, low
            if low in _FUNCTION or not word.islower() or skipped >= 2:
                return None, ""
            skipped += 1
            i -= 1
        return None, ""

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


def devices_kept(extraction: Extraction) -> Extraction:
    """The extraction with no comparison measured on a device it does not keep (one the scorer left out): a fact's
    `hardware` names an entity of the paper, as the store requires."""
    keys = {e.key for e in extraction.entities}
    if all(r.hardware is None or r.hardware in keys for r in extraction.relations):
        return extraction
    return Extraction(extraction.entities, [r if r.hardware is None or r.hardware in keys else replace(r, hardware=None)
                                            for r in extraction.relations])
