"""The extractor's word lists (seeds/vocab/lexicon.json), compiled once into sets and regexes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


def _words(data: dict[str, Any], key: str) -> list[str]:
    return [str(w) for w in data.get(key, [])]


def alternation(words: list[str]) -> str:
    """A regex alternation of literal words, longest first (so "compared to" wins over "compared")."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) or "(?!)"


def cased_alternation(words: list[str]) -> str:
    """`alternation` of the words as written and with a capital first letter: a case-sensitive pattern is several
    times faster than an IGNORECASE one, and sentence starts are the only other case that occurs."""
    return alternation([*words, *(w[:1].upper() + w[1:] for w in words)])


@dataclass
class Lexicon:
    vendors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    device_words: set[str] = field(default_factory=set)
    count_words: dict[str, int] = field(default_factory=dict)
    count_blockers: set[str] = field(default_factory=set)
    generic_acronyms: set[str] = field(default_factory=set)
    generic_names: set[str] = field(default_factory=set)
    weak: set[str] = field(default_factory=set)
    proposal_verbs: set[str] = field(default_factory=set)
    naming_words: list[str] = field(default_factory=list)
    usage_verbs: list[str] = field(default_factory=list)
    compare_verbs: list[str] = field(default_factory=list)
    compare_preps: list[str] = field(default_factory=list)
    list_introducers: list[str] = field(default_factory=list)
    stop_words: set[str] = field(default_factory=set)
    determiners: list[str] = field(default_factory=list)
    type_heads: dict[str, set[str]] = field(default_factory=dict)
    technique_heads: set[str] = field(default_factory=set)
    metrics: dict[str, list[str]] = field(default_factory=dict)
    speed_metrics: set[str] = field(default_factory=set)
    kept_metric_cues: list[str] = field(default_factory=list)
    modifier_suffixes: tuple[str, ...] = ()
    masked_phrases: list[str] = field(default_factory=list)
    vague_modifiers: set[str] = field(default_factory=set)
    usage_cues: list[str] = field(default_factory=list)
    method_heads: set[str] = field(default_factory=set)
    np_fillers: set[str] = field(default_factory=set)
    strong_heads: set[str] = field(default_factory=set)
    device_vendors: dict[str, str] = field(default_factory=dict)
    """Vendor spellings -> canonical vendor, for vendor-level processors ("NVIDIA and AMD GPUs", "Intel CPUs")."""
    device_kinds: list[str] = field(default_factory=list)
    hardware_families: list[tuple[str, str]] = field(default_factory=list)
    """(literal trigger, pattern) of device families named by part number: MCUs, phones, mobile SoCs, NPUs."""
    sets: dict[str, set[str]] = field(default_factory=dict)
    """Smaller word sets by name ("class_heads", "baseline_quality_words", ...), see lexicon.json "word_sets"."""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Lexicon:
        heads = data.get("type_heads", {})
        return cls(
            vendors=_words(data, "vendors"),
            lines=_words(data, "hardware_lines"),
            device_words={w.lower() for w in _words(data, "device_words")},
            count_words={str(k).lower(): int(v) for k, v in data.get("count_words", {}).items()},
            count_blockers={w.lower() for w in _words(data, "count_blockers")},
            generic_acronyms=set(_words(data, "generic_acronyms")),
            generic_names={w.lower() for w in _words(data, "generic_names")},
            weak=set(_words(data, "weak_concepts")),
            proposal_verbs={w.lower() for w in _words(data, "proposal_verbs")},
            naming_words=_words(data, "naming_words"),
            usage_verbs=_words(data, "usage_verbs"),
            compare_verbs=_words(data, "compare_verbs"),
            compare_preps=_words(data, "compare_preps"),
            list_introducers=_words(data, "list_introducers"),
            stop_words={w.lower() for w in _words(data, "stop_words")},
            determiners=_words(data, "determiners"),
            type_heads={t: {w.lower() for w in ws} for t, ws in heads.items()},
            technique_heads={w.lower() for w in _words(data, "technique_heads")},
            metrics={k: [str(w).lower() for w in v] for k, v in data.get("metrics", {}).items()},
            speed_metrics=set(_words(data, "speed_metrics")),
            kept_metric_cues=_words(data, "kept_metric_cues"),
            modifier_suffixes=tuple(w.lower() for w in _words(data, "modifier_suffixes")),
            masked_phrases=_words(data, "masked_phrases"),
            vague_modifiers={w.lower() for w in _words(data, "vague_modifiers")},
            usage_cues=_words(data, "usage_cues"),
            method_heads={w.lower() for w in _words(data, "method_heads")},
            np_fillers={w.lower() for w in _words(data, "np_fillers")},
            strong_heads={w.lower() for w in _words(data, "strong_method_heads")},
            device_vendors={str(k): str(v) for k, v in data.get("device_vendors", {}).items()},
            device_kinds=_words(data, "device_kinds"),
            hardware_families=[(str(t), str(p)) for t, p in data.get("hardware_families", [])],
            sets={str(k): {str(w).lower() for w in v} for k, v in data.get("word_sets", {}).items()},
        )

    def __post_init__(self) -> None:
        self.compile()

    def compile(self) -> None:
        self.vendor_re = alternation(self.vendors)
        self.line_re = alternation(self.lines)
        det = alternation([d for d in self.determiners])
        self.determiner_prefix = re.compile(rf"^(?:(?:{det})\s+)+", re.IGNORECASE)
        self.naming_re = re.compile(rf"\b(?:{alternation(self.naming_words)})\b\s*:?\s*$", re.IGNORECASE)
        # case-sensitive (as written or capitalised): several times faster than IGNORECASE on every sentence
        self.compare_verb_re = re.compile(rf"\b(?:{cased_alternation(self.compare_verbs)})\b")
        self.compare_prep_re = re.compile(rf"(?<![\w-])(?:{cased_alternation(self.compare_preps)})(?![\w-])")
        self.intro_re = re.compile(rf"^\s*,?\s*\(?(?:{alternation(self.list_introducers)})\s*:?\s*", re.IGNORECASE)
        self.masked_re = re.compile(rf"(?<![\w-])(?:{alternation(self.masked_phrases)})(?![\w-])", re.IGNORECASE)
        # a word every masked phrase holds, lower-cased: a fast filter before the case-free pattern
        self.masked_hints = tuple(sorted({max(p.lower().split(), key=len) for p in self.masked_phrases}))
        self.metric_res = [(metric, re.compile(rf"(?<![a-z])(?:{_metric_words(words)})"))
                           for metric, words in self.metrics.items()]
        # "... 11x faster while retaining model accuracy": a metric named as kept is not the one compared
        self.kept_metric_re = re.compile(rf"(?<![a-z])(?:{alternation(self.kept_metric_cues)})[^.;,]{{0,30}}$")
        self.metric_words = {w for words in self.metrics.values() for w in words if w.isalpha()} - \
            self.technique_heads - self.method_heads
        """Heads that make a phrase a measure, not a method ("Token-to-Token Latency", "Time To First Token")."""
        self.usage_re = re.compile(rf"\b(?:{alternation(self.usage_verbs)})\s*$", re.IGNORECASE)

    def words(self, name: str) -> set[str]:
        return self.sets.get(name, set())

    def is_modifier(self, word: str) -> bool:
        """'Transformer-based', 'GPU-friendly': a hyphenated modifier, not a name."""
        return word.lower().rstrip(".,").endswith(self.modifier_suffixes)

    def own_metric(self, text: str, anchor: int) -> str | None:
        """The metric named in the words written with the factor at `anchor` ("3.18x higher throughput"), if any."""
        found = self._metrics(text, anchor)
        return found[2] if found and found[0] == 0 else None

    def metric_of(self, text: str, anchor: int | None = None) -> str | None:
        """The metric a comparison sentence is about: the one named in the words of the factor at `anchor` (an offset
        into `text`), else the one named nearest to it, a specific one before the generic "speedup"."""
        found = self._metrics(text, anchor)
        return found[2] if found else None

    def _metrics(self, text: str, anchor: int | None) -> tuple[int, int, str] | None:
        """(0 when in the factor's own words else 1, distance, metric) of the metric `metric_of` picks."""
        text = _LATEX_MATH.sub(_blank_markup, text)  # "2.00$\times$": no dollar amount, the number stays
        low = text.lower()
        phrase = _FACTOR_PHRASE.match(low, anchor) if anchor is not None else None
        changed = _CHANGED_BY.search(low, max(0, anchor - 80), anchor) if anchor is not None else None
        found: list[tuple[int, int, str]] = []
        for metric, regex in self.metric_res:
            for m in regex.finditer(low):
                if self.kept_metric_re.search(low, max(0, m.start() - 40), m.start()) or _inside_name(text, m):
                    continue
                distance = abs(m.start() - anchor) if anchor is not None else 0
                own = (phrase is not None and phrase.start(1) <= m.start() < phrase.end(1)) or \
                    (changed is not None and changed.start(changed.lastindex or 1) <= m.start() <
                     changed.end(changed.lastindex or 1))
                # the factor's own words first ("100X speedup with 9.1% higher accuracy", "22X energy savings"),
                # then the nearest, a specific metric before the generic "speedup"
                found.append((0 if own else 1, distance + (40 if metric == "speedup" else 0), metric))
        return min(found) if found else None

    def head_type(self, phrase: str) -> str | None:
        """The entity type a descriptive phrase's head noun suggests ("a multimodal model" -> Model)."""
        words = re.findall(r"[A-Za-z][\w-]*", phrase.lower())
        if not words:
            return None
        for size in (2, 1):
            if len(words) >= size:
                head = " ".join(words[-size:])
                for entity_type in ("Dataset", "Software", "Model", "Hardware", "Technique"):
                    if head in self.type_heads.get(entity_type, set()):
                        return entity_type
        return None


