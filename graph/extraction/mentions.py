"""Mentions beyond the vocabulary: acronym definitions, proposed names, unseen names, and list-based typing."""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left, bisect_right

from paperkg.core.records import EntityType
from paperkg.graph.extraction.entities import Entity, Field, Typer, camel_names
from paperkg.graph.extraction.finders import Cand, Finder
from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import clean, is_name_token, names_something, tokens, unseen_key, versioned
from paperkg.graph.extraction.proposal_params import PARAMS
from paperkg.graph.extraction.proposals import Proposal, Proposals
from paperkg.graph.extraction.text import MAX_CHARS, Sentence, SpanIndex, find_all
from paperkg.graph.extraction.title_names import title_proposals
from paperkg.graph.vocabulary import Vocabulary


class Mentions:
    """Adds candidates to title/abstract fields; one instance per vocabulary, no per-paper state."""

    def __init__(self, vocabulary: Vocabulary, lexicon: Lexicon, finder: Finder, typer: Typer) -> None:
        self.vocabulary = vocabulary
        self.lex = lexicon
        self.finder = finder
        self.typer = typer
        self.proposals = Proposals(lexicon)
        self.kinds_named: list[str] = []
        """Set by `proposed`: the vocabulary families its paper names only as the kind of a contribution."""

    # -- acronyms ---------------------------------------------------------------------------------------------
    def acronyms(self, fields: list[Field]) -> dict[int, int]:
        long_forms: dict[int, int] = {}
        for fld in fields:
            for long, short in self.finder.acronyms(fld.text):
                short_text = fld.text[short.start:short.end]
                long_text = clean(fld.text[long.start:long.end])
                concept = self._concept_over(fld, long.start, long.end) or self._concept_over(fld, short.start,
                                                                                              short.end, exact=True)
                variant = None if concept else next(
                    (c for c in fld.cands if c.source == "vocab" and (c.start, c.end) == (short.start, short.end)),
                    None)
                if variant is not None:  # "fully quantize the BERT (FQ-BERT)": a variant of a known family
                    key = variant.key
                    long.type = short.type = variant.type
                elif concept is None:
                    if short_text in self.lex.generic_acronyms or long_text.lower() in self.lex.generic_names:
                        continue
                    entity_type = self.typer.of(fld.text, long.start, short.end + 1, default="Technique")
                    last = long_text.split()[-1].lower() if long_text.split() else ""
                    head_ok = last.rstrip("s") in self.lex.technique_heads or last in self.lex.technique_heads
                    titled = sum(w[:1].isupper() for w in re.split(r"[\s-]+", long_text)) >= 2
                    words = long_text.split()
                    specific = len(words) >= 3 and any("-" in w or is_name_token(w) for w in words)
                    if entity_type == "Model" and not any(is_name_token(w) or _DIGITS.search(w) for w in words):
                        entity_type = "Technique"  # "word sense disambiguation (WSD) models": a kind, no trained model
                    if entity_type == "Technique" and (last in self.lex.metric_words or
                                                       last in self.lex.words("measure_heads")):
                        for other in fields:  # "Token-to-Token Latency (TTL)" names a measure
                            other.measures.add(short_text)
                        continue
                    if entity_type == "Technique" and not (head_ok or titled or specific):
                        continue
                    key = unseen_key(entity_type, long_text)
                    long.type = short.type = entity_type
                else:
                    key = concept
                    long.type = short.type = self.vocabulary.concepts[concept].type
                    long.concept = short.concept = concept
                long.key = short.key = key
                long.attrs["long"] = short_text if variant is not None else long_text  # the variant keeps its name
                short.aliases.append(long_text)
                long.aliases.append(short_text)
                fld.cands += [long, short]
                if fld.name == "abstract":
                    long_forms[long.start] = long.end
                for other in fields:
                    for s, e in self.finder.acronym_uses(other.text, short_text):
                        if (other is fld and s == short.start) or s < 0:
                            continue
                        other.cands.append(Cand(s, e, long.type, key, "acronym", 0.7, long.concept))
        return long_forms

    def _concept_over(self, fld: Field, start: int, end: int, exact: bool = False) -> str | None:
        best = None
        for cand in fld.cands:
            if cand.source not in ("vocab", "size") or not cand.concept:
                continue
            if exact and (cand.start, cand.end) == (start, end):
                return cand.concept
            if not exact and cand.start <= start + 1 and cand.end >= end - 1:
                return cand.concept
            if not exact and start <= cand.start and cand.end <= end and (cand.end - cand.start) >= 0.8 * (end - start):
                best = cand.concept
        return best

    # -- proposals --------------------------------------------------------------------------------------------
    def proposed(self, fields: list[Field], spans: list[Sentence], long_forms: dict[int, int]) -> dict[str, float]:
        """Keys of the proposed entities with their confidence; `kinds_named` is left holding the names of the
        vocabulary families named only as the kind of what is proposed ("a knowledge distillation method")."""
        self.kinds_named = []
        title, abstract = fields[0], fields[1]
        found: list[Proposal] = title_proposals(title.text, abstract.text, self.lex, abstract.norm)
        names = tuple(clean(title.text[p.start:p.end]) for p in found)
        found += self.proposals.abstract(abstract.text, spans, long_forms, title.text, names)
        proposed: dict[str, float] = {}
        by_name: dict[str, tuple[Proposal, str]] = {}
        best: dict[str, float] = {}
        defined = {clean(f.text[c.start:c.end]).lower(): c for f in fields for c in f.cands
                   if c.source in ("long", "acronym")}
        ordered = {f.name: sorted(f.cands, key=lambda c: c.start) for f in fields}
        starts = {name: [c.start for c in cands] for name, cands in ordered.items()}
        longest = max((c.end - c.start for f in fields for c in f.cands), default=0)
        for p in found:
            fld = title if p.field == "title" else abstract
            name = clean(fld.text[p.start:p.end])
            if not name or name.lower() in self.lex.generic_names or name in self.lex.generic_acronyms:
                continue
            lo = bisect_left(starts[fld.name], p.start - longest)
            hi = bisect_right(starts[fld.name], p.end)
            near = [c for c in ordered[fld.name][lo:hi] if c.start < p.end and p.start < c.end]
            covering = [c for c in near if c.source in ("vocab", "long", "acronym", "size", "dataset")
                        and c.start <= p.start and p.end <= c.end]
            inner = [c for c in near if c.source in ("vocab", "long", "acronym", "size")
                     and p.start <= c.start and c.end <= p.end and (c.end - c.start) >= 0.8 * (p.end - p.start)
                     and not _renamed(fld.text, c.end, p.end)]
            defined_inside = [c for c in near if c.source == "long"
                              and min(c.end, p.end) - max(c.start, p.start) >= 0.5 * (c.end - c.start)
                              and not covering and not inner]
            if defined_inside:
                known = defined_inside[0]
                proposed[known.key] = max(proposed.get(known.key, 0.0), p.score)
                fld.cands.append(Cand(p.start, p.end, known.type, known.key, "acronym", p.score, known.concept))
                continue
            if covering or inner:
                for cand in covering + inner:
                    if p.kind and cand.concept and len(self.vocabulary.descendants(cand.concept)) >= \
                            PARAMS.family_kinds:
                        self.kinds_named.append(name)
                        continue  # "a simple knowledge distillation method" is one of many
                    if cand.source != "vocab" or p.direct:
                        proposed[cand.key] = max(proposed.get(cand.key, 0.0), p.score)
                continue
            norm = name.lower()
            if norm in defined:
                known = defined[norm]
                proposed[known.key] = max(proposed.get(known.key, 0.0), p.score)
                fld.cands.append(Cand(p.start, p.end, known.type, known.key, "acronym", p.score, known.concept))
                continue
            if p.known_only or any(_footnoted(name, base) for base in names):
                continue  # "we propose PyramidFL1 to ...": the title's PyramidFL with a footnote mark
            best[norm] = max(best.get(norm, 0.0), p.score)  # the title's 0.95 outlasts "our engine, X" (0.8)
            if norm not in by_name or p.field == "abstract":
                by_name[norm] = (p, name)
        for norm, (p, name) in by_name.items():
            found_type = None
            for m in _occurrences(abstract.text, name) + ([(p.start, p.end)] if p.field == "abstract" else []):
                found_type = self.typer.context(abstract.text, m[0], m[1], technique=True)
                if found_type:
                    break
            if found_type is None and p.field == "title":
                found_type = self.typer.title_description(title.text)
            entity_type = found_type or self.typer.shape(name) or "Technique"
            key = unseen_key(entity_type, name)
            score = best[norm]
            proposed[key] = max(proposed.get(key, 0.0), score)
            for fld in fields:
                for s, e in _occurrences(fld.text, name):
                    fld.cands.append(Cand(s, e, entity_type, key, "proposed", score))
                if fld is (title if p.field == "title" else abstract):
                    fld.cands.append(Cand(p.start, p.end, entity_type, key, "proposed", score))
        whole = title.text.strip()
        for c in title.cands:  # "Zero Bubble Pipeline Parallelism", "Mask R-CNN": a title that is a method's name
            if c.source == "vocab" and c.type in ("Technique", "Model") and title.text[c.start:c.end] == whole \
                    and len(whole.split()) >= 2 and c.key not in proposed:
                proposed[c.key] = PARAMS.title_only
        return proposed

    def more_proposals(self, entities: list[Entity], texts: dict[str, str]) -> list[Entity]:
        """"our SceneTilling algorithm", "QLoRAM" beside a proposed "LoRAM", typos of a proposed name, and, when
        nothing else was found, the unseen name the results sentences are about."""
        proposed = [e for e in entities if e.proposed]
        names = {clean(s) for e in proposed for s in e.surfaces}
        self._variants(entities, names, texts)
        for entity in list(entities):
            if entity.proposed or entity.concept:
                continue
            surfaces = {clean(s) for s in entity.surfaces}
            owner = next((p for p in proposed for s in surfaces for n in {clean(x) for x in p.surfaces}
                          if s.startswith(n) and _VARIANT_TAIL.fullmatch(s[len(n):])), None)
            if owner is not None:
                owner.mentions += entity.mentions
                owner.extra_aliases += [s for s in entity.surfaces if not any(_footnoted(clean(s), clean(o))
                                                                               for o in owner.surfaces)]
                entities.remove(entity)  # "PyramidFL1" (a footnote mark) names PyramidFL, but is no name of it;
                # "phi-1-base" is another name of it, not the name it goes by
            elif not entity.attrs.get("family") and any(_ours(texts[f], s) for f, s, _ in entity.mentions):
                entity.proposed = 0.8  # "our SceneTilling algorithm"; not "our quantized LLaMA 3.2 3B model"
            elif any(len(n) >= 4 and n in s and n != s and (is_name_token(s) or re.fullmatch(re.escape(n) + r"-\d+", s))
                     for n in names for s in surfaces):
                entity.proposed = 0.75
        merged: list[Entity] = []
        for entity in entities:
            twin = next((m for m in merged if m.proposed and entity.proposed and not entity.concept and
                         _near(m.surfaces + m.extra_aliases, entity.surfaces)), None)
            if twin is not None:
                twin.mentions += entity.mentions
                variant = any(clean(s).startswith(clean(o)) for s in entity.surfaces for o in twin.surfaces)
                (twin.extra_aliases if variant else twin.surfaces).extend(entity.surfaces)  # "FasterNet-T0": a size
                continue
            merged.append(entity)
        if not any(e.proposed for e in merged):
            results = [e for e in merged if not e.concept and e.type in ("Technique", "Model") and
                       not e.attrs.get("family") and  # "our quantized LLaMA 3.2 3B model" is no new model
                       any(f == "abstract" and _RESULT.match(texts[f], en) for f, _, en in e.mentions)]
            results.sort(key=lambda e: -len(e.mentions))
            if results and (len(results[0].mentions) >= 2 or len(results) == 1):
                results[0].proposed = 0.6
        return merged

    def _variants(self, entities: list[Entity], names: set[str], texts: dict[str, str]) -> None:
        """Tokens that extend a proposed name ("QLoRAM" beside "LoRAM") are names of their own."""
        taken = {(f, s): (e, (f, s, end)) for e in entities for f, s, end in e.mentions}
        for name in names:
            shaped = is_name_token(name)
            if len(name) < 4 or not (shaped or (name[:1].isupper() and name[1:].isalpha())):
                continue  # a plain capitalised name ("Medusa") only grows numbered variants ("Medusa-2")
            found: dict[str, Entity] = {}
            for fld, text in texts.items():
                if name not in text or not (shaped or name + "-" in text):
                    continue
                for m in tokens(text[:MAX_CHARS]):
                    word = m.group()
                    extra = word.replace(name, "", 1)
                    numbered = word.startswith(name) and _NUMBERED.fullmatch(extra) is not None  # "Medusa-2"
                    if name not in word or not 1 <= len(extra) <= 4 or not (extra.isalpha() or numbered) or \
                            word == name + "s" or not (shaped or numbered):
                        continue
                    if not (word.startswith(name) or word.endswith(name)):
                        continue
                    owner, mention = taken.get((fld, m.start()), (None, None))
                    if owner is not None and mention is not None:
                        if not (numbered and owner.proposed and mention[2] < m.end()):
                            continue
                        owner.mentions.remove(mention)  # "Medusa" matched inside "Medusa-2": the variant's
                        del taken[(fld, m.start())]
                    key = unseen_key("Technique", word)
                    entity = found.setdefault(key, Entity(key, "Technique", None))
                    entity.mentions.append((fld, m.start(), m.end()))
                    entity.surfaces.append(word)
            entities.extend(found.values())

    def unseen(self, fields: list[Field]) -> None:
        """Unseen names no finder claimed: CamelCase tokens, and name-shaped tokens used at least twice."""
        spans: dict[str, list[tuple[Field, int, int]]] = {}
        counts: dict[str, int] = {}
        named: dict[str, list[tuple[int, str]]] = {}
        for fld in fields:
            named[fld.name] = []
            for m in tokens(fld.text[:MAX_CHARS]):
                word = m.group().rstrip(".")
                if is_name_token(word):
                    counts[word] = counts.get(word, 0) + 1
                    named[fld.name].append((m.start(), word))
        for fld in fields:
            taken = SpanIndex.of([(c.start, c.end) for c in fld.cands])
            found = [self._unmodified(fld.text, s, e) for s, e in camel_names(fld.text, min(len(fld.text), MAX_CHARS),
                                                                                self.lex)
                     if fld.text[s:e].rstrip("s") not in fld.measures and not _scored_in(fld.text, s, e)]
            found += [(s, s + len(word)) for s, word in named[fld.name]
                      if (counts[word] >= 2 or self._example(fld.text, s) or _ours(fld.text, s))
                      and sum(c.isalpha() for c in word) >= 3 and not self._generic_word(word)
                      and word.rstrip("s") not in fld.measures]
            found = [(s, versioned(fld.text, e) if not taken.overlapping(s, e) and names_something(fld.text[s:e],
                                                                                               self.lex) else e)
                     for s, e in found]  # "SpConv 1.2" and "SpConv v2" are two; not "cuDNN" of "cuDNN 8.2.0"
            for s, e in found:
                if any(not (s <= ts and te <= e and (s, e) != (ts, te)) for ts, te in taken.overlapping(s, e)):
                    continue
                taken.add(s, e)
                spans.setdefault(clean(fld.text[s:e]), []).append((fld, s, e))
        siblings: dict[str, tuple[dict[int, EntityType], dict[int, EntityType]]] = {}
        for name, where in spans.items():
            entity_type = next((t for fld, s, e in where if (t := self.typer.context(fld.text, s, e))), None)
            entity_type = entity_type or self.typer.shape(where[0][0].text[where[0][1]:where[0][2]])
            if entity_type is None:
                for fld, s, e in where:
                    if fld.name not in siblings:
                        siblings[fld.name] = _typed_ends(fld)
                    entity_type = entity_type or _sibling_type(fld.text, s, e, *siblings[fld.name])
            attrs = {} if entity_type else {"untyped": "1"}
            entity_type = entity_type or "Technique"
            key = unseen_key(entity_type, name)
            for fld, s, e in where:
                fld.cands.append(Cand(s, e, entity_type, key, "name", 0.5, attrs=dict(attrs)))

    def _example(self, text: str, start: int) -> bool:
        """The name at `start` is an example of a class of models, methods or systems ("works such as IMPALA")."""
        m = _EXAMPLE_BEFORE.search(text, max(0, start - 90), start)
        return m is not None and m.group(1) in self.lex.words("class_heads")

    def _unmodified(self, text: str, start: int, end: int) -> tuple[int, int]:
        """"AlexNet-level accuracy", "BERT-style models": the name without its modifier suffix."""
        word = text[start:end]
        if self.lex.is_modifier(word) and "-" in word:
            cut = start + word.rindex("-")
            if cut - start >= 2:
                return start, cut
        return start, end

    def _generic_word(self, word: str) -> bool:
        return word in self.lex.generic_acronyms or word.lower() in self.lex.generic_names or \
            any(p in self.lex.generic_acronyms for p in word.split("-")) or self.lex.is_modifier(word) or \
            bool(re.fullmatch(r"[A-Z]\d+|\d+[A-Za-z]?|[A-Z]{1,2}|v\d[\d.]*|FP\d+|INT\d+|BF16|TF32|W\d+A\d+", word))


