"""Jinja2 templates of the explorer and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperkg import __version__
from paperkg.api.web.render import entity_url, node_url, paper_url, related_url

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# Only this origin: no script, style, font or image may come from anywhere else (CodeMirror and Cytoscape set
# inline styles on their own elements, hence 'unsafe-inline' for styles only).
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(paper_url=paper_url, entity_url=entity_url, node_url=node_url, related_url=related_url,
                             version=__version__)


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render template `name` as a page with the content security policy."""
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
