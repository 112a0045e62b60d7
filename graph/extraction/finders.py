"""Candidate mentions: vocabulary hits widened to their full surface form, plus patterns for names never seen.

Each finder returns `Cand`s with exact offsets into one field (title or abstract).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperkg.core.ids import slug
from paperkg.core.records import EntityType
from paperkg.graph.extraction.gazetteer import Gazetteer, Hit
from paperkg.graph.extraction.lexicon import Lexicon, alternation
from paperkg.graph.extraction.names import (
    ACRONYM_DEF,
    acronym_long_form,
    clean,
    is_name_token,
    unseen_key,
    valid_acronym,
)
from paperkg.graph.extraction.text import MAX_CHARS, POSSESSIVE, Runs, find_all, runs
from paperkg.graph.vocabulary import Concept, Vocabulary


@dataclass
class Cand:
    start: int
    end: int
    type: EntityType
    key: str
    source: str
    """vocab, size, hw, acronym, long, proposed, dataset, name, np"""
    score: float = 0.5
    concept: str | None = None
    aliases: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


_SIZE = re.compile(r"(?:[-_ ]?(?:\d+(?:\.\d+)?[BbMm](?![A-Za-z])|\d+(?:\.\d+)?[Kk](?![A-Za-z])|\d+x\d+[Bb]))+")
_SIZE_TAIL = re.compile(r"(?:-(?:Instruct|Chat|chat|instruct|Base|base|hf|v\d[\d.]*|it))+")
_VARIANT = re.compile(r"(?:[- ](?:Ti|S|B|L|H|G|g|XL|XXL|T|Tiny|Small|Base|Large|Huge|giant|Giant|"
                      r"(?<=-)(?:tiny|small|base|large|huge|xl|xxl))(?:[/-]\d+)?"
                      r"|/\d+)(?![\w/])")
_SIZED = re.compile(r"(?<![\w.-])([A-Z][A-Za-z0-9.]{0,30}[a-zA-Z0-9](?:-[A-Z][A-Za-z0-9.]{0,30})?)"
                    r"((?:[-_](?:\d+(?:\.\d+)?[BMK])|\s\d+(?:\.\d+)?B)(?:-\d+(?:\.\d+)?[BMK]){0,3})(?![\w/])")
_DATASET = re.compile(r"(?<![\w.+-])((?:[A-Z][\w.+-]{0,30}(?<!\.)\s){0,3}[A-Z0-9][\w.+-]{0,30}[\w+])"
                      r"(?:\s\([\w.-]{1,20}\))?\s{1,3}(?:dataset|benchmark|corpus|test set|data set|leaderboard)s?\b")
_DATASET_LEADS = {"the", "a", "an", "our", "this", "on", "in", "for", "across", "with", "from", "both", "all"}
"""Words that open a sentence before a dataset's name ("On T2I benchmarks, ...")."""
_MEASURE = re.compile(r"\d+(?:\.\d+)?[A-Za-z]{1,2}(?:-[a-z]+)?")
"""'3D', '4K', '8B', '160B-token': a size or dimension, not a name."""
_WITHOUT_SUFFIX = re.compile(r"-(?:free|agnostic|friendly|independent)\b")
"""'distillation-free', 'pruning-friendly': a modifier that says the technique is not what the paper does."""
_DATASET_WORDS = ("dataset", "benchmark", "corpus", "test set", "data set", "leaderboard")
_NAME_THEN_LONG = re.compile(r"(?<![\w-])([A-Z][\w.+-]{1,30})\s*~?\s*\(\s*([A-Z][\w-]*(?:\s+[\w-]+){1,9})\s*\)")
_CHAT_TAG = re.compile(r"-(?:Chat|chat|Instruct|instruct)")
_MORE_SIZES = re.compile(r"(?:/|,\s*|,?\s+and\s+)(\d+(?:\.\d+)?[BM])(?![\w])")
_VERSION = re.compile(r"-v?\d{1,2}(?:\.\d{1,2})+(?![\w.])|-\d{1,3}(?![\w.-])|"
                      r"\s(?:Pro|Ultra|Nano|Flash|Mini|Max|Plus|Lite|Turbo|Opus|Sonnet|Haiku)(?![\w-])")
