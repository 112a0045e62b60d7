"""Streaming RDF serialisation of a store snapshot: Turtle, N-Triples, JSON-LD (and N-Quads), in chunks."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from pyoxigraph import Quad, RdfFormat, serialize

from paperkg.core.errors import InvalidInput
from paperkg.core.formats import of_kind

CHUNK_QUADS = 4_000
"""Quads per serialised chunk. pyoxigraph holds the GIL while it serialises one (about 20 ms at 4,000), so an export
running beside a write lengthens the write's lock hold by up to that (with 20,000: 116 against 13 ms longest hold,
`bench/lock_hold.py`, batches of 25); the export's speed is the same."""


def rdf_format(media_type: str) -> RdfFormat:
    """pyoxigraph's serialiser for a registered media type."""
    found = RdfFormat.from_media_type(media_type)
    if found is None:
        raise ValueError(f"pyoxigraph has no RDF format for {media_type}")
    return found


RDF_EXPORTS: dict[str, tuple[RdfFormat, str]] = {
    name: (rdf_format(f.essence), f.media_type) for name, f in of_kind("export").items() if f.rdf}
"""Format name -> (pyoxigraph format, media type). N-Quads keeps the named graphs; the others export the union."""

def as_bytes(data: bytes | None) -> bytes:
    """pyoxigraph's serialisers return bytes when given no output file (typed bytes | None)."""
    if data is None:
        raise ValueError("serialiser wrote to a file")
    return data


def export_media_type(fmt: str) -> str:
    if fmt not in RDF_EXPORTS:
        raise InvalidInput(f"unknown RDF export format {fmt!r}; use one of {', '.join(RDF_EXPORTS)}")
    return RDF_EXPORTS[fmt][1]


def stream(quads: Iterable[Quad], fmt: str, prefixes: dict[str, str], chunk: int = CHUNK_QUADS) -> Iterator[bytes]:
    """Serialise `quads` (graph names dropped except for N-Quads) in chunks of about `chunk` statements.

    Each chunk is serialised on its own: Turtle chunks after the first have their repeated @prefix lines removed, and
    the JSON-LD arrays of the chunks are joined into one array, so the concatenation is one valid document.
    """
    rdf_format = RDF_EXPORTS[fmt][0] if fmt in RDF_EXPORTS else None
    if rdf_format is None:
        raise InvalidInput(f"unknown RDF export format {fmt!r}; use one of {', '.join(RDF_EXPORTS)}")
    iterator = iter(quads)
    if fmt == "jsonld":
        yield from _jsonld(iterator, chunk)
        return
    first = True
    while True:
        batch = list(itertools.islice(iterator, chunk))
        if not batch and not first:
            break
        if fmt == "nquads":
            yield as_bytes(serialize(batch, format=rdf_format))
        elif fmt == "turtle":
            text = as_bytes(serialize([q.triple for q in batch], format=rdf_format, prefixes=prefixes))
            yield text if first else _strip_prefixes(text)
        else:
            yield as_bytes(serialize([q.triple for q in batch], format=rdf_format))
        first = False
        if len(batch) < chunk:
            break


def _jsonld(iterator: Iterator[Quad], chunk: int) -> Iterator[bytes]:
    """One top-level JSON-LD array made of the node objects of every chunk."""
    yield b"["
    emitted = False
    while batch := list(itertools.islice(iterator, chunk)):
        body = as_bytes(serialize([q.triple for q in batch], format=RdfFormat.JSON_LD)).strip()
        inner = body[1:-1].strip() if body.startswith(b"[") else body
        if inner:
            yield (b",\n" if emitted else b"") + inner
            emitted = True
    yield b"]\n"


def _strip_prefixes(text: bytes) -> bytes:
    """Turtle without its leading @prefix / @base lines."""
    start = 0
    while text.startswith((b"@prefix ", b"@base "), start):
        start = text.index(b"\n", start) + 1
    return text[start:]
