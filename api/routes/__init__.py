"""One module per resource; each handler translates HTTP into one knowledge-base call."""

from fastapi import APIRouter

from paperkg.api.routes import entities, export, health, papers, search, sparql

ROUTERS: tuple[APIRouter, ...] = (health.router, papers.router, search.router, entities.router, sparql.router,
                                  export.router)
