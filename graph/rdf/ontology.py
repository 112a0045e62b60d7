"""The ontology file (seeds/ontology.ttl), loaded under the configured base IRI and served at {base}ontology."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

from paperkg.core.formats import of_kind
from paperkg.core.settings import bundled_seeds
from paperkg.graph.rdf.namespaces import DEFAULT_BASE, STANDARD_PREFIXES, Iris
from paperkg.graph.rdf.serialize import as_bytes, rdf_format

ONTOLOGY_FILE = bundled_seeds() / "ontology.ttl"
Term = NamedNode | BlankNode | Literal


def _rebase(term: Term, base: str) -> Term:
    if isinstance(term, NamedNode) and base != DEFAULT_BASE and term.value.startswith(DEFAULT_BASE):
        return NamedNode(base + term.value[len(DEFAULT_BASE):])
    return term


@lru_cache(maxsize=8)
def _triples(base: str, path: Path) -> tuple[Triple, ...]:
    triples = []
    for quad in parse(path=str(path), format=RdfFormat.TURTLE):
        subject, predicate, obj = (_rebase(t, base) for t in (quad.subject, quad.predicate, quad.object))
        assert isinstance(predicate, NamedNode) and not isinstance(subject, Literal)
        triples.append(Triple(subject, predicate, obj))
    return tuple(triples)


def ontology_triples(base: str = DEFAULT_BASE, path: Path | None = None) -> tuple[Triple, ...]:
    """The ontology's triples with every IRI under the default base moved under `base`."""
    return _triples(base, path or ONTOLOGY_FILE)


def ontology_quads(iris: Iris, path: Path | None = None) -> list[Quad]:
    """The ontology in its named graph."""
    return [Quad(t.subject, t.predicate, t.object, iris.ontology_graph) for t in ontology_triples(iris.base, path)]


ONTOLOGY_FORMATS = {name: (rdf_format(f.essence), f.media_type) for name, f in of_kind("graph").items()}
"""Format name -> (pyoxigraph format, media type) for GET /ontology."""


def ontology_document(base: str = DEFAULT_BASE, fmt: str = "turtle", path: Path | None = None) -> tuple[str, bytes]:
    """(media type, document) of the ontology under `base`, for GET /ontology; fmt is a key of ONTOLOGY_FORMATS."""
    rdf_format, media_type = ONTOLOGY_FORMATS[fmt]
    prefixes = {"pkg": Iris(base).pkg, **STANDARD_PREFIXES} if fmt in ("turtle", "rdfxml") else None
    return media_type, as_bytes(serialize(ontology_triples(base, path), format=rdf_format, prefixes=prefixes))


def ontology_turtle(base: str = DEFAULT_BASE, path: Path | None = None) -> bytes:
    """The ontology as Turtle under `base` (media type text/turtle)."""
    return ontology_document(base, "turtle", path)[1]
