"""The store of record: one SQLite database in the data directory."""

from paperkg.store.sqlite import SCHEMA_VERSION, Store, check_schema
from paperkg.store.writes import PaperWrite, WriteOutcome

__all__ = ["SCHEMA_VERSION", "PaperWrite", "Store", "WriteOutcome", "check_schema"]
