"""Whole-graph exports, streamed, in any format of the registry's `export` kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from paperkg.api.deps import KB
from paperkg.core.formats import FORMATS, of_kind

router = APIRouter(tags=["graph"])
EXPORTS = of_kind("export")


@router.get("/export", response_class=StreamingResponse, summary="Export the graph",
            responses={200: {"content": {f.essence: {} for f in EXPORTS.values()}}})
def export(kb: KB, format: Annotated[str, Query(max_length=20, description=", ".join(EXPORTS))]) -> StreamingResponse:
    media_type, chunks = kb.export(format)
    filename = f"paperkg{FORMATS[format].suffix}"
    return StreamingResponse(chunks, media_type=media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