_POINTS_AFTER = re.compile(r"\s+(?:points?|pts?|scores?)\b")
_NUMBER_BEFORE = re.compile(r"\d\s*$")


def _scored_in(text: str, start: int, end: int) -> bool:
    """The name is a metric a number is counted in ("by more than 10 spBLEU points")."""
    return bool(_POINTS_AFTER.match(text, end) and _NUMBER_BEFORE.search(text, max(0, start - 4), start))


def _renamed(text: str, end: int, name_end: int) -> bool:
    """A known name extended into another ("EfficientNet-X" of EfficientNet), not by a size ("EfficientFormer-L1")."""
    rest = text[end:name_end]
    return rest[:1] in ("-", "+") and _VARIANT_TAIL.fullmatch(rest) is None


def _footnoted(name: str, base: str) -> bool:
    """`name` is `base` with a footnote mark ("PyramidFL1" of "PyramidFL")."""
    return len(name) == len(base) + 1 and name.startswith(base) and name[-1] in "123456789" and base[-1:].isalpha()


URL = re.compile(r"(?:https?://|www\.)\S{1,300}|(?<![\w.-])[\w.-]{1,60}\.(?:com|org|io|ai|net|edu)\b(?:/\S{0,300})?")
_EXAMPLE_BEFORE = re.compile(r"\b([a-z]+s)\s+(?:\(\s*)?(?:such\s+as|e\.g\.,?|including)\s+"
                             r"(?:[\w.+-]+(?:\s*,\s*|\s+(?:and|or)\s+|\s*,\s*(?:and|or)\s+))*$")
