"""Liveness, statistics and the ontology document."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import schemas
from api.deps import KB

router = APIRouter(tags=["service"])


@router.get("/health", response_model=schemas.Health, summary="Liveness and paper count")
def health(kb: KB) -> dict[str, object]:
    return kb.health()


@router.get("/stats", response_model=schemas.Stats, summary="Node, edge, index and RDF statistics")
def stats(kb: KB) -> dict[str, object]:
    return kb.stats()


@router.get("/ontology", response_class=Response, summary="The paperkg ontology (Turtle)",
            responses={200: {"content": {"text/turtle": {}}}})
def ontology(kb: KB) -> Response:
    return Response(kb.ontology(), media_type="text/turtle; charset=utf-8")
