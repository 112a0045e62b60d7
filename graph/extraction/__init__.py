"""Entity and relation extraction from paper titles and abstracts (see ANNOTATION_GUIDE.md in shared/eval)."""

from graph.extraction.annotate import annotation
from graph.extraction.extractor import Extractor

__all__ = ["Extractor", "annotation"]
