"""Request and response models: the API contract (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- requests -------------------------------------------------------------------------------------------


class PaperIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=2_000, examples=["PowerInfer: Fast LLM Serving with a Consumer GPU"])
    abstract: str = Field(min_length=1, examples=["This paper introduces PowerInfer, ..."])
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    year: int | None = Field(default=None, ge=1000, le=3000)
    url: str | None = Field(default=None, max_length=2_000)
    authors: list[str] = Field(default_factory=list, max_length=1_000)


PaperList = Annotated[list[PaperIn], Field(min_length=1, max_length=10_000)]


class PapersIn(Schema):
    model_config = ConfigDict(extra="forbid")
    papers: PaperList


# -- shared pieces -----------------------------------------------------------------------------------


class EntityRef(Schema):
    id: str
    name: str
    type: str


class Evidence(Schema):
    sentence: str
    start: int
    end: int
    field: str


class Relation(Schema):
    subject: str
    subject_name: str
    predicate: str
    object: str
    object_name: str
    confidence: float
    evidence: Evidence
    paper: str
    factor: float | None = None
    count: int | None = None
    metric: str | None = None
    hardware: str | None = None


class Mention(Schema):
    field: str
    start: int
    end: int
    text: str


class PaperEntity(Schema):
    id: str
    name: str
    type: str
    mentions: list[Mention]


class PaperSummary(Schema):
    id: str
    title: str
    year: int | None = None
    url: str | None = None


class ScoredPaper(Schema):
    id: str
    title: str
    score: float


# -- responses ---------------------------------------------------------------------------------------


class Health(Schema):
    status: Literal["ok"]
    papers: int
    version: int
    read_only: bool


class Stats(Schema):
    papers: int
    version: int
    nodes: dict[str, int]
    edges: dict[str, int]
    entities: dict[str, int]
    index: dict[str, Any]
    rdf: dict[str, Any]
    manifest: dict[str, Any]


class PaperDetail(Schema):
    id: str
    title: str
    abstract: str
    year: int | None
    url: str | None
    authors: list[str]
    entities: list[PaperEntity]
    relations: list[Relation]


class PaperPage(Schema):
    results: list[PaperSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class IngestedPaper(Schema):
    id: str
    title: str
    status: str = Field(description="created, updated, replaced, unchanged, or superseded (a later paper in the "
                                    "same request had the same title)")
    entities: list[EntityRef]
    relations: int


class IngestReport(Schema):
    version: int
    papers: list[IngestedPaper]


class Deleted(Schema):
    id: str
    deleted: bool
    version: int


class SearchHit(Schema):
    id: str
    title: str
    score: float
    passage: str
    entities: list[EntityRef]


class SearchResults(Schema):
    query: str
    results: list[SearchHit]
    facets: dict[str, dict[str, int]]


class SimilarResults(Schema):
    results: list[ScoredPaper]


class EntityMatch(Schema):
    id: str
    name: str
    type: str
    score: float
    matched: str
    papers: int


class EntityMatches(Schema):
    results: list[EntityMatch]


class EntityDetail(Schema):
    id: str
    name: str
    type: str
    aliases: list[str]
    attributes: dict[str, Any]
    papers: list[PaperSummary]
    outgoing: list[Relation]
    incoming: list[Relation]
    broader: list[EntityRef]
    narrower: list[EntityRef]


class RelatedTechnique(Schema):
    id: str
    name: str
    score: float
    why: dict[str, Any]


class RelatedTechniques(Schema):
    technique: EntityRef
    results: list[RelatedTechnique]


class GraphNode(Schema):
    id: str
    type: str
    name: str


class GraphEdge(Schema):
    source: str
    target: str
    predicate: str
    paper: str
    factor: float | None = None


class Neighborhood(Schema):
    center: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
