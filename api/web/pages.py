"""The explorer's HTML pages: search, paper, entity. Server-rendered; none of them is in the OpenAPI document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from paperkg.api.deps import KB
from paperkg.api.web.render import (
    annotate,
    highlight_terms,
    node_url,
    paper_spans,
    related_url,
    relation_sentence,
)
from paperkg.api.web.templating import page
from paperkg.core.errors import PaperkgError
from paperkg.core.results import EntityPage

router = APIRouter(include_in_schema=False)
FILTERS = ("hardware", "technique", "model", "dataset")


@dataclass(frozen=True)
class Explorer:
    """Page sizes of the explorer (search hits, browse list, an entity's papers and relations, facet values)."""

    hits_per_page: int = 10
    max_hits: int = 100  # the search API's own cap on k
    papers_per_page: int = 20
    relations_shown: int = 50
    facet_values: int = 12
    similar: int = 6
    related: int = 10


SIZES = Explorer()


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value else default
    except ValueError:
        return default


def _filters(request: Request) -> dict[str, str]:
    """The page's filters: entity names, and `year` (one publication year)."""
    found = {f: v.strip()[:200] for f in FILTERS if (v := request.query_params.get(f)) and v.strip()}
    year = (request.query_params.get("year") or "").strip()
    if year.isdigit() and len(year) == 4:
        found["year"] = year
    return found


def _kb_filters(filters: dict[str, str]) -> dict[str, str | None]:
    """The page's filters as the knowledge base takes them (a year is a since..until range)."""
    year = filters.get("year")
    return {**{k: v for k, v in filters.items() if k != "year"}, "since": year, "until": year}


def _href(path: str, params: dict[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "") and not (k == "page" and v == 1)}
    return path + ("?" + urlencode(kept) if kept else "")


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, kb: KB) -> HTMLResponse:
    q = (request.query_params.get("q") or "").strip()[:2_000]
    filters = _filters(request)
    number = _int(request.query_params.get("page"), 1, 1, 10_000)
    state: dict[str, Any] = {"q": q, **filters}
    context: dict[str, Any] = {"q": q, "filters": filters, "page_number": number, "hits": [], "facets": {},
                               "papers": [], "total": None, "error": None, "first": 1, "prev": None,
                               "next": None}
    context["remove"] = {f: _href("/", {k: v for k, v in state.items() if k != f}) for f in filters}
    status = 200
    try:
        if q:
            size = SIZES.hits_per_page
            number = min(number, SIZES.max_hits // size)
            results = kb.search(q, min(SIZES.max_hits, number * size), _kb_filters(filters))
            shown = results.results[(number - 1) * size:number * size]
            context["hits"] = [{"hit": h, "year": h.year, "passage": highlight_terms(h.passage, q)} for h in shown]
            more = len(results.results) == number * size and number * size < SIZES.max_hits
            context["facets"] = {kind: [(name, count, _href("/", {**state, kind: name}), filters.get(kind) == name)
                                        for name, count in list(values.items())[:SIZES.facet_values]]
                                 for kind in (*FILTERS, "year") if (values := results.facets.get(kind))}
        else:
            size = SIZES.papers_per_page
            papers, total = kb.list_papers(_kb_filters(filters), size, (number - 1) * size)
            last = max(1, -(-total // size))
            if number > last:  # past the end: the last page, as an entity page does
                number = last
                papers, total = kb.list_papers(_kb_filters(filters), size, (number - 1) * size)
            context.update(papers=papers, total=total)
            more = number * size < total
        context["first"] = (number - 1) * size + 1
        context["prev"] = _href("/", {**state, "page": number - 1}) if number > 1 else None
        context["next"] = _href("/", {**state, "page": number + 1}) if more else None
        context["page_number"] = number
    except PaperkgError as error:
        context["error"], status = error.detail, error.status
    return page(request, "search.html", context, status)


@router.get("/ui/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, kb: KB, paper_id: str) -> HTMLResponse:
    try:
        paper = kb.get_paper(paper_id)
        similar = kb.similar(paper.id, SIZES.similar)
        hood = kb.neighborhood(paper.id, 1)
    except PaperkgError as error:
        return page(request, "error.html", {"error": error.detail}, error.status)
    names = {e.id: e.name for e in paper.entities}
    relations = [{"n": n, "rel": r, "sentence": relation_sentence(r, names, hood.center)}
                 for n, r in enumerate(paper.relations)]
    graph = {"center": hood.center,
             "nodes": [{"id": n.id, "label": _short(n.name), "name": n.name, "type": n.type, "href": node_url(n.id)}
                       for n in hood.nodes],
             "edges": [{"source": e.source, "target": e.target, "label": e.predicate} for e in hood.edges]}
    context = {"paper": paper, "title": annotate(paper.title, paper_spans(paper, "title")),
               "abstract": annotate(paper.abstract, paper_spans(paper, "abstract")), "relations": relations,
               "similar": similar, "graph": graph, "graph_json": json.dumps(graph),
               "types": sorted({e.type for e in paper.entities})}
    return page(request, "paper.html", context)


@router.get("/ui/entities/{entity_id:path}", response_class=HTMLResponse)
def entity_page(request: Request, kb: KB, entity_id: str) -> HTMLResponse:
    size, shown = SIZES.papers_per_page, SIZES.relations_shown
    number = _int(request.query_params.get("page"), 1, 1, 1_000_000)
    try:
        entity = kb.get_entity(entity_id, EntityPage((number - 1) * size, size, shown))
        pages = max(1, -(-entity.paper_count // size))
        if number > pages:  # past the end: the last page
            number = pages
            entity = kb.get_entity(entity_id, EntityPage((number - 1) * size, size, shown))
    except PaperkgError as error:
        return page(request, "error.html", {"error": error.detail}, error.status)
    context = {"entity": entity, "papers": entity.papers,
               "first": (number - 1) * size + 1, "page_number": number, "pages": pages,
               "prev": _href(request.url.path, {"page": number - 1}) if number > 1 else None,
               "next": _href(request.url.path, {"page": number + 1}) if number < pages else None,
               "outgoing": [relation_sentence(r, {entity.id: entity.name}) for r in entity.outgoing[:shown]],
               "incoming": [(relation_sentence(r, {entity.id: entity.name}), r) for r in entity.incoming[:shown]],
               "shown": shown, "filter": _filter_href(entity.type, entity.name),
               "related_href": related_url(entity.id) if entity.type == "Technique" else None,
               # taxonomy neighbours no paper names have no entity page: they link to their related techniques
               "in_corpus": {r.id for r in [*entity.broader, *entity.narrower, *entity.taxonomy_path,
                                            *entity.associated] if r.id in kb.graph}}
    return page(request, "entity.html", context)


@router.get("/ui/related/{entity_id:path}", response_class=HTMLResponse)
def related_page(request: Request, kb: KB, entity_id: str) -> HTMLResponse:
    """A technique's related techniques: the section the entity page fetches after it is shown (`?fragment=1`;
    seconds for a technique named in thousands of papers), or a page of its own without scripts."""
    try:
        subject, related = kb.related_with_subject(entity_id, SIZES.related)
    except PaperkgError as error:
        return page(request, "error.html", {"error": error.detail}, error.status)
    name = "related.html" if request.query_params.get("fragment") else "related_page.html"
    return page(request, name, {"subject": subject, "related": related, "subject_in_corpus": subject.id in kb.graph})


def _filter_href(entity_type: str, name: str) -> str | None:
    kind = entity_type.lower()
    return _href("/", {kind: name}) if kind in FILTERS else None


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"
