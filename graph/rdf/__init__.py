"""The RDF view of the knowledge graph: ontology, mapping from the store of record, the Oxigraph-backed graph
(store), serialisation and exports.

Nothing is imported here: a spawned query worker imports only what it runs."""