"""'compact models such as Mixer-TTS', 'baselines (e.g., FooNet, BarNet)': a name given as an example counts once."""
_NUMBERED = re.compile(r"-(?:v|V)?\d{1,2}")
_VARIANT_TAIL = re.compile(r"[1-9]|[-\s](?:\d+(?:\.\d+)?[BMK]|[TSBLMH]\d{0,2}|XL|Tiny|Small|Base|Large|base|large|Huge|"
                           r"v\d[\d.]*)")
"""What a size, a variant or a footnote mark ("PyramidFL1") adds to a proposed name."""
_OUR = re.compile(r"\b[Oo]ur\s+(?:proposed\s+|new\s+|novel\s+|own\s+|specialized\s+|fine-tuned\s+|trained\s+)?"
                  r"(?:(?:models?|methods?|systems?|approach|framework)\s+)?$")
"""'our SceneTilling', 'our fine-tuned model SWE-Llama': the paper's own."""


def _ours(text: str, start: int) -> bool:
    """The name at `start` follows "our" (`_OUR` matches at most 26 characters, so 30 read back hold any match)."""
    return _OUR.search(text, max(0, start - 30), start) is not None


_RESULT = re.compile(r"(?:\s+\w+){0,3}?\s+(?:achieves|outperforms|delivers|boosts|improves|reduces|enables|can|is able|"
                     r"attains|accelerates|surpasses|yields|obtains|significantly|consistently)\b")


