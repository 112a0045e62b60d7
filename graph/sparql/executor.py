"""SPARQL execution with a real timeout: guard, content negotiation, row cap, and a pool of pre-forked workers.

pyoxigraph cannot be interrupted from Python, so each query runs in a worker process forked from this one (which holds
the in-memory store) at a consistent snapshot (graph.sparql.pool). A query waits for a free fresh worker (the wait
counts against its timeout), sends the query over a pipe and waits for the answer until the deadline; past it, the
worker is SIGKILLed and reaped, QueryTimeout is raised within timeout + ~0.1 s, and the next query gets a new worker.
SELECT queries get a top-level LIMIT of row_limit + 1 (graph.sparql.guard), so the cap also bounds the work.

Call `execute` without holding the knowledge base's lock: the worker snapshot is the consistency boundary.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from paperkg.core.errors import (
    InvalidParameter,
    NotAcceptable,
    PaperkgError,
    PayloadTooLarge,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
)
from paperkg.core.settings import SPARQL_TIMEOUT_CAP, Settings
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.sparql import worker as child
from paperkg.graph.sparql.formats import media_type, negotiate
from paperkg.graph.sparql.guard import Analysis, Kind, check
from paperkg.graph.sparql.messages import syntax_message
from paperkg.graph.sparql.pool import Snapshot, WorkerPool
from paperkg.graph.sparql.process import Died, Timeout, receive, send
from paperkg.graph.sparql.remote import RemoteConfig, RemoteEndpoint

ANALYSIS_CACHE = 512
CACHED_QUERY_CHARS = 8_192


@dataclass(frozen=True)
class SparqlResult:
    """A serialised query result. `truncated`: the row limit cut it (also stated in the body where possible)."""

    media_type: str
    body: bytes
    truncated: bool
    rows: int
    kind: Kind
    format: str = "json"
    row_limit: int = 0
    elapsed: float = 0.0


class SparqlExecutor:
    """Read-only SPARQL over an RDFGraph: guard, content negotiation, row cap, timeout, worker pool."""

    def __init__(self, graph: RDFGraph, snapshot: Snapshot | None = None, *, workers: int = 2,
                 timeout: float = 10.0, row_limit: int = 10_000, max_query_bytes: int = 1 << 20,
                 memory_limit: int = 2 << 30, prefork: bool = True, remote: RemoteEndpoint | None = None) -> None:
        self.graph = graph
        self.remote = remote
        """An external server mirroring the graph; it answers whenever it holds the current version."""
        self.timeout = min(timeout, SPARQL_TIMEOUT_CAP)
        self.row_limit = row_limit
        self.max_query_bytes = max_query_bytes
        self.memory_limit = memory_limit
        self._prefixes = graph.iris.prefixes()
        self._analyses: dict[str, Analysis] = {}
        self._cache_lock = threading.Lock()
        self.pool = WorkerPool(graph, snapshot or contextlib.nullcontext, workers, memory_limit, prefork,
                               self._prefixes)

    @property
    def counters(self) -> dict[str, int]:
        return self.pool.counters

    @classmethod
    def from_settings(cls, graph: RDFGraph, settings: Settings, snapshot: Snapshot | None = None) -> SparqlExecutor:
        remote = None
        if settings.sparql_endpoint:
            config = RemoteConfig(settings.sparql_endpoint, settings.sparql_update_endpoint or settings.sparql_endpoint,
                                  settings.sparql_push_timeout)
            remote = RemoteEndpoint(config, settings.data / "sparql-remote.json")
        return cls(graph, snapshot, workers=settings.sparql_workers, timeout=settings.sparql_timeout,
                   row_limit=settings.sparql_row_limit, max_query_bytes=settings.sparql_max_body_bytes, remote=remote)

    # -- public ------------------------------------------------------------------------------------

    def execute(self, query: str, accept: str | None = None, fmt: str | None = None,
                timeout: float | None = None) -> SparqlResult:
        """Run a read-only query; raises QuerySyntaxError, QueryRefused, QueryTimeout, NotAcceptable, ..."""
        started = time.monotonic()
        if not query.strip():
            raise QuerySyntaxError("empty query")
        if len(query.encode("utf-8", "surrogatepass")) > self.max_query_bytes:
            raise PayloadTooLarge(f"the query is larger than {self.max_query_bytes:,} bytes")
        limit = self.timeout if timeout is None else min(float(timeout), SPARQL_TIMEOUT_CAP)
        if not limit > 0:
            raise InvalidParameter("the timeout must be a positive number of seconds")
        analysis = self._analyse(query)
        name = negotiate(analysis.kind, accept, fmt) if analysis.kind else "json"
        cap = self.row_limit
        run = analysis.capped(query, cap + 1)
        text = run if run is not None else query
        head: dict[str, Any] = {
            "split": len(text), "cap": cap, "fmt": name, "kind": analysis.kind, "capped": run is not None,
            "union": not analysis.has_dataset, "check": analysis.kind is None,
        }
        original = query if run is not None and run != query else ""
        if self.remote is not None and self.remote.version == self.graph.version and analysis.kind:
            self.counters["queries"] += 1
            declared = f"BASE <{self.graph.iris.base}>\n" + "".join(f"PREFIX {p}: <{iri}>\n"
                                                                     for p, iri in self._prefixes.items())
            result = self.remote.query(declared + text, analysis.kind, max(0.001, started + limit - time.monotonic()))
            answer, body = child.serialise(result, head, run is not None, self._prefixes)
            if not answer.get("ok"):
                raise self._error(answer)
            return SparqlResult(media_type(answer["fmt"]), body, bool(answer["truncated"]), int(answer["rows"]),
                                answer["kind"], answer["fmt"], cap, time.monotonic() - started)
        frame = child.encode_frame(head, (text + original).encode("utf-8", "surrogatepass"))
        answer, body = self._run(frame, started + limit, limit)
        if answer.get("error") == "network" and self.graph.path is not None:
            # A worker forked while the on-disk store was still opening its files lacks some of them (it cannot
            # open files): that worker is gone, a fresh one tries once more.
            answer, body = self._run(frame, started + limit, limit)
        if not answer.get("ok"):
            raise self._error(answer)
        return SparqlResult(media_type(answer["fmt"]), body, bool(answer["truncated"]), int(answer["rows"]),
                            answer["kind"], answer["fmt"], cap, time.monotonic() - started)

    def _analyse(self, query: str) -> Analysis:
        """The guard's verdict, cached by query text (refusals are not cached)."""
        analysis = self._analyses.get(query)
        if analysis is None:
            try:
                analysis = check(query, self.graph.iris, self._prefixes)
            except QueryRefused:
                self.counters["refused"] += 1
                raise
            if len(query) <= CACHED_QUERY_CHARS:
                with self._cache_lock:
                    if len(self._analyses) >= ANALYSIS_CACHE:
                        self._analyses.pop(next(iter(self._analyses)))
                    self._analyses[query] = analysis
        return analysis

    def sparql(self, query: str, fmt: str | None = None, timeout: float | None = None) -> SparqlResult:
        """The CLI's entry point: `paperkg sparql QUERY --format json|csv|tsv|xml|turtle|...`."""
        return self.execute(query, fmt=fmt, timeout=timeout)

    def start(self) -> None:
        """Start the forker thread (and, with prefork, a first worker) now rather than at the first query."""
        self.pool.start()

    def invalidate(self, version: int | None = None, push: bool = True) -> None:
        """The data changed (call it after syncing the graph): retire older workers and, with `push`, bring an
        external server up to date (`push_remote`).

        Non-blocking but for the push: stale workers are killed and reaped in the background, replacements started
        in the background."""
        self.pool.invalidate(version)
        if push:
            self.push_remote()

    def push_remote(self) -> None:
        """With an external server, push it the named graphs changed since its version (blocking; until it holds
        the graph's version, queries are answered here)."""
        if self.remote is not None:
            since, graphs = self.graph.take_changes()
            self.remote.push(self.graph.store, self.graph.version, graphs, since)

    def put_aside_checkpoint(self, large: bool = False) -> None:
        """Before a write is staged into the on-disk store: see `WorkerPool.put_aside_checkpoint`."""
        self.pool.put_aside_checkpoint(large)

    def close(self) -> None:
        self.pool.close()

    def worker_pids(self) -> list[int]:
        return self.pool.pids()

    def stats(self) -> dict[str, Any]:
        return self.pool.stats()

    # -- one query ---------------------------------------------------------------------------------

    def _run(self, frame: bytes, deadline: float, limit: float) -> tuple[dict[str, Any], bytes]:
        self.counters["queries"] += 1
        self.pool.last_use = time.monotonic()
        for attempt in range(3):
            worker = self.pool.checkout(deadline, limit)
            try:
                send(worker, frame)
                break
            except OSError:  # it died while idle (before reading anything): another worker runs the query
                self.pool.discard(worker)
                if attempt == 2:
                    raise PaperkgError("SPARQL workers keep dying; see the server log") from None
        try:
            answer, body = receive(worker, deadline)
        except Timeout:
            self.counters["timeouts"] += 1
            self.pool.discard(worker)
            raise QueryTimeout(f"the query did not finish within {limit:g} s and was stopped; "
                               "narrow it down (LIMIT, more specific patterns) or raise the timeout") from None
        except (Died, OSError):
            status = self.pool.discard(worker)
            raise self._death(status) from None
        worker.queries += 1
        if answer.get("error") == "network":
            self.pool.discard(worker)
        else:
            self.pool.checkin(worker)
        return answer, body

    def _error(self, answer: dict[str, Any]) -> PaperkgError:
        kind, message = answer.get("error"), str(answer.get("message", ""))
        if kind == "syntax":
            return QuerySyntaxError(syntax_message(message))
        if kind == "unchecked":
            return QueryRefused("the query could not be checked for safety (it does not tokenize as SPARQL 1.1, "
                                "although the parser accepts it); simplify its spelling")
        if kind in ("network", "memory"):
            return QueryRefused(message)
        if kind == "unrepresentable":
            return NotAcceptable(message)
        return QuerySyntaxError(f"the query failed: {message}")

    def _death(self, status: int | None) -> PaperkgError:
        if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGABRT, signal.SIGKILL):
            return QueryRefused(f"the query was stopped: it needed more than {self.memory_limit / 2**30:g} GiB "
                                "of memory (or its worker was killed)")
        return PaperkgError("the SPARQL worker running the query died; the next query gets a new one")
