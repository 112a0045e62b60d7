"""paperkg: a knowledge graph and semantic search over scientific paper abstracts."""

__version__ = "0.1.0"
