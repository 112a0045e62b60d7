"""The store's schema: its version, the upgrades from older ones, and the check that this release can serve a
store (before a server starts, so that the reason is one line)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from paperkg.core.errors import CorruptData

SCHEMA_VERSION = 4
MIGRATIONS = {1: "paper_ids and paper_meta tables (created empty: stored papers keep resolving by their id)",
              2: "paper_records table (created empty: a re-run applies each record once more, then skips it)",
              3: "applied_records table (created empty: records applied before the upgrade are not known)"}
"""What each schema upgrade adds; the tables are created by schema.sql, so an upgrade only records the version."""
SCHEMA = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")


def version_error(path: Path, found: int, snapshot: bool) -> str:
    if snapshot:  # never written: the writer that publishes it must be of this release
        advice = "; publish a new snapshot with a writer of this paperkg release"
    elif found in MIGRATIONS:
        advice = "; open it writable once (`paperkg ingest`, `paperkg serve`) to upgrade it"
    else:
        advice = ""
    return f"{path}: schema version {found}, this paperkg reads {SCHEMA_VERSION}{advice}"


def check_schema(path: Path, snapshot: bool = False) -> None:
    """CorruptData (one line) unless this release can serve the store at `path`: its schema, or an older one it
    upgrades when it opens it writable (a snapshot is never upgraded). A missing or new store passes."""
    if not path.exists():
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise CorruptData(f"{path}: cannot open the store: {error}") from error
    found = int(row[0]) if row else SCHEMA_VERSION
    if found != SCHEMA_VERSION and (snapshot or found > SCHEMA_VERSION or
                                    not all(v in MIGRATIONS for v in range(found, SCHEMA_VERSION))):
        raise CorruptData(version_error(path, found, snapshot))
