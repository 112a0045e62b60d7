"""Every error leaves as RFC 9457 problem details (application/problem+json); one handler per error family."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route

from paperkg.core.errors import PaperkgError, PayloadTooLarge

PROBLEM_TYPE = "https://w3id.org/paperkg/problems/"
log = logging.getLogger("paperkg.api")


def problem_body(status: int, detail: str, slug: str | None = None, title: str | None = None,
                 instance: str | None = None, **extra: Any) -> dict[str, Any]:
    """The RFC 9457 members of a problem; slug and title default to the status's phrase."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {"type": PROBLEM_TYPE + (slug or phrase.lower().replace(" ", "-")), "title": title or phrase,
            "status": status, "detail": detail, **({"instance": instance} if instance else {}), **extra}


def problem(status: int, detail: str, slug: str | None = None, title: str | None = None,
            instance: str | None = None, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = problem_body(status, detail, slug, title, instance, **extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def domain_problem(error: PaperkgError, instance: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The problem details of a domain error, which carries its own status, title and type."""
    if error.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return problem(error.status, error.detail, error.slug, error.title, instance, headers)


async def _domain(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PaperkgError)
    if error.status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, error.detail)
    return domain_problem(error, request.url.path)


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in error.errors()]
    # the deepest error is the most specific: for a list body, "papers[1] has no abstract" rather than "not a dict";
    # of a body that may take several shapes, the errors of the shape it is closest to
    shown = _closest_shape(errors, error.body) or errors
    first = max(shown, key=lambda e: len(e["loc"])) if shown else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc'])}: {first['msg']}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
    return problem(422, detail, "invalid-parameter", "Invalid parameter", request.url.path, errors=errors[:50])


def _closest_shape(errors: list[dict[str, Any]], body: object) -> list[dict[str, Any]]:
    """For a body of several accepted shapes (errors at body.<Model>... or body.list[<Model>]...), the errors of the
    shape of the body's kind (object or list) that has the fewest; [] for any other body."""
    shapes: dict[str, list[dict[str, Any]]] = {}
    for e in errors:
        loc = e["loc"]
        if len(loc) < 2 or loc[0] != "body" or not (loc[1][:1].isupper() or loc[1].startswith("list[")):
            return []
        shapes.setdefault(loc[1], []).append(e)
    fitting = [group for name, group in shapes.items() if name.startswith("list[") == isinstance(body, list)]
    return min(fitting, key=len) if len(shapes) > 1 and fitting else []


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.url.path}"
    if error.status_code == PayloadTooLarge.status:  # a chunked body over the cap: the same problem as a declared one
        return domain_problem(PayloadTooLarge(detail), request.url.path, getattr(error, "headers", None))
    headers = getattr(error, "headers", None)
    if error.status_code == 405:  # Starlette names the methods of the first route of the path only
        headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
    return problem(error.status_code, detail, instance=request.url.path, headers=headers)


def remember_methods(app: FastAPI, routes: Iterable[BaseRoute]) -> None:
    """Keep each route's path pattern and methods, for the Allow header of a 405 (call once the routes are added)."""
    app.state.route_methods = [(route.path_regex, frozenset(route.methods or ())) for route in routes
                               if isinstance(route, Route | APIRoute)]


def _allowed(request: Request) -> list[str]:
    """Every method some route serves at this path, HEAD wherever GET is (api.head.HeadAsGet)."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] = getattr(request.app.state, "route_methods", [])
    methods = {m for pattern, served in table if pattern.match(request.url.path) for m in served}
    if "GET" in methods:
        methods.add("HEAD")
    order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    return sorted(methods, key=lambda m: order.index(m) if m in order else len(order))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "internal error; it has been logged", "internal", instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PaperkgError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
