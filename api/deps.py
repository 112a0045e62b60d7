"""Dependencies: the knowledge base of this app, and the bearer-token check on writes."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from paperkg.core.errors import ReadOnly, Unauthorized
from paperkg.kb import KnowledgeBase


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


def require_writer(request: Request) -> None:
    """Writes need `Authorization: Bearer <PAPERKG_API_TOKEN>` when that token is configured; a replica takes none."""
    replica = getattr(request.app.state, "replica", None)
    if replica is not None:
        served = replica.snapshot.describe() if replica.snapshot else "nothing yet"
        raise ReadOnly(f"this server is a read-only replica (serving {served} published in {replica.root}); "
                       "send writes to the writer")
    token = get_kb(request).settings.api_token
    if not token:
        return
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("this write needs a valid bearer token (Authorization: Bearer <token>)")


KB = Annotated[KnowledgeBase, Depends(get_kb)]
Writer = Depends(require_writer)
