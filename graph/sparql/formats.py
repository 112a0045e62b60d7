"""Result formats of the SPARQL endpoint and content negotiation (Accept header or a format name)."""

from __future__ import annotations

from pyoxigraph import QueryResultsFormat, RdfFormat

from paperkg.core.errors import NotAcceptable
from paperkg.graph.sparql.guard import Kind

SOLUTION_FORMATS: dict[str, tuple[str, QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", QueryResultsFormat.XML),
    "csv": ("text/csv; charset=utf-8", QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values; charset=utf-8", QueryResultsFormat.TSV),
}
"""SELECT and ASK results."""
GRAPH_FORMATS: dict[str, tuple[str, RdfFormat]] = {
    "turtle": ("text/turtle; charset=utf-8", RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", RdfFormat.RDF_XML),
    "nquads": ("application/n-quads", RdfFormat.N_QUADS),
}
"""CONSTRUCT and DESCRIBE results."""
FORMAT_NAMES = (*SOLUTION_FORMATS, *GRAPH_FORMATS)

_SOLUTION_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json", "text/javascript": "json",
    "application/javascript": "json", "application/sparql-results+xml": "xml", "application/xml": "xml",
    "text/xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv",
}
_GRAPH_TYPES = {
    "text/turtle": "turtle", "application/turtle": "turtle", "application/x-turtle": "turtle",
    "application/n-triples": "ntriples", "text/plain": "ntriples", "application/ld+json": "jsonld",
    "application/x-json+ld": "jsonld", "application/json": "jsonld", "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml", "text/xml": "rdfxml", "application/n-quads": "nquads",
}


def is_graph(kind: Kind | None) -> bool:
    return kind in ("construct", "describe")


def default_format(kind: Kind | None) -> str:
    return "turtle" if is_graph(kind) else "json"


def media_type(name: str) -> str:
    return (SOLUTION_FORMATS.get(name) or GRAPH_FORMATS[name])[0]


def _accepted(accept: str) -> list[str]:
    """Media ranges of an Accept header, best first (q=0 dropped, ties keep their order)."""
    ranges: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        mtype = fields[0].lower()
        quality = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if mtype and quality > 0:
            ranges.append((-quality, index, mtype))
    return [mtype for _, _, mtype in sorted(ranges)]


def negotiate(kind: Kind | None, accept: str | None = None, fmt: str | None = None) -> str:
    """The format name to answer with: `fmt` if given, else the best match of `accept`, else the default."""
    graph = is_graph(kind)
    table = GRAPH_FORMATS if graph else SOLUTION_FORMATS
    if fmt:
        name = fmt.strip().lower()
        if name not in FORMAT_NAMES:
            raise NotAcceptable(f"unknown result format {fmt!r}; use one of {', '.join(FORMAT_NAMES)}")
        if name not in table:
            what = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
            raise NotAcceptable(f"{what} results cannot be given as {name}; use one of {', '.join(table)}")
        return name
    if not accept or not accept.strip():
        return default_format(kind)
    types = _GRAPH_TYPES if graph else _SOLUTION_TYPES
    for mtype in _accepted(accept):
        if mtype in ("*/*", "application/*"):
            return default_format(kind)
        if mtype == "text/*":
            return "turtle" if graph else "csv"
        if mtype in types:
            return types[mtype]
    offered = ", ".join(media_type(name).split(";")[0] for name in table)
    raise NotAcceptable(f"none of the accepted media types ({accept}) is available for these results; "
                        f"offered: {offered}")
