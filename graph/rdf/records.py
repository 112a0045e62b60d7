"""Reading the whole store of record for a bulk rebuild of the RDF graph: every entity's graph, and the mentions and
relations grouped by paper (so each paper is mapped once, in one pass over the papers)."""

from __future__ import annotations

from collections import defaultdict

from pyoxigraph import Quad, Triple

from paperkg.core.protocols import RecordSource
from paperkg.core.records import StoredMention, StoredRelation
from paperkg.graph.rdf.mapping import entity_quads
from paperkg.graph.rdf.namespaces import Iris


def all_entity_quads(iris: Iris, store: RecordSource, vocabulary_triples: frozenset[Triple]) -> list[Quad]:
    """The quads of every stored entity's graph, its aliases included."""
    aliases: dict[str, list[str]] = defaultdict(list)
    for entity_id, alias in store.aliases():
        aliases[entity_id].append(alias)
    quads: list[Quad] = []
    for entity in store.entities():
        quads += entity_quads(iris, entity, sorted(aliases.get(entity.id, ())), iris.entity_graph(entity.id),
                              vocabulary_triples)
    return quads


def records_by_paper(store: RecordSource) -> tuple[dict[str, list[StoredMention]], dict[str, list[StoredRelation]]]:
    """(mentions, relations) of every stored paper, by paper id."""
    mentions: dict[str, list[StoredMention]] = defaultdict(list)
    for row in store.mentions():
        mentions[row.paper_id].append(row)
    relations: dict[str, list[StoredRelation]] = defaultdict(list)
    for rel in store.relations():
        relations[rel.paper_id].append(rel)
    return mentions, relations
