"""Readers of paper sources: files in any registered format (gzip or not) in, validated `PaperInput` out."""

from paperkg.sources.base import Record, Skipped
from paperkg.sources.native import BOILERPLATE, paper_from_mapping, parse_dump
from paperkg.sources.readers import EVERYTHING, Slice, Tally, expand, read_papers, scan, validate
from paperkg.sources.registry import FORMATS, NAMES, SourceFormat, detect

__all__ = ["BOILERPLATE", "EVERYTHING", "FORMATS", "NAMES", "Record", "Skipped", "Slice", "SourceFormat", "Tally",
           "detect", "expand", "paper_from_mapping", "parse_dump", "read_papers", "scan", "validate"]
