"""The knowledge base: composes the store, extraction, graph, RDF/SPARQL and embedding components."""

from paperkg.kb.base import KnowledgeBase

__all__ = ["KnowledgeBase"]
