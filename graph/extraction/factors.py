"""Improvement factors in comparison sentences: "3.5x", "2.31times", "5-20 times", "up to 11.69×", "87% faster"
(-> 1.87), "twice", "by half", "a speedup of 3.1", "from 120 ms to 30 ms" (-> 4); and how a sentence's factors are
shared out among its baselines.

The guide's rules: the largest ("up to") value of a range or list wins; percentages of a speed-like quantity become
1.xx; percentages of accuracy-like quantities are no factor; "15x, 46x and 108x faster than A, B and C" is one
factor per baseline. All patterns are linear (no nested quantifiers over overlapping classes).
"""

from __future__ import annotations

import re
from itertools import pairwise

from paperkg.graph.extraction.text import NUMBER, Sentence

_NUM = rf"(?:{NUMBER})"
BY = r"\bby\s+(?:up\s+to\s+|about\s+|nearly\s+|over\s+)?"
"""'by up to ': what introduces the amount a result is better by."""
AMOUNT = r"[\d.,]+\s*(?:\\?%|x|×|times|points?|pp)?"
"""'2.1x', '37%', '4 points': an amount after "by"."""
TIMES = (r"(?:\s*(?:×|\\\(\s*\\times\s*\\\)|\\(?:text)?times|\$\\times\$)(?!\d|\.\d)|"
         r"\$?\s*(?:x|X|times|-folds?|folds?)(?![A-Za-z0-9]))")
"""A multiplication sign: "x", "×" (also glued to the next word, "2.5×faster", or ending the sentence, "by 2.5×."),
"times", LaTeX, "-fold"; not "2×3" or "2×.5"."""
FACTOR = re.compile(rf"(?<![\w.])(?:up to |over |more than |>|~|about |around |nearly |almost |roughly )?"
                    rf"({_NUM}){TIMES}?(?:\s*(?:-|–|~|to)\s*({_NUM}))?{TIMES}(?!\s*\d)")
SHARED_SIGN = re.compile(rf"(?<![\w.$])({_NUM})(?=(?:\s*,\s*{_NUM})*\s*,?\s*(?:and|or)\s+{_NUM}{TIMES})")
"""'up to 2 and 8 times less memory', '2, 3 and 4x': the numbers before the last share its sign."""
FACTOR_OF = re.compile(rf"\b[Ff]actor\s+of\s+(?:up\s+to\s+|about\s+|around\s+|nearly\s+|~\s*)?({_NUM})"
                       rf"(?![\d.,]*\s*\\?%)")
"""'by a factor of 2.5'."""
SPEEDUP_OF = re.compile(rf"\b[Ss]peed-?ups?(?:\s+ratios?)?\s+of\s+(?:up\s+to\s+|about\s+|around\s+|nearly\s+|"
                        rf"over\s+)?({_NUM})(?![\d.,]*\s*(?:\\?%|[xX×]|times|-fold|fold|orders?\s+of\s+magnitude))")
"""'a speedup of 3.1 over X', 'a speed-up ratio of up to 3.2': a speedup is a factor even without its sign."""
BARE_SPEEDUP = re.compile(rf"(?<![\d.,\w])(?:({_NUM})\s*[-–~]\s*)?({_NUM})\s+speed-?ups?\b|"
                          rf"\b[Ss]peed-?ups?\s+of\s+{_NUM}\s*\(\s*up\s+to\s+({_NUM})\s*\)|"
                          rf"(?<![\d.,\w]){_NUM}\s*\(\s*up\s+to\s+({_NUM})\s*\)(?=(?:[^.;]|\.\d)*\bspeed-?ups?\b)")
