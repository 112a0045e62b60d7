"""`outperforms` claims: who beats whom, by what factor, on which metric and hardware.

Handles "outperforms X by N x", "N x faster than X", "N x speedup over X", "compared to X", "comparing with X",
lists of baselines with aligned factors ("by 87%, 131% and 55%, respectively" -> 1.87, 2.31, 1.55), ranges and
"up to" (largest wins), "twice"/"by half", "X is 2.5 times as fast as Y", "3.4 times the throughput of Y", the
inverted "X is twice as slow as Y", parity with a gain ("matches the
accuracy of X while being 4x faster"), the models a work is built on ("models based on X obtain 7x speedups") and
"the state-of-the-art system" resolved by the caller. Factors live in `factors`, baseline phrases in `baselines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperkg.graph.extraction import factors as fx
from paperkg.graph.extraction.baselines import Baselines
from paperkg.graph.extraction.lexicon import Lexicon, cased_alternation
from paperkg.graph.extraction.text import NUMBER, Sentence

FENCE = 0.0
"""The confidence of a cue that only bounds clauses ("speedup to applications like X") and claims nothing."""
MAX_CLAIMS = 200
"""A real abstract makes a handful of comparisons; pathological input stops here."""
_NUM = rf"(?:{NUMBER})"
_COMPARATIVE = re.compile(r"\b(?:faster|slower|higher|lower|better|more|less|fewer|greater|larger|smaller|cheaper|"
                          r"superior|superiority|speed-?ups?|improv\w*|gains?|reductions?|accelerat\w+|advantages?|"
                          r"boosts?|increases?)\b", re.I)
_POSITIVE = re.compile(r"\b(?:faster|better|higher|lower|less|fewer|more|outperform\w*|surpass\w*|improv\w*|reduc\w*|"
                       r"cuts?|cutting|slash\w*|"
                       r"sav\w+|speed-?ups?|accelerat\w+|superior|superiority|exceed\w*|gains?|cheaper|smaller|beats?|"
                       r"merely|only|halv\w+|doubl\w+|twice|optimal|dominant|advantages?|narrow\w*)\b", re.I)
_NEGATIVE = re.compile(r"\b(?:degradation|drop|loss|worse|slower|lags?|behind|inferior|comparable|similar|on par|"
                       r"matches|matching|more\s+(?:brittle|costly|expensive|complex|fragile|unstable|difficult|"
                       r"error-prone))\b", re.I)
_HALVING = re.compile(r"\b(?:halv\w+|doubl\w+)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}(?:time|cost|latency|"
                      r"memory|footprint|runtime)\s+of\s+", re.I)
_CUE_FACTOR = re.compile(rf"(?:(?:up\s+to|about|around|nearly|over|roughly|approximately)\s+)?{_NUM}\s*"
                         rf"(?:[xX×]|times|-fold|fold)?\s*(?:[a-z-]+\s+){{0,3}}")
"""A factor and at most three words before a comparison cue: '3.9x faster ', '2.1x higher throughput '."""
_TIMES_OF = re.compile(rf"(?<![\d.,])({_NUM}\s*(?:[xX×]|times)|\b(?:{fx.NUMBER_WORD})\s+times)\s+"
                       r"(?:the\s+(?:[\w-]+\s+){1,3}?of\s+(?:that\s+of\s+)?|of\s+(?:that\s+of\s+)?|that\s+of\s+)(?=\S)")
"""'4.2x the throughput of X', '1.5x the energy efficiency of X', '3.4 times that of X'."""
_SLOW_AS = re.compile(r"\b(?:is|are|was|were|runs?|takes?|took|requires?|needs?|consumes?)\s+"
                      r"(?:about\s+|roughly\s+|nearly\s+|around\s+)?"
                      rf"(twice|{_NUM}\s*(?:x|×|times)|(?:{fx.NUMBER_WORD})\s+times)\s+(?:as\s+)?(?:slow|slower|expensive|costly|longer|"
                      r"more\s+(?:time|memory|energy))\s+(?:as|than)\s+", re.I)
"""'X is twice as slow as Y', 'X takes 3.3 times longer than Y': X is the baseline."""
_FAST_AS = re.compile(r"\b(?:is|are|was|were|runs?|trains?|decodes?|performs?)\s+(?:(?:on\s+average|about|roughly|"
                      r"nearly|almost|around|up\s+to|more\s+than|over)\s+){0,2}"
                      rf"(twice|{_NUM}\s*(?:x|×|times)|(?:{fx.NUMBER_WORD})\s+times)\s+as\s+"
                      r"(?:fast|quick|efficient|cheap)\s+as\s+",
                      re.I)
"""'X is 2.5 times as fast as Y': Y is the baseline (the mirror of _SLOW_AS)."""
_PARITY = re.compile(r"\b(?:(?:comparable|similar|equivalent|competitive|identical|close)\s+(?:[\w-]+\s+){0,2}?"
                     r"(?:to|with)|"
                     r"(?:similar|same|comparable)\s+(?:[\w-]+\s+){1,3}?as|"
                     r"on\s+par\s+with|(?:matches|matching|match|approximating|approximates|rivals|rivaling|retains|"
                     r"retaining|achieves|preserves|preserving|maintains|maintaining)\s+(?:over\s+|up\s+to\s+|more\s+than\s+)?"
                     r"(?:[\d.]+\s*\\?%\s+(?:of\s+)?)?(?:the\s+)?(?:[\w-]+\s+)?(?:accuracy|performance|quality|"
                     r"results?|perplexity)\s+of|(?:matches|matching|approximating|approximates|rivals|rivaling))\s+",
                     re.I)
"""'comparable performance to X', 'matches the accuracy of X', 'more than 96.8% the performance of X'."""
_GAIN = re.compile(r"\b(?:faster|speed-?ups?|reduc\w+|less|fewer|smaller|cheaper|sav\w+|lower|higher\s+throughput|"
                   r"accelerat\w+|compress\w*)\b", re.I)
_BUILT_ON = re.compile(r"\b(?:based\s+on|based\s+off|built\s+on|built\s+upon|on\s+top\s+of|derived\s+from|"
                       r"starting\s+from)\s+", re.I)
_IMPROVES_BASELINE = re.compile(r"\b(?:improv(?:es|ed|ing)|speeds?\s+up|sped\s+up|speeding\s+up|accelerat(?:es|ed|ing)|"
                                r"boost(?:s|ed|ing))\s+(?=(?:the\s+(?:[\w-]+\s+){1,3}?of\s+)?(?:the\s+)?(?:existing|"
                                r"baseline|state-of-the-art|prior|previous|conventional|original)\b)", re.I)
"""'improves the throughput of baseline systems such as FlexGen and vLLM by up to 3X', 'improves the original T5
architecture': what is improved is a baseline (but 'improves the decoding speed of Llama2-7B' is a model's speed)."""
_A_DEVICE = re.compile(r"(?:[\w-]+\s+)?(?:GPU|CPU|FPGA|TPU|NPU)s?\b")
"""'... over a GPU (i.e., NVIDIA RTX 2080 Ti)', 'over a mobile CPU': a device compared against (not 'over a week')."""
_BENEFICIARY = re.compile(r"\s*(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,2}?(?:applications?|workloads?|tasks?|"
                          r"models?|users?|training|inference|systems?\s+like|\d)", re.I)
"""After "speedup to": who gains ("applications like GNNs", "real-world workloads"), or a number ("to 3.6x")."""
_IMPROVES_NAME = re.compile(r"\b(?:improv(?:es|ed|ing)|outpac(?:es|ed|ing))\s+(?=[A-Z])")
_BY_AMOUNT_AFTER = re.compile(rf"\s+(?:[\w-]+\s+){{0,4}}?{fx.BY}(?:up\s+to\s+|about\s+|over\s+|nearly\s+)?\d")
"""'improving EAGLE-2 by 9.5%': a method (not a model: 'improves Llama2-7B by 4x' speeds the model up) bettered by
an amount."""
_OTHERS_SUBJECT = re.compile(r"(?:^|[.,;]\s+|\b(?:but|while|although|whereas|that)\s+)((?:[A-Za-z][\w-]*\s+){0,3}?"
                             r"(?:models|methods|approaches|systems|networks|techniques|algorithms|works))\s+"
                             r"(?:have\s+|has\s+|had\s+)?(?:(?:\w+ly|often|always|also|still)\s+)?$")
_OWN_WORDS = re.compile(r"\b(?:[Oo]ur|[Pp]roposed|[Rr]esulting|[Nn]ew|[Tt]hese|[Ss]uch|[Tt]heir|[Ii]ts)\b")
"""A generic plural subject of a comparison verb ("autoregressive models have historically outperformed VAEs") that
is not the paper's own ("our models", "the resulting models")."""
_SIZE_THAN = re.compile(r"\b(?:larger|bigger)\s*$", re.I)
_PARAMETERS_THEN = re.compile(r"\bparam(?:eter)?s\b[^.;:]{0,60}$", re.I)
"""'has 1.2 trillion parameters, which is approximately 7x larger than GPT-3': a model's size, not a win."""
_FRACTION = re.compile(r"(?<![\d.])1\s*/\s*(\d{1,6})(?:th)?\s+(?:of\s+)?(?:the\s+)?(?:[\w-]+\s+){1,2}?"
                       r"(?:of|(?:used|required|needed)\s+(?:by|to\s+train|to\s+run)|consumed\s+by)\s+(?:that\s+of\s+)?")
