"""Read-only SPARQL 1.1 over the RDF graph: a tokenizer-level guard, sandboxed pre-forked workers with a real
timeout, a row cap, and results in the SPARQL / RDF formats negotiated from an Accept header or a format name."""

from paperkg.graph.sparql.executor import SparqlExecutor, SparqlResult
from paperkg.graph.sparql.formats import FORMAT_NAMES, GRAPH_FORMATS, SOLUTION_FORMATS, negotiate
from paperkg.graph.sparql.guard import Analysis, check

__all__ = ["FORMAT_NAMES", "GRAPH_FORMATS", "SOLUTION_FORMATS", "Analysis", "SparqlExecutor", "SparqlResult",
           "check", "negotiate"]
