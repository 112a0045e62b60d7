"""The SPARQL page's side of the endpoint: who gets HTML, the README's examples, and results as a linked table."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import BNode, Graph, Literal, URIRef

from paperkg.api.web.render import entity_url, paper_url
from paperkg.core.settings import bundled_seeds
from paperkg.graph.rdf.namespaces import Iris
from paperkg.graph.sparql.formats import accepted
from paperkg.kb import KnowledgeBase

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Solutions as JSON, graphs as N-Triples: the two forms this page turns into a table.
TABLE_ACCEPT = "application/sparql-results+json, application/n-triples"
EXAMPLES_FILE = "sparql_examples.md"


def wants_html(accept: str | None) -> bool:
    """True when the Accept header's most preferred media type is HTML (a browser navigating), never for `*/*`
    or any SPARQL client's list: those keep getting query results as before."""
    ranked = accepted(accept or "")
    return bool(ranked) and ranked[0] in HTML_TYPES


@dataclass(frozen=True)
class Example:
    title: str
    query: str


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    """The README's example queries (kept in the seeds so the installed package has them)."""
    text = (bundled_seeds() / EXAMPLES_FILE).read_text(encoding="utf-8")
    return tuple(Example(re.sub(r"^\d+\.\s*", "", title.strip()), query.strip() + "\n")
                 for title, query in re.findall(r"^### (.+?)\n+```sparql\n(.*?)```", text, re.S | re.M))


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    kind: str = "literal"
    note: str | None = None


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Cell | None]]
    truncated: bool = False
    boolean: bool | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    graph: bool = False
    """Triples of a CONSTRUCT or DESCRIBE (downloadable as RDF, not as CSV)."""


def run(kb: KnowledgeBase, query: str) -> Table:
    """Run `query` and give its solutions (or triples, or yes/no) as a table whose IRIs link into the explorer."""
    result = kb.sparql(query, accept=TABLE_ACCEPT)
    linker = Linker(kb.settings.base_iri)
    if result.media_type.startswith("application/n-triples"):
        graph = Graph().parse(data=result.body.decode("utf-8"), format="nt")
        rows: list[list[Cell | None]] = [[linker.term(t) for t in triple] for triple in graph]
        return Table(["subject", "predicate", "object"], rows, result.truncated, prefixes=linker.prefixes, graph=True)
    data = json.loads(result.body)
    if "boolean" in data:
        return Table([], [], result.truncated, bool(data["boolean"]), linker.prefixes)
    columns = list(data["head"].get("vars", []))
    rows = [[linker.binding(b[c]) if c in b else None for c in columns] for b in data["results"]["bindings"]]
    return Table(columns, rows, result.truncated, prefixes=linker.prefixes)


class Linker:
    """IRIs to short names (with the predeclared prefixes) and explorer links."""

    def __init__(self, base_iri: str) -> None:
        self.iris = Iris(base_iri)
        self.prefixes = self.iris.prefixes()
        # longest namespace first, so technique: wins over the bare entity namespace
        self._ordered = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))

    def short(self, iri: str) -> str:
        for name, namespace in self._ordered:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{name}:{iri[len(namespace):]}"
        return f"<{iri}>"

    def href(self, iri: str) -> str | None:
        if (pid := self.iris.paper_id(iri)) is not None:
            return paper_url(pid)
        if (eid := self.iris.entity_id(iri)) is not None:
            return entity_url(eid)
        if iri.startswith(self.iris.claim_prefix):
            return paper_url(iri[len(self.iris.claim_prefix):].rsplit("/", 1)[0])
        return None

    def binding(self, value: dict[str, str]) -> Cell:
        kind = value.get("type", "literal")
        text = value.get("value", "")
        if kind == "uri":
            return Cell(self.short(text), self.href(text), "iri", text)
        if kind == "bnode":
            return Cell("_:" + text, kind="bnode")
        note = value.get("xml:lang") or (self.short(value["datatype"]) if "datatype" in value else None)
        return Cell(text, kind="literal", note=note)

    def term(self, term: object) -> Cell:
        if isinstance(term, URIRef):
            return Cell(self.short(str(term)), self.href(str(term)), "iri", str(term))
        if isinstance(term, BNode):
            return Cell("_:" + str(term), kind="bnode")
        if isinstance(term, Literal):
            note = term.language or (self.short(str(term.datatype)) if term.datatype else None)
            return Cell(str(term), kind="literal", note=note)
        return Cell(str(term))
