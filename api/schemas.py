"""Request and response models: the API contract (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator

# Responses that are the knowledge base's own results are its dataclasses, used as they are (one definition).
from paperkg.core.ids import PAPER_ID_PATTERN
from paperkg.core.results import (
    EntityDetail,
    EntityMatchView,
    EntityRef,
    IngestReport,
    Neighborhood,
    PaperDetail,
    PaperSummary,
    RelatedTechnique,
    ScoredPaper,
    SearchResults,
)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- requests -------------------------------------------------------------------------------------------


class AuthorIn(Schema):
    """An author as other tools write one ({"name": ..., "orcid": ...}): the name is kept (an empty one is dropped,
    as from JSON Lines)."""

    name: str


class PaperIn(Schema):
    """A paper as JSON Lines ingest takes it: a numeric id, a "2021" year and author objects are accepted too."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, description="At most PAPERKG_MAX_TITLE_CHARS characters (default 2,000).",
                       examples=["PowerInfer: Fast LLM Serving with a Consumer GPU"])
    abstract: str = Field(min_length=1, examples=["This paper introduces PowerInfer, ..."])
    id: Annotated[str, Field(pattern=PAPER_ID_PATTERN)] | StrictInt | None = None
    year: int | None = Field(default=None, ge=1000, le=3000)
    url: str | None = Field(default=None, max_length=2_000)
    authors: list[str | AuthorIn] = Field(default_factory=list, max_length=1_000)
    venue: str | None = Field(default=None, max_length=2_000)
    categories: list[str] = Field(default_factory=list, max_length=100)
    doi: str | None = Field(default=None, max_length=256, examples=["10.48550/arXiv.2106.09685"])

    @field_validator("id", "year", mode="before")
    @classmethod
    def _whole_numbers_only(cls, value: object, info: ValidationInfo) -> object:
        """As JSON Lines ingest: true is no id or year (pydantic would read 1), 2021.0 no year."""
        if isinstance(value, bool) or (info.field_name == "year" and isinstance(value, float)):
            kinds = "a string or an integer" if info.field_name == "id" else "an integer (or its digits as a string)"
            raise ValueError(f"must be {kinds}")
        return value


PaperList = Annotated[list[PaperIn], Field(max_length=10_000)]
"""Empty is no schema error: the knowledge base answers "no papers given"."""


class PapersIn(Schema):
    model_config = ConfigDict(extra="forbid")
    papers: PaperList


# -- responses ---------------------------------------------------------------------------------------


class Health(Schema):
    status: Literal["ok"]
    papers: int
    version: int = Field(description="The data version: it grows with every committed write.")
    read_only: bool
    paperkg_version: str = Field(description="The paperkg release serving this.")
    graph_ready: bool = Field(default=True, description=(
        "False while the graph and the entity lookup are still being built after start-up; requests that need them "
        "(search, entities, graph, related) wait for them meanwhile."))


class Stats(Schema):
    papers: int
    version: int
    nodes: dict[str, int]
    edges: dict[str, int]
    entities: dict[str, int]
    index: dict[str, Any]
    rdf: dict[str, Any]
    manifest: dict[str, Any]


class PaperPage(Schema):
    results: list[PaperSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class Deleted(Schema):
    id: str
    deleted: bool
    version: int


class SimilarResults(Schema):
    results: list[ScoredPaper]


class EntityMatches(Schema):
    results: list[EntityMatchView]


class RelatedTechniques(Schema):
    technique: EntityRef
    results: list[RelatedTechnique]


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


__all__ = ["EntityDetail", "EntityMatchView", "EntityRef", "IngestReport", "Neighborhood", "PaperDetail",
           "PaperSummary", "RelatedTechnique", "ScoredPaper", "SearchResults"]
