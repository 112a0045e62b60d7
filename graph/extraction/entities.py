"""From candidate mentions to entities: overlaps resolved, unseen names typed and keyed, one entity per key."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from paperkg.core.records import EntityType
from paperkg.graph.extraction.finders import Cand
from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import clean, is_name_token, strip_device, strip_memory, unseen_key
from paperkg.graph.extraction.text import SpanIndex
from paperkg.graph.vocabulary import Vocabulary

PRIORITY = {"vocab": 9, "long": 8, "acronym": 8, "proposed": 10, "size": 6, "hw": 5, "dataset": 5, "name": 3, "np": 2}
_CAMEL = re.compile(r"(?<![\w-])(?=(?:[^\W\d_]*[A-Z]){2})(?=(?:[^\W_]*[a-z]){2})[A-Za-z][\w.+]*(?:-[\w.+]+)*(?![\w-])")
_TIMES_TAIL = re.compile(r"(?<=\d)times$")
_FAMILY_HEADS = {"quantization", "pruning", "distillation", "sparsity", "sparsification"}
_SHOUTED = re.compile(r"^[A-Z]{2}[a-z]{3,}$|^[A-Z][a-z]+[A-Z][a-z]?$")
_SIZE_NAME = re.compile(r"\d+(?:\.\d+)?[BM]\b")


@dataclass
class Entity:
    key: str
    type: EntityType
    concept: str | None
    mentions: list[tuple[str, int, int]] = field(default_factory=list)
    """(field, start, end)"""
    surfaces: list[str] = field(default_factory=list)
    extra_aliases: list[str] = field(default_factory=list)
    proposed: float = 0.0
    weak: bool = False
    attrs: dict[str, str] = field(default_factory=dict)

    def first(self, fld: str) -> int | None:
        offsets = [s for f, s, _ in self.mentions if f == fld]
        return min(offsets) if offsets else None


@dataclass
class Field:
    name: str
    text: str
    cands: list[Cand] = field(default_factory=list)
    norm: str = ""
    """The text's alphanumeric key (see text.runs)."""
    measures: set[str] = field(default_factory=set)
    """Acronyms this paper defines for a measure ("Token-to-Token Latency (TTL)"): never unseen names."""


def resolve(fld: Field) -> list[Cand]:
    """Non-overlapping candidates: longer spans first, then by source priority."""
    chosen: list[Cand] = []
    taken = SpanIndex()
    ordered = sorted(fld.cands, key=lambda c: (-(c.end - c.start), -PRIORITY.get(c.source, 0), c.start))
    for cand in ordered:
        if cand.end <= cand.start or taken.overlapping(cand.start, cand.end):
            continue
        chosen.append(cand)
        taken.add(cand.start, cand.end)
    return sorted(chosen, key=lambda c: c.start)


