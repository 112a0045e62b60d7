"""The extractor: vocabulary and pattern mentions -> canonical entities -> evidence-backed relations."""

from __future__ import annotations

import re
from bisect import bisect_right

from paperkg.core.records import PAPER, Evidence, ExtractedEntity, ExtractedRelation, Extraction, Mention
from paperkg.graph.extraction.candidates import vocabulary_tags
from paperkg.graph.extraction.claim_objects import drop_inner_mentions, sibling_types, state_of_the_art
from paperkg.graph.extraction.claim_subjects import subject_of
from paperkg.graph.extraction.compare import Claim, Comparisons
from paperkg.graph.extraction.entities import Builder, Entity, Field, Typer, resolve
from paperkg.graph.extraction.finders import Cand, Finder
from paperkg.graph.extraction.foils import foils, levelled
from paperkg.graph.extraction.gazetteer import Gazetteer
from paperkg.graph.extraction.implicit import implicit_claims
from paperkg.graph.extraction.lexicon import Lexicon, alternation
from paperkg.graph.extraction.mentions import URL, Mentions, entity_keys
from paperkg.graph.extraction.names import clean, is_name_token, names_something, only_devices, unseen_key
from paperkg.graph.extraction.phrases import Phrases
from paperkg.graph.extraction.relations import PaperRelations, devices_kept, evidence_at
from paperkg.graph.extraction.scorer import Scorer
from paperkg.graph.extraction.text import (
    MAX_CHARS,
    Sentence,
    balanced,
    blank_citations,
    blank_latex,
    recase_title,
    runs,
    sentences,
    unify_signs,
)
from paperkg.graph.extraction.title_names import title_parts
from paperkg.graph.vocabulary import Vocabulary

_WE_ACHIEVE = re.compile(r"\b[Ww]e\s+(?:\w+\s+){0,3}?(?:achieve|achieved|attain|attained|obtain|obtained|reach|"
                         r"reached|deliver|delivered)\b")
"""'Furthermore, on 16 TPUv4 chips, we were able to achieve 1.65x speedups': the paper speaks of its own method."""
_SELF = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Tt]his (?:paper|work|study|report|article)|[Ii]n this|[Hh]ere|"
                   r"[Tt]he proposed)\b")
_URLISH = re.compile(r"://|www\.|\.(?:com|org|io|ai|net|edu)\b")


_TOOL = re.compile(r"\s*(?:,|\(|:|\s(?:is|was))\s*(?:an?|the|our)?\s*(?:[\w-]+\s+){0,4}?(?:library|libraries|toolkit|"
                   r"package|software|SDK|API|toolchain|tool|framework for|Python|compiler|file system)\b", re.I)
_TOOL_BEFORE = re.compile(r"\b(?:an?|the|our)\s+(?:[\w-]+\s+){0,4}?(?:library|toolkit|package|compiler|SDK|"
                          r"file\s+system)\s*,?\s*(?:called\s+|named\s+)?$", re.I)
_TOOL_TITLE = re.compile(r":\s*(?:an?\s+)?(?:[\w-]+\s+){0,4}?(?:library|toolkit|package|software)\b", re.I)
OWN_PHRASE = 0.55
"""Confidence that an unnamed method phrase ("a stall-free scheduling") is the paper's own; never a claim subject."""