"""'1.29-8.72 speedup over X', 'an average speedup of 1.42 (up to 2.14)', '1.28 (up to 1.73) and 1.27 (up to
2.04) speedup': numbers a speedup names without a sign."""
_UNIT = (r"(?:tokens?|tok|requests?|reqs?|queries|images?|samples?|sequences?|frames?)\s*"
         r"(?:/\s*s(?:ec)?\b|per\s+second)|QPS|RPS|FPS|[KMGT]?B/s|"
         r"ms|milliseconds?|s|sec|seconds?|minutes?|min|hours?|h|days?|[KMGT]i?B")
FROM_TO = re.compile(rf"\bfrom\s+({_NUM})\s*({_UNIT})?\s+(?:down\s+|up\s+)?to\s+(?:only\s+|just\s+)?({_NUM})\s*"
                     rf"({_UNIT})(?![\w/])")
"""'cuts latency from 120 ms to 30 ms', 'from 30 to 90 tokens/s': a time, size or rate before and after, one unit
(the factor is their ratio)."""
ORDERS = re.compile(r"\b(?:(\d)|(an|one|two|three|four|five))\s+orders?\s+of\s+magnitude\b", re.I)
"""'up to 2 orders of magnitude faster': a factor of 10 to that power."""
PERCENT = re.compile(rf"(?<![\w.])({_NUM})(?:\s*\\?%|\s+percent\b)")
WORDS = re.compile(r"\b(?:[Tt]wice|[Dd]ouble[sd]?|[Dd]oubling|[Hh]alv(?:es|ing|ed)|by half|(?:one|a) half)\b")
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
                "hundred": 100, "a hundred": 100, "one hundred": 100, "thousand": 1000, "a thousand": 1000}
NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
"""An alternation of the number words (longest first), for the comparison cues that also take them."""
WORD_TIMES = re.compile(rf"\b({NUMBER_WORD})(?:\s*-?\s*fold|\s+times)\s+(?=(?:as\s|the\s|more\b|less\b|lower|"
                        r"higher|faster|slower|smaller|larger|fewer|cheaper|better|speed|throughput|memory|energy|"
                        r"increase|reduction|decrease|improvement|gain))", re.I)
"""'three times faster', 'three times the throughput', 'a ten-fold speedup': a factor in words; a comparison must
follow ('we run it three times', 'threefold advantages over PPO' count something else)."""
BY_WORD_TIMES = re.compile(rf"{BY}({NUMBER_WORD})\s+times\b", re.I)
"""'improving upon methods such as SpQR by up to two times in terms of perplexity': a factor in words after "by"."""
_SPEEDY = re.compile(r"\b(?:faster|speed|speedup|speed-up|throughput|latency|runtime|end-to-end|time|cost|costs|"
                     r"efficiency|cheaper|quicker|accelerat\w*)\b|\b(?:T?FLOPs?/s|tokens?/s)(?![\w/])", re.I)
_ACCURACY = re.compile(r"\b(?:accuracy|points?|score|bleu|rouge|f1|mAP|AP|mIoU|precision|recall|win rate|absolute|"
                       r"perplexity|ppl|error|quality|utilization|of the performance|performance of|sparsity|sparse|"
                       r"of the (?:weights|parameters)|WER|CER|word error rate)\b", re.I)
_LEVEL_BEFORE = re.compile(r"\b(?:(?:sparsity|pruning|compression)\s+(?:level|ratio|rate)s?\s+(?:of|at|to)|"
                           r"(?:accuracy|top-[15]|mAP|AP|mIoU|BLEU|F1|score|precision|recall)\s+(?:of|at)\s+"
                           r"(?:only\s+|about\s+|over\s+)?)\s*$", re.I)
"""'at a high sparsity level of 70%', 'a Top-1 accuracy of 80.4%': a setting or a level, not an improvement."""
_LEVELS_FROM = re.compile(r"(?<!by )\bfrom\s+$")
_RANGE_TO = re.compile(r"\s+to\s+[\d.]+\s*\\?%")
_RANGE_FROM = re.compile(r"(?<!by )\bfrom\s+[\d.]+\s*\\?%\s+to\s+$")
_LEVEL_AFTER = re.compile(r"\s+(?:(?:(?:weak|strong|linear|parallel)[\s-])?scaling\s+efficiency|"
                          r"(?:of\s+)?(?:the\s+)?(?:theoretical|peak)\s|"
                          r"(?:compression|sparsity|pruning)\s+(?:ratios?|rates?|levels?)\b)", re.I)