class Typer:
    """Types an unseen name from its context: apposition, the noun after it, list siblings, its shape."""

    def __init__(self, lexicon: Lexicon, vocabulary: Vocabulary | None = None) -> None:
        self.lex = lexicon
        self.parts: dict[str, EntityType] = {}
        if vocabulary is not None:
            for concept in vocabulary.concepts.values():
                if concept.type in ("Dataset", "Model"):
                    for alias in (concept.label, *concept.aliases):
                        if " " not in alias and len(alias) >= 4 and not alias.islower() and not alias.isupper():
                            self.parts.setdefault(alias.lower(), concept.type)

    def of(self, text: str, start: int, end: int, default: EntityType = "Technique") -> EntityType:
        found = self.context(text, start, end)
        if found:
            return found
        return self.shape(text[start:end]) or default

    def shape(self, name: str) -> EntityType | None:
        """From the name alone: a size ("-7B") means a model; a known dataset or model inside it, that type."""
        if _SIZE_NAME.search(name):
            return "Model"
        for part in re.split(r"[-\s]", name):
            entity_type = self.parts.get(part.lower())
            if entity_type and part != name:
                return entity_type
        return None

    def title_description(self, title: str) -> EntityType | None:
        """"JudgeLM: Fine-tuned Large Language Models are ..." -> Model (the noun phrase after the colon)."""
        _, colon, rest = title.partition(":")
        if not colon:
            return None
        phrase = _SPLIT.split(rest.strip())[0]
        first, _, others = phrase.strip().partition(" ")
        phrase = first + " " + re.split(r"\b(?:are|is|that|via|and|with|by|of|[A-Z]?[a-z]+ed)\b", others)[0]
        words = phrase.split()
        if not words or words[0].lower().endswith("ing") or len(words) > 7 or \
                words[0].lower() in {"towards", "toward", "when", "how", "why", "what", "on", "beyond", "rethinking"}:
            return None
        found = self.lex.head_type(phrase)
        return found if found in ("Model", "Dataset", "Software") else None  # type: ignore[return-value]

    def context(self, text: str, start: int, end: int, technique: bool = False) -> EntityType | None:
        """The type the words around a name give it; with `technique`, also a method-like description before it
        ("our mobile inference engine, X")."""
        after = _PARENS.sub("", text[end:end + 120])
        if _TRAINED.match(after):
            return "Model"
        m = _APPOSITION.match(after)
        if m:
            phrase = _SPLIT.split(m.group(1))[0]
            bare = _PARTICIPLE_TAIL.sub("", phrase)
            phrase = bare if re.search(r"\b(?:models?|networks?|LLMs?)$", bare) else phrase  # "a model obtained by"
            head, _, tail = phrase.partition(" of ")
            found = self.lex.head_type(head) or (self.lex.head_type(tail) if tail else None)
            if found:
                return found  # type: ignore[return-value]
        m = re.match(r"\s*([A-Za-z][\w-]*)(?:\s+([A-Za-z][\w-]*))?", after)
        if m:
            for head in filter(None, (f"{m.group(1)} {m.group(2) or ''}".strip(), m.group(1))):
                for entity_type in ("Dataset", "Software", "Model"):
                    if head.lower() in self.lex.type_heads.get(entity_type, set()):
                        return entity_type
        before = text[max(0, start - 80):start]
        m = _INTRO_BEFORE.search(before)
        phrase = before[:m.start()] if m else before
        phrase = re.split(r"[,;:.()]", phrase)[-1] if m else phrase
        phrase = re.sub(r"\s+(?:is|are|was|were)\s*$", "", phrase)  # "the student models are named X"
        if m and m.group().strip() == "," and _PARTICIPLE_LEAD.match(phrase):
            return None  # "Trained on generic data, HashAttention reduces ...": a clause before the name, no kind
        if m or re.search(r"[a-z]\s+$", before):
            found = self.lex.head_type(phrase)
            if found in ("Model", "Dataset", "Software") or (technique and m and found == "Technique"):
                return found  # type: ignore[return-value]
        return None


_INTRO_BEFORE = re.compile(r"\s*(?:,\s*)?(?:\bcalled|\bnamed|\bdubbed|\btermed|\bnamely|\blike|\bsuch as|\bincluding|"
                           r"\(named|\(called|\bas|,)\s*$")
_PARTICIPLE_LEAD = re.compile(r"\s*(?:(?:[Ww]hen|[Ww]hile|[Ii]f|[Aa]fter|[Oo]nce|[Bb]efore|[Aa]lthough|[Ss]ince)\s|"
                              r"[A-Za-z-]+(?:ed|ing)\s)")
"""How a clause before the subject opens: "Trained on ...", "When finetuned on a ... dataset, X ..."."""
_PARENS = re.compile(r"\s*\([^()]{0,60}\)")
_TRAINED = re.compile(r",?\s*(?:which|that)\s+(?:is|was|are|were)\s+(?:\w+\s+)?(?:fine-?tuned|trained|pre-?trained)\b")
_PARTICIPLE_TAIL = re.compile(r"(?:\s+[a-z]+(?:ed|ing))+\s*$")
_APPOSITION = re.compile(r"\s*(?:,\s*|:\s*|\s+(?:is|was)\s+|,\s*(?:which|that)\s+(?:is|was)\s+)(?:an?|the|our|its)\s+"
                         r"([^,.;:]{1,80})")
_SPLIT = re.compile(r"(?<![\w-])(?:that|which|for|to|with|on|from|in|designed|capable|based on|trained|built|tailored|"
                    r"where|who|enabling|by|using|via|at|across|as|over|under|into|through|whose|while|achieving|"
                    r"suitable|able|specifically)(?![\w-])")


