"""Property-graph exports of the networkx view: GraphML, GEXF and node-link JSON, streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import networkx as nx

from paperkg.core.formats import of_kind
from paperkg.core.text import NOT_XML

PROPERTY_FORMATS = {name: f.media_type for name, f in of_kind("export").items() if not f.rdf}
"""Format name -> media type, from the format registry."""


def stream(g: nx.MultiDiGraph, fmt: str) -> Iterator[bytes]:
    """The graph in `fmt`, in chunks of whole lines or JSON fragments."""
    if fmt == "graphml":
        yield from _lines(NOT_XML.sub("\ufffd", line) for line in nx.generate_graphml(g, named_key_ids=True))
    elif fmt == "gexf":
        yield from _lines(NOT_XML.sub("\ufffd", line) for line in nx.generate_gexf(g))
    elif fmt == "nodelink":
        data = nx.node_link_data(g, edges="edges")
        encoder = json.JSONEncoder(ensure_ascii=False)
        buffer: list[str] = []
        for piece in encoder.iterencode(data):
            buffer.append(piece)
            if len(buffer) >= 512:
                yield "".join(buffer).encode()
                buffer.clear()
        yield ("".join(buffer) + "\n").encode()
    else:
        raise ValueError(fmt)


def _lines(lines: Iterator[str], batch: int = 512) -> Iterator[bytes]:
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) >= batch:
            yield ("\n".join(buffer) + "\n").encode()
            buffer.clear()
    if buffer:
        yield ("\n".join(buffer) + "\n").encode()
