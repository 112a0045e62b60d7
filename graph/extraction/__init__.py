"""Entity and relation extraction from paper titles and abstracts (see ANNOTATION_GUIDE.md in shared/eval)."""

from paperkg.graph.extraction.annotate import annotation
from paperkg.graph.extraction.extractor import Extractor

__all__ = ["Extractor", "annotation"]
