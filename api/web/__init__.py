"""The web explorer, the SPARQL editor and offline API docs, served by the API's own app (all assets local)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from paperkg.api.web import docs, pages, sparql_page
from paperkg.api.web.templating import STATIC


def install_before_api(app: FastAPI) -> None:
    """Routes that must be matched before the API's (the browser's GET /sparql)."""
    app.include_router(sparql_page.router)


def install(app: FastAPI) -> None:
    """The pages, the docs and the static files (the app must be created with docs_url=None, redoc_url=None)."""
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount(docs.PREFIX, StaticFiles(directory=docs.ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