def _near(a: list[str], b: list[str]) -> bool:
    """Two spellings of one proposed name ("InceptionNeXt" / "IncepitonNeXt")."""
    x = {clean(s).lower() for s in a}
    y = {clean(s).lower() for s in b}
    return any(len(p) >= 6 and abs(len(p) - len(q)) <= 1 and _DIGITS.sub("", p) != _DIGITS.sub("", q) and
               difflib.SequenceMatcher(None, p, q).ratio() >= 0.85 for p in x for q in y)  # not "-L1" / "-L7"


_DIGITS = re.compile(r"\d+")
_LIST_BEFORE = re.compile(r"(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*)(?:[\w-]+-based\s+)?$")
_LIST_AFTER = re.compile(r"(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*)(?:[\w-]+-based\s+)?")
_OPENER = re.compile(r"\s*(?:[A-Za-z-]+(?:ed|ing)|On|In|For|With|At|Across|Under|After|Compared)\s")
"""How a clause before the subject opens ("Trained on ...,", "On GSM8K,"): a comma after it lists nothing."""
_SIBLING_TYPES = ("Model", "Software", "Hardware", "Dataset")


def _typed_ends(fld: Field) -> tuple[dict[int, EntityType], dict[int, EntityType]]:
    """Vocabulary mentions of a field by end and by start, with their types (for list-sibling typing)."""
    ends = {c.end: c.type for c in fld.cands if c.source in ("vocab", "size") and c.type in _SIBLING_TYPES}
    starts = {c.start: c.type for c in fld.cands if c.source in ("vocab", "size") and c.type in _SIBLING_TYPES}
    return ends, starts


