"""SPARQL 1.1 Protocol endpoint (query only): GET ?query=, POST sparql-query or form-encoded."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from paperkg.api.deps import KB, content_type
from paperkg.core.errors import InvalidInput, QueryRefused

router = APIRouter(tags=["sparql"])
MEDIA_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tsv",
               "text/turtle", "application/n-triples", "application/ld+json")
RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {t: {} for t in MEDIA_TYPES}}}
FORM = "application/x-www-form-urlencoded"


@router.get("/sparql", response_class=Response, responses=RESPONSES, summary="Run a read-only SPARQL query")
def sparql_get(request: Request, kb: KB, query: Annotated[str, Query(min_length=1)],
               format: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    _check_protocol({name: request.query_params.getlist(name) for name in request.query_params})
    return _run(kb, query, request.headers.get("accept"), format)


@router.post("/sparql", response_class=Response, responses=RESPONSES,
             summary="Run a read-only SPARQL query (application/sparql-query or form-encoded)")
async def sparql_post(request: Request, kb: KB) -> Response:
    kind = content_type(request)
    body = (await request.body()).decode("utf-8", errors="replace")
    fmt = request.query_params.get("format")
    if kind == "application/sparql-query":
        query = body
    elif kind == FORM:
        form = parse_qs(body, keep_blank_values=True)
        if "update" in form:
            raise QueryRefused("this endpoint is read-only: SPARQL Update is not accepted")
        _check_protocol(form)
        query = (form.get("query") or [""])[0]
        fmt = form["format"][0] if form.get("format") else fmt
    elif kind == "application/sparql-update":
        raise QueryRefused("this endpoint is read-only: SPARQL Update is not accepted")
    else:
        raise InvalidInput(f"POST /sparql needs Content-Type application/sparql-query or {FORM}, not {kind!r}")
    return await run_in_threadpool(_run, kb, query, request.headers.get("accept"), fmt)


def _check_protocol(params: dict[str, list[str]]) -> None:
    """One query per request (the SPARQL 1.1 Protocol), and no dataset of the client's own."""
    if len(params.get("query", [])) > 1:
        raise InvalidInput("one query per request: the query parameter is given more than once")
    if "default-graph-uri" in params or "named-graph-uri" in params:
        raise QueryRefused("default-graph-uri and named-graph-uri are not accepted: the dataset is this knowledge "
                           "graph; name one of its own graphs with FROM in the query instead")


def _run(kb: KB, query: str, accept: str | None, fmt: str | None) -> Response:
    if not query.strip():
        raise InvalidInput("empty query")
    result = kb.sparql(query, accept=accept, fmt=fmt)
    headers = {"X-Paperkg-Rows": str(result.rows), "X-Paperkg-Truncated": str(result.truncated).lower(),
               "X-Paperkg-Row-Limit": str(kb.settings.sparql_row_limit), "Vary": "Accept"}
    return Response(result.body, media_type=result.media_type, headers=headers)
