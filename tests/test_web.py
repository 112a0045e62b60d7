"""The explorer's pages and the browser side of /sparql, in process: what each page shows, and that SPARQL clients
and the OpenAPI document see no change."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperkg.api.web.render import Span, annotate, highlight_terms, query_terms
from paperkg.api.web.sparql_view import examples, wants_html
from paperkg.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
HW = "SELECT ?hw (COUNT(?p) AS ?n) WHERE { ?p pkg:runsOn ?hw } GROUP BY ?hw ORDER BY DESC(?n)"


def links(html: str, prefix: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html) if unescape(h).startswith(prefix)]


def test_search_page_highlights_terms_and_offers_facets(client: TestClient) -> None:
    page = client.get("/", params={"q": "diffusion model"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    api = client.get("/search", params={"q": "diffusion model", "k": 10}).json()
    assert [f"/ui/papers/{h['id']}" for h in api["results"]] == links(html, "/ui/papers/")
    assert re.search(r"<mark>(?i:diffusion|model)</mark>", html)
    hardware = next(iter(api["facets"]["hardware"]))
    assert f"/?q=diffusion+model&amp;hardware={hardware.replace(' ', '+')}" in html
    assert 'value="diffusion model"' in html


def test_year_facet_filters_search_and_browse(client: TestClient, kb: KnowledgeBase) -> None:
    from paperkg.core.records import PaperInput

    kb.add_papers([PaperInput(f"Zebrafish pruning study {n}", f"We prune zebrafish networks, variant {n}, with "
                              "magnitude pruning on an NVIDIA A100 and report accuracy.", year=year)
                   for n, year in enumerate((2021, 2021, 2023))])
    api = client.get("/search", params={"q": "zebrafish pruning", "k": 10}).json()
    assert api["facets"]["year"] == {"2023": 1, "2021": 2} and [h["year"] for h in api["results"]][:3].count(2021) >= 1
    html = client.get("/", params={"q": "zebrafish pruning"}).text
    assert "<h2>Year</h2>" in html and 'href="/?q=zebrafish+pruning&amp;year=2023"' in html
    only = client.get("/", params={"q": "zebrafish pruning", "year": "2023"}).text
    titles = re.findall(r'<h2><a href="/ui/papers/[^"]+">([^<]+)</a>', only)
    assert titles == ["Zebrafish pruning study 2"]  # the seed papers have no year, so none passes the filter
    assert "year: 2023" in only and 'href="/?q=zebrafish+pruning"' in only  # the chip that removes it
    browse = client.get("/", params={"year": "2021"}).text
    assert "<small>(2)</small>" in browse
    assert client.get("/", params={"q": "zebrafish", "year": "20x1"}).status_code == 200  # not a year: ignored


def test_facet_filter_and_paging_live_in_the_url(client: TestClient, kb: KnowledgeBase) -> None:
    filtered = client.get("/", params={"q": "inference", "hardware": "NVIDIA A100"}).text
    allowed = {p.id for p in kb.list_papers({"hardware": "NVIDIA A100"}, 1000, 0)[0]}
    shown = [h.removeprefix("/ui/papers/") for h in links(filtered, "/ui/papers/")]
    assert shown and set(shown) <= allowed
    assert 'name="hardware" value="NVIDIA A100"' in filtered  # a new query keeps the filter
    assert 'href="/?q=inference"' in filtered  # the chip that removes it
    first = links(client.get("/", params={"q": "inference"}).text, "/ui/papers/")
    second_page = client.get("/", params={"q": "inference", "page": 2}).text
    second = links(second_page, "/ui/papers/")
    assert second and not set(first) & set(second)
    assert 'rel="prev" href="/?q=inference"' in second_page


def test_browse_without_a_query_lists_papers(client: TestClient, kb: KnowledgeBase) -> None:
    html = client.get("/").text
    assert f"({kb.paper_count()})" in html
    assert len(links(html, "/ui/papers/")) == min(20, kb.paper_count())
    only = client.get("/", params={"technique": "quantization"}).text
    expected = {p.id for p in kb.list_papers({"technique": "quantization"}, 1000, 0)[0]}
    assert {h.removeprefix("/ui/papers/") for h in links(only, "/ui/papers/")} == expected
    beyond = client.get("/", params={"page": 100}).text  # past the end: the last page, not an empty list
    assert links(beyond, "/ui/papers/") and links(beyond, "/ui/papers/") == links(client.get("/").text, "/ui/papers/")


def test_paper_page_marks_mentions_evidence_and_carries_its_graph(client: TestClient, kb: KnowledgeBase) -> None:
    paper = next(p for p in (kb.get_paper(s.id) for s in kb.list_papers({}, 100, 0)[0])
                 if any(r.subject.startswith("paper/") for r in p.relations))
    html = client.get(f"/ui/papers/{paper.id}").text
    assert html.count('class="mention t-') >= sum(len(e.mentions) for e in paper.entities) // 2
    for entity in paper.entities:
        assert f'class="mention t-{entity.type}" href="/ui/entities/{entity.id}"' in html
    assert 'class="evidence" data-relations="r' in html
    assert html.count('<li id="r') == len(paper.relations)
    assert "This paper " in html
    graph = json.loads(unescape(re.search(r'id="graph-data">(.*?)</script>', html, re.S)[1]))  # type: ignore[index]
    assert graph["center"] == f"paper/{paper.id}"
    assert {n["id"] for n in graph["nodes"]} == {n.id for n in kb.neighborhood(paper.id, 1).nodes}
    for similar in kb.similar(paper.id, 6):
        assert f"/ui/papers/{similar.id}" in html
    assert "/static/vendor/cytoscape-3.35.0/cytoscape.min.js" in html


def test_only_web_addresses_become_source_links(client: TestClient) -> None:
    for url, linked in (("https://arxiv.org/abs/2106.09685", True), ("javascript:alert(1)", False),
                        ("data:text/html,<b>x</b>", False)):
        stored = client.post("/papers", json={"title": f"Link test {url[:4]}", "abstract": "An abstract.",
                                              "url": url}).json()["papers"][0]
        html = client.get(f"/ui/papers/{stored['id']}").text
        assert ('rel="noopener noreferrer">source</a>' in html) == linked, url


def test_entity_page_has_attributes_pages_of_papers_relations_and_taxonomy(client: TestClient,
                                                                         kb: KnowledgeBase) -> None:
    a100 = kb.get_entity("hardware/nvidia-a100")
    html = client.get("/ui/entities/hardware/nvidia-a100").text
    assert "<h1>NVIDIA A100</h1>" in html and "A100-SXM4-80GB" in html
    assert "memory bandwidth gbs</th><td>2039</td>" in html
    assert f"Papers ({a100.paper_count})" in html
    assert len(links(html, "/ui/papers/")) >= min(20, a100.paper_count)
    if a100.paper_count > 20:
        assert 'rel="next" href="/ui/entities/hardware/nvidia-a100?page=2"' in html
        second = client.get("/ui/entities/hardware/nvidia-a100", params={"page": 2}).text
        assert f'href="/ui/papers/{a100.papers[20].id}"' in second  # the 21st paper opens page 2
        assert f'href="/ui/papers/{a100.papers[0].id}"' not in second
    assert f"Relations to NVIDIA A100 ({a100.incoming_count})" in html
    micro = client.get("/ui/entities/technique/micro-batching").text
    crumbs = micro.split('aria-label="Taxonomy path"')[1].split("</nav>")[0]
    assert [c.split(">")[1].split("<")[0] for c in crumbs.split("<a ")[1:]] == [  # root first, down to the parent
        "distributed training", "parallelism", "model parallelism", "pipeline parallelism"]
    technique = kb.get_entity("technique/diffusion-models")
    assert technique.broader
    html = client.get("/ui/entities/technique/diffusion-models").text
    for broader in technique.broader:  # a taxonomy neighbour no paper names has no page: its related techniques
        page = "entities" if broader.id in kb.graph else "related"
        assert f'href="/ui/{page}/{broader.id}">{broader.name}</a>' in html
    assert technique.associated  # the vocabulary's associative links (skos:related) are shown too
    assert "<p>Related: " in html
    for ref in [*technique.broader, *technique.narrower, *technique.taxonomy_path, *technique.associated]:
        target = f"/ui/entities/{ref.id}" if ref.id in kb.graph else f"/ui/related/{ref.id}"
        assert f'href="{target}"' in html and client.get(target).status_code == 200, target
    assert any(ref.id not in kb.graph for ref in [*technique.broader, *technique.narrower])  # both kinds are seen
    related = kb.related("technique/diffusion-models", 10)
    # the page is shown at once and fetches its related techniques after (a hub takes seconds at 100k papers)
    assert 'data-src="/ui/related/technique/diffusion-models?fragment=1"' in html and related
    assert f"/ui/entities/{related[0].id}" not in html.split('id="related"')[1].split("</section>")[0]
    fragment = client.get("/ui/related/technique/diffusion-models", params={"fragment": 1})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<section id="related"')
    # a technique of the corpus links to its page; a vocabulary relative no paper names, to its related techniques
    assert all((f'href="/ui/entities/{r.id}"' if r.why["in_corpus"] else f'href="/ui/related/{r.id}"') in fragment.text
               for r in related)
    assert unescape(related[0].why["summary"][0]) in unescape(fragment.text)
    alone = client.get("/ui/related/technique/diffusion-models")  # without scripts: a page of its own
    assert "<html" in alone.text and f"/ui/entities/{related[0].id}" in alone.text
    assert client.get("/ui/related/technique/no-such-thing").status_code == 404
    outside = next(r for r in kb.related("speculative decoding", 30) if not r.why["in_corpus"])
    vocabulary_page = client.get(f"/ui/related/{outside.id}").text  # linked from a list; has no entity page
    assert outside.name in vocabulary_page and f'href="/ui/entities/{outside.id}"' not in vocabulary_page
    assert "/ui/related/" not in client.get("/ui/entities/hardware/nvidia-a100").text  # techniques only


def test_unknown_paper_or_entity_is_an_html_404(client: TestClient) -> None:
    for path in ("/ui/papers/no-such-paper", "/ui/entities/technique/no-such-thing"):
        page = client.get(path)
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert "no-such" in page.text


@pytest.mark.parametrize(("accept", "html"), [
    (BROWSER["accept"], True), ("text/html", True), ("application/xhtml+xml", True), ("*/*", False), (None, False),
    ("", False), ("application/sparql-results+json", False), ("application/json, text/html;q=0.5", False),
    ("application/sparql-results+xml, text/html", False), ("text/html;q=0", False),
    ("application/sparql-results+json,application/json,text/javascript,application/javascript", False),
])
def test_only_a_browsers_accept_gets_html(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


def test_sparql_editor_for_a_browser(client: TestClient, kb: KnowledgeBase) -> None:
    page = client.get("/sparql", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = unescape(page.text)
    assert len(examples()) == 5
    for example in examples():
        assert example.title in html
    assert f"PREFIX pkg: <{kb.settings.base_iri}ontology#>" in html
    assert "/static/vendor/codemirror-5.65.20/mode/sparql/sparql.js" in html


def test_sparql_results_as_a_linked_table(client: TestClient) -> None:
    page = client.get("/sparql", params={"query": HW}, headers=BROWSER)
    assert page.status_code == 200
    assert '<a href="/ui/entities/hardware/nvidia-a100"' in page.text and "hardware:nvidia-a100" in page.text
    assert 'id="query" name="query"' in page.text and "GROUP BY ?hw" in unescape(page.text)
    ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=BROWSER).text
    assert "Yes (true)" in ask
    construct = client.get("/sparql", params={"query": "CONSTRUCT { ?p pkg:runsOn ?h } WHERE { ?p pkg:runsOn ?h }"},
                           headers=BROWSER).text
    assert "<th scope=\"col\">subject</th>" in construct and links(construct, "/ui/papers/")
    # each page offers its results as downloads in formats that query kind has: RDF for triples, CSV for solutions
    for html, formats in ((construct, ("turtle", "ntriples", "jsonld")), (page.text, ("csv", "json"))):
        offered = re.findall(r'href="(/sparql\?[^"]*format=(\w+))"', html)
        assert tuple(fmt for _, fmt in offered) == formats
        assert all(client.get(unescape(href)).status_code == 200 for href, _ in offered)
    broken = client.get("/sparql", params={"query": "SELEC ?x"}, headers=BROWSER)
    assert broken.status_code == 400 and 'role="alert"' in broken.text and "text/html" in broken.headers["content-type"]


def test_sparql_clients_get_what_they_got_before(client: TestClient) -> None:
    for headers in ({}, {"accept": "*/*"}, {"accept": "application/sparql-results+json"}):
        answer = client.get("/sparql", params={"query": HW}, headers=headers)
        assert answer.headers["content-type"].startswith("application/sparql-results+json")
        assert answer.json()["results"]["bindings"]
    csv = client.get("/sparql", params={"query": HW, "format": "csv"}, headers=BROWSER)
    assert csv.headers["content-type"].startswith("text/csv")
    missing = client.get("/sparql", headers={"accept": "*/*"})
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    posted = client.post("/sparql", content=HW, headers={"content-type": "application/sparql-query", **BROWSER})
    assert posted.status_code == 200 and posted.headers["content-type"].startswith("application/sparql-results+xml")


def test_docs_use_local_assets_and_pages_stay_out_of_the_schema(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        scripts = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"(?:url|Url): *'([^']+)'", html)
        assert scripts and all(s.startswith("/") for s in scripts), scripts
        for asset in scripts:
            assert client.get(asset).status_code == 200, asset
    redoc = client.get("/redoc/redoc.standalone.js").text
    assert "cdn.redoc.ly" not in redoc and "redoc" in redoc
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith(("/ui", "/docs", "/redoc", "/static"))]
    assert "/sparql" in paths


def test_examples_are_the_readmes() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^### \d+\. (.+?)\n\n```sparql\n(.*?)```", readme, re.S | re.M)
    assert [(e.title, e.query) for e in examples()] == [(t, q) for t, q in blocks]


def test_markup_is_escaped_and_highlighted() -> None:
    assert query_terms("the KV cache, on an A100") == ["cache", "a100", "kv"]
    text = "<b>KV cache</b> & A100s"
    marked = str(highlight_terms(text, "kv a100"))
    assert marked == "&lt;b&gt;<mark>KV</mark> cache&lt;/b&gt; &amp; <mark>A100</mark>s"
    spans = [Span(0, 8, "technique/kv-cache", "Technique"), Span(3, 8, "technique/cache", "Technique"),
             Span(0, 15, evidence=0)]
    html = str(annotate("KV cache <here> rest", spans))
    assert html.startswith('<span class="evidence" data-relations="r0"')
    assert html.count('class="mention') == 1 and html.endswith("&lt;here&gt;</span> rest")