_SHARE_OF = re.compile(rf"\b(?:takes|requires|needs|uses|consumes|costs|incurs)\s+(?:only\s+|merely\s+|just\s+)?"
                       rf"(?:about\s+|around\s+)?{_NUM}\s*\\?%\s+of\s+(?:the\s+)?(?=\S)")
"""'only takes 10.8% of Stable Diffusion v1.5's training time': a share of a named baseline's cost."""
_HYPOTHETICAL = re.compile(r"\b(?:whether|if|in\s+which|when)\b[^,;.]{0,70}\b(?:can|could|may|might|would)\s+$")
_NEGATED = re.compile(r"\b(?:not|never|cannot|fails?\s+to|failed\s+to|unable\s+to|\w+n't)\s+(?!only\b)"
                      r"(?:[\w-]+\s+){0,2}$", re.I)
"""'does not outperform X', 'is not faster than X', 'fails to beat X': no win ('not only faster than X' is one)."""
_BY_AMOUNT_END = re.compile(rf"{fx.BY}{fx.AMOUNT}\s*$")
"""'reduces pruning error by up to 60% over Wanda': an amount stated right before "over" is a win over it."""
_TRAILING_BY = re.compile(rf",?\s+{fx.BY}\d")
_BY_BEFORE = re.compile(rf"{fx.BY}$")
_OVER_NOT_COMPARED = re.compile(r"\b(?:search(?:es|ing)?|iterat\w*|loops?|(?<!on )averag\w*|summ\w*|distribut\w*|"
                                r"generaliz\w*|aggregat\w*)\s+$", re.I)
