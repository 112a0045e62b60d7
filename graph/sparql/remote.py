"""An external SPARQL 1.1 server that mirrors the RDF graph: pushed to with SPARQL 1.1 Update, queried with the
SPARQL 1.1 Protocol. The embedded store stays the record of the mirror; the server only ever answers reads.

A push replaces whole named graphs (`DROP SILENT GRAPH <g>` then `INSERT DATA { GRAPH <g> { ... } }`): the
graphs a write touched, or everything (`DROP ALL` first) after a rebuild or when the server's copy is of unknown
age. The data version the server holds is recorded in DATA/sparql-remote.json; until a push succeeds, queries are
answered by the embedded store instead. The server must evaluate the default graph as the union of the named graphs
(Oxigraph: `serve --union-default-graph`; Fuseki: `tdb2:unionDefaultGraph true`).
"""

from __future__ import annotations

import itertools
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paperkg.core.errors import PaperkgError, QueryTimeout
from paperkg.core.files import write_atomic

log = logging.getLogger("paperkg.sparql")
CHUNK = 5_000
"""Triples per INSERT DATA request."""


@dataclass(frozen=True)
class RemoteConfig:
    """Where the server answers queries and takes updates, and how long a push may take."""

    query_url: str
    update_url: str
    push_timeout: float = 300.0


class RemoteEndpoint:
    def __init__(self, config: RemoteConfig, state_file: Path | None) -> None:
        self.config = config
        self.state_file = state_file
        self.version: int | None = self._read_version()
        """Data version the server holds (None: unknown, so the next push replaces everything)."""

    def _read_version(self) -> int | None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8")) if self.state_file else {}
            return int(data["version"]) if data.get("query_url") == self.config.query_url else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _record(self, version: int | None) -> None:
        self.version = version
        if self.state_file is not None:
            write_atomic(self.state_file, json.dumps({"query_url": self.config.query_url,
                                                      "version": version}).encode())

    # -- pushing -----------------------------------------------------------------------------------

    def push(self, store: ox.Store, version: int, graphs: set[ox.NamedNode] | None, base_version: int) -> bool:
        """Bring the server to `version`: replace `graphs` if it holds `base_version`, else (or with graphs None)
        replace everything. False (and the server's copy marked unknown) if the server cannot be reached."""
        if self.version == version:
            return True
        full = graphs is None or self.version != base_version
        try:
            self._record(None)
            if full:
                self._update("DROP ALL")
                names: Iterable[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = store.named_graphs()
            else:
                names = sorted(graphs or (), key=lambda g: g.value)
            for name in names:
                self._replace(store, name, drop=not full)
            self._record(version)
            return True
        except (OSError, PaperkgError) as error:
            log.warning("could not push the RDF graph to %s (queries stay local): %s", self.config.update_url, error)
            return False

    def _replace(self, store: ox.Store, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph, drop: bool) -> None:
        if not isinstance(graph, ox.NamedNode):
            return
        quads = store.quads_for_pattern(None, None, None, graph)
        first = True
        for chunk in _chunks(quads, CHUNK):
            body = " .\n".join(f"{q.subject} {q.predicate} {q.object}" for q in chunk)
            statement = f"INSERT DATA {{ GRAPH {graph} {{\n{body} .\n}} }}"
            self._update(f"DROP SILENT GRAPH {graph} ;\n{statement}" if first and drop else statement)
            first = False
        if first and drop:
            self._update(f"DROP SILENT GRAPH {graph}")

    def _update(self, text: str) -> None:
        data = urllib.parse.urlencode({"update": text}).encode()
        request = urllib.request.Request(self.config.update_url, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        _fetch(request, self.config.push_timeout)

    # -- querying ----------------------------------------------------------------------------------

    def query(self, text: str, kind: str, timeout: float) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
        """Run a (guarded, capped) query on the server; the result parsed back into pyoxigraph objects."""
        graph = kind in ("construct", "describe")
        accept = "application/n-triples" if graph else "application/sparql-results+json"
        data = urllib.parse.urlencode({"query": text}).encode()
        request = urllib.request.Request(self.config.query_url, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        body = _fetch(request, timeout)
        if graph:
            return (q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)


def _fetch(request: urllib.request.Request, timeout: float) -> bytes:
    """The response body; failures become domain errors (a timeout becomes QueryTimeout)."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode(errors="replace")
        raise PaperkgError(f"the SPARQL server answered {error.code}: {detail}") from None
    except TimeoutError:
        raise QueryTimeout(f"the SPARQL server did not answer within {timeout:g} s") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise QueryTimeout(f"the SPARQL server did not answer within {timeout:g} s") from None
        raise PaperkgError(f"cannot reach the SPARQL server: {error.reason}") from None


def _chunks(items: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
