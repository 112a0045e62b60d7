"""The SPARQL 1.1 Protocol over real HTTP: real clients (SPARQLWrapper, rdflib's SPARQLStore), negotiation,
read-only refusal, body cap, row cap and timeout as a client sees them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import rdflib

from bench._server import running_server

pytestmark = pytest.mark.slow
PKG = "https://w3id.org/paperkg/ontology#"
COUNT = f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a <{PKG}Paper> }}"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"PAPERKG_MODEL": "hashing", "PAPERKG_SPARQL_ROW_LIMIT": "50", "PAPERKG_SPARQL_TIMEOUT": "2"}
    with running_server(Path(tmp_path_factory.mktemp("sparql")) / "data", env=env) as base:
        yield base


def test_sparqlwrapper_select_ask_construct(url: str) -> None:
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(url + "/sparql")
    client.setQuery(COUNT)
    client.setReturnFormat(JSON)
    result = client.query().convert()
    assert int(result["results"]["bindings"][0]["n"]["value"]) == 111  # type: ignore[index, call-overload]
    client.setQuery(f"ASK {{ ?p <{PKG}runsOn> ?h }}")
    assert client.query().convert()["boolean"] is True  # type: ignore[index, call-overload]
    client.setQuery(f"CONSTRUCT {{ ?p <{PKG}runsOn> ?h }} WHERE {{ ?p <{PKG}runsOn> ?h }}")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) == 50  # the row cap bounds CONSTRUCT triples too
    client.setMethod("POST")
    client.setQuery(COUNT)
    client.setReturnFormat(JSON)
    assert int(client.query().convert()["results"]["bindings"][0]["n"]["value"]) == 111  # type: ignore[index, call-overload]


def test_rdflib_sparqlstore(url: str) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(url + "/sparql"))
    rows = list(graph.query(f"SELECT ?t WHERE {{ ?p a <{PKG}Paper> ; <http://purl.org/dc/terms/title> ?t }} LIMIT 5"))
    assert len(rows) == 5 and all(isinstance(r[0], rdflib.Literal) for r in rows)  # type: ignore[index]


@pytest.mark.parametrize(("accept", "media", "first_line"), [
    ("text/csv", "text/csv", "n"),
    ("text/tab-separated-values", "text/tab-separated-values", "?n"),
    ("application/sparql-results+xml", "application/sparql-results+xml", "<?xml"),
])
def test_result_formats_by_accept(url: str, accept: str, media: str, first_line: str) -> None:
    response = httpx.get(url + "/sparql", params={"query": COUNT}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert response.text.splitlines()[0].startswith(first_line)


def test_post_forms(url: str) -> None:
    direct = httpx.post(url + "/sparql", content=COUNT, headers={"Content-Type": "application/sparql-query",
                                                                    "Accept": "text/csv"})
    form = httpx.post(url + "/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"})
    assert direct.text.split()[-1] == form.text.split()[-1] == "111"
    named = httpx.post(url + "/sparql", data={"query": COUNT, "format": "csv"})  # a format field in the form
    assert named.headers["content-type"].startswith("text/csv") and named.text.split()[-1] == "111"


@pytest.mark.parametrize("params", [
    [("query", COUNT), ("query", "ASK {}")],  # the protocol: one query per request
    [("query", COUNT), ("default-graph-uri", "http://example.org/")],  # the dataset is this graph's own
    [("query", COUNT), ("named-graph-uri", "http://example.org/g")],
])
def test_protocol_parameters_are_checked(url: str, params: list[tuple[str, str | int | float | bool | None]]) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for response in (httpx.get(url + "/sparql", params=params),
                     httpx.post(url + "/sparql", content=urlencode(params), headers=form)):
        status = 400 if params[1][0] == "query" else 403
        assert response.status_code == status and response.json()["status"] == status, response.text


@pytest.mark.parametrize("request_kwargs", [
    {"data": {"update": "DELETE WHERE { ?s ?p ?o }"}},
    {"content": "DELETE WHERE { ?s ?p ?o }", "headers": {"Content-Type": "application/sparql-update"}},
    {"content": "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "headers": {"Content-Type": "application/sparql-query"}},
])
def test_updates_refused_and_nothing_changes(url: str, request_kwargs: dict[str, object]) -> None:
    response = httpx.post(url + "/sparql", **request_kwargs)  # type: ignore[arg-type]
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(url + "/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"}).text.split()[-1] == "111"


def test_syntax_error_is_400_with_parser_message(url: str) -> None:
    response = httpx.get(url + "/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400 and "error" in response.json()["detail"].lower()


def test_a_get_url_over_64_kb_is_a_414_problem_and_the_same_query_posted_works(url: str) -> None:
    query = COUNT + " # " + "x" * 70_000
    # httpx refuses such a URL itself; urllib sends it
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + "/sparql?" + urlencode({"query": query}), timeout=30)
    assert refused.value.code == 414 and refused.value.headers["content-type"] == "application/problem+json"
    assert "POST /sparql" in json.loads(refused.value.read())["detail"]
    posted = httpx.post(url + "/sparql", content=query,
                        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert posted.status_code == 200 and posted.text.split()[-1] == "111"


def test_body_over_one_mebibyte_is_413(url: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * (1024 * 1024)
    response = httpx.post(url + "/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_row_cap_is_stated(url: str) -> None:
    response = httpx.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                         headers={"Accept": "application/sparql-results+json"})
    body = response.json()
    assert len(body["results"]["bindings"]) == 50
    assert response.headers["x-paperkg-truncated"] == "true" and body.get("truncated") is True


def test_timeout_stops_the_query_and_the_next_one_works(url: str) -> None:
    started = time.monotonic()
    response = httpx.get(url + "/sparql", params={"query": SLOW}, timeout=60)
    assert response.status_code == 503 and time.monotonic() - started < 2 + 1.5
    assert httpx.get(url + "/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"}).status_code == 200
