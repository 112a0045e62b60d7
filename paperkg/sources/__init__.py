"""Readers of paper sources: files in, validated `PaperInput` records out."""

from paperkg.sources.readers import BOILERPLATE, expand, parse_dump, read_papers, validate

__all__ = ["BOILERPLATE", "expand", "parse_dump", "read_papers", "validate"]
