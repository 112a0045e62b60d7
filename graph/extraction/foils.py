"""Foils: the names a paper only measures itself against ("larger than Megatron GPT 8.3B", "compared with X, ...",
"competitive with Imagen", "outperformed other medical GPT models", "Previous methods rely on SDS", "AlexNet-level
accuracy"). A foil is not a thing the paper uses."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from paperkg.graph.extraction.entities import Entity
from paperkg.graph.extraction.text import MAX_CHARS, Sentence

_LIKENED_WORDS = (r"\b(?:competitive\s+with|comparabl[ey]\s+(?:\w+\s+)?(?:to|with)|on\s+par\s+with|similar\s+to|"
                  r"match(?:es|ing)?|rival(?:s|ing)?|as\s+good\s+as|performance\s+of|close\s+to)\b")
_LIKENED = re.compile(_LIKENED_WORDS, re.I)
_LIKENED_BEFORE = re.compile(_LIKENED_WORDS + r"(?:[^.;:]|\.(?=(?-i:[a-z]\.|,|\s+[a-z]))){0,60}$", re.I)
"""Before a name only likened to the paper's result ("competitive with ... (e.g., Imagen, SDXL)"): not used."""
_THAN_BEFORE = re.compile(r"\bthan\s+(?:(?:the|a|an)\s+)?(?:[A-Z0-9][\w.-]*(?:,?\s+(?:and|or)\s+|,\s*|\s+)){0,4}$")
"""'larger than Megatron GPT 8.3B and T5 11B': a name only measured against is not used."""
_BEATEN_BEFORE = re.compile(r"\b(?:outperform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|beat(?:s|ing)?|exceed(?:s|ed|ing)?)\s+"
                            r"(?:(?!(?:by|on|in|with|for|across|using|when|while|as|at|under|via|from|to|that|which|whose|uses?|used|"
                            r"employs?|employing)\b)"
                            r"[^.;:,\s]+\s+){0,6}$", re.I)
"""'IvyGPT has outperformed other medical GPT models': a name only beaten is not used, even where no claim was read."""
_PRIOR_WORK = re.compile(r"\s*(?:However,\s+)?(?:Previous|Prior|Existing|Conventional|Traditional|Most\s+(?:existing|"
                         r"previous|prior)|Earlier)\s+(?:[\w-]+\s+){0,3}?(?:methods?|approaches|works?|systems?|"
                         r"techniques|solutions|frameworks|studies|algorithms|designs)\b")
"""A sentence about others' work ("Previous methods primarily rely on SDS and NeRF"): what it names is not used."""
_FRONTED = re.compile(r"(?:^|[.;!?]\s+)(?:[Cc]ompared|[Cc]omparing|[Rr]elative)\s+(?:with|to)\s")
_FRONTED_BEFORE = re.compile(r"(?:^|[.;!?]\s+)(?:[Cc]ompared|[Cc]omparing|[Rr]elative)\s+(?:with|to)\s+"
                             r"(?:(?!(?:is|are|was|were|can|could|has|have|achieves?|shows?|reduces?|improves?|yields?|delivers?|"
                             r"outperforms?|provides?|offers?|obtains?|attains?|runs?|uses?)\b)[^.;!?])*$")
"""Names only in a fronted comparison ("Compared with previous solvers such as X, Y, ours ..."): not used."""
_LEVEL_AFTER = re.compile(r"[\s-]level\b(?!\s+(?:of|at|in|on|for)\b)", re.I)
"""'AlexNet-level accuracy', 'GPT-4 level performance': the name as a yardstick ("layer level of X" is not)."""


def levelled(entities: list[Entity], texts: dict[str, str]) -> set[tuple[str, int]]:
    """(field, start) of every mention that names a yardstick: the name followed by "-level"."""
    return {(f, st) for e in entities for f, st, en in e.mentions if _LEVEL_AFTER.match(texts[f], en)}


def foils(entities: list[Entity], texts: dict[str, str], spans: list[Sentence],
          levels: set[tuple[str, int]]) -> set[str]:
    """Keys of the entities the paper does not propose and only measures itself against; `levels`: the mentions
    `levelled` found."""
    abstract = texts["abstract"]
    starts = [sp.start for sp in spans]

    def after(pattern: re.Pattern[str], window: int) -> Callable[[int], bool]:
        return lambda st: pattern.search(abstract, max(0, st - window), st) is not None

    found = _named_only(entities, after(_THAN_BEFORE, 70), devices=False)
    if _FRONTED.search(abstract, 0, MAX_CHARS):
        found |= _named_only(entities, after(_FRONTED_BEFORE, 120))
    if _LIKENED.search(abstract, 0, MAX_CHARS):
        found |= _named_only(entities, after(_LIKENED_BEFORE, 90))
    found |= _named_only(entities, after(_BEATEN_BEFORE, 60), devices=False)
    prior = {i for i, sp in enumerate(spans) if _PRIOR_WORK.match(sp.text)}
    if prior:
        found |= _named_only(entities, lambda st: bisect_right(starts, st) - 1 in prior)
    found |= {e.key for e in entities if not e.proposed and e.mentions and
              all((f, st) in levels for f, st, _ in e.mentions)}
    return found


def _named_only(entities: list[Entity], where: Callable[[int], bool], devices: bool = True) -> set[str]:
    """The entities the paper does not propose whose every mention is in the abstract at an offset `where` accepts
    (`devices`: hardware too)."""
    return {e.key for e in entities if not e.proposed and (devices or e.type != "Hardware") and e.mentions
            and all(f == "abstract" and where(st) for f, st, _ in e.mentions)}
