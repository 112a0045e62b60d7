"""GET /sparql for a browser: the query editor, or a query's results as a table linked into the explorer.

The route only matches when the request's Accept header prefers HTML and names no `format`; every other GET
(`*/*`, SPARQLWrapper's and rdflib's lists, no Accept at all) falls through to the SPARQL Protocol route unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from paperkg.api.deps import KB
from paperkg.api.web import sparql_view
from paperkg.api.web.templating import page
from paperkg.core.errors import PaperkgError


class BrowserRoute(APIRoute):
    """A route that a request matches only when it is a browser asking for a page."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        accept = b",".join(v for k, v in scope.get("headers", []) if k == b"accept").decode("latin-1")
        named_format = "format" in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if named_format or not sparql_view.wants_html(accept):
            return Match.NONE, {}
        return match, child


router = APIRouter(include_in_schema=False, route_class=BrowserRoute)


@router.get("/sparql", response_class=HTMLResponse)
def sparql_page(request: Request, kb: KB) -> HTMLResponse:
    query = request.query_params.get("query")
    context: dict[str, Any] = {"query": query, "examples": sparql_view.examples(), "table": None, "error": None,
                               "prefixes": sparql_view.Linker(kb.settings.base_iri).prefixes,
                               "row_limit": kb.settings.sparql_row_limit}
    status = 200
    if query is None or not query.strip():
        context["query"] = sparql_view.examples()[0].query if sparql_view.examples() else ""
    else:
        try:
            context["table"] = sparql_view.run(kb, query)
        except PaperkgError as error:
            context["error"], status = f"{error.title}: {error.detail}", error.status
    response = page(request, "sparql.html", context, status)
    response.headers["Vary"] = "Accept"
    return response
