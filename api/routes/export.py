"""Whole-graph exports, streamed: RDF (turtle, ntriples, jsonld) and property graphs (graphml, gexf, nodelink)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from paperkg.api.deps import KB

router = APIRouter(tags=["graph"])


@router.get("/export", response_class=StreamingResponse, summary="Export the graph",
            responses={200: {"content": {"text/turtle": {}, "application/n-triples": {}, "application/ld+json": {},
                                         "application/graphml+xml": {}, "application/gexf+xml": {},
                                         "application/json": {}}}})
def export(kb: KB, format: Annotated[str, Query(max_length=20, description="turtle, ntriples, jsonld, graphml, "
                                                                            "gexf or nodelink")]) -> StreamingResponse:
    media_type, chunks = kb.export(format)
    filename = f"paperkg.{format}"
    return StreamingResponse(chunks, media_type=media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
