"""paperkg: a knowledge graph and semantic search over scientific paper abstracts."""

__version__ = "0.2.0"
"""The one place the version is set: packaging metadata, `paperkg --version` and `/health` read it."""
