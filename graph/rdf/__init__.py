"""The RDF view of the knowledge graph: ontology, mapping from the store of record, the Oxigraph-backed graph."""

from paperkg.graph.rdf.namespaces import DEFAULT_BASE, Iris
from paperkg.graph.rdf.ontology import ONTOLOGY_FORMATS, ontology_document, ontology_turtle
from paperkg.graph.rdf.serialize import RDF_EXPORTS, export_media_type
from paperkg.graph.rdf.store import RDFGraph

__all__ = ["DEFAULT_BASE", "ONTOLOGY_FORMATS", "RDF_EXPORTS", "Iris", "RDFGraph", "export_media_type",
           "ontology_document", "ontology_turtle"]