_TOKEN_END = re.compile(r"[A-Za-z0-9]*")
_LATEX_MATH = re.compile(r"\$[^$]{0,40}(?:[\\^_{}]|times)[^$]{0,40}\$")
"""Inline TeX math ("$1.64-2.54\\times$", "$10\\%$", "$168times$"), unlike a price ("$5 and $10")."""
_TEX_MARKUP = re.compile(r"\$|\\[A-Za-z]+|\\.|[{}^_]")


def _blank_markup(math: re.Match[str]) -> str:
    """A TeX math span with its markup blanked, offsets kept: "$26,000 \\times$" -> " 26,000       "."""
    return _TEX_MARKUP.sub(lambda markup: " " * len(markup.group()), math.group())


_FACTOR_PHRASE = re.compile(r"(?:(?:up\s+to|about|around|nearly|over|roughly|approximately|almost|more\s+than|"
                            r"at\s+least|an\s+average\s+of|~)\s*)?"
                            r"(?>[\d.,]+\s*(?:[x×]|times|-fold|fold|%)?\s*(?:[–~-]|to|and)?\s*)+"
                            r"((?:(?!with\b|and\b|while\b|than\b|over\b|compared\b|on\b|for\b|at\b|when\b)"
                            r"[a-z][\w/-]*\s*){1,4})")
