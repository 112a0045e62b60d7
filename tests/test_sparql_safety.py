"""Endpoint safety: read-only, no SERVICE and no outbound connection ever, local FROM only, a timeout that really
stops the work, bounded memory, capped request size."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperkg.core.errors import PayloadTooLarge, QueryRefused, QuerySyntaxError, QueryTimeout
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.sparql import worker as child
from paperkg.graph.sparql.executor import SparqlExecutor
from paperkg.graph.sparql.guard import check
from tests.test_rdf import BASE, make_graph

CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o }"
"""~800^5 rows over the test graph: hours of work."""
ORDER_BY_PRODUCT = "SELECT ?c ?f ?i WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1"
REGEX = ('SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?x . ?c ?d ?y . ?e ?f ?z '
         'FILTER(REGEX(CONCAT(STR(?x), STR(?y), STR(?z), "!"), "^(a|a?)+(a+)+(b|aa|a)*$")) }')
UPDATES = [
    "INSERT DATA { <http://a/s> <http://a/p> <http://a/o> }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://a/> DELETE { ?s ?p ?o } INSERT { ?s ex:p 1 } WHERE { ?s ?p ?o }",
    "WITH <http://a/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>", "LOAD SILENT <http://example.org/x> INTO GRAPH <http://a/g>",
    "CLEAR ALL", "CLEAR DEFAULT", "DROP GRAPH <http://a/g>", "CREATE GRAPH <http://a/g>",
    "COPY DEFAULT TO <http://a/g>", "MOVE <http://a/g> TO DEFAULT", "ADD <http://a/g> TO <http://a/h>",
    "insert data { <http://a/s> <http://a/p> 1 }",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
]


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[RDFGraph]:
    store, rdf = make_graph(tmp_path)
    yield rdf
    store.close()


@pytest.fixture
def executor(graph: RDFGraph) -> Iterator[SparqlExecutor]:
    ex = SparqlExecutor(graph, workers=2, timeout=10, row_limit=100)
    yield ex
    ex.close()


class Listener:
    """A local TCP server that records every connection made to it."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/sparql"
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def no_python_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything in this process opens an outbound connection through Python's socket module."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"outbound connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_update_operations_are_refused_as_read_only(executor: SparqlExecutor, graph: RDFGraph) -> None:
    before = graph.triple_count
    for update in UPDATES:
        with pytest.raises(QueryRefused, match="read-only"):
            executor.execute(update)
    assert graph.triple_count == before == len(graph.store)


def test_brackets_nested_thousands_deep_are_a_syntax_error_not_a_dead_worker(executor: SparqlExecutor) -> None:
    deep = "(" * 5000 + "1" + ")" * 5000
    for query in (f"SELECT * WHERE {{ ?s ?p ?o FILTER({deep}) }}", f"SELECT * WHERE {{ ?s ?p ?o }} \x01 {deep}",
                  "SELECT * WHERE " + "{" * 3000 + "}" * 3000):
        with pytest.raises(QuerySyntaxError, match="nested more than 100 deep"):
            executor.execute(query)
    nested = "(" * 30 + "1" + ")" * 30
    assert executor.execute(f"ASK {{ FILTER({nested} = 1) }}").body  # ordinary nesting still runs


def test_service_is_refused_without_any_connection(executor: SparqlExecutor, listener: Listener,
                                                   no_python_sockets: None) -> None:
    target = f"<{listener.url}>"
    prefixes = f"PREFIX ex: <{listener.url.rsplit('/', 1)[0]}/> PREFIX : <{listener.url}#> "
    services = [
        f"SELECT * WHERE {{ SERVICE {target} {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent {target} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND({target} AS ?endpoint) SERVICE ?endpoint {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?x {{ {target} }} SERVICE ?x {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE {target} {{ ?s ?q ?r }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE {target} {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE {target} {{ ?s ?p ?o }} }}",
        # spellings the parser reads as SERVICE although a naive tokenizer would not
        f"SELECT * WHERE {{ ?s ?p true SERVICE{target}{{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p trueSERVICE{target}{{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p 1SERVICE{target}{{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p 1e5SERVICE{target}{{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p <{BASE}x>SERVICE{target}{{ ?a ?b ?c }} }}",
        prefixes + "SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
        prefixes + "SELECT * WHERE { SERVICEex:sparql { ?s ?p ?o } }",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER(?p<'x>') SERVICE {target} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o BIND({target} AS ?x) FILTER(1<2)SERVICE?x#>\n{{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER(1<2)#> \"\"\"\nSERVICE {target} {{ }}\n#\"\"\"\n}}",
    ]
    for query in services:
        with pytest.raises(QueryRefused):
            executor.execute(query)
    time.sleep(0.2)
    assert listener.connections == 0


