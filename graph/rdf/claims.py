"""Reading the claims of a paper graph back from the store: what a paper referred to, and whether a fact is still
stated by some paper.

A claim is reified in its paper's graph (rdf:subject, rdf:predicate, rdf:object); a claim with an entity subject also
states a shared fact in the facts graph, which stays as long as some paper's claim states it.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
from pyoxigraph import NamedNode, Quad, Triple

from paperkg.graph.rdf.namespaces import RDF, Iris

SUBJECT, PREDICATE, OBJECT = NamedNode(RDF + "subject"), NamedNode(RDF + "predicate"), NamedNode(RDF + "object")


def paper_references(store: ox.Store, iris: Iris, graph: NamedNode) -> tuple[set[str], set[Triple]]:
    """The entity ids a paper graph refers to and the entity-subject facts its claims state."""
    entities: set[str] = set()
    parts: dict[str, dict[str, NamedNode]] = defaultdict(dict)
    for quad in store.quads_for_pattern(None, None, None, graph):
        obj = quad.object
        if isinstance(obj, NamedNode):
            entity_id = iris.entity_id(obj.value)
            if entity_id is not None:
                entities.add(entity_id)
            if quad.predicate in (SUBJECT, PREDICATE, OBJECT) and isinstance(quad.subject, NamedNode):
                parts[quad.subject.value][quad.predicate.value] = obj
    facts = set()
    for claim in parts.values():
        subject = claim.get(SUBJECT.value)
        if subject is not None and iris.entity_id(subject.value) is not None:
            facts.add(Triple(subject, claim[PREDICATE.value], claim[OBJECT.value]))
    return entities, facts


def still_stated(store: ox.Store, fact: Triple) -> bool:
    """Whether some paper's claim still states this entity-subject fact."""
    for quad in store.quads_for_pattern(None, SUBJECT, fact.subject, None):
        claim, graph = quad.subject, quad.graph_name
        if isinstance(claim, NamedNode) and isinstance(graph, NamedNode) \
                and Quad(claim, PREDICATE, fact.predicate, graph) in store \
                and Quad(claim, OBJECT, fact.object, graph) in store:
            return True
    return False