"""The words right after a factor ("3.9x faster inference latency"), up to a preposition or conjunction."""
_CHANGED_BY = re.compile(r"\b(?:reduc|improv|cut|lower|increas|boost|rais|shorten|accelerat|speed)\w*\s+(?:the\s+)?"
                         r"((?:[\w/()-]+\s+){1,5}?)by\s+$|"
                         r"\b((?:[a-z][\w/-]*\s+){1,3})of\s+$")
"""The quantity a verb changes by the factor that follows ("reduces the time to first token (TTFT) by 4x"), or the
one the factor is a value of ("a compression ratio of up to 400x")."""


def _inside_name(text: str, match: re.Match[str]) -> bool:
    """A metric word that starts a longer name written with inner capitals ("PowerInfer", "SpeedLLM"): part of the
    name, not the quantity compared."""
    end = _TOKEN_END.match(text, match.end()).end()  # type: ignore[union-attr]
    start = match.start()
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    token = text[start:end]
    return end > match.end() and any(ch.isupper() for ch in token[1:])


def _metric_words(words: list[str]) -> str:
    """Metric words as a pattern: stems match their inflections ("latenc", "throughput"), short acronyms only
    themselves ("fid" is not "fidelity", "ppl" not "people")."""
    acronyms = [w for w in words if len(w) <= 4 and w.isalnum() and w not in {"cost", "watt", "time"}]
    stems = [w for w in words if w not in acronyms]
    parts = ([alternation(stems)] if stems else []) + ([rf"(?:{alternation(acronyms)})(?![a-z])"] if acronyms else [])
    return "|".join(parts)
