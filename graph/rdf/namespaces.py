"""IRIs of the paperkg RDF graph: the ontology terms, papers, entities, claims and named graphs under one base IRI.

Layout under the base (default https://w3id.org/paperkg/):
    ontology#Term           classes and properties (seeds/ontology.ttl)
    paper/{paper id}        a paper              graph/paper/{paper id}   its named graph (paper triples + claims)
    entity/{entity id}      an entity            graph/entity/{entity id} its named graph (labels, attributes)
    claim/{paper id}/{n}    the n-th fact of a paper (reified, with evidence)
    graph/vocabulary        the SKOS technique taxonomy     graph/facts   facts whose subject is an entity
    graph/ontology          the ontology itself
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, unquote

from pyoxigraph import NamedNode

DEFAULT_BASE = "https://w3id.org/paperkg/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"

STANDARD_PREFIXES = {
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "schema": SCHEMA, "dcterms": DCTERMS, "skos": SKOS, "prov": PROV,
}
_SAFE = "/:@-._~!$&*+,;="
"""Characters left as they are in IRI path segments; everything else (space, #, ?, %, quotes, ...) is encoded."""


def encode(segment: str) -> str:
    """Percent-encode an id for use in an IRI path (slashes kept; non-ASCII letters encoded as UTF-8)."""
    return quote(segment, safe=_SAFE)


@lru_cache(maxsize=4096)
def std(iri: str) -> NamedNode:
    """A cached NamedNode for a standard-vocabulary IRI."""
    return NamedNode(iri)


TYPE = NamedNode(RDF + "type")


class Iris:
    """Every IRI the mapping mints, for one base IRI (which must end with '/' or '#')."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base
        self.ontology = base + "ontology"
        self.pkg = base + "ontology#"
        self.paper_prefix = base + "paper/"
        self.entity_prefix = base + "entity/"
        self.claim_prefix = base + "claim/"
        self.graph_prefix = base + "graph/"
        self.paper_graph_prefix = base + "graph/paper/"
        self.entity_graph_prefix = base + "graph/entity/"
        self.vocabulary_graph = NamedNode(base + "graph/vocabulary")
        self.facts_graph = NamedNode(base + "graph/facts")
        self.ontology_graph = NamedNode(base + "graph/ontology")
        self.technique_scheme = NamedNode(base + "vocabulary/techniques")
        self._terms: dict[str, NamedNode] = {}
        self._entities: dict[str, NamedNode] = {}

    def term(self, name: str) -> NamedNode:
        """An ontology term: term('uses') is {base}ontology#uses."""
        node = self._terms.get(name)
        if node is None:
            node = self._terms[name] = NamedNode(self.pkg + name)
        return node

    def paper(self, paper_id: str) -> NamedNode:
        return NamedNode(self.paper_prefix + encode(paper_id))

    def entity(self, entity_id: str) -> NamedNode:
        node = self._entities.get(entity_id)
        if node is None:
            node = NamedNode(self.entity_prefix + encode(entity_id))
            if len(self._entities) < 200_000:
                self._entities[entity_id] = node
        return node

    def claim(self, paper_id: str, n: int) -> NamedNode:
        return NamedNode(f"{self.claim_prefix}{encode(paper_id)}/{n}")

    def paper_graph(self, paper_id: str) -> NamedNode:
        return NamedNode(self.paper_graph_prefix + encode(paper_id))

    def entity_graph(self, entity_id: str) -> NamedNode:
        return NamedNode(self.entity_graph_prefix + encode(entity_id))

    def entity_id(self, iri: str) -> str | None:
        """The entity id an entity IRI names, or None."""
        return unquote(iri[len(self.entity_prefix):]) if iri.startswith(self.entity_prefix) else None

    def paper_id(self, iri: str) -> str | None:
        """The paper id a paper IRI names, or None."""
        return unquote(iri[len(self.paper_prefix):]) if iri.startswith(self.paper_prefix) else None

    def is_local_graph(self, iri: str) -> bool:
        """True for the named graphs this store holds (the only ones FROM / FROM NAMED may name)."""
        return iri.startswith(self.graph_prefix) and "/../" not in iri and "/./" not in iri

    def prefixes(self) -> dict[str, str]:
        """Prefixes for serialisations and example queries."""
        types = ("technique", "model", "hardware", "dataset", "software")
        kinds = {kind: f"{self.entity_prefix}{kind}/" for kind in types}
        return {"pkg": self.pkg, "paper": self.paper_prefix, **kinds, **STANDARD_PREFIXES}
