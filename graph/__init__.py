"""The knowledge graph: extraction, vocabulary, networkx and RDF views, SPARQL, exports, related techniques."""
