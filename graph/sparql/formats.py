"""Result formats of the SPARQL endpoint and content negotiation (Accept header or a format name)."""

from __future__ import annotations

from pyoxigraph import QueryResultsFormat, RdfFormat

from paperkg.core.errors import InvalidParameter, NotAcceptable
from paperkg.core.formats import media_types, of_kind
from paperkg.graph.rdf.serialize import rdf_format
from paperkg.graph.sparql.guard import Kind


def _results_format(media_type: str) -> QueryResultsFormat:
    found = QueryResultsFormat.from_media_type(media_type)
    if found is None:
        raise ValueError(f"pyoxigraph has no results format for {media_type}")
    return found


SOLUTION_FORMATS: dict[str, tuple[str, QueryResultsFormat]] = {
    name: (f.media_type, _results_format(f.essence)) for name, f in of_kind("solutions").items()}
"""SELECT and ASK results."""
GRAPH_FORMATS: dict[str, tuple[str, RdfFormat]] = {
    name: (f.media_type, rdf_format(f.essence)) for name, f in of_kind("graph").items()}
"""CONSTRUCT and DESCRIBE results."""
FORMAT_NAMES = (*SOLUTION_FORMATS, *GRAPH_FORMATS)
_SOLUTION_TYPES = media_types("solutions")
_GRAPH_TYPES = media_types("graph")


def is_graph(kind: Kind | None) -> bool:
    return kind in ("construct", "describe")


def default_format(kind: Kind | None) -> str:
    return "turtle" if is_graph(kind) else "json"


def media_type(name: str) -> str:
    return (SOLUTION_FORMATS.get(name) or GRAPH_FORMATS[name])[0]


def accepted(accept: str) -> list[str]:
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
            raise InvalidParameter(f"unknown result format {fmt!r}; use one of {', '.join(FORMAT_NAMES)}")
        if name not in table:
            what = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
            raise NotAcceptable(f"{what} results cannot be given as {name}; use one of {', '.join(table)}")
        return name
    if not accept or not accept.strip():
        return default_format(kind)
    types = _GRAPH_TYPES if graph else _SOLUTION_TYPES
    for mtype in accepted(accept):
        if mtype in ("*/*", "application/*"):
            return default_format(kind)
        if mtype == "text/*":
            return "turtle" if graph else "csv"
        if mtype in types:
            return types[mtype]
    offered = ", ".join(media_type(name).split(";")[0] for name in table)
    raise NotAcceptable(f"none of the accepted media types ({accept}) is available for these results; "
                        f"offered: {offered}")
