"""Read-side views assembled from the store and the graph: paper and entity details, lists, neighbourhoods.

Callers hold the knowledge base's read lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from paperkg.core.errors import InvalidParameter, NotFound
from paperkg.core.identifiers import id_iri
from paperkg.core.records import PAPER, StoredRelation
from paperkg.core.results import (
    EntityDetail,
    EntityMatchView,
    EntityPage,
    EntityRef,
    EvidenceView,
    MentionView,
    Neighborhood,
    PaperDetail,
    PaperEntity,
    PaperIdentifier,
    PaperSummary,
    RelationView,
)
from paperkg.graph.linked import PAPER_PREFIX
from paperkg.graph.lookup import EXACT_ALIAS, EntityIndex
from paperkg.graph.network import FILTER_PREDICATES, FILTER_TYPES, KnowledgeGraph, paper_node
from paperkg.graph.vocabulary import Vocabulary
from paperkg.store import Store

MAX_NEIGHBORHOOD_NODES = 2_000


def paper_detail(store: Store, pid: str) -> PaperDetail:
    paper = store.paper(pid)
    if paper is None:
        raise NotFound(f"no paper with id {pid!r}")
    names: dict[str, tuple[str, str]] = {}
    mentions: dict[str, list[MentionView]] = {}
    for m in store.mentions(pid):
        mentions.setdefault(m.entity_id, []).append(MentionView(m.field, m.start, m.end, m.surface))
    for entity in store.entities_by_id(list(mentions)).values():
        names[entity.id] = (entity.name, entity.type)
    entities = [PaperEntity(e, names[e][0], names[e][1], m) for e, m in mentions.items() if e in names]
    relations = [relation_view(r, names, paper.title) for r in store.relations(pid)]
    identifiers = [PaperIdentifier(kind, value, id_iri(kind, value)) for kind, value in paper.ids]
    return PaperDetail(paper.id, paper.title, paper.abstract, paper.year, paper.url, list(paper.authors),
                       entities, relations, paper.venue, list(paper.categories), paper.doi, identifiers)


def relation_view(rel: StoredRelation, names: dict[str, tuple[str, str]], paper_title: str) -> RelationView:
    subject = paper_node(rel.paper_id) if rel.subject == PAPER else rel.subject
    subject_name = paper_title if rel.subject == PAPER else names.get(rel.subject, (rel.subject, ""))[0]
    return RelationView(subject, subject_name, rel.predicate, rel.object, names.get(rel.object, (rel.object, ""))[0],
                        rel.confidence, EvidenceView(rel.sentence, rel.start, rel.end, rel.field), rel.paper_id,
                        rel.factor, rel.count, rel.metric, rel.hardware)


def resolve_filters(filters: dict[str, str | None], graph: KnowledgeGraph, index: EntityIndex,
                    vocabulary: Vocabulary) -> tuple[set[str] | None, set[str]]:
    """Paper ids satisfying every filter (AND), or None when no filter is set, and the entities the filters named.
    Names match by any alias; a technique also matches its narrower techniques (technique=quantization finds
    post-training quantization). A name neither the corpus nor the vocabulary knows is an InvalidParameter."""
    allowed: set[str] | None = None
    named: set[str] = set()
    for kind, value in filters.items():
        if not value:
            continue
        if kind not in FILTER_PREDICATES:
            raise InvalidParameter(f"unknown filter {kind!r}")
        matches = index.lookup(value, FILTER_TYPES[kind], limit=50)
        ids = {m.entity_id for m in matches if m.score >= EXACT_ALIAS}  # a name or an alias, as written
        if not ids:
            known = vocabulary.owner(value)
            if known is None or (concept := vocabulary.get(known)) is None or concept.type != FILTER_TYPES[kind]:
                # a near name is a hint, never the answer: H100 is not A100
                hint = f"; did you mean {matches[0].alias!r}?" if matches else ""
                raise InvalidParameter(f"{kind} filter: no {kind} named {value[:80]!r} is known{hint}")
            ids = {known}  # a name of the vocabulary no paper mentions yet: no paper matches, and that is the answer
        if kind == "technique":
            ids |= {n for i in list(ids) for n in vocabulary.descendants(i)}
        named |= ids
        papers = graph.papers_with(ids, FILTER_PREDICATES[kind])
        allowed = papers if allowed is None else allowed & papers
    return allowed, named


METADATA_FILTERS = ("since", "until", "category")
"""Filters on a paper's own metadata (year range, category), next to the entity filters."""


def entity_filters(filters: dict[str, str | None]) -> dict[str, str | None]:
    return {k: v for k, v in filters.items() if k not in METADATA_FILTERS}


