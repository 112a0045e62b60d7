"""Pure functions from store rows to RDF quads (pyoxigraph terms, or N-Quads lines for bulk loading).

A paper becomes, in its own named graph: its bibliographic triples, one direct triple per fact
(`paper pkg:uses entity`), `schema:mentions` for every entity it names, and one reified claim node per fact with the
evidence sentence, offsets, confidence, extractor version and, for `outperforms`, factor / metric / hardware.
A fact whose subject is an entity ("vLLM outperforms llama.cpp") keeps its claim in the paper's graph, but its direct
triple is shared by every paper stating it, so it is returned apart (`PaperQuads.facts`) for the shared facts graph.
Papers are formatted as N-Quads text (`paper_nquads`; several times faster than building term objects, and it is
what RDFGraph loads); `paper_quads` parses the same text, so both views agree by construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from paperkg.core.identifiers import id_iri
from paperkg.core.records import PAPER, Paper, StoredEntity, StoredMention, StoredRelation
from paperkg.graph.rdf.namespaces import DCTERMS, OWL, PROV, RDF, SCHEMA, SKOS, TYPE, XSD, Iris, encode, std
from paperkg.graph.vocabulary import Vocabulary

PREDICATES = {"proposes": "proposes", "uses": "uses", "runs-on": "runsOn", "evaluated-on": "evaluatedOn",
              "outperforms": "outperforms"}
"""Store predicate -> ontology property local name."""
ENTITY_CLASSES = ("Technique", "Model", "Hardware", "Dataset", "Software")
ATTRIBUTES = {"memory_gb": "memoryGB", "memory_bandwidth_gbs": "memoryBandwidthGBs",
              "fp16_tensor_tflops": "fp16TensorTFLOPS", "bf16_tensor_tflops": "bf16TensorTFLOPS", "type": "deviceType"}
"""Vocabulary columns with a hand-chosen property name; any other column becomes pkg:<camelCase>."""
STANDARD_ATTRIBUTES = {"source": DCTERMS + "source", "release_date": DCTERMS + "issued", "url": SCHEMA + "url"}

_INTEGER, _DECIMAL, _BOOLEAN = std(XSD + "integer"), std(XSD + "decimal"), std(XSD + "boolean")
_DATE, _GYEAR, _ANYURI = std(XSD + "date"), std(XSD + "gYear"), std(XSD + "anyURI")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_RE = re.compile(r"^https?://\S+$")
_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass
class PaperQuads:
    """What one paper contributes: quads of its own graph, shared fact triples, and the entities it refers to."""

    quads: list[Quad]
    facts: list[Triple] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)


def integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=_INTEGER)


def decimal(value: float) -> Literal | None:
    """An xsd:decimal with up to 6 decimals (None for NaN or infinity)."""
    if not math.isfinite(value):
        return None
    text = f"{value:.6f}".rstrip("0")
    return Literal(text + "0" if text.endswith(".") else text, datatype=_DECIMAL)


def value_literal(value: Any) -> Literal | NamedNode | None:
    """A typed literal for a vocabulary attribute value (dates as xsd:date, http(s) URLs as IRIs)."""
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=_BOOLEAN)
    if isinstance(value, int):
        return integer(value)
    if isinstance(value, float):
        return decimal(value)
    text = str(value).strip()
    if not text:
        return None
    if _DATE_RE.match(text):
        return Literal(text, datatype=_DATE)
    if _URL_RE.match(text):
        try:
            return NamedNode(text)
        except ValueError:
            return Literal(text, datatype=_ANYURI)
    return Literal(text)


def attribute_property(iris: Iris, key: str) -> NamedNode | None:
    """The property a vocabulary attribute is stated with (None for a key with no letters or digits)."""
    if key in STANDARD_ATTRIBUTES:
        return std(STANDARD_ATTRIBUTES[key])
    if key in ATTRIBUTES:
        return iris.term(ATTRIBUTES[key])
    words = _WORD.findall(key)
    if not words:
        return None
    return iris.term(words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:]))


def _dedupe(quads: list[Quad]) -> list[Quad]:
    return list(dict.fromkeys(quads))


_IRIREF_OK = re.compile(r"^[^<>\"{}|^`\\\x00-\x20]+$")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def nt_string(text: str) -> str:
    """An N-Triples string literal (JSON string escapes are N-Triples escapes; lone surrogates become U+FFFD)."""
    quoted: str = encode_basestring(text)
    if not quoted.isascii() and _LONE_SURROGATE.search(quoted):
        quoted = _LONE_SURROGATE.sub("\ufffd", quoted)
    return quoted


def _url_term(url: str) -> str:
    """An http(s) URL as an IRI when it is a valid one, else an xsd:anyURI literal."""
    if _URL_RE.match(url) and _IRIREF_OK.match(url):
        try:
            return f"<{NamedNode(url).value}>"
        except ValueError:
            pass
    return f"{nt_string(url)}^^<{XSD}anyURI>"


def _decimal_nt(value: float | None) -> str | None:
    literal = decimal(value) if value is not None else None
    return f'"{literal.value}"^^<{XSD}decimal>' if literal is not None else None


@lru_cache(maxsize=65536)
def _entity_ref(prefix: str, entity_id: str) -> str:
    return f"<{prefix}{encode(entity_id)}>"


def _bibliographic(me: str, paper: Paper, g: str) -> list[str]:
    """Venue (dcterms:isPartOf), categories (dcterms:subject), and every id the paper is known by: a
    dcterms:identifier literal each, and owl:sameAs the public IRI of a DOI, arXiv, OpenAlex or S2 id."""
    lines = [f"{me} <{DCTERMS}isPartOf> {nt_string(paper.venue)} {g}"] if paper.venue else []
    lines += [f"{me} <{DCTERMS}subject> {nt_string(category)} {g}" for category in paper.categories]
    for kind, value in paper.ids:
        lines.append(f"{me} <{DCTERMS}identifier> {nt_string(value)} {g}")
        iri = id_iri(kind, value)
        if iri and _URL_RE.match(iri) and _IRIREF_OK.match(iri):
            lines.append(f"{me} <{OWL}sameAs> {_url_term(iri)} {g}")
    return lines


def paper_nquads(iris: Iris, paper: Paper, mentions: Iterable[StoredMention], relations: Sequence[StoredRelation],
                 extractor_version: str) -> tuple[list[str], list[Triple], set[str]]:
    """One paper as N-Quads lines of its named graph (deduplicated), the shared fact triples, and the entity ids it
    refers to. Formatting text is several times faster than building term objects, and the store parses it."""
    pkg, ent, pid = iris.pkg, iris.entity_prefix, encode(paper.id)
    g = f"<{iris.paper_graph_prefix}{pid}> .\n"
    me = f"<{iris.paper_prefix}{pid}>"
    lines = [
        f"{me} <{RDF}type> <{pkg}Paper> {g}",
        f"{me} <{RDF}type> <{SCHEMA}ScholarlyArticle> {g}",
        f"{me} <{DCTERMS}identifier> {nt_string(paper.id)} {g}",
        f"{me} <{DCTERMS}title> {nt_string(paper.title)} {g}",
        f"{me} <{SCHEMA}abstract> {nt_string(paper.abstract)} {g}",
    ]
    if paper.year is not None:
        lines.append(f'{me} <{DCTERMS}date> "{int(paper.year):04d}"^^<{XSD}gYear> {g}')
    if paper.url:
        lines.append(f"{me} <{SCHEMA}url> {_url_term(paper.url)} {g}")
    lines += [f"{me} <{DCTERMS}creator> {nt_string(author)} {g}" for author in paper.authors]
    lines += _bibliographic(me, paper, g)
    entities: set[str] = set()
    for row in mentions:
        entities.add(row.entity_id)
        lines.append(f"{me} <{SCHEMA}mentions> {_entity_ref(ent, row.entity_id)} {g}")
    facts: list[Triple] = []
    version = nt_string(extractor_version)
    for n, rel in enumerate(relations):
        predicate = f"<{pkg}{PREDICATES.get(rel.predicate, rel.predicate)}>"
        target = _entity_ref(ent, rel.object)
        subject = me if rel.subject == PAPER else _entity_ref(ent, rel.subject)
        claim = f"<{iris.claim_prefix}{pid}/{n}>"
        outperforms = rel.predicate == "outperforms"
        lines += [
            f"{claim} <{RDF}type> <{pkg}{'OutperformsClaim' if outperforms else 'Claim'}> {g}",
            f"{claim} <{RDF}subject> {subject} {g}",
            f"{claim} <{RDF}predicate> {predicate} {g}",
            f"{claim} <{RDF}object> {target} {g}",
            f"{claim} <{PROV}wasDerivedFrom> {me} {g}",
            f"{claim} <{pkg}evidence> {nt_string(rel.sentence)} {g}",
            f"{claim} <{pkg}evidenceField> {nt_string(rel.field)} {g}",
            f'{claim} <{pkg}evidenceStart> "{int(rel.start)}"^^<{XSD}integer> {g}',
            f'{claim} <{pkg}evidenceEnd> "{int(rel.end)}"^^<{XSD}integer> {g}',
            f"{claim} <{pkg}extractorVersion> {version} {g}",
        ]
        optional = [("confidence", _decimal_nt(rel.confidence)), ("factor", _decimal_nt(rel.factor)),
                    ("metric", nt_string(rel.metric) if rel.metric else None),
                    ("hardware", _entity_ref(ent, rel.hardware) if rel.hardware else None),
                    ("count", f'"{int(rel.count)}"^^<{XSD}integer>' if rel.count is not None else None),
                    ("baseline", target if outperforms else None)]
        lines += [f"{claim} <{pkg}{name}> {value} {g}" for name, value in optional if value is not None]
        entities.add(rel.object)
        if rel.hardware:
            entities.add(rel.hardware)
        if rel.subject == PAPER:
            lines.append(f"{me} {predicate} {target} {g}")
        else:
            entities.add(rel.subject)
            facts.append(Triple(iris.entity(rel.subject), iris.term(PREDICATES.get(rel.predicate, rel.predicate)),
                                iris.entity(rel.object)))
    return list(dict.fromkeys(lines)), list(dict.fromkeys(facts)), entities


def paper_quads(iris: Iris, paper: Paper, mentions: Iterable[StoredMention], relations: Sequence[StoredRelation],
                extractor_version: str) -> PaperQuads:
    """The quads of one paper's named graph (its triples and reified claims), plus the shared fact triples and
    the entity ids it refers to."""
    lines, facts, entities = paper_nquads(iris, paper, mentions, relations, extractor_version)
    quads = list(parse("".join(lines).encode(), format=RdfFormat.N_QUADS, lenient=True))
    return PaperQuads(quads, facts, entities)


def entity_quads(iris: Iris, entity: StoredEntity, aliases: Iterable[str], g: NamedNode,
                 skip: frozenset[Triple] | set[Triple] = frozenset()) -> list[Quad]:
    """An entity's type, names, aliases and attributes; triples in `skip` (the vocabulary graph's) are left out."""
    me = iris.entity(entity.id)
    kind = entity.type
    name = Literal(entity.name)
    quads = [
        Quad(me, TYPE, iris.term(kind if kind in ENTITY_CLASSES else "Entity"), g),
        Quad(me, std(DCTERMS + "identifier"), Literal(entity.id), g),
        Quad(me, std(SCHEMA + "name"), name, g),
        Quad(me, std(SKOS + "prefLabel"), name, g),
    ]
    if kind == "Technique":
        quads.append(Quad(me, TYPE, std(SKOS + "Concept"), g))
    for alias in aliases:
        if alias and alias != entity.name:
            quads.append(Quad(me, std(SKOS + "altLabel"), Literal(alias), g))
    for key, raw in sorted(entity.attrs.items()):
        prop = attribute_property(iris, str(key))
        for item in raw if isinstance(raw, list | tuple) else [raw]:
            value = value_literal(item) if item is not None else None
            if prop is not None and value is not None:
                quads.append(Quad(me, prop, value, g))
    return [q for q in _dedupe(quads) if q.triple not in skip]


def vocabulary_quads(iris: Iris, vocabulary: Vocabulary | None) -> list[Quad]:
    """The SKOS technique taxonomy of the whole vocabulary (also concepts no paper mentions yet)."""
    g = iris.vocabulary_graph
    scheme = iris.technique_scheme
    quads = [
        Quad(scheme, TYPE, std(SKOS + "ConceptScheme"), g),
        Quad(scheme, std(DCTERMS + "title"), Literal("paperkg techniques", language="en"), g),
    ]
    if vocabulary is None:
        return quads
    for concept in sorted(vocabulary.of_type("Technique"), key=lambda c: c.id):
        me = iris.entity(concept.id)
        quads += [
            Quad(me, TYPE, std(SKOS + "Concept"), g),
            Quad(me, std(SKOS + "prefLabel"), Literal(concept.label), g),
            Quad(me, std(SKOS + "inScheme"), scheme, g),
        ]
        quads += [Quad(me, std(SKOS + "altLabel"), Literal(a), g) for a in concept.aliases if a != concept.label]
        quads += [Quad(me, std(SKOS + "broader"), iris.entity(b), g) for b in concept.broader]
        # skos:related is symmetric: both directions are stated, so a query needs no union
        quads += [Quad(me, std(SKOS + "related"), iris.entity(r), g) for r in vocabulary.related(concept.id)]
        if not concept.broader:
            quads.append(Quad(me, std(SKOS + "topConceptOf"), scheme, g))
    return _dedupe(quads)
