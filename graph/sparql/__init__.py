"""Read-only SPARQL 1.1 over the RDF graph: a tokenizer-level guard (guard), sandboxed worker processes with a real
timeout (pool, worker), a row cap, and results in the SPARQL / RDF formats negotiated from an Accept header or a
format name (formats); executor puts them together, remote answers through an external SPARQL server.

Nothing is imported here: a spawned query worker imports only what it runs."""