def restrict_by_metadata(store: Store, allowed: set[str] | None, filters: dict[str, str | None]) -> set[str] | None:
    """`allowed` narrowed to the papers of the year range and category the filters name (None: no filter at all)."""
    since, until, category = (filters.get(k) for k in METADATA_FILTERS)
    if not (since or until or category):
        return allowed
    years = []
    for name, value in (("since", since), ("until", until)):
        if value and not value.strip().isdigit():
            raise InvalidParameter(f"{name} must be a year, not {value[:20]!r}")
        years.append(int(value) if value else None)
    found = store.papers_in(years[0], years[1], category.strip() if category else None)
    return found if allowed is None else allowed & found


def list_papers(store: Store, allowed: set[str] | None, limit: int, offset: int) -> tuple[list[PaperSummary], int]:
    if allowed is None:
        papers = store.papers(limit=limit, offset=offset)
        total = store.count_papers()
    else:
        ordered = sorted(allowed)
        papers = store.papers(ordered[offset:offset + limit])
        total = len(ordered)
    return [PaperSummary(p.id, p.title, p.year, p.url) for p in papers], total


def entity_matches(store: Store, index: EntityIndex, graph: KnowledgeGraph, q: str | None,
                   entity_type: str | None, limit: int) -> list[EntityMatchView]:
    def papers(entity_id: str) -> int:
        return len(graph.papers_citing(entity_id))

    if q:
        found = index.lookup(q, entity_type, limit, popularity=papers)
        rows = [(m.entity_id, m.score, m.alias) for m in found]
    else:
        rows = [(e.id, 1.0, e.name) for e in store.entities(entity_type)]
        rows.sort(key=lambda r: (-papers(r[0]), r[0]))
        rows = rows[:limit]
    stored = store.entities_by_id([entity_id for entity_id, _, _ in rows])
    return [EntityMatchView(entity_id, entity.name, entity.type, score, alias, papers(entity_id))
            for entity_id, score, alias in rows if (entity := stored.get(entity_id)) is not None]


def entity_detail(store: Store, graph: KnowledgeGraph, vocabulary: Vocabulary, entity_id: str,
                  page: EntityPage) -> EntityDetail:
    """An entity with one page of its papers and the first of its relations, each list with its full count: a hub
    such as NVIDIA A100 in a large corpus is linked to tens of thousands of papers."""
    entity = store.entity(entity_id)
    if entity is None or entity_id not in graph:
        raise NotFound(f"no entity with id {entity_id!r}")
    outgoing_rows = store.relations_about(entity_id, True, page.relations)
    incoming_rows = store.relations_about(entity_id, False, page.relations)
    # names of just the nodes these relations mention, not of the whole graph
    named = {n for rel in outgoing_rows + incoming_rows for n in (rel.subject, rel.object, paper_node(rel.paper_id))}
    names = {n: (node.name, node.type) for n in named if (node := graph.node(n)) is not None}

    def views_of(rows: list[StoredRelation]) -> list[RelationView]:
        return [relation_view(rel, names, names.get(paper_node(rel.paper_id), ("", ""))[0]) for rel in rows]

    shown = store.papers_mentioning(entity_id, page.limit, page.offset)
    papers = [PaperSummary(p.id, p.title, p.year, p.url) for p in store.papers(shown)]

    def refs(ids: Iterable[str]) -> list[EntityRef]:
        return [EntityRef(i, c.label, c.type) for i in ids if (c := vocabulary.get(i)) is not None]

    return EntityDetail(entity_id, entity.name, entity.type, store.entity_aliases(entity_id), entity.attrs,
                        papers, views_of(outgoing_rows), views_of(incoming_rows), refs(vocabulary.broader(entity_id)),
                        refs(vocabulary.narrower(entity_id)), refs(vocabulary.path(entity_id)),
                        store.count_papers_mentioning(entity_id),
                        store.count_relations_about(entity_id, True), store.count_relations_about(entity_id, False),
                        refs(vocabulary.related(entity_id)))


def neighborhood(store: Store, graph: KnowledgeGraph, node: str, depth: int) -> Neighborhood:
    """Nodes and edges around an entity id, or a paper named by any of its ids (bare or as 'paper/<id>')."""
    if node not in graph:
        paper = store.resolve(node.removeprefix(PAPER_PREFIX)) or store.resolve(node)
        if paper is not None and paper_node(paper) in graph:
            node = paper_node(paper)
        else:
            raise NotFound(f"no node {node!r} (use an entity id such as 'hardware/nvidia-a100' or 'paper/<id>')")
    if not 0 <= depth <= 3:
        raise InvalidParameter("depth must be between 0 and 3")
    size = graph.neighborhood_size(node, depth)
    if size > MAX_NEIGHBORHOOD_NODES:
        raise InvalidParameter(f"neighbourhood has {size:,} nodes; use a smaller depth")
    nodes, edges = graph.neighborhood(node, depth)
    return Neighborhood(node, nodes, edges)
