"""Dependencies: the knowledge base of this app, and the bearer-token check on writes."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from paperkg.core.errors import InvalidInput, ReadOnly, Unauthorized
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


def content_type(request: Request) -> str:
    """The request body's media type, lower case, without parameters ("" when none is given)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


KB = Annotated[KnowledgeBase, Depends(get_kb)]
Writer = Depends(require_writer)


class GuardedRoute(APIRoute):
    """A route that, when it depends on `Writer`, checks the writer first, before its body is read: a malformed body
    from a client without the token is a 401, not a 422 that tells it how to shape the body; and a POST body that is
    not JSON (curl's default form type) is a 400 that says so, not a schema error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if Writer not in self.dependencies:
            return handler

        async def guarded(request: Request) -> Response:
            require_writer(request)
            kind = content_type(request)
            if request.method == "POST" and kind != "application/json" and not kind.endswith("+json"):
                raise InvalidInput(f"{request.url.path} takes a JSON body (Content-Type application/json), "
                                   f"not {kind or 'a body without a Content-Type'!r}")
            return await handler(request)

        return guarded