class Builder:
    """Collects mentions per key and turns them into entities (names, aliases, merges)."""

    def __init__(self, vocabulary: Vocabulary, lexicon: Lexicon) -> None:
        self.vocabulary = vocabulary
        self.lex = lexicon
        self.redirect: dict[str, str] = {}

    def build(self, fields: list[Field], chosen: dict[str, list[Cand]],
              proposed: dict[str, float] | None = None) -> list[Entity]:
        """`proposed`: keys the paper proposes, which no merge folds into another technique."""
        entities: dict[str, Entity] = {}
        self.redirect = {}
        for fld in fields:
            for cand in chosen[fld.name]:
                entity = entities.get(cand.key)
                if entity is None:
                    entity = Entity(cand.key, cand.type, cand.concept)
                    entities[cand.key] = entity
                entity.mentions.append((fld.name, cand.start, cand.end))
                entity.surfaces.append(fld.text[cand.start:cand.end])
                entity.extra_aliases.extend(cand.aliases)
                entity.attrs.update(cand.attrs)
                if cand.source == "proposed":
                    entity.proposed = max(entity.proposed, cand.score)
                if cand.concept and cand.concept in self.lex.weak:
                    entity.weak = True
        for key, entity in entities.items():
            entity.proposed = max(entity.proposed, (proposed or {}).get(key, 0.0))
        self._merge_taxonomy(entities)
        self._merge_heads(entities)
        self._merge_sized(entities)
        self._merge_family(entities)
        return sorted(entities.values(), key=lambda e: min((0 if f == "title" else 1, s) for f, s, _ in e.mentions))

    def _merge_taxonomy(self, entities: dict[str, Entity]) -> None:
        """A broader technique named inside a narrower one is folded into it ("quantization" -> "PTQ")."""
        keys = [k for k, e in entities.items() if e.concept and e.type == "Technique"]
        for key in keys:
            entity = entities.get(key)
            concept = self.vocabulary.get(key)
            if entity is None or entity.proposed or concept is None or is_name_token(concept.label) or \
                    any(is_name_token(clean(s)) and not clean(s).isupper() for s in entity.surfaces):
                continue  # "FlashAttention" beside "FlashAttention-3", "DiT" beside "MDT": an earlier method
            narrower = [k for k in keys if k != key and k in entities and key in self.vocabulary.ancestors(k)
                        and self._contains(k, key)]
            if len(narrower) == 1:
                self._fold(entities, key, narrower[0], as_alias=True)

    def _merge_heads(self, entities: dict[str, Entity]) -> None:
        """Variants of one technique family named by the same head word are one entity in a paper
        ("PTQ", "weight-only quantization", "4-bit quantization" -> one quantization entity)."""
        groups: dict[str, list[str]] = defaultdict(list)
        for key, entity in entities.items():
            if entity.type != "Technique" or not entity.concept or entity.proposed:
                continue
            root = self._head_root(entity.concept)
            if root:
                groups[root].append(key)
        for keys in groups.values():
            if len(keys) < 2:
                continue
            target = max(keys, key=lambda k: (not entities[k].weak, len(self.vocabulary.ancestors(k)),
                                              len(entities[k].mentions)))
            for key in keys:
                if key != target and key in entities:
                    self._fold(entities, key, target)

    def _head_root(self, concept_id: str) -> str | None:
        concept = self.vocabulary.get(concept_id)
        if concept is None or not concept.label.split():
            return None
        head = concept.label.split()[-1].lower()
        if head not in _FAMILY_HEADS:
            return None
        root = None
        for ancestor in [concept_id, *self.vocabulary.ancestors(concept_id)]:
            other = self.vocabulary.get(ancestor)
            if other is not None and other.label.split()[-1].lower() == head:
                root = ancestor
        return root

    def _merge_family(self, entities: dict[str, Entity]) -> None:
        """A model family named beside exactly one sized member ("LLaMA", "LLaMA 7B") is that member; a family the
        paper proposes takes the member in ("DeepSeekMoE" beside "DeepSeekMoE 2B"), as `_merge_sized` does."""
        members: dict[str, list[str]] = defaultdict(list)
        for key, entity in entities.items():
            if entity.attrs.get("family"):
                members[entity.attrs["family"]].append(key)
        for family, keys in members.items():
            if family in entities and len(set(keys)) == 1 and keys[0] in entities and family != keys[0]:
                if entities[family].proposed:
                    self._fold(entities, keys[0], family, as_alias=True)
                else:
                    self._fold(entities, family, keys[0])

    def _contains(self, narrow: str, broad: str) -> bool:
        n, b = self.vocabulary.get(narrow), self.vocabulary.get(broad)
        if n is None or b is None:
            return False
        label = b.label.lower()
        return any(label in name.lower() for name in (n.label, *n.aliases))

    def _merge_sized(self, entities: dict[str, Entity]) -> None:
        """"JudgeLM-7B" beside a proposed "JudgeLM" is the same model."""
        for key, entity in list(entities.items()):
            base = entity.attrs.get("base")
            if not base or key not in entities:
                continue
            for other_key, other in entities.items():
                if other_key != key and other.proposed and any(clean(s) == base for s in other.surfaces):
                    self._fold(entities, key, other_key, as_alias=True)  # named as its paper names it
                    break

    def resolve_key(self, key: str) -> str:
        seen = set()
        while key in self.redirect and key not in seen:
            seen.add(key)
            key = self.redirect[key]
        return key

    def _fold(self, entities: dict[str, Entity], source: str, target: str, as_alias: bool = False) -> None:
        """Merge `source` into `target`; with `as_alias`, the source's surface forms never become the name
        ("quantization" folded into AWQ is still named "AWQ")."""
        self.redirect[source] = target
        src, dst = entities.pop(source), entities[target]
        dst.mentions.extend(src.mentions)
        (dst.extra_aliases if as_alias else dst.surfaces).extend(src.surfaces)
        dst.extra_aliases.extend(src.extra_aliases)
        concept = src.concept
        dst.attrs.setdefault("merged", concept or source)
        dst.weak = dst.weak and src.weak

    def name_and_aliases(self, entity: Entity) -> tuple[str, list[str]]:
        """The most complete surface form as the name; every other form (and vocabulary names) as aliases."""
        surfaces = [clean(s) for s in entity.surfaces if clean(s)]
        hardware = entity.type == "Hardware"
        cores = [strip_memory(strip_device(s)) for s in surfaces] if hardware else list(surfaces)
        concept = self.vocabulary.get(entity.concept) if entity.concept else None
        ranked = sorted(cores, key=lambda s: (-len(s.split()) if entity.type == "Hardware" else 0, -len(s)))
        if entity.attrs.get("long"):
            name = entity.attrs["long"]
        elif entity.type == "Hardware" and concept is not None:
            name = ranked[0] if ranked and _contains_vendor(ranked[0], concept.label) else concept.label
        else:
            name = ranked[0] if ranked else (concept.label if concept else entity.key)
        aliases: list[str] = []
        pool = surfaces + cores + entity.extra_aliases
        if concept is not None:
            pool += [concept.label, *concept.aliases]
        merged = entity.attrs.get("merged")
        if merged and (merged_concept := self.vocabulary.get(merged)) is not None:
            pool += [merged_concept.label, *merged_concept.aliases]
        if entity.type == "Hardware":
            pool += [strip_device(s) for s in surfaces]
        seen = {name.lower()}
        for alias in pool:
            if alias and alias.lower() not in seen:
                seen.add(alias.lower())
                aliases.append(alias)
        return name, aliases