"""'with 99.4% weak-scaling efficiency', '54.5% theoretical computation power': a level reached; 'at 40% compression
ratio': a setting."""
_DEVICES_AFTER = re.compile(r"\$?\s*(?:NVIDIA\s+|AMD\s+)?[A-Z]{1,4}[-\s]?\d{2,4}|\$?\s*(?:GPUs?|nodes?|devices?)\b")
"""After a count sign, a device: "8x A100", "$8\\times$A100" (LaTeX), "4times RTX-3090 GPUs"."""
_MODEL_NUMBER = re.compile(r"\d{3,5}X")
_BRAND_BEFORE = re.compile(r"\b[A-Z][A-Za-z]+\s+$")
_SETTING_BEFORE = re.compile(r"\bat\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}(?:ratio|rate|level|budget)\s+of\s+$", re.I)
_CONDITION_BEFORE = re.compile(r"\b(?:[Ww]hen|[Ii]f|[Oo]nce)\s+(?:\w+\s+)?\w+ing\b[^,;.]{0,60}?\bby\s+"
                               r"(?:up\s+to\s+|about\s+|roughly\s+)?$")
"""'when reducing the size of the KV cache by 2x, ... higher throughput than X': the condition, not the gain."""
_DIMENSION_BEFORE = re.compile(r"\d\s*(?:x|×|times)\s*$")
_LESS_AFTER = re.compile(r"\s*\\?%?\s*(?:to\s+[\d.]+\s*\\?%\s*)?(?:lower|less|fewer|reduction|smaller|of\b|the\b)",
                         re.I)
_REACHED_BEFORE = re.compile(r"\b(?:achiev\w*|reach\w*|meets?|attain\w*|obtain\w*|scor\w*)\s+(?:only\s+|about\s+|"
                             r"nearly\s+|over\s+|up\s+to\s+)?$", re.I)
_GAIN_AFTER = re.compile(r"\s*\\?%?\s*(?:[\w-]+\s+)?(?:faster|higher|more|better|speed-?ups?|improvements?|increases?|"
                         r"gains?|boosts?|acceleration)\b", re.I)
_PERCENT_LISTED = re.compile(r"\s*,\s*(?:and\s+)?[\d.]+\s*\\?%")
"""'achieves 35%, 36%, ... and 45% inference time reduction compared with A, B, ...': a list, one per baseline."""
_SHARE_BEFORE = re.compile(r"\b(?:only|merely|just|mere)\s+$", re.I)
_LIST_BETWEEN = re.compile(r"^(?:\s*(?:,|and|,\s*and|/|or)\s*(?:up to\s+|about\s+)?)$")


def first_number(text: str) -> float | None:
    m = re.search(NUMBER, text)
    return float(m.group().replace(",", "")) if m else None


