"""What the knowledge base answers: plain dataclasses, turned into API schemas at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EntityRef:
    id: str
    name: str
    type: str


@dataclass(frozen=True)
class EvidenceView:
    sentence: str
    start: int
    end: int
    field: str


@dataclass(frozen=True)
class RelationView:
    subject: str
    subject_name: str
    predicate: str
    object: str
    object_name: str
    confidence: float
    evidence: EvidenceView
    paper: str
    factor: float | None = None
    count: int | None = None
    metric: str | None = None
    hardware: str | None = None


@dataclass(frozen=True)
class MentionView:
    field: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PaperEntity:
    id: str
    name: str
    type: str
    mentions: list[MentionView]


@dataclass(frozen=True)
class PaperSummary:
    id: str
    title: str
    year: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class PaperIdentifier:
    """An id the paper is known by elsewhere: kind (doi, arxiv, openalex, s2, own, key, ...), value, public IRI."""

    kind: str
    value: str
    iri: str | None = None


@dataclass(frozen=True)
class PaperDetail:
    id: str
    title: str
    abstract: str
    year: int | None
    url: str | None
    authors: list[str]
    entities: list[PaperEntity]
    relations: list[RelationView]
    venue: str | None = None
    categories: list[str] = field(default_factory=list)
    doi: str | None = None
    identifiers: list[PaperIdentifier] = field(default_factory=list)
    """Every id that resolves to this paper (GET /papers/{any of them})."""


@dataclass(frozen=True)
class IngestedPaper:
    """What happened to one record of a batch: created, updated, replaced (a new abstract), unchanged, or
    superseded (a later record of the batch wrote the same paper: this one left its ids and metadata)."""

    id: str
    title: str
    status: str
    entities: list[EntityRef]
    relations: int


@dataclass(frozen=True)
class IngestReport:
    """The data version after a batch and one entry per paper given, in the order given."""

    version: int
    papers: list[IngestedPaper]

    def count(self, status: str) -> int:
        return sum(1 for p in self.papers if p.status == status)


@dataclass(frozen=True)
class SearchHit:
    id: str
    title: str
    score: float
    passage: str
    entities: list[EntityRef]
    year: int | None = None


@dataclass(frozen=True)
class SearchResults:
    query: str
    results: list[SearchHit]
    facets: dict[str, dict[str, int]]


@dataclass(frozen=True)
class ScoredPaper:
    id: str
    title: str
    score: float


@dataclass(frozen=True)
class EntityMatchView:
    id: str
    name: str
    type: str
    score: float
    matched: str
    papers: int


@dataclass(frozen=True)
class EntityDetail:
    id: str
    name: str
    type: str
    aliases: list[str]
    attributes: dict[str, Any]
    papers: list[PaperSummary]
    outgoing: list[RelationView]
    incoming: list[RelationView]
    broader: list[EntityRef] = field(default_factory=list)
    narrower: list[EntityRef] = field(default_factory=list)
    taxonomy_path: list[EntityRef] = field(default_factory=list)
    """Broader concepts from a root down to the parent (empty outside the taxonomy)."""
    paper_count: int = 0
    """All papers linked to the entity; `papers` holds the requested page of them."""
    outgoing_count: int = 0
    incoming_count: int = 0
    """All relations from and to the entity; `outgoing` and `incoming` hold the first of them."""
    associated: list[EntityRef] = field(default_factory=list)
    """Techniques the vocabulary associates with this one outside the hierarchy (skos:related)."""


@dataclass(frozen=True)
class EntityPage:
    """Which part of an entity's papers and relations a detail request wants."""

    offset: int = 0
    limit: int = 100
    relations: int = 100


@dataclass(frozen=True)
class RelatedTechnique:
    id: str
    name: str
    score: float
    why: dict[str, Any]


@dataclass(frozen=True)
class GraphNode:
    id: str
    type: str
    name: str


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    predicate: str
    paper: str
    factor: float | None = None


@dataclass(frozen=True)
class Neighborhood:
    center: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


@dataclass(frozen=True)
class Deleted:
    """A removed paper: its own id (whichever of its ids named it) and the data version after the removal."""

    id: str
    version: int
    deleted: bool = True


@dataclass(frozen=True)
class Health:
    status: str
    papers: int
    version: int
    """The data version: it grows with every committed write."""
    read_only: bool
    paperkg_version: str
    graph_ready: bool = True
    """False while the graph is still being built after start-up (requests that need it wait for it)."""


@dataclass(frozen=True)
class Stats:
    papers: int
    version: int
    nodes: dict[str, int]
    edges: dict[str, int]
    entities: dict[str, int]
    index: dict[str, Any]
    rdf: dict[str, Any]
    manifest: dict[str, Any]
