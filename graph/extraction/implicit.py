"""Implicit baselines: a speedup stated without a baseline ("EAGLE achieved a latency speedup of 2.7x-3.5x",
"FlashAttention-3 achieves speedup on H100 GPUs by 1.5-2.0x") is over the one baseline the abstract allows: the
previous version of the proposed name (FlashAttention-2 for FlashAttention-3); when the abstract names no baseline at
all, the name the proposed one is built on ("The distilled model is 5.8 times faster": Distil-Whisper over Whisper,
ZeRO++ over ZeRO, 1-bit Adam over Adam); or the default a kind of method is measured against (lexicon word set
"implicit_baselines": autoregressive decoding for speculative decoding)."""

from __future__ import annotations

import re
from bisect import bisect_right

from paperkg.graph.extraction.compare import Claim
from paperkg.graph.extraction.entities import Entity
from paperkg.graph.extraction.text import Sentence

IMPLICIT_CONFIDENCE = 0.6
"""A baseline read from what the abstract allows, not from the comparison sentence itself."""
_VERSION = re.compile(r"^(?P<stem>[A-Za-z][\w.+-]*?)[-\s]?[vV]?(?P<n>\d{1,2}(?:\.\d)?)$")
_ONE_WORD = re.compile(r"^[\w.]+$")
_BUILT_ON_TYPES = ("Technique", "Model", "Software")
_SPEED = re.compile(r"\b(?:speed-?ups?|faster|accelerat\w+|latency|throughput|wall-?clock)\b", re.I)


def version_of(name: str) -> tuple[str, float] | None:
    """("flashattention", 3.0) for "FlashAttention-3"; None for a name without a version number."""
    m = _VERSION.match(name.strip())
    return (m.group("stem").lower().rstrip("-"), float(m.group("n"))) if m else None


def predecessor(subject: Entity, entities: list[Entity]) -> Entity | None:
    """The highest earlier version of `subject` that the abstract names (the bare stem counts as version 1)."""
    own = next((v for v in map(version_of, subject.surfaces) if v), None)
    if own is None:
        return None
    stem, number = own
    best: tuple[float, Entity] | None = None
    for entity in entities:
        if entity is subject or entity.proposed:
            continue
        for surface in entity.surfaces:
            found = version_of(surface)
            version = found[1] if found and found[0] == stem else 1.0 if surface.strip().lower() == stem else None
            if version is not None and version < number and (best is None or version > best[0]):
                best = (version, entity)
    return best[1] if best else None


def source_of(subject: Entity, entities: list[Entity]) -> Entity | None:
    """The entity whose one-word name the proposed name is built on, as a whole part of it ("Distil-Whisper" on
    Whisper, "ZeRO++" on ZeRO, "1-bit Adam" on Adam; not "SqueezeBERT" on BERT): the longest such name."""
    best: tuple[int, Entity] | None = None
    for entity in entities:
        if entity is subject or entity.proposed or entity.type not in _BUILT_ON_TYPES:
            continue
        lower = {s.strip() for s in entity.surfaces if s.islower()}
        for surface in entity.surfaces:
            base = surface.strip()
            if len(base) < 3 or not base[0].isupper() or not _ONE_WORD.match(base) or base.lower() in lower:
                continue  # "Sparsification offers ...": a common noun opening a sentence, no name to build on
            if any(len(own) > len(base) and _part_of(base, own) for own in subject.surfaces) and \
                    (best is None or len(base) > best[0]):
                best = (len(base), entity)
    return best[1] if best else None


def _part_of(base: str, name: str) -> bool:
    """`base` is a whole part of `name`, between its ends, spaces or hyphens ("ZeRO" of "ZeRO++", not of "ZeROs")."""
    at = name.find(base)
    while at >= 0:
        end = at + len(base)
        if (at == 0 or name[at - 1].isspace() or name[at - 1] == "-") and \
                (end == len(name) or name[end].isspace() or name[end] in "-+"):
            return True
        at = name.find(base, at + 1)
    return False


def implicit_claims(claims: list[tuple[Claim, list[str]]], entities: list[Entity], defaults: set[str],
                    spans: list[Sentence], background: set[int]) -> list[tuple[Claim, list[str]]]:
    """Claims over the implicit baseline for the speed factors that name no baseline, when the abstract allows
    exactly one. `defaults`: concept ids that are a default baseline ("technique/autoregressive-decoding")."""
    starts = [sp.start for sp in spans]
    bare = [c for c, _ in claims if not c.objects and not c.unnamed and c.factors and c.factors[0] is not None
            and bisect_right(starts, c.sentence.start) - 1 not in background and _SPEED.search(c.sentence.text)]
    if not bare:
        return []
    proposed = sorted((e for e in entities if e.proposed >= 0.8), key=lambda e: -e.proposed)
    compared = {k for _, keys in claims for k in keys}
    base = predecessor(proposed[0], entities) if proposed else None
    if base is None and proposed and not compared:  # with a baseline named elsewhere, a bare factor is over it
        base = source_of(proposed[0], entities)
    if base is None:
        found = [e for e in entities if e.concept in defaults and e.key not in compared]
        base = found[0] if len(found) == 1 else None
    if base is None or base.key in compared or not any(f == "abstract" for f, _, _ in base.mentions):
        return []
    base.weak = False  # a default baseline ("autoregressive decoding") is generic, but here it is the baseline
    claim = max(bare, key=lambda c: c.factors[0] or 0.0)
    start, end = next((s, e) for f, s, e in base.mentions if f == "abstract")
    return [(Claim([(start, end)], [claim.factors[0]], claim.sentence, claim.cue_start, IMPLICIT_CONFIDENCE,
                   factor_at=claim.factor_at if claim.factor_at is not None else claim.cue_start), [base.key])]