def _contains_vendor(surface: str, label: str) -> bool:
    return len(surface) >= len(label) - 1 and surface.split()[0].lower() == label.split()[0].lower()


def camel_names(text: str, limit: int, lex: Lexicon) -> list[tuple[int, int]]:
    """Spans of CamelCase names ("FlowVid", "HaiScale", "JaColBERT") that no finder claimed."""
    out = []
    for m in _CAMEL.finditer(text, 0, limit):
        word = _TIMES_TAIL.sub("", m.group().rstrip("."))  # "MobileNetV2times 1.4": "MobileNetV2"
        if text[m.end():m.end() + 1] == "/":
            continue  # "TeraOps/second": a unit
        if word in lex.generic_acronyms or word.lower() in lex.generic_names or not is_name_token(word):
            continue
        if _SHOUTED.match(word) or any(p in lex.generic_acronyms for p in word.split("-")):
            continue
        out.append((m.start(), m.start() + len(word)))
    return out


def key_for(entity_type: EntityType, name: str) -> str:
    return unseen_key(entity_type, name)


def group_by_key(cands: list[Cand]) -> dict[str, list[Cand]]:
    groups: dict[str, list[Cand]] = defaultdict(list)
    for cand in cands:
        groups[cand.key].append(cand)
    return groups
