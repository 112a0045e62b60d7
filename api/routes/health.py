"""Liveness, statistics and the ontology document."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from paperkg.api import schemas
from paperkg.api.deps import KB
from paperkg.core.results import Health, Stats

router = APIRouter(tags=["service"])


@router.get("/health", response_model=schemas.Health, summary="Liveness and paper count")
async def health(kb: KB) -> Health:
    # on the event loop, not a worker thread: it answers even while every worker is busy with slow requests
    return kb.health()


@router.get("/stats", response_model=schemas.Stats, summary="Node, edge, index and RDF statistics")
def stats(kb: KB) -> Stats:
    return kb.stats()


@router.get("/ontology", response_class=Response, summary="The paperkg ontology (Turtle, N-Triples, JSON-LD, RDF/XML)",
            responses={200: {"content": {t: {} for t in ("text/turtle", "application/n-triples",
                                                         "application/ld+json", "application/rdf+xml")}}})
def ontology(kb: KB, request: Request) -> Response:
    media_type, body = kb.ontology(request.headers.get("accept"))
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})
