"""The subject of a comparison claim: the paper's proposed name the claim is about, as the guide wants it (the
proposed name when the paper has one, else PAPER), or a model the claim's sentence opens with."""

from __future__ import annotations

import re

from paperkg.core.records import PAPER
from paperkg.graph.extraction.compare import Claim
from paperkg.graph.extraction.entities import Entity
from paperkg.graph.extraction.text import WE

_MODIFIER = re.compile(r"-(?:style|like|based|sized|scale)\b")
_OUR_WORK = re.compile(r"\b[Oo]ur\s+(?:[\w-]+\s+){0,3}?(?:method|approach|system|framework|model|technique|"
                       r"algorithm|design|engine|mechanism)\b")  # "our finetuned 770M T5 model": the proposal's
_OUR_BEFORE = re.compile(r"\b[Oo]ur\s+(?:[\w.-]+\s+){0,2}$")
_WORKLOAD_BEFORE = re.compile(r"\b(?:[Ff]or|[Oo]n|[Ww]ith|[Uu]sing|[Aa]cross|of|[Aa]llows?|[Ee]nables?|[Ll]ets?|"
                              r"[Hh]elps?)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+)?$")
"""'For the Tiny YOLOv3 network, the accelerator delivers ...', 'A forward pass of VGG-16 is 48 times faster than
Caffe', 'It allows LLaMA3-8B to scale to 840K tokens ... while delivering 3.5x': a model the work runs, not the
claim's subject."""
_VARIANT_SEPARATORS = "- "
_VARIANT_SUFFIX = re.compile(r"[\w.]*\d[\w.]*|[A-Z]{1,4}|Edge|Server|Large|Small|Base|Tiny|Nano|Mini|Lite|Medium|Huge|"
                             r"Instruct|Chat|Stream")
"""What names one size or setting of a proposed family: "-M2", "-XXS", "-1.0", "-Server", " 8x7B" (not "-based")."""


def subject_of(claim: Claim, index: int, proposed: list[Entity], entities: list[Entity],
               where: dict[str, dict[int, list[int]]]) -> str:
    """The key of the claim's subject, a proposed variant as its family ("EfficientViT" for "EfficientViT-M2").
    `index` is the claim sentence's; `proposed` the proposed entities, best first; `where` each entity's mention
    starts by sentence."""
    return family(named_subject(claim, index, proposed, entities, where), proposed)


def named_subject(claim: Claim, index: int, proposed: list[Entity], entities: list[Entity],
                  where: dict[str, dict[int, list[int]]]) -> str:
    """The proposed name the claim is about (named before the cue), else the paper's main proposal."""
    if not proposed:
        return PAPER
    inside = [e for e in proposed if index in where[e.key]]
    if claim.subject_hint is not None:
        after = [e for e in inside if any(st >= claim.subject_hint for st in where[e.key][index])]
        if after:
            return after[0].key
    before = [e for e in inside if any(st < claim.cue_start for st in where[e.key][index])]
    if not before and _OUR_WORK.search(claim.sentence.text, 0, claim.cue_start - claim.sentence.start):
        return proposed[0].key  # "on LLaMA-2 70B, our method is almost 20 times more compact than LoRA"
    if not before:
        s = claim.sentence
        opening = min(s.start + len(" ".join(s.text.split()[:8])), claim.cue_start)
        models = [e for e in entities if e.type == "Model" and not e.proposed and index in where[e.key] and any(
            f == "abstract" and s.start <= st < opening and not _MODIFIER.match(s.text, en - s.start)
            and not WE.search(s.text, 0, claim.cue_start - s.start)  # "for training the BERT models, we ..."
            and not _WORKLOAD_BEFORE.search(s.text, max(0, st - s.start - 30), st - s.start)
            for f, st, en in e.mentions)]
        if models and any(_OUR_BEFORE.search(s.text, max(0, st - s.start - 30), st - s.start)
                          for f, st, _ in models[0].mentions if f == "abstract" and s.start <= st < opening):
            return proposed[0].key  # "Our 2-bit LLaMA3.1-8B achieves 1.5x speedup over AWQ": the method's
        if models:
            return models[0].key
    if len(before) > 1:  # "... a recipe, which we call Hydra++, that improves ...": the name nearest the cue
        return max(before, key=lambda e: max(st for st in where[e.key][index] if st < claim.cue_start)).key
    return (before or inside or proposed)[0].key


def family(key: str, proposed: list[Entity]) -> str:
    """The proposed name a proposed variant belongs to ("EfficientViT-M2", "MobileViTv3-XXS", "Medusa-1" of
    "EfficientViT", "MobileViTv3", "Medusa"): the paper's contribution, of which the variant is one size."""
    variant = next((e for e in proposed if e.key == key), None)
    if variant is None:
        return key
    names = [s.strip() for s in variant.surfaces]
    for entity in proposed:
        if entity is variant:
            continue
        for stem in {s.strip() for s in entity.surfaces if len(s.strip()) >= 3}:
            if any(n.startswith(stem) and n != stem and n[len(stem)] in _VARIANT_SEPARATORS and
                   _VARIANT_SUFFIX.fullmatch(n[len(stem) + 1:].strip(" -")) for n in names):
                return entity.key
    return key
