"""The store of record: one SQLite database in the data directory."""

from paperkg.store.matching import interim_write
from paperkg.store.schema import SCHEMA_VERSION, check_schema
from paperkg.store.sqlite import Store
from paperkg.store.writes import PaperWrite, WriteOutcome

__all__ = ["SCHEMA_VERSION", "PaperWrite", "Store", "WriteOutcome", "check_schema", "interim_write"]