def _sibling_type(text: str, start: int, end: int, ends: dict[int, EntityType],
                  starts: dict[int, EntityType]) -> EntityType | None:
    """An unseen name listed next to a known model or system is one too ("CPU-based FastLLM and GPU-based
    MLC-LLM", "Pythia, OpenLLaMA")."""
    before = _LIST_BEFORE.search(text, max(0, start - 40), start)
    if before and before.start() in ends:
        clause = max(text.rfind(c, 0, before.start()) for c in ".;:") + 1
        if before.group().startswith(",") and _OPENER.match(text, clause, before.start()):
            return None  # "Fine-tuning LLaMA-3-70B on GSM8K, QPiSSA attains ...": a clause ends at the comma
        return ends[before.start()]
    after = _LIST_AFTER.match(text, end, end + 40)
    if after and after.end() in starts:
        return starts[after.end()]
    return None


def entity_keys(entity: Entity) -> list[str]:
    return [entity.key, *([entity.attrs["merged"]] if entity.attrs.get("merged") else [])]


def _occurrences(text: str, name: str) -> list[tuple[int, int]]:
    """Where a proposed name occurs (case-exact; also case-free for names with inner capitals or digits)."""
    if not name or not text:
        return []
    ignore_case = len(name) >= 6 or (is_name_token(name.split()[0]) and len(name) > 3)
    return find_all(text, name, ignore_case=ignore_case)