"""'Claude-2.1', 'DenseNet-169', 'Gemini Pro': a version or tier of a known model family."""
_NAME_PREFIX = re.compile(r"(?<![\w.-])[A-Z][A-Za-z0-9]{0,11}-$")
_NAME_SUFFIX = re.compile(r"-(?:[A-Z][a-z]{2,})(?:-[A-Z][a-z]{2,})*(?![\w-])")
_OBJECT_AFTER = re.compile(r"\s+(?:the|a|an|its|their|these|those|this|them|it|some|all|both)\b")
_SUBJECT_BEFORE = re.compile(r"\b(?:[a-z]+ly|to|can|could|will|would|may|must|should|that|which|we|they|it)\s+$")
_ELIDED = re.compile(r"(?<![\w-])([a-z][a-z0-9]{1,20})(-?)\s*,?\s+(?:and|or)\s+$")
"""'data and |model parallelism', 'data- and |model-parallel training', 'tensor, pipeline, and |data parallelism': the
last conjunct before a name that shares the name's head."""
_ELIDED_LISTED = re.compile(r"(?<![\w-])([a-z][a-z0-9]{1,20})(-?)\s*,\s*$")
"""'|tensor, pipeline, and data parallelism': an earlier conjunct of the same list."""
_HW_TAIL = re.compile(r"(?:[\s-]*(?:SXM\d?|PCIe|NVLink|\(?\s*\d+\s?G[Bi]?B?\s*\)?|\d+\s?GB|HBM\d?e?|"
                      r"(?<=[a-z] )\d{3,5}[A-Z]{0,2})(?![\w]))+")
"""After a device name: form factor, memory, or a model number ("Threadripper 3970X", "Xeon 5220")."""
_GPU_SUFFIX = re.compile(r"\s*(?:GPU|FPGA|TPU|NPU|HPU|IPU|CPU|chip|card)s?\b")
_DASH = re.compile(r"--|—|[\w)]\s*[\"“”]\s*\w")
_HYPHEN_ON = re.compile(r"-[A-Za-z0-9]")
_SYSTEM_SUFFIX = re.compile(r"-[0-9A-Z]{1,5}(?![\w-])")
"""'-2DH' of 'Tutel-2DH', '-IVF': a suffix that makes a known system's name another's (not a word: "Orca-Math")."""
_TOKEN_ON = re.compile(r"[\w+]+(?:[.-][\w+]+)*(?:-[\w+]+)")
_TITLED_VERB = re.compile(r"[A-Z][a-z]+")
_INFINITIVE = re.compile(r"(?<![Cc]ompared )(?<![Ss]imilar )(?<![Rr]elative )(?<![Aa]pplied )(?<![Dd]ue )"
                         r"(?<![Cc]lose )(?<![Cc]omparable )(?<![Ee]quivalent )\bto\s+$")
_SUBTITLE_VERB = re.compile(r"\s+[A-Z][a-z]+\s+[A-Z][a-z]+")
"""After a name that opens a subtitle: a title-case phrase it governs ("Accelerate Video Generation")."""
_COMPOUND_BEFORE = re.compile(r"(?<![\w-])[a-z]+-$")
"""'per-layer pruning': a name that starts inside a hyphenated word is not named ("layer pruning")."""


