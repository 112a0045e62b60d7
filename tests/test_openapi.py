"""The committed OpenAPI document matches the code; every route declares a response model."""

from __future__ import annotations

import json
from pathlib import Path

from paperkg.api.openapi import render

COMMITTED = Path(__file__).resolve().parents[1] / "api" / "openapi.json"


def test_committed_openapi_has_not_drifted() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), "run `make openapi` and commit api/openapi.json"


def test_every_operation_documents_its_success_response() -> None:
    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success = operation["responses"].get("200")
            assert success and success.get("content"), f"{method.upper()} {path} has no documented 200 response"


NON_JSON_ROUTES = {"/sparql", "/export", "/ontology"}


def test_every_json_route_has_a_response_model() -> None:
    from fastapi.routing import APIRoute

    from paperkg.api.routes import ROUTERS

    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 15
    for route in routes:
        if route.path in NON_JSON_ROUTES:
            assert route.response_model is None, route.path
        else:
            assert route.response_model is not None, f"{route.path} has no response_model"
