"""Hybrid semantic + keyword search with graph filters and facets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api import schemas
from api.deps import KB
from api.responses import typed_json

router = APIRouter(tags=["search"])
Name = Annotated[str | None, Query(max_length=200)]


@router.get("/search", response_model=schemas.SearchResults, summary="Search papers by meaning and keywords")
def search(kb: KB, q: Annotated[str, Query(min_length=1, max_length=20_000,
                                                  description="free text; a whole abstract asks for papers like it")],
           k: Annotated[int, Query(ge=1, le=100)] = 10, hardware: Name = None, technique: Name = None,
           dataset: Name = None, model: Name = None) -> Response:
    return typed_json(kb.search(q, k, {"hardware": hardware, "technique": technique, "dataset": dataset,
                                       "model": model}))
