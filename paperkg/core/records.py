"""Plain records that flow through the core: paper inputs, extraction results, stored papers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EntityType = Literal["Technique", "Model", "Hardware", "Dataset", "Software"]
Predicate = Literal["proposes", "uses", "runs-on", "evaluated-on", "outperforms"]
ENTITY_TYPES: tuple[EntityType, ...] = ("Technique", "Model", "Hardware", "Dataset", "Software")
PREDICATES: tuple[Predicate, ...] = ("proposes", "uses", "runs-on", "evaluated-on", "outperforms")
MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 100_000
"""Default limits of a paper's title and abstract (Settings.max_title_chars / max_abstract_chars override them)."""
MAX_QUERY_CHARS = 20_000
"""A search query: room for a whole abstract as an example, the same cap over HTTP and the CLI."""
PAPER = "PAPER"
"""Subject of a relation that the paper itself states (as in the annotation guide)."""


@dataclass(frozen=True)
class PaperInput:
    """A paper as it arrives: from the seed dump, a JSONL line or the HTTP API."""

    title: str
    abstract: str
    id: str | None = None
    year: int | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    origin: str = ""
    """Where it came from ("seeds/x.txt:5"), for error messages."""
    venue: str | None = None
    categories: tuple[str, ...] = ()
    """Subject categories as the source names them (arXiv "cs.LG", OpenAlex concepts, S2 fields of study)."""
    doi: str | None = None
    """Normalised: lower case, no doi.org prefix."""
    external_ids: tuple[tuple[str, str], ...] = ()
    """(kind, value) ids other than the own id and the DOI: ("arxiv", "2106.09685"), ("openalex", "W..."), ..."""


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity: character offsets into the title or the abstract."""

    field: Literal["title", "abstract"]
    start: int
    end: int
    text: str


@dataclass
class ExtractedEntity:
    """An entity found in one paper. `key` is its canonical id, shared across papers."""

    key: str
    name: str
    type: EntityType
    aliases: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    confidence: float = 1.0
    """How likely the entity is right (the learned scorer's estimate; 1.0 when no scorer ran)."""


@dataclass(frozen=True)
class Evidence:
    """The sentence a fact was read from, with its offsets in the abstract (or title)."""

    sentence: str
    start: int
    end: int
    field: Literal["title", "abstract"] = "abstract"


@dataclass
class ExtractedRelation:
    """A fact. `subject` is PAPER or an entity key; `object` is an entity key."""

    subject: str
    predicate: Predicate
    object: str
    evidence: Evidence
    confidence: float
    factor: float | None = None
    count: int | None = None
    metric: str | None = None
    hardware: str | None = None
    """Entity key of the hardware an `outperforms` claim was measured on."""


@dataclass
class Extraction:
    """What the extractor read from one paper."""

    entities: list[ExtractedEntity] = field(default_factory=list)
    relations: list[ExtractedRelation] = field(default_factory=list)

    def entity(self, key: str) -> ExtractedEntity | None:
        return next((e for e in self.entities if e.key == key), None)


@dataclass(frozen=True)
class Paper:
    """A stored paper."""

    id: str
    title: str
    abstract: str
    year: int | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    content_hash: str = ""
    rev: int = 0
    venue: str | None = None
    categories: tuple[str, ...] = ()
    doi: str | None = None
    ids: tuple[tuple[str, str], ...] = ()
    """Every (kind, value) id that resolves to this paper (see paperkg.core.identifiers)."""


@dataclass(frozen=True)
class StoredEntity:
    """An entity as the store holds it: canonical id, type, name and attributes (hardware specifications, ...)."""

    id: str
    type: str
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EntityInfo:
    """What a write records about an entity beyond one paper's mention of it: its canonical name and type, the
    vocabulary's aliases and attributes. None for type: keep the type the extractor gave."""

    name: str
    type: str | None = None
    aliases: tuple[str, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredMention:
    """One stored occurrence of an entity in a paper."""

    paper_id: str
    entity_id: str
    field: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True, slots=True)
class PaperHead:
    """A stored paper without its abstract: what the graph needs of it."""

    id: str
    title: str
    year: int | None


@dataclass(frozen=True, slots=True)
class RelationHead:
    """A stored fact without its evidence: what the graph needs of it."""

    paper_id: str
    subject: str
    predicate: str
    object: str
    factor: float | None
    count: int | None
    metric: str | None
    hardware: str | None
    confidence: float


@dataclass(frozen=True)
class StoredRelation(RelationHead):
    """One stored fact with its evidence."""

    sentence: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class PaperMatch:
    """The stored paper an input updates, found by its id, a shared id or its title. An empty `content_hash` means
    nothing is stored under `id` yet: the input is another work of a title already held, to be stored beside it
    under this id of its own."""

    id: str
    content_hash: str


@dataclass(frozen=True)
class IngestRun:
    """An ingest of files, which a re-run of the same files leaves as it is as far as it can
    (`store.matching.applied`): `since` is the data version it started from."""

    since: int | None


@dataclass(frozen=True)
class RecordPlan:
    """What storing one record of a batch does, the records read in order as batches of one would be: `id` is the
    paper it goes to; `action` is "write" (the batch's last record to change that paper), "superseded" (a later
    record writes the paper too: this one leaves its ids and metadata) or "unchanged"; `stored_hash`, for a write,
    is that paper's content hash before the batch ("" for a new paper)."""

    id: str
    action: Literal["write", "superseded", "unchanged"]
    stored_hash: str


@dataclass(frozen=True)
class PaperText:
    """What a search hit shows of a stored paper: its title, abstract and year (no authors, metadata or ids)."""

    id: str
    title: str
    abstract: str
    year: int | None


@dataclass(frozen=True)
class StoredPassage:
    """One embedded passage of a paper: its character span in the abstract and its float32 vector bytes."""

    paper_id: str
    ord: int
    start: int
    end: int
    vector: bytes

    @property
    def dim(self) -> int:
        return len(self.vector) // 4
