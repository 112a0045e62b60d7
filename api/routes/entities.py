"""Entities (lookup by name or alias, detail), related techniques, and graph neighbourhoods."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from paperkg.api import schemas
from paperkg.api.deps import KB
from paperkg.core.results import EntityDetail, EntityPage, Neighborhood

router = APIRouter(tags=["graph"])
EntityType = Literal["Technique", "Model", "Hardware", "Dataset", "Software"]


@router.get("/entities", response_model=schemas.EntityMatches, summary="Find entities by name or alias, best first")
def find_entities(kb: KB, q: Annotated[str | None, Query(max_length=200)] = None, type: EntityType | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> dict[str, object]:
    return {"results": kb.find_entities(q, type, limit)}


@router.get("/entities/{entity_id:path}", response_model=schemas.EntityDetail,
            summary="An entity: attributes, aliases, taxonomy, relations, a page of its papers")
def get_entity(kb: KB, entity_id: str,
               limit: Annotated[int, Query(ge=1, le=1000, description="Papers per page.")] = 100,
               offset: Annotated[int, Query(ge=0, le=2**31, description="Papers to skip.")] = 0,
               relations: Annotated[int, Query(ge=0, le=1000, description="Relations from and to the entity, "
                                                                           "at most this many of each.")] = 100,
               ) -> EntityDetail:
    return kb.get_entity(entity_id, EntityPage(offset, limit, relations))


@router.get("/techniques/{technique:path}/related", response_model=schemas.RelatedTechniques,
            summary="Related techniques, each with its score and why")
def related(kb: KB, technique: str, k: Annotated[int, Query(ge=1, le=100)] = 10,
            corpus_only: Annotated[bool, Query(description="Only techniques the corpus names: no taxonomy relative "
                                                           "known from the vocabulary alone.")] = False,
            ) -> dict[str, object]:
    ref, results = kb.related_with_subject(technique, k, corpus_only)
    return {"technique": ref, "results": results}


@router.get("/graph/neighborhood", response_model=schemas.Neighborhood, summary="Nodes and edges around a node")
def neighborhood(kb: KB, node: Annotated[str, Query(min_length=1, max_length=300)],
                 depth: Annotated[int, Query(ge=0, le=3)] = 1) -> Neighborhood:
    return kb.neighborhood(node, depth)