_FURTHER = re.compile(r"\b(?:further|additional|another)\s+(?:up\s+to\s+)?$")
"""'3x over X ... and a further 8x parallel speedup with 16 GPUs': a gain of its own after the baseline's."""
_LOWER_WORDS = re.compile(r"(?:[a-z][\w-]*\s+){0,2}")
_NEW_SUBJECT = re.compile(r",?\s+(?:while|whereas|but)\s+(?=[A-Z])")
"""'Hawk exceeds Mamba, while Griffin matches Llama-2 on 6 times fewer tokens': another subject's clause."""
_TIMES_LONGER = re.compile(rf"{_NUM}{fx.TIMES}\s+longer\s*$")
"""'training sequences 32 times longer than vanilla Transformers': a win when a factor says how much."""
_TAKES_LONGER = re.compile(r"\b(?:takes?|took|requires?|needs?|runs?|lasts?)\b[^;]{0,30}\blonger\s*$", re.I)
_CLAUSE_LEAD = re.compile(r"\s*(?:and\s+)?(?:with|while|achieving|yielding|delivering|providing|leading|"
                          r"resulting|reaching|attaining|which)\b")
"""After the comma, what opens a clause of its own ("..., with about 1.4x improvement over EAGLE-2")."""
_COMMA = re.compile(r",\s+|;\s*")
_STATED_AFTER = re.compile(r"[\s,]*(?:respectively[\s,]*)?[A-Za-z]")
"""Words after a comparison cue (a baseline stated, if generic), not a number ("improves the speedup to 3.6x")."""
_FACTOR_BLOCK = re.compile(r"(?:speed|memory|reduction|compression|improvement|faster|higher|lower|larger|smaller)")