def find(text: str, s: int, e: int) -> list[tuple[int, float]]:
    """(offset, value) of every improvement factor in text[s:e], in order."""
    found: list[tuple[int, float]] = []
    for m in FACTOR.finditer(text, s, e):
        if _DEVICES_AFTER.match(text, m.end(), min(e, m.end() + 30)):
            continue  # "4times RTX-3090 GPUs" is a device count
        if _DIMENSION_BEFORE.search(text, max(s, m.start() - 8), m.start()):
            continue  # "512 x 512"
        if _SETTING_BEFORE.search(text, max(s, m.start() - 40), m.start()):
            continue  # "at a compression ratio of 10000x": a setting, not a gain
        if _CONDITION_BEFORE.search(text, max(s, m.start() - 100), m.start()):
            continue  # "when reducing the KV cache by 2x, ...": the condition of a finding, not its gain
        if _MODEL_NUMBER.fullmatch(m.group()) and _BRAND_BEFORE.search(text, max(s, m.start() - 30), m.start()):
            continue  # "AMD Ryzen Threadripper 3970X CPU": a model number, not a factor
        values = [float(g.replace(",", "")) for g in m.groups() if g]
        value = max(values)
        if value <= 1.0 or value > 100_000:
            continue
        found.append((m.start(), value))
    for m in (*FACTOR_OF.finditer(text, s, e), *SPEEDUP_OF.finditer(text, s, e), *SHARED_SIGN.finditer(text, s, e)):
        value = float(m.group(1).replace(",", ""))
        if 1.0 < value <= 100_000:
            found.append((m.start(1), value))
    for m in BARE_SPEEDUP.finditer(text, s, e):
        value = max(float(g.replace(",", "")) for g in m.groups() if g)
        if 1.0 < value <= 100_000 and not any(m.start() <= at < m.end() and v == value for at, v in found):
            found.append((m.start(), value))
    for m in FROM_TO.finditer(text, s, e):
        before, after = float(m.group(1).replace(",", "")), float(m.group(3).replace(",", ""))
        if (m.group(2) in (None, m.group(4))) and before > 0 and after > 0 and before != after:
            found.append((m.start(), round(max(before, after) / min(before, after), 4)))
    speedy = _SPEEDY.search(text, s, e) is not None
    for m in PERCENT.finditer(text, s, e):
        if not speedy or _ACCURACY.search(text, m.start(), min(e, m.end() + 40)) or \
                _LEVEL_BEFORE.search(text, max(s, m.start() - 40), m.start()):
            continue
        if _LEVEL_AFTER.match(text, m.end()) or _RANGE_FROM.search(text, max(s, m.start() - 24), m.start()) or (
                _RANGE_TO.match(text, m.end()) and _LEVELS_FROM.search(text, max(s, m.start() - 12), m.start())):
            continue  # "with 99.4% weak-scaling efficiency", "(from 38.8% to 46.5%)": levels, not a gain
        if _LESS_AFTER.match(text, m.end(), m.end() + 12):
            continue  # "30% less memory" is a reduction, not a speedup factor
        if _SHARE_BEFORE.search(text, max(s, m.start() - 12), m.start()):
            continue  # "our training cost is merely 1%": a share of the baseline's cost, not a 1.01x gain
        if _REACHED_BEFORE.search(text, max(s, m.start() - 16), m.start()) and not _GAIN_AFTER.match(text, m.end()) \
                and not _PERCENT_LISTED.match(text, m.end()):
            continue  # "MoGA-B meets 75.5% which costs only 0.5 ms more": a level reached, not a gain
        value = float(m.group(1).replace(",", ""))
        if 0 < value < 1000:
            found.append((m.start(), round(1 + value / 100, 4)))
    for m in WORDS.finditer(text, s, e):
        found.append((m.start(), 2.0))
    for m in ORDERS.finditer(text, s, e):
        power = int(m.group(1)) if m.group(1) else NUMBER_WORDS.get(m.group(2).lower(), 1)  # "an", "one": 1
        found.append((m.start(), float(10 ** power)))
    for m in (*WORD_TIMES.finditer(text, s, e), *BY_WORD_TIMES.finditer(text, s, e)):
        found.append((m.start(1), float(NUMBER_WORDS[" ".join(m.group(1).lower().split())])))
    return sorted(set(found))


