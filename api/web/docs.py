"""Swagger UI and ReDoc from local files (the PyPI package fastapi-offline ships their bundles): no CDN."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
PREFIX = "/static/docs"
# ReDoc's sidebar credit shows a logo from its CDN whatever the options; the copy served here points it at a local file.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json", title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect", swagger_js_url=f"{root}{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{PREFIX}/swagger-ui.css", swagger_favicon_url=f"{root}{PREFIX}/favicon.png",
        # no validator badge: it would ask an outside service about our schema
        swagger_ui_parameters={"validatorUrl": None})


@router.get("/docs/oauth2-redirect", response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(openapi_url=f"{root}/openapi.json", title=f"{request.app.title} - ReDoc",
                          redoc_js_url=f"{root}/redoc/redoc.standalone.js",
                          redoc_favicon_url=f"{root}{PREFIX}/favicon.png", with_google_fonts=False)


@lru_cache(maxsize=1)
def _redoc_script() -> bytes:
    script = (ASSETS / "redoc.standalone.js").read_bytes()
    return script.replace(REDOC_LOGO.encode(), f"{PREFIX}/favicon.png".encode())


@router.get("/redoc/redoc.standalone.js")
def redoc_script() -> Response:
    return Response(_redoc_script(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})