@dataclass
class Claim:
    objects: list[tuple[int, int]]
    factors: list[float | None]
    sentence: Sentence
    cue_start: int
    confidence: float
    metric: str | None = None
    hardware: str | None = None
    subject_hint: int | None = None
    factor_at: int | None = None
    factor_starts: tuple[int | None, ...] = ()
    """Where each object's factor is written (aligned with `objects`; empty when unknown): its metric is read there."""
    unnamed: bool = False
    """No baseline found, though the sentence states one ("compared with, respectively, CPU, GPU, and a baseline
    design"): no implicit baseline stands in for it."""


class Comparisons:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.baselines = Baselines(lexicon)
        words = [*lexicon.compare_verbs, *lexicon.compare_preps, *sorted(lexicon.words("comparison_prefilter_words"))]
        self.any_cue = re.compile(rf"\d\s*(?:x|×|X|times|\\?%|-fold|fold)|(?<![\w-])(?:{cased_alternation(words)})|"
                                  rf"\b(?:{cased_alternation(list(fx.NUMBER_WORDS))})(?:\s+times|\s*-?\s*fold)")
        """A fast, case-sensitive filter for sentences that may hold a comparison (a superset of the cues)."""
        self.parity_hint = re.compile(cased_alternation(sorted(lexicon.words("parity_hints"))))
        """Words every `_PARITY` match contains: a fast filter before the slower case-insensitive pattern."""

    def claims(self, text: str, spans: list[Sentence], mention_at: dict[int, int],
               own: frozenset[int] = frozenset()) -> list[Claim]:
        """`mention_at` maps mention starts to ends in the abstract (objects snap to known mentions); `own` holds the
        starts of the mentions of what the paper proposes."""
        out: list[Claim] = []
        self.baselines.aliases = {}
        self.baselines.sota = set()
        self.baselines.devices = {}
        objects_at = self.baselines.objects
        for sentence in spans:
            if len(out) >= MAX_CLAIMS:
                break
            s, e = sentence.start, sentence.end
            if not self.any_cue.search(text, s, e) and "1/" not in text[s:e]:
                continue
            factors = fx.find(text, s, e)
            cues = self._cues(text, s, e, bool(factors), mention_at, own)
            slow = _SLOW_AS.search(text, s, e)
            if slow:
                obj = self.baselines.shapes.phrase_before(text, s, slow.start(), mention_at)
                if obj:
                    value = fx.times_value(slow.group(1))
                    out.append(Claim([obj], [value], sentence, slow.start(), 0.8, subject_hint=slow.end()))
            for m in _FAST_AS.finditer(text, s, e):
                objects = objects_at(text, m.end(), e, mention_at)
                if objects:
                    value = fx.times_value(m.group(1))
                    out.append(Claim(objects[:1], [value], sentence, m.start(), 0.8))
            for m in _TIMES_OF.finditer(text, s, e):
                objects = objects_at(text, m.end(), e, mention_at)
                if objects and not _FACTOR_BLOCK.match(text, m.end()):
                    value = fx.times_value(m.group(1))  # "1.14-3.0x the throughput of vLLM and TensorRT-LLM": both
                    out.append(Claim(objects, [value] * len(objects), sentence, m.start(), 0.7))
            if "/" in text[s:e]:
                for m in _FRACTION.finditer(text, s, e):
                    objects = objects_at(text, m.end(), e, mention_at)
                    if objects:  # "less than 1/1000 of the memory of PyTorch and TensorFlow"
                        value = float(m.group(1))
                        out.append(Claim(objects, [value] * len(objects), sentence, m.start(), 0.7))
            if "%" in text[s:e]:
                for m in _SHARE_OF.finditer(text, s, e):
                    objects = [o for o in objects_at(text, m.end(), e, mention_at)[:1]
                               if o[0] in mention_at and re.match(r"['’]s\b", text[o[1]:o[1] + 3])]
                    if objects:
                        out.append(Claim(objects, [None], sentence, m.start(), 0.65))
            claimed = {c.cue_start for c in out}
            ordered = sorted(cues)
            found = []
            for cue_start, cue_end, confidence in ordered:
                if not factors and _HYPOTHETICAL.search(text, max(s, cue_start - 90), cue_start):
                    continue  # "the scenarios in which FPGAs can outperform GPUs": a question, not a result
                objects = objects_at(text, cue_end, e, mention_at) if confidence > FENCE else []
                if objects and cue_start not in claimed:
                    found.append((cue_start, cue_end, confidence, objects))
            before = self._factor_before(text, sentence, found, factors)
            for index, (cue_start, cue_end, confidence, objects) in enumerate(found):
                lo, hi = self._clause(text, ordered, s, e, cue_start, objects[-1][1])
                local = before[index] if before else [f for f in factors if lo <= f[0] < hi]
                if self.lex.compare_verb_re.match(text, cue_start) and any(
                        c[1] <= cue_start and c[0] != cue_start for c in ordered):
                    # "outperforms strategies generated by PipeDream's planner by up to 3.23x ..., and DAPPLE runtime
                    # outperforms GPipe by 1.6x": a "by" amount before a comparison verb is an earlier verb's
                    local = [f for f in local if not (f[0] < cue_start and _BY_BEFORE.search(text, max(s, f[0] - 16),
                                                                                               f[0]))]
                tail = found[index - 1][3][-1][1] if index else -1
                if index and tail < cue_start and _TRAILING_BY.match(text, tail):
                    # "outperforms A by 1.7x and up to 2.1x, and outperforms B by 1.3x": A's amounts are A's
                    local = [f for f in local if not tail <= f[0] < cue_start]
                after = next((c[0] for c in ordered if c[0] >= objects[-1][1]), None)
                if after is not None:  # "2.4x over A and 3.9x over existing systems": 3.9x is the next cue's own
                    local = [f for f in local if not (objects[-1][1] <= f[0] < after and
                                                      _CUE_FACTOR.fullmatch(text, f[0], after))]
                if "respectively" not in sentence.text:
                    local = _own_clause(text, local, cue_start)
                    local = [f for f in local if not (f[0] > objects[-1][1] and
                                                      _FURTHER.search(text, max(s, f[0] - 24), f[0]))]
                closed = text.find("respectively", objects[-1][1], hi)
                if closed >= 0:  # "... by 61 and 6.8 perplexity, respectively, while delivering 2x ...": the list ends
                    local = [f for f in local if f[0] < closed]
                if _HALVING.match(text, cue_start):
                    word = text[cue_start:cue_end].lower()
                    local = [(cue_start, 2.0)] if word.startswith(("halv", "doubl")) else local
                local = fx.signed_first(text, fx.gains_first(text, local))
                assigned = fx.assign(text, sentence, local, objects, cue_start)
                conf = confidence + (0.1 if any(f is not None for f in assigned) else 0.0)
                at = min(local, key=lambda f: abs(f[0] - cue_start))[0] if local else None
                written = tuple(min((f[0] for f in local if f[1] == value), key=lambda pos: abs(pos - cue_start),
                                    default=None) for value in assigned)
                out.append(Claim(objects, assigned, sentence, cue_start, round(min(conf, 0.95), 2), factor_at=at,
                                 factor_starts=written))
            out.extend(self._parity(text, sentence, factors, cues, mention_at))
            if factors and not any(c.sentence is sentence for c in out):
                out.extend(self._built_on(text, sentence, factors, mention_at))
            if factors and not any(c.sentence is sentence for c in out):
                unnamed = any(_STATED_AFTER.match(text, c[1], e) for c in cues if c[2] > FENCE)
                largest = max(factors, key=lambda f: f[1])
                out.append(Claim([], [largest[1]], sentence, s, 0.6, unnamed=unnamed, factor_at=largest[0]))
        return out

    @staticmethod
    def _factor_before(text: str, sentence: Sentence, found: list[tuple[int, int, float, list[tuple[int, int]]]],
                       factors: list[tuple[int, float]]) -> list[list[tuple[int, float]]]:
        """Several comparisons in one sentence, each with its factor before its cue ("by over 2x compared to A,
        and over 6x compared to B", "9.7x than A, 19.5x than B"): each claim takes the factors between the previous
        claim (or the last comma) and its own cue, not the largest in the sentence. Empty when the shape differs."""
        if len(found) < 2 or "respectively" in sentence.text:
            return []
        out: list[list[tuple[int, float]]] = []
        commas: list[int] = []
        previous = sentence.start
        for cue_start, _, _, objects in found:
            comma = max((m.end() for m in _COMMA.finditer(text, previous, cue_start)), default=previous)
            commas.append(comma)
            out.append([f for f in factors if comma <= f[0] < cue_start])
            previous = objects[-1][1]
        if not any(out[1:]):
            return []
        for index, segment in enumerate(out):
            if not segment:  # "(4% more accurate than A, or 1.5x faster than A, 2.6x faster than B)": the factor,
                # if any, follows this claim's own cue ("speedup over A of 2x, and 3x faster than B")
                stop = commas[index + 1] if index + 1 < len(commas) else sentence.end
                out[index] = [f for f in factors if found[index][1] <= f[0] < stop]
        return out

    @property
    def aliases(self) -> dict[int, list[str]]:
        return self.baselines.aliases

    def _parity(self, text: str, sentence: Sentence, factors: list[tuple[int, float]],
                cues: list[tuple[int, int, float]], mention_at: dict[int, int]) -> list[Claim]:
        """"matches the accuracy of X while being 4x faster", "comparable performance to X with 12x less memory":
        the paper is as good as X and better on another axis, so it outperforms X (by the factor, if stated)."""
        s, e = sentence.start, sentence.end
        out: list[Claim] = []
        if not self.parity_hint.search(text, s, e):
            return out
        for m in _PARITY.finditer(text, s, e):
            objects = self.baselines.objects(text, m.end(), e, mention_at)
            if not objects:
                continue
            lo, hi = self._clause(text, cues, s, e, m.start(), objects[-1][1])
            if not (_GAIN.search(text, objects[-1][1], hi) or _GAIN.search(text, lo, m.start())):
                continue
            local = [f for f in factors if lo <= f[0] < hi]
            # "matches both A and B accuracy with up to 2.0x and 7.1x fewer FLOPs, respectively": one each
            values = fx.assign(text, sentence, local, objects, m.start())
            out.append(Claim(objects, values, sentence, m.start(), 0.6 if not local else 0.7,
                             factor_at=local[-1][0] if local else None))
            break
        return out

    @staticmethod
    def _clause(text: str, cues: list[tuple[int, int, float]], s: int, e: int, start: int, end: int) -> tuple[int, int]:
        """The stretch around text[start:end] that no other comparison cue and no ";" or "(2)" interrupts."""
        lo = max([c[1] for c in cues if c[1] <= start] + [s])
        hi = min([c[0] for c in cues if c[0] >= end] + [e])
        enumerated = False
        for m in re.finditer(r";|\(\w{1,3}\)", text[lo:hi]):
            if lo + m.end() <= start:
                enumerated = enumerated or m.group() != ";"
                lo = lo + m.end()
            elif lo + m.start() >= end:
                if m.group() != ";" and not enumerated and not re.search(r"\d", text[end:lo + m.start()]):
                    continue  # "Compared to X, FooNet achieves (i) up to 3.5x ...": the list holds this claim's results
                    # (but "(i) ... on par with ResNet, (ii) ... 60x faster": the cue is inside an item)
                hi = lo + m.start()
                break
        turn = _NEW_SUBJECT.search(text, end, hi)
        return lo, turn.start() if turn else hi

    def _built_on(self, text: str, sentence: Sentence, factors: list[tuple[int, float]],
                  mention_at: dict[int, int]) -> list[Claim]:
        """"models based off T5-Base and T5-Large obtain up to 7x increases in speed": the factor is over the
        models the work is built on, when they are named before it in the same sentence."""
        m = _BUILT_ON.search(text, sentence.start, sentence.end)
        if not m or not any(f[0] > m.end() for f in factors) or not text[sentence.start:m.start()].strip():
            return []  # (but "Built on an AWQ-optimized pipeline, SparseVILA achieves ...": the work's own base)
        objects = [o for o in self.baselines.objects(text, m.end(), sentence.end, mention_at) if o[0] in mention_at]
        after = [f for f in factors if objects and f[0] > objects[-1][1]]
        if not objects or not after:
            return []
        value = max(v for _, v in after)
        return [Claim(objects, [value] * len(objects), sentence, m.start(), 0.55, factor_at=after[0][0])]

    def _cues(self, text: str, s: int, e: int, has_factor: bool, mention_at: dict[int, int] | None = None,
              own: frozenset[int] = frozenset()) -> list[tuple[int, int, float]]:
        cues: list[tuple[int, int, float]] = []
        positive = bool(_POSITIVE.search(text, s, e))
        for m in self.lex.compare_verb_re.finditer(text, s, e):
            others = _OTHERS_SUBJECT.search(text, max(s, m.start() - 80), m.start())
            if others and any(others.start(1) <= at < m.start() for at in own):
                others = None  # "the RegNet models outperform ...": the paper's own models
            if others and not _OWN_WORDS.search(text, s, m.start()):
                continue  # "autoregressive models have historically outperformed VAEs": others' result
            if not _NEGATED.search(text, max(s, m.start() - 40), m.start()):
                cues.append((m.start(), m.end(), 0.8))
        for m in _HALVING.finditer(text, s, e):
            cues.append((m.start(), m.end(), 0.7))
        for m in _IMPROVES_BASELINE.finditer(text, s, e) if has_factor else ():
            if not _NEGATED.search(text, max(s, m.start() - 40), m.start()):
                cues.append((m.start(), m.end(), 0.7))
        for m in _IMPROVES_NAME.finditer(text, s, e):
            stop = mention_at.get(m.end()) if mention_at else None
            if stop is not None and self.baselines.kinds.get(m.end()) in ("Technique", "Software") and \
                    _BY_AMOUNT_AFTER.match(text, stop, e):
                cues.append((m.start(), m.end(), 0.7))  # "speedups improving EAGLE-2 by 9.5%": a method improved on
        for m in self.lex.compare_prep_re.finditer(text, s, e):
            word = m.group().lower()
            before = text[max(s, m.start() - 300):m.start()]
            window = text[max(s, m.start() - 60):m.start()]
            if _NEGATIVE.search(window) and not has_factor:
                continue
            if _NEGATED.search(text, max(s, m.start() - 40), m.start()):
                continue
            if word == "than":
                if not (_COMPARATIVE.search(before) or re.search(rf"{fx.TIMES}\s*$", before) or
                        _TIMES_LONGER.search(before)):
                    continue
                if re.search(r"\b(?:more|less|fewer)\s*$", before, re.I) and \
                        re.match(rf"\s*(?:\d|(?:{fx.NUMBER_WORD})\b)", text[m.end():e], re.I):
                    continue
                if _SIZE_THAN.search(before) and (not has_factor or _PARAMETERS_THEN.search(before)):
                    continue  # "(e.g., larger than GPT-3)": a size, not a win
                if _TAKES_LONGER.search(before):
                    continue  # "takes 3.3 times longer than X": slower (read by _SLOW_AS when X is the baseline)
            elif word == "over" and _OVER_NOT_COMPARED.search(window):
                continue  # "a grid search over hybrid parallelism hyperparameters": not a comparison
            elif word in {"over", "against", "vs", "vs."}:
                # without a factor the comparative must be near: "gains ... applying an algorithm over beam search
                # results" compares nothing
                if not (has_factor or _COMPARATIVE.search(window) or _BY_AMOUNT_END.search(before)):
                    continue
                after = re.match(r"\s*(?:\d|time|the course|multiple|(a |an ))", text[m.end():e])
                lead = _LOWER_WORDS.match(text, m.end() + after.end()) if after and after.group(1) else None
                named = lead and mention_at and lead.end() in mention_at
                device = after and after.group(1) and _A_DEVICE.match(text, m.end() + after.end(), e)
                if word == "over" and after and not named and not device:
                    continue  # "over time", "over a week"; but "3.7x over a (standard) DGX H100"
            elif word.startswith("speed") and _BENEFICIARY.match(text, m.end(), e):
                # "..., and brings up to 5.59x end-to-end speedup to applications like GNNs": who gains, no baseline,
                # but a clause of its own (its factor is not the earlier baseline's)
                cues.append((m.start(), m.end(), FENCE))
                continue
            elif not (has_factor or positive) or (word == "with respect to" and not has_factor):
                continue
            cues.append((m.start(), m.end(), 0.75 if word == "than" else 0.65))
        return cues


def _own_clause(text: str, factors: list[tuple[int, float]], cue_start: int) -> list[tuple[int, float]]:
    """"a speedup of up to 6.5x, with about 1.4x improvement over EAGLE-2": the factor right before the cue, in a
    clause of its own after a comma, is the baseline's; the larger one before the comma is against another."""
    attached = [f for f in factors if f[0] < cue_start and _CUE_FACTOR.fullmatch(text, f[0], cue_start)]
    if not attached or len(factors) < 2:
        return factors
    comma = text.rfind(",", 0, attached[-1][0])
    if comma < 0 or any(comma < f[0] < attached[-1][0] for f in factors):
        return factors
    previous = [f for f in factors if f[0] < attached[-1][0]]
    if previous and fx.listed(text, [previous[-1], attached[-1]]):
        return factors  # "4.64X, 22.7X, 2.39X, and 1.47X speedup compared to A, B, C and D": one list
    if not _CLAUSE_LEAD.match(text, comma + 1, attached[-1][0]):
        return factors  # "up to 2.2x higher throughput, and 1.5x lower latency than vLLM": one list of results
    return [f for f in factors if f[0] > comma]

