"""The SPARQL executor: formats and content negotiation, the row cap, consistency with writes, the examples."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from paperkg.cli import main
from paperkg.core.errors import InvalidParameter, NotAcceptable, QuerySyntaxError
from paperkg.core.records import PaperInput
from paperkg.core.rwlock import RWLock
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.sparql.executor import SparqlExecutor
from paperkg.graph.sparql.formats import negotiate
from paperkg.store import Store
from tests.conftest import write_jsonl
from tests.test_rdf import BASE, _paper, count_parsed, entity_info, make_graph, vocabulary

EXAMPLES = Path(__file__).resolve().parents[1] / "graph" / "sparql" / "EXAMPLES.md"
SPARQL_NS = "{http://www.w3.org/2005/sparql-results#}"
TITLES = "SELECT ?p ?t WHERE { ?p a pkg:Paper ; dcterms:title ?t } ORDER BY ?t"
Env = tuple[Store, RDFGraph, SparqlExecutor, RWLock]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    store, graph = make_graph(tmp_path)
    lock = RWLock()
    executor = SparqlExecutor(graph, lock.read, workers=2, timeout=10, row_limit=5)
    yield store, graph, executor, lock
    executor.close()
    store.close()


def bindings(body: bytes) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in row.items()} for row in json.loads(body)["results"]["bindings"]]


# -- formats -----------------------------------------------------------------------------------------------


def test_select_formats_parse_back(env: Env) -> None:
    _, _, executor, _ = env
    titles = ["AWQ serving with vLLM", "Fast GPTQ kernels", "LoRA for everyone", "vLLM again"]
    as_json = executor.execute(TITLES)
    assert as_json.media_type == "application/sparql-results+json" and as_json.kind == "select"
    assert [b["t"] for b in bindings(as_json.body)] == titles and as_json.rows == 4 and not as_json.truncated
    rows = list(csv.DictReader(io.StringIO(executor.execute(TITLES, fmt="csv").body.decode())))
    assert [r["t"] for r in rows] == titles
    tsv = executor.execute(TITLES, fmt="tsv").body.decode().splitlines()
    assert tsv[0] == "?p\t?t" and tsv[1].endswith('"AWQ serving with vLLM"')
    root = ET.fromstring(executor.execute(TITLES, accept="application/sparql-results+xml").body)
    literals = [e.text for e in root.iter(SPARQL_NS + "literal")]
    assert literals == titles
    ask = executor.execute("ASK { paper:p1 pkg:runsOn hardware:nvidia-rtx-4090 }")
    assert ask.kind == "ask" and json.loads(ask.body)["boolean"] is True


@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"),
                                               ("rdfxml", "xml"), ("nquads", "nquads")])
def test_construct_and_describe_formats_parse_back(env: Env, fmt: str,
                                                   rdflib_format: str) -> None:
    _, graph, executor, _ = env
    executor.row_limit = 1000
    result = executor.execute("CONSTRUCT { ?p dcterms:title ?t } WHERE { ?p a pkg:Paper ; dcterms:title ?t }",
                              fmt=fmt)
    assert result.kind == "construct" and result.rows == 4
    parsed = rdflib.Dataset()
    parsed.parse(io.BytesIO(result.body), format=rdflib_format)
    titles = {str(q[2]) for q in parsed.quads((None, None, None, None))}
    assert "LoRA for everyone" in titles and len(titles) == 4
    described = executor.execute("DESCRIBE paper:p3", fmt=fmt)
    assert described.kind == "describe"
    direct = graph.store.query(f"DESCRIBE <{BASE}paper/p3>", use_default_graph_as_union=True)
    assert isinstance(direct, ox.QueryTriples)
    assert count_parsed(described.body, rdflib_format) == len(list(direct)) > 5


def test_content_negotiation() -> None:
    sparqlwrapper_json = "application/sparql-results+json,application/json,text/javascript,application/javascript"
    assert negotiate("select", sparqlwrapper_json) == "json"
    assert negotiate("select", "application/sparql-results+xml") == "xml"  # rdflib's SPARQLStore
    assert negotiate("construct", "application/rdf+xml") == "rdfxml"
    assert negotiate("construct", "text/turtle;q=0.5, application/ld+json") == "jsonld"
    assert negotiate("select", "text/csv;q=0.1, text/tab-separated-values;q=0.9") == "tsv"
    assert negotiate("select", "*/*") == "json" and negotiate("describe", None) == "turtle"
    assert negotiate("ask", "text/html, */*;q=0.1") == "json"
    assert negotiate("select", accept="text/csv", fmt="xml") == "xml"
    with pytest.raises(NotAcceptable):
        negotiate("select", "text/html")
    with pytest.raises(NotAcceptable):
        negotiate("select", "text/turtle;q=1, application/json;q=0")
    with pytest.raises(NotAcceptable):
        negotiate("select", fmt="turtle")  # a graph format for solutions
    with pytest.raises(NotAcceptable):
        negotiate("construct", fmt="csv")
    with pytest.raises(InvalidParameter, match="unknown result format 'yaml'"):
        negotiate("select", fmt="yaml")  # no such format at all: a bad parameter, not content negotiation


def test_unknown_format_is_refused_before_running(env: Env) -> None:
    _, _, executor, _ = env
    with pytest.raises(InvalidParameter):
        executor.execute(TITLES, fmt="excel")
    with pytest.raises(QuerySyntaxError, match="empty query"):
        executor.execute(" \n ")
    with pytest.raises(NotAcceptable):
        executor.execute(TITLES, accept="image/png")


def test_results_xml_cannot_carry_are_refused_in_xml_formats(env: Env) -> None:
    _, _, executor, _ = env
    built = 'SELECT ?x WHERE { BIND(CONCAT("a", "\\u0001", "b") AS ?x) }'
    assert json.loads(executor.execute(built, fmt="json").body)["results"]["bindings"][0]["x"]["value"] == "a\x01b"
    with pytest.raises(NotAcceptable, match=r"XML 1\.0 cannot carry"):
        executor.execute(built, fmt="xml")
    with pytest.raises(NotAcceptable, match=r"XML 1\.0 cannot carry"):
        executor.execute('CONSTRUCT { <urn:a> <urn:b> "a\\uFFFEb" } WHERE {}', fmt="rdfxml")
    assert executor.execute('SELECT ("a\\tb" AS ?x) {}', fmt="xml").body.startswith(b"<?xml")
    # a predicate that ends in no XML name cannot be an RDF/XML element: refused, not written as broken XML
    numbered = "CONSTRUCT { <urn:a> ?p <urn:c> } WHERE { BIND(<http://example.org/123> AS ?p) }"
    with pytest.raises(NotAcceptable, match="does not end in an XML name"):
        executor.execute(numbered, fmt="rdfxml")
    assert executor.execute(numbered, fmt="turtle").body and executor.execute(numbered.replace("/123", "/x123"),
                                                                              fmt="rdfxml").body.startswith(b"<?xml")


TRIPLE_TERM = "CONSTRUCT { <urn:a> <urn:b> <<( <urn:a> <urn:b> <urn:c> )>> } WHERE {}"


def test_a_format_that_cannot_carry_a_triple_term_is_not_acceptable_and_runs_once(env: Env) -> None:
    """pyoxigraph's JSON-LD writer raises OSError for RDF 1.2 triple terms: a 406 naming the formats that can carry
    them, not a refused "connection or file" (403), and the query is not retried on a discarded worker."""
    _, _, executor, _ = env
    executor.execute("ASK {}")
    before = dict(executor.counters)
    for accept, fmt in ((None, "jsonld"), ("application/ld+json", None)):
        with pytest.raises(NotAcceptable) as caught:
            executor.execute(TRIPLE_TERM, accept=accept, fmt=fmt)
        detail = caught.value.detail
        assert "triple term" in detail and "jsonld cannot carry" in detail and "connection" not in detail, detail
        assert "\n" not in detail and all(name in detail for name in ("turtle", "ntriples", "nquads", "rdfxml"))
    assert executor.counters["queries"] == before["queries"] + 2  # once each: no retry
    assert executor.counters["retired"] == before["retired"]  # and no worker thrown away
    for fmt in ("turtle", "ntriples", "nquads", "rdfxml"):
        assert executor.execute(TRIPLE_TERM, fmt=fmt).rows == 1


def test_cli_says_a_format_cannot_carry_the_results_in_one_line(tmp_path: Path, seed_papers: list[PaperInput]) -> None:
    rows: list[dict[str, object]] = [{"title": p.title, "abstract": p.abstract} for p in seed_papers[:2]]
    papers = write_jsonl(tmp_path / "papers.jsonl", rows)
    runner, data, env = CliRunner(), ["--data", str(tmp_path / "data")], {"PAPERKG_MODEL": "hashing"}
    assert runner.invoke(main, ["ingest", str(papers), *data], env=env, catch_exceptions=False).exit_code == 0
    result = runner.invoke(main, ["sparql", *data, "--format", "jsonld", TRIPLE_TERM], env=env, catch_exceptions=False)
    assert result.exit_code != 0 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "jsonld cannot carry" in result.stderr and "ask for turtle" in result.stderr, result.stderr


# -- row cap -----------------------------------------------------------------------------------------------


def test_row_cap_is_applied_and_stated(env: Env) -> None:
    _, graph, executor, _ = env
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    result = executor.execute(query)
    body = json.loads(result.body)
    assert result.truncated and result.rows == 5 and len(body["results"]["bindings"]) == 5
    assert body["truncated"] is True and body["rowLimit"] == 5
    direct = graph.store.query(query + " LIMIT 5", use_default_graph_as_union=True)
    assert isinstance(direct, ox.QuerySolutions)
    assert [b["o"] for b in bindings(result.body)] == [s["o"].value for s in direct]  # the first 5, in order
    xml = executor.execute(query, fmt="xml")
    assert xml.truncated and b"truncated" in xml.body and len(list(ET.fromstring(xml.body).iter(
        SPARQL_NS + "result"))) == 5
    csv_rows = executor.execute(query, fmt="csv").body.decode().strip().splitlines()
    assert len(csv_rows) == 6  # header + 5
    constructed = executor.execute("CONSTRUCT WHERE { ?s ?p ?o }", fmt="turtle")
    assert constructed.truncated and constructed.rows == 5 and constructed.body.startswith(b"# paperkg: results")
    assert len(rdflib.Graph().parse(data=constructed.body.decode(), format="turtle")) == 5


def test_queries_own_limits_are_kept(env: Env) -> None:
    _, _, executor, _ = env
    small = executor.execute("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    assert small.rows == 3 and not small.truncated
    exact = executor.execute(TITLES)
    assert exact.rows == 4 and not exact.truncated
    offset = executor.execute("SELECT ?t WHERE { ?p dcterms:title ?t } ORDER BY ?t OFFSET 1 LIMIT 2")
    assert [b["t"] for b in bindings(offset.body)] == ["Fast GPTQ kernels", "LoRA for everyone"]
    big = executor.execute("SELECT ?s WHERE { ?s ?p ?o } LIMIT 100 VALUES ?p { rdf:type }")
    assert big.rows == 5 and big.truncated
    aggregate = executor.execute("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert aggregate.rows == 1 and not aggregate.truncated
    # spellings the guard cannot rewrite are capped while reading the solutions
    glued = executor.execute("SELECT ?s WHERE { ?s ?p ?o }LIMIT100")
    assert glued.rows == 5 and glued.truncated


# -- errors, datasets ----------------------------------------------------------------------------------------


def test_syntax_errors_carry_the_parsers_message(env: Env) -> None:
    _, _, executor, _ = env
    for query in ("SELEC * WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p 'unterminated }",
                  "SELECT * WHERE { ?s ?p ?o", "SELECT * WHERE { ?s undeclared:p ?o }"):
        with pytest.raises(QuerySyntaxError) as caught:
            executor.execute(query)
        assert re.search(r"error at \d+:\d+|[Pp]refix", caught.value.detail), caught.value.detail
        assert "[_]" not in caught.value.detail  # the parser's placeholder for "nothing it knows" is spelled out
    with pytest.raises(QuerySyntaxError, match="expected a SPARQL keyword or term"):
        executor.execute("SELEC")
    assert executor.execute("ASK {}").body  # and the worker is fine


@pytest.mark.parametrize(("query", "said"), [
    ("SELECT * WHERE {", "error at 1:17: expected a term (a variable, IRI, prefixed name, literal or blank node), "
                         "'{' or '}'"),
    ("SELECT * WHERE { ?s ?p ?o FILTER(?o > ) }", "error at 1:42: expected an expression"),
    ("SELECT * WHERE { ?s ?p ?o", "error at 1:26: expected ',', '.', ';', '{', '{|', '}', '~', a name or"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT x", "error at 1:35: expected HAVING, OFFSET, OPTIONAL, VALUES or a number"),
    ("SELECT * WHERE { ?s undeclared:p ?o }", "error at 1:33: a prefix used here is not declared"),
    ("SELECT (1 AS ?x) (2 AS ?x) {}", "error at 1:30: duplicated variable name in SELECT"),
])
def test_syntax_errors_are_one_line_in_words(env: Env, query: str, said: str) -> None:
    """The parser's character classes (['A' ..= 'Z' | ...], over several lines) and long lists of function names
    are said in words, on one line, keeping the position."""
    _, _, executor, _ = env
    with pytest.raises(QuerySyntaxError) as caught:
        executor.execute(query)
    detail = caught.value.detail
    assert detail.startswith(said), detail
    assert "\n" not in detail and len(detail) < 160, detail
    for raw in ("..=", "\\u{", "[_]", "['", "ABS", "isNUMERIC"):
        assert raw not in detail, detail


def test_from_a_local_graph_restricts_the_default_graph(env: Env) -> None:
    _, graph, executor, _ = env
    executor.row_limit = 100
    vocabulary_only = executor.execute(
        f"SELECT DISTINCT ?p FROM <{graph.iris.vocabulary_graph.value}> WHERE {{ ?s ?p ?o }}")
    predicates = {b["p"] for b in bindings(vocabulary_only.body)}
    assert predicates and all(p.startswith(("http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/1999/02/"
                                            "22-rdf-syntax-ns#type", "http://purl.org/dc/terms/")) for p in predicates)
    named = executor.execute(f"SELECT DISTINCT ?g FROM NAMED <{BASE}graph/paper/p1> "
                             "WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [b["g"] for b in bindings(named.body)] == [f"{BASE}graph/paper/p1"]
    every = executor.execute("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(bindings(every.body)[0]["n"]) > 4


# -- consistency with writes ------------------------------------------------------------------------------


def test_workers_see_writes_after_invalidate(env: Env) -> None:
    store, graph, executor, lock = env
    count = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a pkg:Paper }"
    assert bindings(executor.execute(count).body)[0]["n"] == "4"
    before = set(executor.worker_pids())
    vocab = vocabulary()
    new = _paper(vocab, "p5", "Quantized LoRA", "We propose AWQ for LoRA on the NVIDIA A100.",
                 [("PAPER", "proposes", "technique/awq", {}), ("PAPER", "runs-on", "hardware/nvidia-a100", {})])
    with lock.write():  # what the knowledge base does: store, then graph, then workers, under its write lock
        version, _ = store.write([new], entity_info(vocab, [new]))
        graph.sync(store, ["p5"], [])
        executor.invalidate(version)
    assert bindings(executor.execute(count).body)[0]["n"] == "5"
    assert not before & set(executor.worker_pids())  # the stale workers were retired
    assert executor.stats()["versions"] and min(executor.stats()["versions"]) == version
    with lock.write():
        store.delete("p5")
        graph.sync(store, [], ["p5"])
        executor.invalidate()  # defaults to the graph's version
    assert bindings(executor.execute(count).body)[0]["n"] == "4"


def test_a_rebuild_or_sync_retires_workers_even_without_invalidate(
        env: Env) -> None:
    store, graph, executor, lock = env
    count = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a pkg:Paper }"
    assert bindings(executor.execute(count).body)[0]["n"] == "4"
    with lock.write():
        store.delete("p4")
        graph.sync(store, [], ["p4"])
    assert bindings(executor.execute(count).body)[0]["n"] == "3"
    with lock.write():
        graph.rebuild(store)  # same data version, new store object
    assert bindings(executor.execute(count).body)[0]["n"] == "3"
    assert executor.execute("ASK { paper:p1 a pkg:Paper }").body.endswith(b"true}")


def test_writes_nobody_queries_do_not_fork(env: Env) -> None:
    """os.fork holds the GIL: after writes, fresh workers are forked ahead of time only while SPARQL is in use."""
    import time

    _, graph, executor, _ = env
    executor.execute("ASK {}")
    executor.pool.last_use -= 3600  # no query for an hour
    forks = executor.counters["forks"]
    for _ in range(5):
        graph.generation += 1  # what rebuild / sync do
        started = time.perf_counter()
        executor.invalidate()
        assert time.perf_counter() - started < 0.05  # never waits for workers to die
    time.sleep(0.3)
    assert executor.counters["forks"] == forks and executor.worker_pids() == []
    assert executor.execute("ASK {}").kind == "ask"  # forked on demand
    assert executor.counters["forks"] == forks + 1


def test_concurrent_queries_use_different_workers(env: Env) -> None:
    _, _, executor, _ = env
    executor.execute("ASK {}")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs to the timeout
    outcome: list[object] = []

    def run_slow() -> None:
        try:
            outcome.append(executor.execute(slow).body)
        except BaseException as error:  # the 10 s timeout may end it: that is fine here
            outcome.append(error)

    holder = threading.Thread(target=run_slow)
    holder.start()
    deadline = time.monotonic() + 30
    while executor.stats()["busy"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert executor.stats()["busy"] == 1  # the one worker is held by the slow query
    results = [executor.execute(TITLES).body for _ in range(5)]  # so these need a second one
    assert len(set(results)) == 1 and len(executor.worker_pids()) == 2
    holder.join()
    assert outcome


def test_cli_entry_point(env: Env) -> None:
    _, _, executor, _ = env
    result = executor.sparql(TITLES, fmt="csv")
    assert result.media_type.startswith("text/csv") and result.body.startswith(b"p,t")


# -- the documented examples -----------------------------------------------------------------------------------


def examples() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", EXAMPLES.read_text(encoding="utf-8"), re.S)


def test_the_five_examples_answer_their_questions(tmp_path: Path) -> None:
    store, graph = make_graph(tmp_path)
    executor = SparqlExecutor(graph, workers=1, timeout=10)
    try:
        queries = examples()
        assert len(queries) == 5
        answers = [bindings(executor.execute(q).body) for q in queries]
    finally:
        executor.close()
        store.close()
    assert answers[0] == [{"title": "Fast GPTQ kernels", "proposed": "GPTQ"}]
    assert [(a["who"], a.get("factor"), a.get("hardware")) for a in answers[1]] == [
        ("vLLM", "3", None), ("the method of: Fast GPTQ kernels", "2.5", "NVIDIA GeForce RTX 4090"),
        ("vLLM", None, None)]
    assert {(a["technique"], a["papers"]) for a in answers[2]} == {("GPTQ", "1"), ("AWQ", "1")}
    assert [(a["hardware"], a.get("bandwidthGBs"), a["papers"]) for a in answers[3]] == [
        ("NVIDIA A100", "2039", "1"), ("NVIDIA GeForce RTX 4090", "1008", "1")]
    assert {(a["paperTitle"], a["statement"]) for a in answers[4]} == {
        ("AWQ serving with vLLM", "vLLM outperforms llama.cpp"), ("vLLM again", "vLLM outperforms llama.cpp")}
