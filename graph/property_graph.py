"""Property-graph exports of the networkx view: GraphML, GEXF and node-link JSON, streamed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import networkx as nx

from paperkg.core.formats import of_kind

PROPERTY_FORMATS = {name: f.media_type for name, f in of_kind("export").items() if not f.rdf}
"""Format name -> media type, from the format registry."""
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
                      r"|&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01]|6553[45])|x0*(?:[0-8bcef]|1[0-9a-f]|fff[ef]));", re.I)
"""Characters XML 1.0 cannot carry, raw or as character references. Input validation keeps them out of the store;
this guards exports of data stored before it did."""


def stream(g: nx.MultiDiGraph, fmt: str) -> Iterator[bytes]:
    """The graph in `fmt`, in chunks of whole lines or JSON fragments."""
    if fmt == "graphml":
        yield from _lines(_NOT_XML.sub("\ufffd", line) for line in nx.generate_graphml(g, named_key_ids=True))
    elif fmt == "gexf":
        yield from _lines(_NOT_XML.sub("\ufffd", line) for line in nx.generate_gexf(g))
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
