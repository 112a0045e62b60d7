"""Hybrid semantic + keyword search with graph filters and facets."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from paperkg.api import schemas
from paperkg.api.deps import KB
from paperkg.api.responses import typed_json
from paperkg.core.records import MAX_QUERY_CHARS

router = APIRouter(tags=["search"])
Name = Annotated[str | None, Query(max_length=200)]
Text = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                            description="free text; a whole abstract asks for papers like it")]
Count = Annotated[int, Query(ge=1, le=100)]
Year = Annotated[int | None, Query(ge=1000, le=3000, description="publication year bound (inclusive)")]
Category = Annotated[str | None, Query(max_length=200, description="a category such as cs.LG ('cs' takes cs.*)")]


@router.get("/search", response_model=schemas.SearchResults, summary="Search papers by meaning and keywords")
async def search(kb: KB, q: Text, k: Count = 10, hardware: Name = None, technique: Name = None, dataset: Name = None,
                 model: Name = None, since: Year = None, until: Year = None, category: Category = None) -> Response:
    # Wait for the query vector without holding a worker thread, so concurrent queries share one forward pass.
    pending = kb.prefetch_query(q)
    if pending is not None:
        await asyncio.wrap_future(pending)
    filters = {"hardware": hardware, "technique": technique, "dataset": dataset, "model": model,
               "since": str(since) if since else None, "until": str(until) if until else None, "category": category}
    return typed_json(await run_in_threadpool(kb.search, q, k, filters))
