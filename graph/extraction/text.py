"""Text helpers with exact offsets: sentence spans, alphanumeric runs, numbers and factors.

Nothing here rewrites the text: every pattern tolerates the noise found in scraped abstracts (LaTeX `$\\times$`,
`2.31times`, `\\%`, `x2014`, HTML fragments) and works on the original string, so offsets stay exact.
All patterns are linear: no nested quantifiers over overlapping classes.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from paperkg.core.text import MAX_CHARS, MAX_SENTENCE, Sentence, sentence_at, sentences

__all__ = ["MAX_CHARS", "MAX_SENTENCE", "Sentence", "sentence_at", "sentences"]

_RUN = re.compile(r"\d+(?=(?:times|x)[A-Z])|(?<=\d)(?:times|x)(?=[A-Z])|[^\W_]+")
_RUN_TIMES = re.compile(r"\d+(?=(?:times|x)[A-Z])|(?<=\d)(?:times|x)(?=[A-Z])|(?<=\d)times(?=\s*\d)|"
                        r"[^\W_]*?\d(?=times\s*\d)|[^\W_]+")
"""Alphanumeric runs; a rendered multiplication sign is cut off ("2.31times", "MobileNetV2times 1.4")."""
POSSESSIVE = re.compile(r"'s\b|’s\b")
"""A possessive ending: "adapter's effectiveness", "Stable Diffusion v1.5's training time"."""
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUM = re.compile(NUMBER)


@dataclass(frozen=True)
class Runs:
    """The alphanumeric runs of a text, lower-cased and concatenated.

    Run k starts at `starts[k]` in `norm` and at `origins[k]` in the text; `ends` holds run ends in `norm`.
    """

    norm: str
    starts: list[int]
    origins: list[int]
    ends: frozenset[int]

    def origin(self, index: int) -> int:
        """Offset in the text of `norm[index]`."""
        k = bisect_right(self.starts, index) - 1
        return self.origins[k] + index - self.starts[k]


def runs(text: str, limit: int = MAX_CHARS) -> Runs:
    end = min(len(text), limit)
    regex = _RUN_TIMES if "times" in text[:end] else _RUN
    matches = list(regex.finditer(text, 0, end))
    tokens = [m.group() for m in matches]
    joined = "".join(tokens)
    norm = joined.lower()
    if len(norm) != len(joined):
        norm = "".join(t.lower() if len(t.lower()) == len(t) else t for t in tokens)
    ends = list(accumulate(len(t) for t in tokens))
    starts = [0, *ends[:-1]] if ends else []
    return Runs(norm, starts, [m.start() for m in matches], frozenset(ends))


_AUTHOR = r"[A-Z][\w'’-]+(?:\s+(?:et\s+al\.?|(?:and|&)\s+[A-Z][\w'’-]+))?,?\s+(?:19|20)\d{2}[a-z]?"
CITATION = re.compile(
    r"\[\s*(?!0\b)\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\]"  # [12], [1, 2], [3-5]
    r"|\((?:e\.g\.,?\s+|see\s+|cf\.\s+)?" + _AUTHOR + r"(?:\s*[;,]\s*" + _AUTHOR + r")*\)"  # (Sun et al., 2023)
    r"|\[" + _AUTHOR + r"(?:\s*[;,]\s*" + _AUTHOR + r")*\]"  # [Dao et al., 2022]
    r"|~?\\cite[pt]?\*?(?:\[[^\]]{0,40}\])*\{[^{}]{0,200}\}")  # \cite{dao2022}
"""A citation marker inside a sentence: it names no entity and must not end a list of baselines."""
_CITING = re.compile(r"\[|\\cite|\b(?:19|20)\d{2}[a-z]?\)")


def blank_citations(text: str) -> str:
    """`text` with every citation marker written as spaces of its length, so every offset stays the same."""
    if not _CITING.search(text):
        return text
    return CITATION.sub(lambda m: " " * len(m.group()), text)


_WORD_DASH = re.compile(r"(?<=[^\W\d_])\u2013(?=[^\W\d_])|(?<=\w)[\u2010\u2011](?=\w)")
_SIGNS = str.maketrans({"\u2715": "\u00d7", "\u2716": "\u00d7", "\u2212": "-", "\u00ae": " ", "\u2122": " "})
_TRADEMARK = re.compile(r"\((?:R|TM)\)")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=[A-Za-z0-9])([^*_\n]{1,80}?)(?<=[A-Za-z0-9.+])\1(?![\w*])")
"""Markdown emphasis around words ("*FastCache*", "_SlimGPT_"): the marks name nothing."""


def unify_signs(text: str) -> str:
    """`text` with its dashes and signs written one way: an en dash between two letters and any (non-breaking)
    hyphen between two word characters as a hyphen ("min–max quantization" is one word, as "min-max"; "1.58‑bit"),
    the multiplication X signs ✕ and ✖ as × ("3.8✕ faster"), the minus sign as a hyphen ("5 − 10x"), trademark marks
    and markdown emphasis as spaces ("Intel(R) Core(TM) i7-8700", "*FastCache*"); every offset stays the same."""
    if any(ch in text for ch in "\u2715\u2716\u2212\u00ae\u2122"):
        text = text.translate(_SIGNS)
    if "(R)" in text or "(TM)" in text:
        text = _TRADEMARK.sub(lambda m: " " * len(m.group()), text)
    if "*" in text or "_" in text:
        text = _EMPHASIS.sub(lambda m: " " + m.group(2) + " ", text)
    return _WORD_DASH.sub("-", text) if "\u2010" in text or "\u2011" in text or "\u2013" in text else text


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
WE = re.compile(r"\b[Ww]e\b")
"""The paper speaking of itself as "we"."""


def recase_title(title: str, abstract: str) -> str:
    """A title written in capitals ("MIXTURE OF ATTENTIONS FOR SPECULATIVE DECODING") with each word cased as the
    abstract writes it ("Mixture", "of", "decoding"), else capitalised when longer than four letters (an acronym
    stays): capitals name nothing. Any other title, unchanged; every offset stays the same."""
    if any(ch.islower() for ch in title) or sum(ch.isalpha() for ch in title) < 4:
        return title
    seen: dict[str, str] = {}
    for m in _WORD.finditer(abstract):
        seen.setdefault(m.group().lower(), m.group())

    def one(m: re.Match[str]) -> str:
        word = m.group()
        found = seen.get(word.lower(), "")
        return found if len(found) == len(word) else word if len(word) <= 4 else word.capitalize()

    return _WORD.sub(one, title)


_GREEK = ("alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|mu|nu|xi|pi|rho|sigma|tau|upsilon|phi|chi|"
          "psi|omega")
_LATEX_COMMAND = re.compile(rf"\\(?!(?:times|texttimes|{_GREEK}|{_GREEK.title()})\b)[A-Za-z]+\*?")


def blank_latex(text: str) -> str:
    """`text` with every LaTeX command but `\\times` (`\\texttimes`) and Greek letters (names: "PixArt-\\alpha")
    written as spaces ("\\textit{Linear Transformers}", "$\\bigO{N^2}$": no "textit" or "bigO" names); every offset
    stays the same."""
    return _LATEX_COMMAND.sub(lambda m: " " * len(m.group()), text) if "\\" in text else text


_BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"))


def balanced(name: str) -> bool:
    """Whether every bracket the name opens it also closes (a name never holds half a parenthesis)."""
    return all(name.count(a) == name.count(b) for a, b in _BRACKETS)


def alnum_key(text: str) -> str:
    """The form the gazetteer matches on: alphanumeric runs, lower-cased, concatenated."""
    return "".join(m.group() for m in _RUN.finditer(text)).lower()


class SpanIndex:
    """Spans sorted by start, for overlap queries in O(log n + k) instead of a scan of every span."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.longest = 0

    @classmethod
    def of(cls, spans: list[tuple[int, int]]) -> SpanIndex:
        """An index of many spans at once (one sort instead of one insertion each)."""
        index = cls()
        ordered = sorted(spans)
        index.starts = [s for s, _ in ordered]
        index.ends = [e for _, e in ordered]
        index.longest = max((e - s for s, e in ordered), default=0)
        return index

    def add(self, start: int, end: int) -> None:
        index = bisect_right(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)
        self.longest = max(self.longest, end - start)

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        lo = bisect_right(self.starts, start - self.longest - 1)
        hi = bisect_right(self.starts, end - 1)
        return [(self.starts[i], self.ends[i]) for i in range(lo, hi) if self.ends[i] > start]


def find_all(text: str, name: str, ignore_case: bool = False, plural: bool = False,
             limit: int = MAX_CHARS) -> list[tuple[int, int]]:
    """Whole-word occurrences of `name` (not inside a longer word, a hyphenated compound or "ZeRO++"), without
    regexes."""
    if not name:
        return []
    hay = text[:limit].lower() if ignore_case else text[:limit]
    needle = name.lower() if ignore_case else name
    out = []
    pos = hay.find(needle)
    while pos >= 0:
        end = pos + len(needle)
        if plural and end < len(hay) and hay[end] == "s":
            end += 1
        before = hay[pos - 1] if pos else " "
        after = hay[end] if end < len(hay) else " "
        decimal = after == "." and end + 1 < len(hay) and hay[end + 1].isdigit()
        if not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_+") and not decimal:
            out.append((pos, end))
        pos = hay.find(needle, pos + 1)
    return out


def parse_number(text: str) -> float | None:
    match = _NUM.search(text)
    if not match:
        return None
    try:
        return float(match.group().replace(",", ""))
    except ValueError:
        return None
