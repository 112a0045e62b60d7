"""An external SPARQL server (Oxigraph's, started here) mirroring the graph and answering /sparql behind the guard."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import free_port
from paperkg.core.errors import QueryRefused, QueryTimeout
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
COUNT = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a pkg:Paper }"
HARDWARE = ("SELECT ?hw (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p pkg:runsOn ?hw } GROUP BY ?hw "
            "ORDER BY DESC(?n) ?hw")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server (PyPI package oxigraph) is not installed")
    port = free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(tmp_path / "oxigraph"), "--bind",
                                f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _server_count(url: str) -> int:
    query = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/paperkg/ontology#Paper> }"
    request = urllib.request.Request(url + "/query", data=urllib.parse.urlencode({"query": query}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])


def _rows(kb: KnowledgeBase, query: str) -> list[dict[str, str]]:
    bindings = json.loads(kb.sparql(query, fmt="json").body)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in bindings]


def test_the_external_server_mirrors_writes_and_answers_behind_the_guard(
        tmp_path: Path, server: str, seed_papers: list[PaperInput]) -> None:
    settings = Settings(data=tmp_path / "data", model="hashing", sparql_endpoint=server + "/query",
                        sparql_update_endpoint=server + "/update", sparql_row_limit=5)
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:25])
        remote = kb.sparql_executor.remote
        assert remote is not None and remote.version == kb.store.version and _server_count(server) == 25
        answered = kb.sparql_executor.counters["queries"]
        through_server = _rows(kb, HARDWARE)
        remote.version = None  # as if the server were behind: answered by the embedded store
        local = _rows(kb, HARDWARE)
        remote.version = kb.store.version
        assert through_server == local and through_server and kb.sparql_executor.counters["queries"] > answered
        assert kb.sparql_executor.pool.counters["forks"] <= 1  # only the local query needed a worker

        truncated = kb.sparql("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", fmt="json")
        assert truncated.truncated and truncated.rows == 5
        for refused in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"):
            with pytest.raises(QueryRefused):
                kb.sparql(refused)

        gone = kb.store.existing(seed_papers[0], seed_papers[0].id or "")
        assert gone is not None
        kb.remove_paper(gone.id)
        kb.add_papers(seed_papers[25:30])
        assert _server_count(server) == 29 and _rows(kb, COUNT) == [{"n": "29"}]
    with KnowledgeBase.open(settings) as kb:  # a restart with the server current pushes nothing again
        assert kb.sparql_executor.remote is not None and kb.sparql_executor.remote.version == kb.store.version
        assert _rows(kb, COUNT) == [{"n": "29"}]


def test_an_unreachable_or_silent_server(tmp_path: Path, seed_papers: list[PaperInput]) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings = Settings(data=tmp_path / "data", model="hashing", sparql_endpoint=url + "/query",
                            sparql_timeout=1.0, sparql_push_timeout=1.0)
        with KnowledgeBase.open(settings) as kb:
            remote = kb.sparql_executor.remote
            assert remote is not None
            kb.add_papers(seed_papers[:3])
            assert remote.version is None  # the push failed: queries stay local and correct
            assert _rows(kb, COUNT) == [{"n": "3"}]
            remote.version = kb.store.version  # pretend it were current: a silent server times out
            with pytest.raises(QueryTimeout):
                kb.sparql(COUNT)
