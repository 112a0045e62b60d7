"""Request body caps enforced at the ASGI level: 413 before a body is read in full, chunked uploads included."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperkg.api.problems import domain_problem
from paperkg.core.errors import PayloadTooLarge


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = domain_problem(PayloadTooLarge(_detail(limit)), scope["path"], {"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # an HTTPException, not the domain error: FastAPI turns any other error met while reading a
                    # body into a 400; the one problem handler renders it
                    raise HTTPException(413, _detail(limit))
            return message

        await self.app(scope, limited, send)


def _detail(limit: int) -> str:
    return f"request body over the {limit:,}-byte limit"