def assign(text: str, sentence: Sentence, factors: list[tuple[int, float]], objects: list[tuple[int, int]],
           cue_start: int) -> list[float | None]:
    """One factor per object: aligned lists ("by 87%, 131% and 55%, respectively", "by up to 29x, 29x and 3x"),
    else the largest factor for every object."""
    if not factors:
        return [None] * len(objects)
    respectively = "respectively" in sentence.text
    after_objects = [f for f in factors if f[0] > objects[-1][1]]
    before_cue = [f for f in factors if f[0] < cue_start]
    n = len(objects)
    if n > 1 and len(after_objects) == n and (respectively or listed(text, after_objects)):
        return [v for _, v in after_objects]
    if n > 1 and len(after_objects) > n and len(after_objects) % n == 0:
        groups = [after_objects[i:i + n] for i in range(0, len(after_objects), n)]
        if respectively or all(listed(text, g) for g in groups):  # "by 1.86x and 1.37x on one GPU, and 1.96x and ..."
            return [max(g[i][1] for g in groups) for i in range(n)]  # "by 1.5x and 2.7x in latency and 2x and 4x"
    if n > 1 and respectively and len(before_cue) >= n:
        last_lists = before_cue[len(before_cue) % n:]  # the last lists before the cue, one value per baseline each
        groups = [last_lists[i:i + n] for i in range(0, len(last_lists), n)]
        return [max(g[i][1] for g in groups) for i in range(n)]  # "1.6x, 3x speedup and 1.4x, 3.2x energy savings"
    if n > 1:
        between = [[f for f in factors if objects[i][1] <= f[0] < (objects[i + 1][0] if i + 1 < n else sentence.end)]
                   for i in range(n)]
        if all(len(b) == 1 for b in between):
            return [b[0][1] for b in between]  # "outperforms A by 2x and B by 3x"
    if n > 1 and len(before_cue) >= n and len(before_cue) == len(factors) and listed(text, before_cue[-n:]):
        return [v for _, v in before_cue[-n:]]  # "a 1.2x memory reduction, 6.6-8.2x and 1.7-1.9x over A and B"
    return [max(v for _, v in factors)] * n


def listed(text: str, factors: list[tuple[int, float]]) -> bool:
    """Whether the factors form one list ("29x, 29x, and 3x", "6.6-8.2x and 1.7-1.9x"): only separators between
    consecutive numbers."""
    for (a, _), (b, _) in pairwise(factors):
        gap = text[a:b]
        m = re.match(rf"(?:up to\s+|about\s+)?{_NUM}(?:\s*(?:-|–|~|to)\s*{_NUM})?\s*(?:\\?%|{TIMES})?", gap)
        if not m or not _LIST_BETWEEN.match(gap[m.end():]):
            return False
    return True


def times_value(text: str) -> float | None:
    """The factor of "twice", "three times" or "2.5 times" / "2.5x"."""
    low = text.lower()
    if low == "twice":
        return 2.0
    word = low.rsplit(" times", 1)[0].strip()
    return float(NUMBER_WORDS[word]) if word in NUMBER_WORDS else first_number(text)


_MEANS_BEFORE = re.compile(r"\b(?:by|through|via)\s+(?:\w+ly\s+)?(?:supporting|enabling|allowing|using|exploiting|"
                           r"leveraging|employing|applying|accommodating|fitting|packing)\s+"
                           r"(?:(?:the|a|an|its|their)\s+)?(?:up\s+to\s+|about\s+|over\s+|nearly\s+)?$")
"""'3x throughput ... by supporting 4x larger batch sizes': the amount after 'by supporting' is the means."""


def gains_first(text: str, factors: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The factors of a gain, when a claim also states the means it was reached by ("3x throughput compared to AdamW
    by supporting 4x larger batch sizes": the 3); all of them otherwise."""
    gains = [f for f in factors if not _MEANS_BEFORE.search(text, max(0, f[0] - 40), f[0])]
    return gains if gains else factors


def signed_first(text: str, factors: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The factors written with a sign or in words, when a claim has both those and percentages ("a parameter
    reduction of 76.9% and 1.72 times faster": the 1.72); all of them otherwise."""
    signed = [f for f in factors if not PERCENT.match(text, f[0])]
    return signed if signed and len(signed) < len(factors) else factors

