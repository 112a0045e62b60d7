"""The one registry of output formats: name, media type, what it can carry, and the media types that ask for it.

The CLI's `--format` choices, the API's content negotiation, the exporters and the SPARQL endpoint all read this
table; serialisers are found from it by name (property graphs) or by media type (pyoxigraph's formats).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["solutions", "graph", "export"]
"""solutions: SPARQL SELECT/ASK results; graph: RDF documents (CONSTRUCT/DESCRIBE, the ontology); export: whole-graph
dumps, streamed."""


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    kinds: frozenset[Kind]
    suffix: str
    accepts: tuple[str, ...] = ()
    """Further media types that ask for this format in an Accept header (within one kind)."""
    rdf: bool = True
    """An RDF or SPARQL-results serialisation (pyoxigraph writes it); False: a property-graph format."""

    @property
    def essence(self) -> str:
        """The media type without parameters."""
        return self.media_type.split(";")[0]


def _format(name: str, media_type: str, kinds: tuple[Kind, ...], suffix: str, *accepts: str,
            rdf: bool = True) -> Format:
    return Format(name, media_type, frozenset(kinds), suffix, accepts, rdf)


FORMATS: dict[str, Format] = {f.name: f for f in (
    _format("json", "application/sparql-results+json", ("solutions",), ".srj",
            "application/json", "text/javascript", "application/javascript"),
    _format("xml", "application/sparql-results+xml", ("solutions",), ".srx", "application/xml", "text/xml"),
    _format("csv", "text/csv; charset=utf-8", ("solutions",), ".csv"),
    _format("tsv", "text/tab-separated-values; charset=utf-8", ("solutions",), ".tsv"),
    _format("turtle", "text/turtle; charset=utf-8", ("graph", "export"), ".ttl",
            "application/turtle", "application/x-turtle"),
    _format("ntriples", "application/n-triples", ("graph", "export"), ".nt", "text/plain"),
    _format("jsonld", "application/ld+json", ("graph", "export"), ".jsonld",
            "application/x-json+ld", "application/json"),
    _format("rdfxml", "application/rdf+xml", ("graph",), ".rdf", "application/xml", "text/xml"),
    _format("nquads", "application/n-quads", ("graph", "export"), ".nq"),
    _format("graphml", "application/graphml+xml", ("export",), ".graphml", rdf=False),
    _format("gexf", "application/gexf+xml", ("export",), ".gexf", rdf=False),
    _format("nodelink", "application/json", ("export",), ".json", rdf=False),
)}


def of_kind(kind: Kind) -> dict[str, Format]:
    """The formats of one kind, in registry order."""
    return {name: f for name, f in FORMATS.items() if kind in f.kinds}


def names(kind: Kind) -> tuple[str, ...]:
    return tuple(of_kind(kind))


def media_types(kind: Kind) -> dict[str, str]:
    """Media type (without parameters) -> format name, for negotiation within one kind."""
    found: dict[str, str] = {}
    for f in of_kind(kind).values():
        for media in (f.essence, *f.accepts):
            found.setdefault(media, f.name)
    return found
