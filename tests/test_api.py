"""The HTTP API in-process: contract, errors as problem+json, auth on writes, body caps, consistency."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from paperkg.api.app import create_app
from paperkg.graph import property_graph
from paperkg.kb import KnowledgeBase

PROBLEM = "application/problem+json"


def _problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["detail"] and body["type"] and body["title"]
    return body


def test_health_and_stats(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["papers"] == 20
    stats = client.get("/stats").json()
    assert stats["papers"] == 20 and stats["nodes"]["Paper"] == 20 and stats["index"]["kind"] in ("flat", "hnsw")


def test_paper_list_detail_and_pagination(client: TestClient) -> None:
    page = client.get("/papers", params={"limit": 7}).json()
    assert len(page["results"]) == 7 and page["total"] == 20 and page["next_offset"] == 7
    last = client.get("/papers", params={"limit": 7, "offset": 14}).json()
    assert len(last["results"]) == 6 and last["next_offset"] is None
    ids = [p["id"] for p in page["results"]] + [p["id"] for p in last["results"]]
    assert len(set(ids)) == 13
    detail = client.get(f"/papers/{ids[0]}").json()
    assert detail["abstract"] and detail["entities"]
    for relation in detail["relations"]:
        evidence = relation["evidence"]
        text = detail["abstract"] if evidence["field"] == "abstract" else detail["title"]
        assert text[evidence["start"]:evidence["end"]] == evidence["sentence"]
        assert 0 <= relation["confidence"] <= 1
    _problem(client.get("/papers/nope"), 404)
    _problem(client.get("/papers", params={"limit": 5000}), 422)


def test_post_papers_one_or_many_idempotent(client: TestClient) -> None:
    one = {"title": "TinyServe: Serving LLaMA-2-7B on a Raspberry Pi", "abstract":
           "We introduce TinyServe, a system that runs LLaMA-2-7B on a Raspberry Pi 5. TinyServe is 3.1x faster "
           "than llama.cpp on the same device and uses 4-bit quantization."}
    first = client.post("/papers", json=one).json()
    [entry] = first["papers"]
    assert entry["status"] == "created" and entry["entities"]
    again = client.post("/papers", json=[one]).json()
    assert again["papers"][0]["status"] == "unchanged" and again["papers"][0]["id"] == entry["id"]
    wrapped = client.post("/papers", json={"papers": [one]}).json()
    assert wrapped["papers"][0]["id"] == entry["id"]
    assert client.get("/health").json()["papers"] == 21
    hits = client.get("/search", params={"q": "TinyServe Raspberry Pi"}).json()["results"]
    assert hits[0]["id"] == entry["id"]
    assert client.delete(f"/papers/{entry['id']}").json()["deleted"] is True
    assert client.get("/health").json()["papers"] == 20
    _problem(client.delete(f"/papers/{entry['id']}"), 404)


@pytest.mark.parametrize("body", [
    {"title": "", "abstract": "x"},
    {"title": "T"},
    {"title": "T", "abstract": "A", "year": "soon"},
    {"title": "T", "abstract": "A", "unknown": 1},
    {"title": "T", "abstract": "A", "id": True},
    {"title": "T", "abstract": "A", "year": True},  # was read as year 1
    {"title": "T", "abstract": "A", "year": 2021.0},  # JSON Lines refuses it too
    {"title": "T", "abstract": "A", "authors": [{"orcid": "0000-0002-1825-0097"}]},
])
def test_post_invalid_bodies(client: TestClient, body: object) -> None:
    _problem(client.post("/papers", json=body), 422)
    assert client.get("/health").json()["papers"] == 20


def test_post_takes_the_shapes_json_lines_ingest_takes(client: TestClient) -> None:
    """A numeric id, a "2021" year and {"name": ...} author objects, as other tools write them (and as `paperkg
    ingest` reads them from JSON Lines); they were a 422. An empty or blank name names no one, in both."""
    paper = {"id": 12345, "title": "Pruning BERT on CPUs", "abstract": "We prune BERT.", "year": "2021",
             "authors": [{"name": "Jane Doe", "orcid": "0000-0002-1825-0097"}, " John Roe ", {"name": ""}, "  "]}
    assert client.post("/papers", json=paper).json()["papers"][0]["id"] == "12345"
    shown = client.get("/papers/12345").json()
    assert (shown["year"], shown["authors"]) == (2021, ["Jane Doe", "John Roe"])
    client.delete("/papers/12345")


def test_post_needs_a_json_body_with_papers(client: TestClient) -> None:
    empties: list[object] = [[], {"papers": []}]
    for empty in empties:
        assert _problem(client.post("/papers", json=empty), 400)["detail"] == "no papers given"
    form = client.post("/papers", content='{"title": "T", "abstract": "A"}',
                       headers={"content-type": "application/x-www-form-urlencoded"})  # curl -d's default
    assert "takes a JSON body" in str(_problem(form, 400)["detail"])
    assert client.get("/health").json()["papers"] == 20


@pytest.mark.parametrize("paper", [
    {"id": "x/similar", "title": "T", "abstract": "A"},  # GET /papers/x/similar would never reach it
    {"title": "T", "abstract": "A", "authors": ["a\u0000b"]},  # control characters in any field
    {"title": "T", "abstract": "A", "venue": "v\u001b"},
    {"title": "T\ufffe", "abstract": "A"},  # a non-character XML cannot carry
])
def test_post_refuses_what_could_not_be_served_back(client: TestClient, paper: dict[str, object]) -> None:
    assert 400 <= client.post("/papers", json=paper).status_code < 500
    assert client.get("/health").json()["papers"] == 20


def test_a_bad_item_of_a_list_body_is_named(client: TestClient) -> None:
    body = _problem(client.post("/papers", json=[{"title": "A", "abstract": "b"}, {"title": "x"}]), 422)
    assert str(body["detail"]).startswith("body.list[PaperIn].1.abstract: Field required")


def test_the_error_of_a_body_is_that_of_the_shape_it_has(client: TestClient) -> None:
    """{"papers": [...], "extra": 1} was "PaperIn.title: Field required", an error of the one-paper shape."""
    wrapped = _problem(client.post("/papers", json={"papers": [{"title": "A", "abstract": "b"}], "extra": 1}), 422)
    assert str(wrapped["detail"]).startswith("body.PapersIn.extra: Extra inputs are not permitted"), wrapped
    one = _problem(client.post("/papers", json={"title": "A"}), 422)
    assert str(one["detail"]).startswith("body.PaperIn.abstract: Field required"), one


def test_post_malformed_json(client: TestClient) -> None:
    response = client.post("/papers", content=b"{not json", headers={"content-type": "application/json"})
    _problem(response, 422)


def test_hostile_titles_stored_verbatim(client: TestClient) -> None:
    title = '<script>alert("x")</script> & "Quotes" \u2014 ünïcode'
    entry = client.post("/papers", json={"title": title, "abstract": "An abstract with <b>HTML</b>."}).json()
    paper = client.get(f"/papers/{entry['papers'][0]['id']}").json()
    assert paper["title"] == title
    bad = client.post("/papers", json={"title": "bell\u0007", "abstract": "A."})
    _problem(bad, 400)


def test_writes_need_token_when_configured(kb: KnowledgeBase) -> None:
    settings = kb.settings.model_copy(update={"api_token": "s3cret"})
    kb.settings = settings
    with TestClient(create_app(settings, kb)) as client:
        body = {"title": "Token Test", "abstract": "An abstract."}
        _problem(client.post("/papers", json=body), 401)
        _problem(client.post("/papers", json=body, headers={"Authorization": "Bearer wrong"}), 401)
        assert client.post("/papers", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/papers").status_code == 200
        # the token is checked before the body is read: no validation detail for a client without it
        malformed = {"content-type": "application/json"}
        _problem(client.post("/papers", content='{"title": ', headers=malformed), 401)
        _problem(client.post("/papers", content='{"title": ', headers={**malformed, "Authorization": "Bearer s3cret"}),
                 422)
        _problem(client.delete("/papers/no-such-paper"), 401)


def test_body_cap_413_before_reading(client: TestClient) -> None:
    big = json.dumps({"title": "T", "abstract": "x" * (3 * 1024 * 1024)})
    declared = _problem(client.post("/papers", content=big, headers={"content-type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536

    response = client.post("/papers", content=chunks(), headers={"content-type": "application/json"})
    chunked = _problem(response, 413)
    assert (chunked["type"], chunked["title"]) == (declared["type"], declared["title"])  # one problem, either way


def test_search_contract_filters_and_facets(client: TestClient) -> None:
    body = client.get("/search", params={"q": "KV cache compression", "k": 5}).json()
    assert body["query"] == "KV cache compression" and len(body["results"]) <= 5
    for hit in body["results"]:
        assert {"id", "title", "score", "passage", "entities"} <= hit.keys() and hit["passage"]
    assert set(body["facets"]) == {"hardware", "technique", "dataset", "model"}
    named = client.get("/search", params={"q": "quantization of large language models", "k": 10}).json()["results"]
    linked = [e for hit in named for e in hit["entities"]]
    assert linked and all(e["type"] == "Technique" for e in linked)  # quantization and its narrower techniques
    assert any("quantiz" in e["id"] for e in linked)
    a100 = client.get("/search", params={"q": "inference", "hardware": "A100", "k": 20}).json()
    assert a100["results"]
    for hit in a100["results"]:
        assert "hardware/nvidia-a100" in {e["id"] for e in hit["entities"]}  # why it matched
        paper = client.get(f"/papers/{hit['id']}").json()
        runs_on = {r["object"] for r in paper["relations"] if r["predicate"] == "runs-on"}
        assert "hardware/nvidia-a100" in runs_on
    _problem(client.get("/search", params={"q": ""}), 422)
    _problem(client.get("/search", params={"q": "x", "k": 0}), 422)
    unknown = client.get("/search", params={"q": "inference", "hardware": "NoSuchAccelerator"})
    _problem(unknown, 422)
    assert "no hardware named 'NoSuchAccelerator'" in unknown.json()["detail"]
    # a name the vocabulary knows and no paper mentions finds nothing, as it should
    known = client.get("/search", params={"q": "inference", "hardware": "Cerebras CS-2"})
    assert known.status_code == 200 and known.json()["results"] == []
    # nor does a near name stand in for it: H100 is not A100, LoRAX no LoRA
    assert client.get("/papers", params={"hardware": "H100"}).json()["total"] == 0
    near = client.get("/papers", params={"technique": "LoRAX"})
    assert near.status_code == 422 and "no technique named 'LoRAX'" in near.json()["detail"]
    for nothing in ("\x00", "\ufffd\ufffd", "?!. ,;"):  # a NUL, undecodable bytes, punctuation: no words to search
        _problem(client.get("/search", params={"q": nothing}), 422)


def test_a_whole_abstract_as_query_finds_other_papers_like_it(client: TestClient) -> None:
    paper = client.get("/papers", params={"limit": 1}).json()["results"][0]
    full = client.get(f"/papers/{paper['id']}").json()
    query = f"{full['title']}. {full['abstract']}"
    assert len(query) > 1000  # longer than a typed query, within the 20,000-character cap
    hits = client.get("/search", params={"q": query, "k": 5}).json()["results"]
    assert len(hits) == 5 and paper["id"] not in {h["id"] for h in hits}  # the example itself is no answer
    by_title = client.get("/search", params={"q": full["title"], "k": 5}).json()["results"]
    assert by_title[0]["id"] == paper["id"]  # a title is a lookup, not an example
    _problem(client.get("/search", params={"q": "x" * 20_001}), 422)


def test_entities_lookup_detail_and_related(client: TestClient) -> None:
    found = client.get("/entities", params={"q": "nvidia a100 gpu"}).json()["results"]
    assert found and found[0]["id"] == "hardware/nvidia-a100"
    typo = client.get("/entities", params={"q": "nvidai a100", "type": "Hardware"}).json()["results"]
    assert typo and typo[0]["id"] == "hardware/nvidia-a100"
    detail = client.get("/entities/hardware/nvidia-a100").json()
    assert detail["type"] == "Hardware" and detail["papers"] and "A100" in detail["aliases"]
    assert detail["attributes"].get("memory_bandwidth_gbs")
    _problem(client.get("/entities/hardware/no-such-chip"), 404)
    # a hub's papers come a page at a time, its relations capped, each list with its full count
    assert detail["paper_count"] > 5 and len(detail["papers"]) == min(100, detail["paper_count"])
    assert detail["incoming_count"] >= len(detail["incoming"]) > 0
    page = client.get("/entities/hardware/nvidia-a100", params={"limit": 2, "offset": 3, "relations": 1}).json()
    assert [p["id"] for p in page["papers"]] == [p["id"] for p in detail["papers"][3:5]]
    assert len(page["incoming"]) == 1 and page["incoming"][0] == detail["incoming"][0]
    assert page["paper_count"] == detail["paper_count"] and page["incoming_count"] == detail["incoming_count"]
    _problem(client.get("/entities/hardware/nvidia-a100", params={"limit": 0}), 422)
    path = client.get("/entities/technique/micro-batching").json()["taxonomy_path"]
    assert [p["id"] for p in path] == ["technique/distributed-training", "technique/parallelism",
                                       "technique/model-parallelism", "technique/pipeline-parallelism"]
    related = client.get("/techniques/technique/quantization/related", params={"k": 5}).json()
    assert related["technique"]["id"] == "technique/quantization"
    for item in related["results"]:
        assert {"id", "name", "score", "why"} <= item.keys() and item["why"]["summary"]
    by_name = client.get("/techniques/quantisation/related").json()
    assert by_name["technique"]["id"] == "technique/quantization"


def test_neighborhood(client: TestClient) -> None:
    body = client.get("/graph/neighborhood", params={"node": "hardware/nvidia-a100", "depth": 1}).json()
    ids = {n["id"] for n in body["nodes"]}
    assert "hardware/nvidia-a100" in ids and any(i.startswith("paper/") for i in ids)
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    _problem(client.get("/graph/neighborhood", params={"node": "nothing/here"}), 404)
    _problem(client.get("/graph/neighborhood", params={"node": "hardware/nvidia-a100", "depth": 9}), 422)


def test_export_formats_and_whitelist(client: TestClient) -> None:
    import io

    import networkx as nx

    graphml = client.get("/export", params={"format": "graphml"})
    assert graphml.status_code == 200
    g = nx.read_graphml(io.BytesIO(graphml.content))
    stats = client.get("/stats").json()
    assert g.number_of_nodes() == sum(stats["nodes"].values())
    assert g.number_of_edges() == sum(stats["edges"].values())
    for fmt in ("turtle", "ntriples", "jsonld", "gexf", "nodelink"):
        assert client.get("/export", params={"format": fmt}).status_code == 200, fmt
    # text stored before input validation refused characters XML cannot carry still exports as well-formed XML
    g = nx.MultiDiGraph()
    g.add_node("paper/x", title="a\ufffeb\x01c", kind="Paper")
    for fmt in ("graphml", "gexf"):
        text = b"".join(property_graph.stream(g, fmt))
        back = nx.read_graphml(io.BytesIO(text)) if fmt == "graphml" else nx.read_gexf(io.BytesIO(text))
        assert back.nodes["paper/x"]["title"] == "a\ufffdb\ufffdc", fmt
    # an unknown format is a bad parameter, as with every other route (it was a 400)
    _problem(client.get("/export", params={"format": "../../etc/passwd"}), 422)


def test_unknown_route_is_problem(client: TestClient) -> None:
    _problem(client.get("/no/such/route"), 404)
    _problem(client.put("/papers"), 405)
    # Allow names every method the path serves, not those of its first route
    for method, path, allowed in (("PUT", "/papers/x", "GET, HEAD, DELETE"), ("POST", "/search", "GET, HEAD"),
                                  ("PUT", "/papers", "GET, HEAD, POST"), ("DELETE", "/sparql", "GET, HEAD, POST")):
        assert _problem(client.request(method, path), 405) and client.request(method, path).headers["allow"] == allowed


def test_head_wherever_get_is_served(client: TestClient) -> None:
    for path in ("/health", "/papers", "/sparql?query=ASK%7B%7D", "/"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200 and head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
    assert client.head("/no/such/route").status_code == 404


def test_ontology_served(client: TestClient) -> None:
    response = client.get("/ontology")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    assert "owl:Class" in response.text or "owl#Class" in response.text
    chosen = client.get("/ontology", headers={"Accept": "application/n-triples;q=0.5, application/ld+json"})
    assert chosen.headers["content-type"].startswith("application/ld+json")
    refused = client.get("/ontology", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.headers["content-type"] == "application/problem+json"
    assert "text/turtle" in refused.json()["detail"]


def test_cors_off_by_default_and_configurable(kb: KnowledgeBase) -> None:
    headers = {"Origin": "https://tool.example", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(kb.settings, kb)) as client:
        response = client.get("/health", headers={"Origin": "https://tool.example"})
        assert "access-control-allow-origin" not in response.headers
    settings = kb.settings.model_copy(update={"cors_origins": ["https://tool.example"]})
    with TestClient(create_app(settings, kb)) as client:
        preflight = client.options("/search", headers=headers)
        assert preflight.headers["access-control-allow-origin"] == "https://tool.example"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_server_hands_the_gil_over_sooner_while_it_runs(kb: KnowledgeBase) -> None:
    """Readers wait less behind an ingest's threads (`Settings.switch_interval`); the interpreter's own value comes
    back when the server stops."""
    before = sys.getswitchinterval()
    settings = kb.settings.model_copy(update={"switch_interval": 0.002})
    with TestClient(create_app(settings, kb)) as client:
        assert client.get("/health").status_code == 200
        assert sys.getswitchinterval() == pytest.approx(0.002)
    assert sys.getswitchinterval() == pytest.approx(before)


def test_fast_json_routes_match_fastapis_own_encoding(client: TestClient, kb: KnowledgeBase) -> None:
    """/search and /papers/{id} bypass FastAPI's re-validation; their bodies must be what it would have sent."""
    from fastapi.encoders import jsonable_encoder

    body = client.get("/search", params={"q": "KV cache compression", "k": 3}).json()
    assert body == jsonable_encoder(kb.search("KV cache compression", 3))
    paper_id = body["results"][0]["id"]
    assert client.get(f"/papers/{paper_id}").json() == jsonable_encoder(kb.get_paper(paper_id))


