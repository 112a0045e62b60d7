"""`outperforms` claims: who beats whom, by what factor, on which metric and hardware.

Handles "outperforms X by N x", "N x faster than X", "N x speedup over X", "compared to X", lists of baselines with
aligned factors ("by 87%, 131% and 55%, respectively" -> 1.87, 2.31, 1.55), ranges and "up to" (largest wins),
"twice"/"by half", and the inverted "X is twice as slow as Y".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graph.extraction.lexicon import Lexicon
from graph.extraction.names import is_name_token
from graph.extraction.text import NUMBER, Sentence

MAX_CLAIMS = 200
"""A real abstract makes a handful of comparisons; pathological input stops here."""
_NUM = rf"(?:{NUMBER})"
_TIMES = r"(?:\s*(?:x|×|X|times|\\times|\$\\times\$|-fold|fold)(?![A-Za-z0-9]))"
FACTOR = re.compile(rf"(?<![\w.])(?:up to |over |more than |>|~|about |around |nearly |almost |roughly )?"
                    rf"({_NUM})(?:\s*(?:-|–|~|to)\s*({_NUM}))?{_TIMES}(?!\s*\d)")
PERCENT = re.compile(rf"(?<![\w.])({_NUM})\s*\\?%")
WORDS = re.compile(r"\b(?:twice|double[sd]?|doubling|halv(?:es|ing|ed)|by half|(?:one|a) half)\b", re.I)
_COMPARATIVE = re.compile(r"\b(?:faster|slower|higher|lower|better|more|less|fewer|greater|larger|smaller|cheaper|"
                          r"superior|speed-?ups?|improv\w*|gains?|reductions?|accelerat\w+|advantages?|boosts?|"
                          r"increase)\b", re.I)
_POSITIVE = re.compile(r"\b(?:faster|better|higher|lower|less|fewer|more|outperform\w*|surpass\w*|improv\w*|reduc\w*|"
                       r"sav\w+|speed-?ups?|accelerat\w+|superior|exceed\w*|gains?|cheaper|smaller|beats?|merely|only|"
                       r"halv\w+|doubl\w+|twice|optimal|dominant|advantages?)\b", re.I)
_NEGATIVE = re.compile(r"\b(?:degradation|drop|loss|worse|slower|lags?|behind|inferior|comparable|similar|on par|"
                       r"matches|matching)\b", re.I)
_HALVING = re.compile(r"\b(?:halv\w+|doubl\w+)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}(?:time|cost|latency|"
                      r"memory|footprint|runtime)\s+of\s+", re.I)
_TIMES_OF = re.compile(rf"(?<![\d.,])({_NUM})\s*[xX×]\s+"
                       r"(?:the\s+\w+\s+of\s+(?:that\s+of\s+)?|of\s+(?:that\s+of\s+)?)(?=\S)")
_SPEEDY = re.compile(r"\b(?:faster|speed|speedup|speed-up|throughput|latency|runtime|end-to-end|time|cost|costs|"
                     r"efficiency|cheaper)\b", re.I)
_ACCURACY = re.compile(r"\b(?:accuracy|points?|score|bleu|rouge|f1|mAP|AP|precision|recall|win rate|absolute)\b", re.I)
_SLOW_AS = re.compile(r"\b(?:is|are|was|were|runs?)\s+(?:about\s+|roughly\s+|nearly\s+|around\s+)?"
                      rf"(twice|{_NUM}\s*(?:x|×|times))\s+(?:as\s+)?(?:slow|slower|expensive|costly)\s+(?:as|than)\s+",
                      re.I)
_POSSESSIVE = re.compile(r"'s\b|’s\b")
_BASELINE_HEADS = {"baseline", "baselines", "model", "models", "counterpart", "counterparts", "batch", "batches",
                   "variant", "variants", "transformer", "transformers", "kernel", "kernels", "implementation"}
_PLURAL_CLASSES = {"models", "methods", "approaches", "systems", "frameworks", "techniques", "baselines", "works",
                   "solutions", "algorithms", "networks", "architectures", "implementations", "engines", "libraries"}
_SIZE_WORD = re.compile(r"^\d+(?:\.\d+)?\s?[KMBkmb]\b")
_APPOS = re.compile(r"^\s*,\s*(?!and\b|or\b|which\b|while\b|with\b)")
_NEXT_WORD = re.compile(r"\s+([A-Za-z]+)\b")
_PAREN_ITEM = re.compile(r"\s*\(\s*(\S)")
_BY_AMOUNT = re.compile(r"\s+by\s+(?:up\s+to\s+|about\s+|over\s+)?[\d.,]+\s*(?:\\?%|x|×|times|points?|pp)?"
                        r"(?:\s+(?:on\s+average|in\s+\w+))?")
_FACTOR_BLOCK = re.compile(r"(?:speed|memory|reduction|compression|improvement|faster|higher|lower|larger|smaller)")
_ITEM_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|\s*/\s*)")


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


class Comparisons:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.stop = lexicon.stop_words
        self.techniques: set[int] = set()
        self.any_cue = re.compile(rf"\d\s*(?:x|×|X|times|\\?%|-fold|fold)|{WORDS.pattern}|{_HALVING.pattern}|"
                                  rf"{lexicon.compare_verb_re.pattern}|{lexicon.compare_prep_re.pattern}", re.I)
        self.specific: set[int] = set()

    def claims(self, text: str, spans: list[Sentence], mention_at: dict[int, int]) -> list[Claim]:
        """`mention_at` maps mention starts to ends in the abstract (objects snap to known mentions)."""
        out: list[Claim] = []
        for sentence in spans:
            if len(out) >= MAX_CLAIMS:
                break
            s, e = sentence.start, sentence.end
            if not self.any_cue.search(text, s, e):
                continue
            factors = self._factors(text, s, e)
            cues = self._cues(text, s, e, bool(factors))
            slow = _SLOW_AS.search(text, s, e)
            if slow:
                obj = self._np_before(text, s, slow.start(), mention_at)
                if obj:
                    value = 2.0 if slow.group(1).lower() == "twice" else _first_number(slow.group(1))
                    out.append(Claim([obj], [value], sentence, slow.start(), 0.8, subject_hint=slow.end()))
            for m in _TIMES_OF.finditer(text, s, e):
                objects = self._objects(text, m.end(), e, mention_at)
                if objects and not _FACTOR_BLOCK.match(text, m.end()):
                    value = float(m.group(1).replace(",", ""))
                    out.append(Claim(objects[:1], [value], sentence, m.start(), 0.7))
            claimed = {c.cue_start for c in out}
            ordered = sorted(cues)
            for index, (cue_start, cue_end, confidence) in enumerate(ordered):
                objects = self._objects(text, cue_end, e, mention_at)
                if not objects or cue_start in claimed:
                    continue
                lo = ordered[index - 1][1] if index else s
                hi = ordered[index + 1][0] if index + 1 < len(ordered) else e
                local = [f for f in factors if lo <= f[0] < hi] or (factors if len(ordered) == 1 else [])
                if _HALVING.match(text, cue_start):
                    word = text[cue_start:cue_end].lower()
                    local = [(cue_start, 2.0)] if word.startswith(("halv", "doubl")) else local
                assigned = self._assign(text, sentence, local, objects, cue_start)
                conf = confidence + (0.1 if any(f is not None for f in assigned) else 0.0)
                at = min(local, key=lambda f: abs(f[0] - cue_start))[0] if local else None
                out.append(Claim(objects, assigned, sentence, cue_start, round(min(conf, 0.95), 2), factor_at=at))
            if factors and not any(c.sentence is sentence for c in out):
                out.append(Claim([], [max(v for _, v in factors)], sentence, s, 0.6))
        return out

    def _cues(self, text: str, s: int, e: int, has_factor: bool) -> list[tuple[int, int, float]]:
        cues: list[tuple[int, int, float]] = []
        positive = bool(_POSITIVE.search(text, s, e))
        for m in self.lex.compare_verb_re.finditer(text, s, e):
            cues.append((m.start(), m.end(), 0.8))
        for m in _HALVING.finditer(text, s, e):
            cues.append((m.start(), m.end(), 0.7))
        for m in self.lex.compare_prep_re.finditer(text, s, e):
            word = m.group().lower()
            before = text[max(s, m.start() - 300):m.start()]
            window = text[max(s, m.start() - 60):m.start()]
            if _NEGATIVE.search(window) and not has_factor:
                continue
            if word == "than":
                if not (_COMPARATIVE.search(before) or re.search(rf"{_TIMES}\s*$", before)):
                    continue
                if re.search(r"\b(?:more|less|fewer)\s*$", before, re.I) and re.match(r"\s*\d", text[m.end():e]):
                    continue
            elif word in {"over", "against", "vs", "vs."}:
                if not (has_factor or _COMPARATIVE.search(before)):
                    continue
                if word == "over" and re.match(r"\s*(?:\d|time|the course|multiple|a |an )", text[m.end():e]):
                    continue
            elif not (has_factor or positive):
                continue
            cues.append((m.start(), m.end(), 0.75 if word == "than" else 0.65))
        return cues

    # -- factors ------------------------------------------------------------------------------------------
    def _factors(self, text: str, s: int, e: int) -> list[tuple[int, float]]:
        found: list[tuple[int, float]] = []
        for m in FACTOR.finditer(text, s, e):
            after = text[m.end():m.end() + 30]
            if re.match(r"\s*(?:NVIDIA\s+|AMD\s+)?[A-Z]{1,4}[-\s]?\d{2,4}|\s*(?:GPUs?|nodes?|devices?)\b", after):
                continue  # "4times RTX-3090 GPUs" is a device count
            if re.search(r"\d\s*(?:x|×|times)\s*$", text[max(s, m.start() - 8):m.start()]):
                continue
            values = [float(g.replace(",", "")) for g in m.groups() if g]
            value = max(values)
            if value <= 1.0 or value > 100_000:
                continue
            found.append((m.start(), value))
        for m in PERCENT.finditer(text, s, e):
            window = text[m.start():min(e, m.end() + 40)]
            if _ACCURACY.search(window) or not _SPEEDY.search(text[s:e]):
                continue
            if re.match(r"\s*\\?%?\s*(?:lower|less|fewer|reduction|smaller|of\b)", text[m.end():m.end() + 12], re.I):
                continue
            value = float(m.group(1).replace(",", ""))
            if 0 < value < 1000:
                found.append((m.start(), round(1 + value / 100, 4)))
        for m in WORDS.finditer(text, s, e):
            found.append((m.start(), 2.0))
        return sorted(found)

    def _assign(self, text: str, sentence: Sentence, factors: list[tuple[int, float]],
                objects: list[tuple[int, int]], cue_start: int) -> list[float | None]:
        if not factors:
            return [None] * len(objects)
        respectively = "respectively" in sentence.text
        after_objects = [f for f in factors if f[0] > objects[-1][1]]
        before_cue = [f for f in factors if f[0] < cue_start]
        if len(objects) > 1 and respectively and len(after_objects) == len(objects):
            return [v for _, v in after_objects]
        if len(objects) > 1 and respectively and len(before_cue) == len(objects):
            return [v for _, v in before_cue]
        if len(objects) > 1 and len(factors) == len(objects) and all(f[0] < cue_start for f in factors) and \
                re.search(r",", text[factors[0][0]:factors[-1][0]]):
            return [v for _, v in factors]
        return [max(v for _, v in factors)] * len(objects)

    # -- objects ------------------------------------------------------------------------------------------
    def _objects(self, text: str, start: int, end: int, mention_at: dict[int, int]) -> list[tuple[int, int]]:
        pos = start
        items: list[tuple[int, int]] = []
        for _ in range(12):
            item = self._item(text, pos, end, mention_at)
            if item is None:
                break
            i_start, i_end, generic = item
            rest = text[i_end:end]
            head = text[i_start:i_end].split()[-1].lower() if text[i_start:i_end].split() else ""
            appos = _APPOS.match(rest)
            direct = re.match(r"\s+", rest)
            if generic and not items and direct and i_end + direct.end() in mention_at:
                pos = i_end + direct.end()
                continue
            if generic or (appos and head in _BASELINE_HEADS and i_start not in mention_at):
                intro = self.lex.intro_re.match(rest) or appos
                if intro and not items:
                    pos = i_end + intro.end()
                    continue
                by = _BY_AMOUNT.match(text, i_end, end)
                if by and _ITEM_SEP.match(text, by.end(), end):
                    pos = _ITEM_SEP.match(text, by.end(), end).end()  # type: ignore[union-attr]
                    continue
            else:
                items.append((i_start, i_end))
            paren = _PAREN_ITEM.match(text, i_end, end)
            if paren and paren.start(1) in mention_at:
                items.append((paren.start(1), mention_at[paren.start(1)]))
                close = text.find(")", paren.start(1), end)
                i_end = close + 1 if close > 0 else mention_at[paren.start(1)]
            by = _BY_AMOUNT.match(text, i_end, end)
            if by:
                i_end = by.end()
            sep = _ITEM_SEP.match(text, i_end, end)
            if not sep or (generic and not items):
                break
            pos = sep.end()
        return items

    def _item(self, text: str, pos: int, end: int, mention_at: dict[int, int]) -> tuple[int, int, bool] | None:
        while pos < end and text[pos] in " \t\"'(":
            pos += 1
        words = list(re.finditer(r"[A-Za-z0-9][\w.+&\\-]{0,60}", text[pos:min(end, pos + 400)]))
        det = self.lex.determiner_prefix.match(text[pos:end])
        skip = det.end() if det else 0
        for w in words[:4]:
            at = pos + w.start()
            if w.start() < skip:
                continue
            if at in mention_at:
                stop = mention_at[at]
                if re.match(r"-[a-z]", text[stop:stop + 2]):  # "LoRA-trained X": a modifier, not the item
                    continue
                follow = _NEXT_WORD.match(text, stop)
                if follow and follow.group(1).lower() in _PLURAL_CLASSES and at not in self.specific:
                    return at, follow.end(), True  # "quantization methods": a class of baselines
                first = pos + skip
                if first < at and at in self.techniques and re.fullmatch(r"[a-z][\w-]*(?:\s+[a-z][\w-]*)?",
                                                                        text[first:at].strip()):
                    return first, stop, False  # "single-sequence speculative decoding": a variant of its own
                return at, stop, False
            low = w.group().lower().rstrip(".")
            if low in self.stop or (w.start() >= skip and not re.fullmatch(r"[a-z][\w-]*", w.group())):
                break
        taken: list[re.Match[str]] = []
        cursor = 0
        for w in words:
            gap = text[pos + cursor:pos + w.start()]
            if taken and gap.strip():
                break
            low = w.group().lower().rstrip(".")
            if low in self.stop or re.fullmatch(rf"{NUMBER}[x%]?", low) or len(taken) >= 6:
                break
            if taken and (pos + w.start() in mention_at or re.fullmatch(r"[a-z]+ed", low)):
                break
            taken.append(w)
            cursor = w.end()
        if not taken:
            return None
        i_start, i_end = pos + taken[0].start(), pos + taken[-1].end()
        while i_end > i_start and text[i_end - 1] == ".":
            i_end -= 1
        possessive = _POSSESSIVE.search(text, i_start, i_end)
        if possessive:
            i_end = possessive.start()
        phrase = text[i_start:i_end]
        det = self.lex.determiner_prefix.match(phrase)
        if det:
            i_start += det.end()
            phrase = text[i_start:i_end]
        size = _SIZE_WORD.match(phrase)
        if size and len(phrase.split()) > 1:
            i_start += size.end() + 1
            phrase = text[i_start:i_end]
        generic = not phrase or phrase.lower() in self.lex.generic_names or \
            phrase.lower().rstrip("s") in self.lex.generic_names or len(phrase) < 2
        if not generic and i_start not in mention_at and not self.acceptable(phrase):
            generic = True
        return i_start, i_end, generic

    def acceptable(self, phrase: str) -> bool:
        """An unseen baseline: a name, or a specific noun phrase with a method-like head ("decode-only batch")."""
        words = phrase.split()
        if _SIZE_WORD.match(phrase):
            return False
        head = words[-1].lower()
        if head in _PLURAL_CLASSES:
            return False
        if len(words) == 1 and re.fullmatch(r"[A-Z][a-z]{2,}[\w-]*", words[0]) and words[0].lower() not in self.stop:
            return True  # "Rerender" in "than FlowVid, CoDeF, Rerender, and TokenFlow"
        if any(is_name_token(w) for w in words):
            return not all(w in self.lex.generic_acronyms for w in words if is_name_token(w))
        return len(words) >= 2 and (head in self.lex.technique_heads or head in _BASELINE_HEADS)

    def _np_before(self, text: str, s: int, end: int, mention_at: dict[int, int]) -> tuple[int, int] | None:
        for start, stop in mention_at.items():
            if s <= start and stop <= end and not text[stop:end].strip():
                return start, stop
        m = re.search(r"([A-Za-z][\w.+-]*(?:\s+[A-Za-z][\w.+-]*){0,3})\s*$", text[s:end])
        if not m:
            return None
        return s + m.start(1), s + m.end(1)


def _first_number(text: str) -> float | None:
    m = re.search(NUMBER, text)
    return float(m.group().replace(",", "")) if m else None


def metric_of(text: str, lex: Lexicon, anchor: int | None = None) -> str | None:
    """The metric a comparison sentence is about: the one named nearest to `anchor` (an offset into `text`),
    a specific one before the generic "speedup"."""
    low = text.lower()
    found: list[tuple[int, int, str]] = []
    for metric, regex in lex.metric_res:
        for m in regex.finditer(low):
            distance = abs(m.start() - anchor) if anchor is not None else 0
            found.append((distance + (40 if metric == "speedup" else 0), 0, metric))
    return min(found)[2] if found else None