class Finder:
    """All candidate finders for one vocabulary."""

    def __init__(self, vocabulary: Vocabulary, lexicon: Lexicon, gazetteer: Gazetteer) -> None:
        self.vocabulary = vocabulary
        self.lex = lexicon
        self.gazetteer = gazetteer
        vendor, line = lexicon.vendor_re, lexicon.line_re
        self.vendor_before = re.compile(rf"(?:(?:{vendor})\s+)?(?:(?:{line})\s+)?$")
        model = r"(?:(?:RTX|GTX|RX)\s?-?[A-Z]?\d{3,4}(?:\s?(?:Ti|Super|XTX|XT))?|[A-Z]{1,3}\d{2,4}[A-Z]{0,2})"
        self.hw_named = re.compile(rf"\b(?:(?:{vendor})\s+)(?:(?:{line})\s+)?{model}\b|"
                                   rf"\b(?:{line})\s+{model}\b|"
                                   rf"\b{model}(?=\s*(?:GPU|FPGA|NPU|TPU|HPU|accelerator)s?\b)")
        self.org_before = re.compile(rf"(?<![\w-])(?:{vendor})'?s?\s+$")
        self.hw_tpu = re.compile(r"\b(?:Cloud\s+)?TPU[\s-]?v\d[a-z]?(?:\s?Pods?)?(?=s?\b)|\bGaudi[\s-]?\d\b")
        self.size_families = {c.id for c in vocabulary.of_type("Model")}
        self.families = [(trigger, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w+-])"))
                         for trigger, pattern in lexicon.hardware_families]
        vendors, kinds = alternation(list(lexicon.device_vendors)), alternation(lexicon.device_kinds)
        self.device_kind = re.compile(rf"(?<=\s)({kinds})(?![\w-])")
        self.vendors_before = re.compile(rf"(?<![\w-])({vendors})((?:\s*,\s*(?:{vendors}))*(?:\s*,?\s+(?:and|or|&)\s+"
                                         rf"(?:{vendors}))?)\s+$")
        self.vendor_word = re.compile(vendors)
        self.spaced_openers = lexicon.words("spaced_name_openers")
        """First words of a phrase the gazetteer (which reads no spaces) would take for a one-word name."""

    # -- vocabulary hits, widened ------------------------------------------------------------------
    def vocab(self, text: str, runs: Runs) -> list[Cand]:
        out: list[Cand] = []
        self.extra: list[Cand] = []
        for hit in self.gazetteer.find(text, runs):
            concept = self.vocabulary.get(hit.concept)
            if concept is None:
                continue
            # a name read with its possessive ("adapter's effectiveness") is the name without it
            end = hit.end - 2 if POSSESSIVE.fullmatch(text, max(0, hit.end - 2), hit.end) else hit.end
            if _DASH.search(text, hit.start, end):
                continue  # "GLUE score---matching", 'the "Transformer" architecture': a dash or quote parts words
            said = text[hit.start:end]
            if " " in said and said.split()[0].lower() in self.spaced_openers and \
                    not any(n.lower() == said.lower() for n in (concept.label, *concept.aliases)):
                continue  # "Fast LLM Inference", "Faster Transformers", "Fast Text to Speech": a phrase, not a name
            verb = said.endswith("s") and said[:1].isupper() and said[1:].islower()  # "Accelerates"
            if concept.type == "Software" and verb and \
                    said[:-1].lower() in {n.lower() for n in (concept.label, *concept.aliases)}:
                continue  # "Block Verification Accelerates Speculative Decoding": a verb, not Accelerate
            if text[end:end + 1] == "+" and not concept.label.endswith("+"):
                continue  # "ZeRO++" is another system than ZeRO (the gazetteer reads letters and digits only)
            if concept.type == "Software" and _HYPHEN_ON.match(text, end):
                concept, start, end = self._continued(text, hit.start, end, concept)
            else:
                start = hit.start
            suffix = _SYSTEM_SUFFIX.match(text, end) if concept.type == "Software" else None
            if suffix is not None:  # "Tutel-2DH": a variant of a known system is a system of its own
                name = text[start:suffix.end()]
                out.append(Cand(start, suffix.end(), "Software", unseen_key("Software", name), "vocab", 0.9))
                continue
            cand = Cand(start, end, concept.type, concept.id, "vocab", 0.9, concept.id)
            if concept.type in ("Technique", "Software") and _TITLED_VERB.fullmatch(text, hit.start, hit.end) and \
                    (_INFINITIVE.search(text, max(0, hit.start - 20), hit.start) or
                     (_SUBTITLE_VERB.match(text, hit.end) and text[max(0, hit.start - 2):hit.start] == ": ")):
                continue  # "... Mechanism to Accelerate Tensor Program Tuning", "Sparse VideoGen2: Accelerate Video
                # Generation with ...": a verb in a title, not the library
            if concept.type == "Technique" and (self._verb(text, hit.start, hit.end)
                                                or _WITHOUT_SUFFIX.match(text, hit.end)
                                                or _COMPOUND_BEFORE.search(text, max(0, hit.start - 20), hit.start)):
                continue
            if concept.type == "Hardware":
                self._widen_hardware(text, cand)
            elif concept.type == "Model":
                self._widen_model(text, cand, hit)
            elif concept.type == "Technique":
                self._elided(text, cand)
            out.append(cand)
        return out + self.extra

    def _elided(self, text: str, cand: Cand) -> None:
        """The first conjunct of a shared head: "data and model parallelism", "data- and model-parallel training"
        name "data parallelism" / "data-parallel training" too, when the vocabulary knows that name."""
        surface = text[cand.start:cand.end]
        first = re.match(r"[A-Za-z]+([\s-])", surface)
        if first is None:
            return
        m = _ELIDED.search(text, max(0, cand.start - 30), cand.start)
        while m is not None:
            name = m.group(1) + ("-" if m.group(2) else first.group(1)) + surface[first.end():]
            hits = [h for h in self.gazetteer.find(name, runs(name)) if (h.start, h.end) == (0, len(name))]
            concept = self.vocabulary.get(hits[0].concept) if hits else None
            if concept is None or concept.type != "Technique" or concept.id == cand.concept:
                return  # the list stops at a word that, with this head, names nothing known
            self.extra.append(Cand(m.start(1), m.end(1), "Technique", concept.id, "vocab", 0.85, concept.id,
                                   aliases=[name], attrs={"long": name}))
            m = _ELIDED_LISTED.search(text, max(0, m.start() - 30), m.start())

    def _continued(self, text: str, start: int, end: int, concept: Concept) -> tuple[Concept, int, int]:
        """"NVIDIA TensorRT-LLM" read as the alias "NVIDIA TensorRT": the name from the second word on, with its
        hyphenated continuation, when the vocabulary knows that name."""
        space = text.find(" ", start, end)
        if space < 0:
            return concept, start, end
        token = _TOKEN_ON.match(text, space + 1)
        sub = text[space + 1:token.end()] if token else ""
        hits = [h for h in self.gazetteer.find(sub, runs(sub)) if (h.start, h.end) == (0, len(sub))] if sub else []
        other = self.vocabulary.get(hits[0].concept) if hits else None
        if other is None or other.type != concept.type:
            return concept, start, end
        return other, space + 1, token.end()  # type: ignore[union-attr]

    @staticmethod
    def _verb(text: str, start: int, end: int) -> bool:
        """A one-word name used as a verb ("we offload the weights", "proactively offloads and uploads")."""
        word = text[start:end]
        if not word.isalpha() or not word.islower() or word.endswith("ing"):
            return False
        return bool(_OBJECT_AFTER.match(text, end) or _SUBJECT_BEFORE.search(text, max(0, start - 20), start))

    def _widen_hardware(self, text: str, cand: Cand) -> None:
        before = self.vendor_before.search(text, max(0, cand.start - 40), cand.start)
        if before and before.start() < cand.start:
            cand.start = before.start()
        tail = _HW_TAIL.match(text, cand.end)
        if tail:
            cand.end = tail.end()
        while cand.end > cand.start and text[cand.end - 1] in " -(":
            cand.end -= 1

    def _widen_model(self, text: str, cand: Cand, hit: Hit) -> None:
        before = self.org_before.search(text, max(0, cand.start - 30), cand.start)
        if before and before.start() < cand.start:
            cand.start = before.start()
        tag = _CHAT_TAG.match(text, cand.end)
        size = _SIZE.match(text, tag.end() if tag and _SIZE.match(text, tag.end()) else cand.end)
        if size and size.group().strip("-_ "):
            sized = slug(size.group())
            cand.end = size.end()
            tail = _SIZE_TAIL.match(text, cand.end)
            if tail:
                cand.end = tail.end()
            key = f"{cand.key}-{sized}"
            known = self.vocabulary.get(key)
            family = cand.key
            cand.key = known.id if known else key
            cand.concept = known.id if known else None
            cand.attrs["family"] = hit.concept
            pos = cand.end
            while (more := _MORE_SIZES.match(text, pos)) is not None:
                pos = more.end()
                extra = Cand(more.start(1), more.end(1), "Model", f"{family}-{slug(more.group(1))}", "size", 0.8)
                extra.attrs["family"] = hit.concept
                extra.aliases.append(f"{self.vocabulary.concepts[hit.concept].label}-{more.group(1)}")
                extra.attrs["long"] = extra.aliases[-1]  # "OPT-30B/66B": the second is named "OPT-66B"
                self.extra.append(extra)
            return
        variant = _VARIANT.match(text, cand.end) or _VERSION.match(text, cand.end)
        if variant:
            cand.end = variant.end()
            key = f"{cand.key}-{slug(variant.group())}"
            known = self.vocabulary.get(key)
            cand.key = known.id if known else key
            cand.concept = known.id if known else None
            cand.attrs["family"] = hit.concept
        prefix = _NAME_PREFIX.search(text, max(0, cand.start - 14), cand.start) if cand.start == hit.start else None
        suffix = _NAME_SUFFIX.match(text, cand.end)
        if suffix and not all(w.lower() in self.lex.words("model_variant_words") or f"model/{slug(w)}" in
                              self.size_families for w in suffix.group().split("-")[1:]):
            suffix = None  # "LLaMA-Adapter" is a method; "DeepSeek-R1-Qwen", "Mistral-Instruct" are models
        if prefix and self.org_before.search(prefix.group()[:-1] + " "):
            cand.start, prefix = prefix.start(), None  # "Microsoft-Phi2": the vendor, not another model
        if (prefix or suffix) and self.vocabulary.get(cand.key) is not None and cand.key == hit.concept:
            cand.start = prefix.start() if prefix else cand.start  # "VL-BART", "DeepSeek-R1-Qwen": another model
            cand.end = suffix.end() if suffix else cand.end
            cand.key = f"model/{slug(text[cand.start:cand.end])}"
            cand.concept = None
            cand.attrs.pop("family", None)  # a model of its own, not a member of the family

    # -- unseen hardware -----------------------------------------------------------------------------
    def hardware(self, text: str) -> list[Cand]:
        out = []
        limit = min(len(text), MAX_CHARS)
        for regex in (self.hw_named, self.hw_tpu):
            for m in regex.finditer(text, 0, limit):
                end = m.end()
                tail = _HW_TAIL.match(text, end)
                if tail:
                    end = tail.end()
                name = text[m.start():m.end()]
                out.append(Cand(m.start(), end, "Hardware", unseen_key("Hardware", name), "hw", 0.7))
        for trigger, regex in self.families:
            if trigger in text:
                for m in regex.finditer(text, 0, limit):
                    out.append(Cand(m.start(), m.end(), "Hardware", unseen_key("Hardware", m.group()), "hw", 0.7))
        return out + self._vendor_devices(text, limit)

    def _vendor_devices(self, text: str, limit: int) -> list[Cand]:
        """Processors named by vendor only, as evaluation platforms: "NVIDIA and AMD GPUs" -> NVIDIA GPUs and AMD
        GPUs, "Intel CPU, ARM CPU", "Qualcomm and MTK processors". Each is one node per vendor and kind."""
        out: list[Cand] = []
        if not any(v in text for v in self.lex.device_vendors):
            return out
        for d in self.device_kind.finditer(text, 0, limit):
            m = self.vendors_before.search(text, max(0, d.start() - 60), d.start())
            if m is None:
                continue
            kind = d.group(1)
            singular = kind[:-1] if kind.endswith("s") else kind
            vendors = [(m.start(1), m.end(1))] + [(v.start() + m.start(2), v.end() + m.start(2))
                                                  for v in self.vendor_word.finditer(m.group(2))]
            for i, (s, e) in enumerate(vendors):
                vendor = self.lex.device_vendors.get(text[s:e], text[s:e])
                last = i == len(vendors) - 1
                key = f"hardware/{slug(vendor)}-{slug(singular)}"
                cand = Cand(s, d.end() if last else e, "Hardware", key, "hw", 0.6)
                cand.attrs["long"] = f"{vendor} {kind}"
                cand.attrs["vendor_level"] = "1"
                cand.aliases += [f"{vendor} {singular}", f"{vendor} {singular}s", f"{text[s:e]} {kind}"]
                out.append(cand)
        return out

    # -- unseen model sizes: "Qwen-14B", "Chameleon 7B", "Yi-200K" ------------------------------------
    def sized_models(self, text: str) -> list[Cand]:
        out = []
        for m in _SIZED.finditer(text, 0, min(len(text), MAX_CHARS)):
            base = m.group(1)
            if base in self.lex.generic_acronyms or base.upper() in {"FP", "INT", "BF", "W", "A"}:
                continue
            if not is_name_token(base) and (re.search(r"(?:^|[.!?:]\s+)$", text[max(0, m.start() - 3):m.start()])
                                            or base.lower().endswith(("ing", "ed", "es"))):
                continue
            end = m.end()
            tail = _SIZE_TAIL.match(text, end)
            if tail:
                end = tail.end()
            name = text[m.start():end]
            out.append(Cand(m.start(), end, "Model", unseen_key("Model", name), "size", 0.75,
                            attrs={"base": base}))
        return out

    # -- acronym definitions -------------------------------------------------------------------------
    def acronyms(self, text: str) -> list[tuple[Cand, Cand]]:
        """(long form, short form) pairs for "Long Form (LF)"; typed and keyed later."""
        pairs = []
        for m in ACRONYM_DEF.finditer(text, 0, min(len(text), MAX_CHARS)):
            short = m.group(1).rstrip(".")
            if not valid_acronym(short):
                continue
            window = text[max(0, m.start() - 120):m.start()]
            offset = acronym_long_form(short, window.rstrip())
            if offset is None:
                continue
            long_start = m.start() - len(window) + offset
            long_end = m.start()
            while long_end > long_start and text[long_end - 1] in " \t\"'”’":
                long_end -= 1  # 'an "Efficient Adaptive Transformer" (EAT)': the quote is no part of the name
            long_text = text[long_start:long_end]
            if len(long_text) < len(short) or long_text.count(" ") > 9 or not re.search(r"[A-Za-z]", long_text):
                continue
            short_start = m.start(1)
            pairs.append((Cand(long_start, long_end, "Technique", "", "long", 0.7),
                          Cand(short_start, short_start + len(short), "Technique", "", "acronym", 0.7)))
        for m in _NAME_THEN_LONG.finditer(text, 0, min(len(text), MAX_CHARS)):
            name, long_text = m.group(1), m.group(2)
            words = long_text.split()
            if name[0].lower() != long_text[0].lower() or sum(w[:1].isupper() for w in words) < 2 or \
                    not is_name_token(name) or len(words) > 10:
                continue
            pairs.append((Cand(m.start(2), m.end(2), "Technique", "", "long", 0.7),
                          Cand(m.start(1), m.end(1), "Technique", "", "acronym", 0.7)))
        return pairs

    def acronym_uses(self, text: str, short: str) -> list[tuple[int, int]]:
        """Every standalone occurrence of an acronym defined in this paper (plural "s" allowed)."""
        return find_all(text, short) + find_all(text, short + "s")

    def _non_dataset(self, name: str) -> bool:
        r = runs(name)
        return any(self.vocabulary.concepts[h.concept].type != "Dataset" for h in self.gazetteer.find(name, r)
                   if (h.start, h.end) == (0, len(name)))

    # -- "<Name> dataset/benchmark" ----------------------------------------------------------------------
    def datasets(self, text: str) -> list[Cand]:
        out: list[Cand] = []
        if not any(word in text for word in _DATASET_WORDS):
            return out
        for m in _DATASET.finditer(text, 0, min(len(text), MAX_CHARS)):
            name = m.group(1)
            words = name.split()
            while words and not is_name_token(words[0]) and words[0].lower() in _DATASET_LEADS:
                words = words[1:]
            if not words:
                continue
            start = m.start(1) + name.index(words[0])
            name = " ".join(words)
            if name in self.lex.generic_acronyms or name.lower() in self.lex.generic_names or \
                    not re.search(r"[A-Za-z]", name) or _MEASURE.fullmatch(name):
                continue  # "3D dataset", "4K benchmark" are no names; "G3D dataset" is
            if not any(is_name_token(w) for w in words):
                sentence_start = re.search(r"(?:^|[.!?]\s+)$", text[max(0, start - 3):start])
                if len(words) > 1 or sentence_start or start == 0:
                    continue
            end = start + len(name)
            head = re.match(r"\s+(?:benchmark|dataset|corpus)\b", text[end:end + 12])
            if head and self._non_dataset(name):
                end += head.end()  # "Vicuna benchmark" is not the Vicuna model
                name = text[start:end]
            out.append(Cand(start, end, "Dataset", unseen_key("Dataset", clean(name)), "dataset", 0.7))
        return out