def test_a_doi_as_paper_id_works_in_every_paper_route(client: TestClient) -> None:
    doi = "10.1145/3292500.3330701"
    paper = {"id": doi, "title": "FooCache: Caching for LLM Serving",
             "abstract": "We propose FooCache, a KV cache compression method for LLM serving on NVIDIA A100 GPUs."}
    assert client.post("/papers", json=paper).json()["papers"][0]["id"] == doi
    assert client.get(f"/papers/{doi}").json()["title"] == paper["title"]
    similar = client.get(f"/papers/{doi}/similar", params={"k": 3}).json()["results"]
    assert len(similar) == 3 and doi not in {s["id"] for s in similar}
    ask = client.get("/sparql", params={"query": f"ASK {{ <https://w3id.org/paperkg/paper/{doi}> ?p ?o }}"},
                     headers={"accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is True
    assert client.delete(f"/papers/{doi}").json()["deleted"] is True
    _problem(client.get(f"/papers/{doi}"), 404)
    _problem(client.get(f"/papers/{doi}/similar"), 404)
    own = {"id": "foo-2", "doi": "10.5555/XYZ", "title": "FooCache 2", "abstract": "We propose FooCache 2."}
    assert client.post("/papers", json=own).status_code == 200
    deleted = client.delete("/papers/doi:10.5555/xyz").json()  # named by its DOI: the answer names the paper itself
    assert deleted["id"] == "foo-2" and deleted["deleted"] is True and deleted["version"] > 0


def test_search_awaits_a_batched_query_vector(client: TestClient, kb: KnowledgeBase,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """With an encoder that batches (the real model), /search waits for the vector without a worker thread and
    then answers exactly as the knowledge base does."""
    from concurrent.futures import Future

    from fastapi.encoders import jsonable_encoder

    from paperkg.embeddings.batching import MicroBatcher

    encoder = kb.encoder
    batches: list[list[str]] = []

    def encode_many(texts: list[str]) -> np.ndarray:
        batches.append(list(texts))
        return encoder.encode(texts, 8)

    batcher = MicroBatcher(encode_many)

    def later(text: str) -> Future[np.ndarray]:
        future = batcher.submit(text)
        future.add_done_callback(lambda done: encoder._cache.put(text, done.result()))  # type: ignore[attr-defined]
        return future

    monkeypatch.setattr(encoder, "encode_query_later", later)
    body = client.get("/search", params={"q": " batched KV cache query ", "k": 3}).json()
    assert batches == [["batched KV cache query"]]
    assert body == jsonable_encoder(kb.search("batched KV cache query", 3))
    batcher.close()