def test_workers_cannot_connect_even_if_the_guard_were_bypassed(executor: SparqlExecutor,
                                                                 listener: Listener) -> None:
    """Defence in depth: a worker has no free file descriptor, so it cannot create a socket or resolve a name."""
    for endpoint in (listener.url, "http://example.org/sparql"):
        query = f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
        head = {"split": len(query), "cap": 10, "fmt": "json", "kind": "select", "capped": False, "union": True}
        answer, _ = executor._run(child.encode_frame(head, query.encode()), time.monotonic() + 5, 5)
        assert answer["ok"] is False and answer["error"] == "network"
    time.sleep(0.2)
    assert listener.connections == 0
    pid = executor.worker_pids()[0]
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2", "3", "4"]
    # the sockets of this process (the listener's) are not in the worker, and still work here
    assert listener.server.fileno() >= 0
    with socket.create_connection(listener.server.getsockname(), timeout=2):
        pass


def test_service_in_strings_variables_iris_and_comments_is_not_refused(executor: SparqlExecutor) -> None:
    allowed = [
        'SELECT ?service WHERE { ?service ?p "SERVICE" }',
        "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> { }' } # SERVICE <http://x/> {}",
        "SELECT * WHERE { ?s <http://example.org/service> ?o }",
        'SELECT * WHERE { ?s ?p """INSERT DATA { <a:b> <a:c> <a:d> }""" }',
        "SELECT $service WHERE { ?s ?p ?o . BIND(STR(?o) AS $service) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 5 && ?o<3) }",
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> SELECT * WHERE { ?s rdf:type "
        "<http://www.w3.org/2002/07/owl#Class> . ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?t }",
    ]
    for query in allowed:
        assert executor.execute(query).kind == "select"


def test_from_outside_the_local_graphs_is_refused(executor: SparqlExecutor, graph: RDFGraph,
                                                  no_python_sockets: None) -> None:
    outside = [
        "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
        f"SELECT * FROM <{BASE}graph/vocabulary> FROM NAMED <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
        "PREFIX ex: <http://example.org/> SELECT * FROM ex:g WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://example.org/> SELECT * FROMex:g WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://example.org/> SELECT * FROM NAMEDex:g WHERE { ?s ?p ?o }",
        f"SELECT * FROM <{BASE}graph/../secret> WHERE {{ ?s ?p ?o }}",
        "BASE <http://example.org/> SELECT * FROM <graph/x> WHERE { ?s ?p ?o }",
        f"DESCRIBE <{BASE}paper/p1> FROM <http://example.org/g>",
    ]
    for query in outside:
        with pytest.raises(QueryRefused, match=r"FROM|outside"):
            executor.execute(query)
    inside = [f"SELECT * FROM <{BASE}graph/vocabulary> WHERE {{ ?s ?p ?o }} LIMIT 1",
              f"SELECT * FROM NAMED <{BASE}graph/paper/p1> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
              f"PREFIX g: <{BASE}graph/> SELECT * FROM g:vocabulary WHERE {{ ?s ?p ?o }} LIMIT 1",
              "SELECT * FROM <graph/vocabulary> WHERE { ?s ?p ?o } LIMIT 1"]
    for query in inside:
        assert executor.execute(query).rows == 1


def test_timeout_really_stops_the_work(graph: RDFGraph) -> None:
    ex = SparqlExecutor(graph, workers=1, timeout=1.0)
    try:
        ex.execute("ASK {}")
        (pid,) = ex.worker_pids()
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            ex.execute(CROSS_JOIN)
        assert time.monotonic() - started < 2.0
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # killed and reaped
        started = time.monotonic()
        assert ex.execute("ASK { ?s ?p ?o }").body.endswith(b"true}")
        assert time.monotonic() - started < 1.0
        assert pid not in ex.worker_pids() and ex.stats()["timeouts"] == 1
    finally:
        ex.close()


@pytest.mark.parametrize("query", [ORDER_BY_PRODUCT, REGEX], ids=["order-by-product", "regex"])
def test_expensive_queries_are_bounded_by_the_timeout(graph: RDFGraph, query: str) -> None:
    ex = SparqlExecutor(graph, workers=2, timeout=1.0, memory_limit=0)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            ex.execute(query)
        assert time.monotonic() - started < 2.0
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            ex.execute(query, timeout=0.5)  # a shorter per-query timeout
        assert time.monotonic() - started < 1.5
        assert ex.execute("SELECT * WHERE { ?s ?p ?o } LIMIT 1").rows == 1
    finally:
        ex.close()


def test_other_queries_run_while_one_is_stuck(graph: RDFGraph) -> None:
    ex = SparqlExecutor(graph, workers=2, timeout=2.0)
    try:
        ex.execute("ASK {}")
        outcome: list[BaseException] = []

        def run_stuck() -> None:
            try:
                ex.execute(CROSS_JOIN)
            except QueryTimeout as error:
                outcome.append(error)

        stuck = threading.Thread(target=run_stuck)
        stuck.start()
        time.sleep(0.2)
        started = time.monotonic()
        assert ex.execute("SELECT * WHERE { ?s ?p ?o } LIMIT 2").rows == 2
        assert time.monotonic() - started < 1.0
        stuck.join()
        assert len(outcome) == 1
    finally:
        ex.close()


def test_memory_hungry_queries_are_stopped(graph: RDFGraph) -> None:
    ex = SparqlExecutor(graph, workers=1, timeout=20, memory_limit=200 << 20)
    try:
        with pytest.raises(QueryRefused, match="memory"):
            ex.execute("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i")
        assert ex.execute("ASK {}").kind == "ask"
    finally:
        ex.close()


def test_oversized_queries_and_bad_timeouts(executor: SparqlExecutor) -> None:
    with pytest.raises(PayloadTooLarge):
        executor.execute("SELECT * WHERE { ?s ?p ?o } #" + "x" * (1 << 20))
    from paperkg.core.errors import InvalidParameter

    with pytest.raises(InvalidParameter):
        executor.execute("ASK {}", timeout=0)


def test_guard_is_fast_and_reports_the_query_form(graph: RDFGraph) -> None:
    query = ("PREFIX ex: <http://example.org/> SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ex:p ?o "
             "FILTER(REGEX(STR(?o), 'service')) } GROUP BY ?s ORDER BY DESC(?n) LIMIT 10")
    started = time.perf_counter()
    for _ in range(200):
        analysis = check(query, graph.iris)
    assert (time.perf_counter() - started) / 200 < 0.002
    assert analysis.kind == "select" and analysis.limit == 10 and not analysis.has_dataset
    assert check("ASK {}", graph.iris).kind == "ask"
    assert check("DESCRIBE <http://a>", graph.iris).kind == "describe"
    assert check("CONSTRUCT WHERE { ?s ?p ?o }", graph.iris).kind == "construct"
    assert check("SELECT * WHERE { ?s ?p 'unterminated }", graph.iris).kind is None  # the parser will say why


def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    """A worker busy with an endless query does not outlive the process that forked it."""
    import subprocess
    import sys

    script = f"""
import sys, time, threading
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from pathlib import Path
from tests.test_rdf import make_graph
from paperkg.graph.sparql.executor import SparqlExecutor
store, graph = make_graph(Path({str(tmp_path)!r}))
ex = SparqlExecutor(graph, workers=1, timeout=30)
ex.execute("ASK {{}}")
print(ex.worker_pids()[0], flush=True)
threading.Thread(target=ex.execute, args=({CROSS_JOIN!r},), daemon=True).start()
time.sleep(30)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    time.sleep(0.3)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if _zombie(pid):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"worker {pid} outlived its parent")


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True