class Extractor:
    """Deterministic, offline extraction of entities and relations from one paper's title and abstract."""

    rules_version = "2.4.74"

    def __init__(self, vocabulary: Vocabulary, scorer: Scorer | None = None, min_confidence: float = 0.0) -> None:
        """`scorer`: the learned scorer (Scorer.load(seeds / "scorer")); None keeps the rules' output as it is.
        `min_confidence`: entities and relations the scorer rates below this are left out."""
        self.vocabulary = vocabulary
        self.scorer = scorer
        self.min_confidence = min_confidence
        self._version = self.rules_version + (f"+scorer{scorer.version}" if scorer else "") + \
            (f"+min{min_confidence:g}" if scorer and min_confidence > 0 else "")
        self.known = set(vocabulary.concepts)
        self.lex = Lexicon.from_data(vocabulary.lexicon)
        self.gazetteer = Gazetteer(vocabulary)
        cues = alternation(sorted(self.lex.words("base_cues")))
        self.base_cue = re.compile(rf"\b(?:{cues})\s+(?:the\s+)?(?:[\w.-]+(?:,?\s+(?:and|or)\s+|,\s*|\s+)){{0,5}}$",
                                   re.IGNORECASE)
        """A base the paper builds on, right before a name or a list of names ("based off A and B")."""
        self.finder = Finder(vocabulary, self.lex, self.gazetteer)
        self.typer = Typer(self.lex, vocabulary)
        self.mentions = Mentions(vocabulary, self.lex, self.finder, self.typer)
        self.builder = Builder(vocabulary, self.lex)
        self.compare = Comparisons(self.lex)
        self.paper_relations = PaperRelations(self.lex, vocabulary)
        self.phrases = Phrases(self.lex)
        if scorer is not None:
            scorer.candidates.vocab = vocabulary_tags(vocabulary, self.lex.weak)
            scorer.candidates.generic = frozenset({*self.lex.generic_names, *map(str.lower, self.lex.generic_acronyms)})

    def _whole(self, name: str) -> bool:
        """A name never holds half a bracket ("OOPs) implementation of") nor begins or ends with a function word
        written in lower case ("topic-sensitive version of our")."""
        words = name.split()
        return bool(words) and balanced(name) and not any(w in self.lex.stop_words for w in (words[0], words[-1]))

    @property
    def version(self) -> str:
        """Rules, scorer and minimum confidence: a change to any of them re-extracts the stored papers."""
        return self._version

    def extract(self, title: str, abstract: str) -> Extraction:
        raw = abstract or ""
        abstract = blank_latex(unify_signs(blank_citations(raw)))  # "vLLM [12], Orca [35] and TGI": no list end
        result = self._extract(blank_latex(unify_signs(recase_title(title or "", raw))), abstract)
        for rel in result.relations if abstract != raw else []:  # facts quote the sentence as written, markers too
            if (ev := rel.evidence).field == "abstract":
                rel.evidence = Evidence(raw[ev.start:ev.end], ev.start, ev.end, ev.field)
        return result

    def _extract(self, title: str, abstract: str) -> Extraction:
        fields = [Field("title", title), Field("abstract", abstract)]
        texts = {"title": title, "abstract": abstract}
        spans = {"title": sentences(title), "abstract": sentences(abstract)}
        for fld in fields:
            r = runs(fld.text)
            fld.norm = r.norm
            fld.cands += self.finder.vocab(fld.text, r)
            fld.cands += self.finder.hardware(fld.text)
            fld.cands += self.finder.sized_models(fld.text)
            fld.cands += self.finder.datasets(fld.text)
        long_forms = self.mentions.acronyms(fields)
        proposed = self.mentions.proposed(fields, spans["abstract"], long_forms)
        self.mentions.unseen(fields)
        names, keys = [], []
        for f in fields:
            for c in f.cands:
                if c.key in proposed:
                    names.append(clean(f.text[c.start:c.end]))
                    keys.append(c.key)
        # a family named as the kind of the contribution is no name of it: "a knowledge distillation method" stays
        # unproposed, as a name the paper proposes would keep it
        found, own = self.phrases.find(abstract, fields[1].cands, names + self.mentions.kinds_named)
        fields[1].cands += found
        for key in own:
            proposed[key] = max(proposed.get(key, 0.0), OWN_PHRASE)
        own_names = [n for n, k in zip(names, keys, strict=True) if proposed[k] >= 0.9]
        background = self._background(spans["abstract"], own_names)
        if background:  # processors named by vendor only count where the paper speaks of its own experiments
            starts = [sp.start for sp in spans["abstract"]]
            fields[1].cands = [c for c in fields[1].cands if not c.attrs.get("vendor_level") or
                               bisect_right(starts, c.start) - 1 not in background]
        for fld in fields:
            limit = min(len(fld.text), MAX_CHARS)
            urls = [m.span() for m in URL.finditer(fld.text, 0, limit)] if _URLISH.search(fld.text, 0, limit) else []
            lowered = fld.text[:limit].lower()
            masks = [m.span() for m in self.lex.masked_re.finditer(fld.text, 0, limit)] \
                if any(word in lowered for word in self.lex.masked_hints) else []
            if urls or masks:
                fld.cands = [c for c in fld.cands if not any(c.start < e and s < c.end for s, e in urls)
                             and not any(s <= c.start and c.end <= e for s, e in masks)]
            fld.cands = [c for c in fld.cands if self._whole(fld.text[c.start:c.end])]
        titled = {c.key for c in fields[0].cands if c.source == "proposed"}  # "LUT-LLM: ...": generic words, a name
        nothing = {id(c) for fld in fields for c in fld.cands if c.source != "vocab" and c.type != "Hardware"
                   and not names_something(fld.text[c.start:c.end], self.lex)
                   and not (c.key in titled and only_devices(fld.text[c.start:c.end], self.lex))}
        # a long form that names nothing takes its acronym along: "MADCOW" of "Multi-site ... Working group"
        defined = {c.key for fld in fields for c in fld.cands if id(c) in nothing and c.source == "long"}
        for fld in fields:
            fld.cands = [c for c in fld.cands if id(c) not in nothing and (c.key not in defined or c.source == "vocab")]
        chosen = {fld.name: resolve(fld) for fld in fields}
        entities = self.builder.build(fields, chosen, proposed)
        for entity in entities:
            score = max((proposed.get(k, 0.0) for k in entity_keys(entity)), default=0.0)
            entity.proposed = max(entity.proposed, score)
        entities = self.mentions.more_proposals(entities, texts)
        entities = title_parts(entities, title)
        self._own_systems(entities, texts)
        claims, entities = self._claims(abstract, spans["abstract"], chosen["abstract"], entities, background)
        result = self._assemble(entities, claims, texts, spans, background)
        if self.scorer is not None and abstract.strip():  # a title alone (or a search query) gives the scorer no
            result = self.scorer.apply(result, title, abstract, self.known, self.min_confidence)  # context
        return devices_kept(result)

    # -- comparisons -------------------------------------------------------------------------------------------
    def _claims(self, text: str, spans: list[Sentence], chosen: list[Cand], entities: list[Entity],
                background: set[int]) -> tuple[list[tuple[Claim, list[str]]], list[Entity]]:
        mention_at = {c.start: c.end for c in chosen}
        key_at = {c.start: self.builder.resolve_key(c.key) for c in chosen}
        by_key = {e.key: e for e in entities}
        baselines = self.compare.baselines
        baselines.techniques = {c.start for c in chosen if c.type == "Technique"}
        baselines.specific = {c.start for c in chosen if c.concept and c.concept not in self.lex.weak and
                              len(self.vocabulary.ancestors(c.concept)) >= 2}
        baselines.weak = {c.start for c in chosen if c.concept in self.lex.weak}
        baselines.kinds = {c.start: c.type for c in chosen}
        out = []
        starts = [sp.start for sp in spans]
        ours = [st for e in entities if e.proposed for f, st, _ in e.mentions if f == "abstract"]
        sota: str | None = None
        known = set(by_key)
        created: set[str] = set()
        for claim in self.compare.claims(text, spans, mention_at, frozenset(ours)):
            if bisect_right(starts, claim.sentence.start) - 1 in background and \
                    not any(claim.sentence.start <= st < claim.sentence.end for st in ours):
                continue  # the scene-setting sentences compare earlier work with each other
            keys = []
            for start, end in claim.objects:
                if start in baselines.sota:
                    sota = state_of_the_art(text, entities) if sota is None else sota
                    keys.append(sota)  # "the state-of-the-art system" named elsewhere in the abstract
                    continue
                if start in baselines.devices:
                    kind = baselines.devices[start]
                    devices = [e.key for e in entities if e.type == "Hardware" and not e.proposed
                               and self.paper_relations.kind_of(e) == kind]
                    keys.append(devices[0] if len(devices) == 1 else "")  # "its contemporary GPU": the K80
                    continue
                key = key_at.get(start)
                if key is not None and mention_at.get(start) == end:
                    by_key[key].extra_aliases.extend(self.compare.aliases.get(start, [])) if key in by_key else None
                if key is None or mention_at.get(start) != end:
                    name = clean(text[start:end])
                    if not name or name.lower() in self.lex.generic_names or len(name) > 60 or \
                            not names_something(name, self.lex):
                        keys.append("")
                        continue
                    entity_type = self.lex.head_type(name) if not is_name_token(name.split()[0]) else None
                    entity_type = entity_type if entity_type in ("Model", "Technique") else "Technique"
                    key = unseen_key(entity_type, name)
                    if key not in by_key:
                        by_key[key] = Entity(key, entity_type, None)  # type: ignore[arg-type]
                        entities.append(by_key[key])
                    entity = by_key[key]
                    entity.mentions.append(("abstract", start, end))
                    entity.surfaces.append(text[start:end])
                    entity.extra_aliases.extend(self.compare.aliases.get(start, []))
                keys.append(key)
            created.update(k for k in keys if k and k not in known)
            out.append((claim, keys))
        sentences: dict[int, list[str]] = {}
        for claim, keys in out:
            sentences.setdefault(claim.sentence.start, []).extend(keys)
        rename: dict[str, str] = {}
        for keys in sentences.values():
            rename.update(sibling_types([rename.get(k, k) for k in keys], by_key, created))
        if rename:
            out = [(claim, [rename.get(k, k) for k in keys]) for claim, keys in out]
        out += implicit_claims(out, entities, self.lex.words("implicit_baselines"), spans, background)
        drop_inner_mentions(entities, created)
        return out, entities

    # -- assembly ----------------------------------------------------------------------------------------------
    def _assemble(self, entities: list[Entity], claims: list[tuple[Claim, list[str]]], texts: dict[str, str],
                  spans: dict[str, list[Sentence]], background: set[int]) -> Extraction:
        by_key = {e.key: e for e in entities}
        starts = [sp.start for sp in spans["abstract"]]
        where: dict[str, dict[int, list[int]]] = {}
        for entity in entities:
            places = where.setdefault(entity.key, {})
            for f, st, _ in entity.mentions:
                if f == "abstract":
                    places.setdefault(bisect_right(starts, st) - 1, []).append(st)
        proposed = sorted((e for e in entities if e.proposed > OWN_PHRASE),
                          key=lambda e: (-e.proposed, e.first("abstract") or 0))
        hardware_keys = [e.key for e in entities if e.type == "Hardware"]
        relations: list[ExtractedRelation] = []
        seen: dict[tuple[str, str], ExtractedRelation] = {}
        compared: dict[str, set[int]] = {}
        sentence_of = [bisect_right(starts, claim.sentence.start) - 1 for claim, _ in claims]
        compared_in: dict[int, set[str]] = {}
        for index, (_, keys) in zip(sentence_of, claims, strict=True):
            compared_in.setdefault(index, set()).update(keys)
        for index, (claim, keys) in zip(sentence_of, claims, strict=True):
            subject = subject_of(claim, index, proposed, entities, where)
            # the device the claim was measured on: the sentence's first that no claim of it compares against ("18.3x
            # over a multi-core CPU (Xeon E5), 7.7x over a server GPU (Titan Xp)" names no device of its own)
            hardware = next((k for k in hardware_keys if index in where[k] and k not in compared_in[index]), None)
            anchor = (claim.factor_at if claim.factor_at is not None else claim.cue_start) - claim.sentence.start
            claim_metric = self.lex.metric_of(claim.sentence.text, anchor)
            for number, (key, factor) in enumerate(zip(keys, claim.factors, strict=False)):
                obj = by_key.get(key)
                if obj is None or obj.key == subject or obj.proposed or obj.type == "Dataset":
                    continue
                if obj.weak and all(s.islower() for s in obj.surfaces) and factor is None:
                    continue  # "attention", "fine-tuning": too generic to be a baseline, unless a factor is stated
                written = claim.factor_starts[number] if number < len(claim.factor_starts) else None
                # each object's factor is measured in the words written with it ("2.16x lower latency and 3.18x
                # higher throughput than A and B, respectively")
                own = None if written is None else written - claim.sentence.start
                metric = claim_metric if own is None or own == anchor else \
                    self.lex.own_metric(claim.sentence.text, own) or claim_metric
                compared.setdefault(key, set()).add(index)
                evidence = evidence_at(texts["abstract"], spans["abstract"], "abstract", claim.cue_start)
                rel = ExtractedRelation(subject, "outperforms", key, evidence, claim.confidence, factor=factor,
                                        metric=metric, hardware=hardware)  # never a baseline of the sentence
                old = seen.get((subject, key))
                if old is None:
                    seen[(subject, key)] = rel
                    relations.append(rel)
                elif factor is not None and (old.factor is None or factor > old.factor):
                    old.factor, old.metric, old.evidence = factor, metric, evidence
        self._late_factors(claims, relations, proposed, entities, where, starts)
        claimed = set(sentence_of) | background
        levels = levelled(entities, texts)  # "AlexNet-level accuracy" names a yardstick, not a thing used
        only_compared = {k for k, places in compared.items()  # compared, else only named in the scene-setting
                         if {bisect_right(starts, st) - 1 for f, st, _ in by_key[k].mentions
                             if f == "abstract" and (f, st) not in levels} <= places | claimed
                         and all(f == "abstract" or (f, st) in levels for f, st, _ in by_key[k].mentions)}
        base = {k for k in only_compared if any(f == "abstract" and self.base_cue.search(texts[f], max(0, st - 90), st)
                                                for f, st, _ in by_key[k].mentions)}
        only_compared -= base  # "models based off T5-Base ... 7x faster": built on as well as beaten
        only_compared |= foils(entities, texts, spans["abstract"], levels)
        scene = {e.key for e in entities if not e.proposed and e.key not in compared
                 and e.type in ("Technique", "Model", "Software") and all(f == "abstract" for f, _, _ in e.mentions)
                 and set(where[e.key]) <= background}
        for e in entities:
            if e.key in scene and e.concept and e.type == "Technique":
                e.weak = True  # a technique named only to set the scene is not one the paper uses
        keep = [e for e in entities if not e.weak or e.key in compared or e.proposed]
        relations = self.paper_relations.build(keep, texts, spans, set(compared), only_compared | scene) + relations
        used = {r.object for r in relations} | {r.subject for r in relations}
        keep = [e for e in keep if e.mentions and (not e.weak or e.key in used)]
        return Extraction([self._entity(e, texts) for e in keep], relations)

    def _own_systems(self, entities: list[Entity], texts: dict[str, str]) -> None:
        """A system the paper itself proposes is a Technique (the guide's PowerInfer, SARATHI), even when the
        vocabulary lists it as Software for the papers that use it; unless this abstract calls it a library,
        toolkit or framework. Its key stays the vocabulary id, so the system is one node across papers (the
        knowledge base stores it with the vocabulary's type)."""
        for entity in entities:
            if entity.type != "Software" or entity.proposed < 0.8:
                continue
            if any(_TOOL.match(texts[f], e) or _TOOL_BEFORE.search(texts[f], max(0, s - 60), s)
                   for f, s, e in entity.mentions) or _TOOL_TITLE.search(texts["title"]):
                continue
            entity.type = "Technique"  # "Llumnix, an LLM serving system": the paper's own system
            if not entity.concept:
                entity.key = unseen_key("Technique", clean(entity.surfaces[0]))

    @staticmethod
    def _background(spans: list[Sentence], names: list[str]) -> set[int]:
        """Sentences that set the scene: those before the paper first speaks of itself ("we", "this paper", or
        the name of what it proposes: "GShard is a module ...")."""
        out: set[int] = set()
        names = [n for n in names if len(n) >= 3]
        for index, sentence in enumerate(spans):
            if _SELF.search(sentence.text) or any(n in sentence.text for n in names):
                break
            out.add(index)
        return out

    def _late_factors(self, claims: list[tuple[Claim, list[str]]], relations: list[ExtractedRelation],
                      proposed: list[Entity], entities: list[Entity], where: dict[str, dict[int, list[int]]],
                      starts: list[int]) -> None:
        """A factor stated without a baseline ("5.7x faster training (for Alpaca)") goes to the claim about a
        baseline named in that sentence, or to the subject's only claim made earlier."""
        for claim, _ in claims:
            if claim.objects or claim.unnamed or not claim.factors or claim.factors[0] is None:
                continue  # (a factor over a baseline stated generically, "over CPU baseline implementations", is its)
            index = bisect_right(starts, claim.sentence.start) - 1
            value = claim.factors[0]
            for rel in relations:
                if rel.factor is None and index in where.get(rel.object, {}):
                    rel.factor = value
                    rel.metric = rel.metric or self.lex.metric_of(claim.sentence.text)
            subject = subject_of(claim, index, proposed, entities, where)
            mine = [r for r in relations if r.subject == subject]
            if len(mine) == 1 and subject != PAPER and mine[0].factor is not None and value > mine[0].factor and \
                    mine[0].evidence.start < claim.sentence.start and (index in where.get(subject, {}) or
                                                                        _WE_ACHIEVE.search(claim.sentence.text)) \
                    and self._same_measure(mine[0].metric, self._measure_of(claim)):
                mine[0].factor = value  # the guide's "up to" value: the largest of the same measure

    def _measure_of(self, claim: Claim) -> str | None:
        at = None if claim.factor_at is None else claim.factor_at - claim.sentence.start
        return self.lex.metric_of(claim.sentence.text, at)

    def _same_measure(self, metric: str | None, other: str | None) -> bool:
        """Whether two factors measure the same thing: speed in any of its forms, or one metric (a 2.39x energy
        saving is no "up to" value of a 1.5x speedup); unknown metrics agree with any."""
        speed = self.lex.words("speed_metrics")
        return metric is None or other is None or metric == other or (metric in speed and other in speed)

    def _entity(self, entity: Entity, texts: dict[str, str]) -> ExtractedEntity:
        name, aliases = self.builder.name_and_aliases(entity)
        mentions = sorted({Mention(f, s, e, texts[f][s:e]) for f, s, e in entity.mentions},  # type: ignore[arg-type]
                          key=lambda m: (m.field != "title", m.start))
        concept = self.vocabulary.get(entity.concept) if entity.concept else None
        attrs = dict(concept.attrs) if concept else {}
        for attr in ("family", "vocabulary_id"):
            if entity.attrs.get(attr):
                attrs[attr] = entity.attrs[attr]
        return ExtractedEntity(entity.key, name, entity.type, aliases, mentions, attrs)
