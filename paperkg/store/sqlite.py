"""SQLite store of record: papers, entities, aliases, mentions, relations with evidence, passage vectors."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from paperkg.core.errors import CorruptData
from paperkg.core.files import storage_error
from paperkg.core.records import EntityInfo, IngestRun, PaperInput, PaperMatch, RecordPlan
from paperkg.store import identity, matching
from paperkg.store.reads import StoreReads
from paperkg.store.schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, version_error
from paperkg.store.writes import PaperWrite, WriteOutcome, collect_orphans, content_status, write_paper

log = logging.getLogger(__name__)

CHECKPOINT_ROWS = 2_000
"""Rows changed between WAL checkpoints: about SQLite's default of 1,000 pages for paperkg's rows."""


class Store(StoreReads):
    """One SQLite database. Writes go through one connection; each reading thread has its own."""

    def __init__(self, path: Path, read_only: bool = False, immutable: bool = False) -> None:
        self.path = path
        self.read_only = read_only or immutable
        self.immutable = immutable
        """A published snapshot that never changes: opened without locks (safe on shared or synced disks)."""
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_mutex = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._checkpointed_at = 0
        if not self.read_only:
            try:
                self._writer = self._connect()
                self._writer.executescript(SCHEMA)
                if self.meta("schema_version") is None:
                    with self._writer:
                        self._set_meta(self._writer, "schema_version", str(SCHEMA_VERSION))
                        self._set_meta(self._writer, "version", "0")
                self._migrate()
            except sqlite3.DatabaseError as error:  # "file is not a database" too
                raise CorruptData(f"{path}: cannot open the store: {error}") from error
        try:
            found = self.meta("schema_version")
        except sqlite3.DatabaseError as error:
            raise CorruptData(f"{path}: cannot open the store: {error}") from error
        if found is not None and int(found) != SCHEMA_VERSION:
            raise CorruptData(version_error(path, int(found), immutable))

    def _migrate(self) -> None:
        """Upgrade an older store in place (schema.sql has already created any new tables)."""
        found = int(self.meta("schema_version") or SCHEMA_VERSION)
        if found < SCHEMA_VERSION and all(v in MIGRATIONS for v in range(found, SCHEMA_VERSION)):
            with self._write() as conn:
                self._set_meta(conn, "schema_version", str(SCHEMA_VERSION))
                if found < 4:  # the papers written so far may hold records applied_records never saw
                    self._set_meta(conn, matching.RECORDS_KEPT_SINCE, str(self.version))

    @property
    def files(self) -> tuple[Path, ...]:
        """The database and the files SQLite keeps beside it. Only SQLite may open them: closing any descriptor
        of them drops all of this process's locks on them (see `paperkg.core.files.scan_for_pickles`)."""
        return (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm", "-journal")))

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            uri = f"file:{self.path}?mode=ro" + ("&immutable=1" if self.immutable else "")
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            # checkpoints run from `_checkpoint_if_due`, after a pending write's block: not inside its commit
            conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @property
    def _db(self) -> sqlite3.Connection:
        pending: sqlite3.Connection | None = getattr(self._local, "pending", None)
        if pending is not None:  # this thread holds a write open: it reads what it wrote
            return pending
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            with self._readers_mutex:
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close every connection, the readers of all threads included: a connection left open past the end of
        the store could later checkpoint the WAL behind another process's back."""
        with self._readers_mutex:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self._local = threading.local()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at `target` (SQLite's backup API), in rollback-journal mode so that
        readers can open it read-only, even immutable, with no -wal or -shm beside it."""
        source = self._writer or self._db
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            copy.commit()
        finally:
            copy.close()

    # -- meta ---------------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            self._set_meta(conn, key, value)

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                     (key, value, value))

    @property
    def version(self) -> int:
        return int(self.meta("version") or 0)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Inside the block, this thread's reads see one committed version (one read transaction), whatever other
        connections commit meanwhile."""
        conn = self._db
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.rollback()

    # -- writes -------------------------------------------------------------------------------------

    def _write(self) -> Any:
        if self._writer is None:
            raise CorruptData("the store is open read-only")
        if getattr(self._local, "pending", None) is not None:
            return contextlib.nullcontext(self._writer)  # part of the pending transaction
        return _Transaction(self._writer, self._checkpoint_if_due)

    @contextlib.contextmanager
    def pending(self) -> Iterator[Pending]:
        """One write transaction held open across the block: `write` and `delete` inside it join it, reads of this
        thread see it, every other connection (threads, processes) keeps reading the committed data until the
        block calls `commit()`; a block left without it rolls back. (In WAL mode readers never wait for it.)"""
        if self._writer is None:
            raise CorruptData("the store is open read-only")
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _sqlite_error(error) from error
        self._local.pending = conn
        handle = Pending(self)
        try:
            yield handle
        except sqlite3.OperationalError as error:
            raise _sqlite_error(error) from error
        finally:
            self._local.pending = None
            if not handle.committed:
                conn.rollback()
        self._checkpoint_if_due()

    def _checkpoint_if_due(self) -> None:
        """Copy the WAL back into the database once writes since the last copy changed `CHECKPOINT_ROWS` rows.
        SQLite's own automatic checkpoint would run inside `commit()`, where a knowledge base holds its write lock
        (about 20 ms of a 1,000-paper write's hold); passive, so readers never wait for it."""
        writer = self._writer
        if writer is None or writer.total_changes - self._checkpointed_at < CHECKPOINT_ROWS:
            return
        self._checkpointed_at = writer.total_changes
        try:
            writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError as error:  # the commit is durable in the WAL; the next one retries
            log.warning("could not checkpoint the store's WAL: %s", error)

    def _commit_pending(self) -> None:
        self._local.pending = None
        if self._writer is not None:
            try:
                self._writer.commit()
            except sqlite3.OperationalError as error:
                self._writer.rollback()
                raise _sqlite_error(error) from error

    def existing(self, paper: PaperInput, pid: str) -> PaperMatch | None:
        """The stored paper this record updates (`matching.existing`)."""
        return matching.existing(self._db, paper, pid)

    def plan(self, records: Sequence[tuple[PaperInput, str]], run: IngestRun | None = None) -> list[RecordPlan]:
        """What `write` of these (record, id) pairs in this order does to each (`matching.plan`; `run`: an ingest
        of files, which skips what it applied before): worked out on the stored papers in a transaction that is
        rolled back."""
        with self.pending():  # never committed
            return matching.plan(self._db, records, self.version + 1, run)

    def resolve(self, text: str) -> str | None:
        """The id of the paper any of its ids names (paper id, DOI or arXiv id in any spelling, OpenAlex, Semantic
        Scholar, own id, citation key), else None."""
        return identity.resolve(self._db, text)

    def papers_in(self, since: int | None, until: int | None, category: str | None) -> set[str]:
        """Ids of the papers of these years (inclusive) and category ('cs' takes 'cs.LG')."""
        return identity.papers_in(self._db, since, until, category)

    def years_of(self, ids: Sequence[str]) -> dict[str, int]:
        return identity.years_of(self._db, list(ids))

    def write(self, batch: Sequence[PaperWrite], entities: dict[str, EntityInfo],
              rewrite: bool = False) -> tuple[int, list[WriteOutcome]]:
        """Store a batch in one transaction, in order; returns the data version (new only if something changed)
        and what happened to each write. A paper already stored exactly as given is left untouched, unless `rewrite`
        (a new extractor read it again). Writes without `content` are "superseded"; a paper's status says what the
        batch did to it as a whole (created by the batch, its content replaced, or updated)."""
        outcomes: list[WriteOutcome] = []
        with self._write() as conn:
            current = int(conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0])
            before: dict[str, tuple[str, str] | None] = {}
            for item in batch:
                if item.id not in before:
                    row = conn.execute("SELECT content_hash, abstract FROM papers WHERE id = ?", (item.id,)).fetchone()
                    before[item.id] = (row[0], row[1]) if row else None
                outcomes.append(write_paper(conn, item, current + 1, entities, rewrite))
            changed = {o.id for o in outcomes if o.status != "unchanged"}
            if rewrite or changed:
                current += 1
                self._set_meta(conn, "version", str(current))
        return current, [WriteOutcome(o.id, o.title, _status(item, before[o.id], o.id in changed))
                         for item, o in zip(batch, outcomes, strict=True)]

    def delete(self, paper_id: str) -> int | None:
        """Remove a paper and what only it supported; the new data version, or None if it was not stored."""
        with self._write() as conn:
            touched = [r[0] for r in conn.execute("SELECT DISTINCT entity_id FROM mentions WHERE paper_id = ?",
                                                  (paper_id,))]
            if conn.execute("DELETE FROM papers WHERE id = ?", (paper_id,)).rowcount == 0:
                return None
            collect_orphans(conn, touched)
            version = int(conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0]) + 1
            self._set_meta(conn, "version", str(version))
        return version


def _status(item: PaperWrite, before: tuple[str, str] | None, changed: bool) -> str:
    """What a batch's writes did to `item`'s paper, as `WriteOutcome.status` says (`before`: its content hash and
    abstract before the batch)."""
    if not item.content:
        return "superseded"
    if before is not None and not changed:
        return "unchanged"
    return content_status(before, item.content_hash, item.paper.abstract)


class Pending:
    """The handle of `Store.pending`: `commit()` makes the block's writes durable and visible to every reader."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.committed = False

    def commit(self) -> None:
        self._store._commit_pending()
        self.committed = True


class _Transaction:
    """`with` block: BEGIN IMMEDIATE ... COMMIT, rolled back on any error; OS errors become domain errors. After a
    commit it calls `committed` (the store's checkpoint)."""

    def __init__(self, conn: sqlite3.Connection, committed: Callable[[], None]) -> None:
        self.conn = conn
        self._committed = committed

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _sqlite_error(error) from error
        return self.conn

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        if kind is not None:
            self.conn.rollback()
            if isinstance(value, sqlite3.OperationalError):
                raise _sqlite_error(value) from value
            return
        try:
            self.conn.commit()
        except sqlite3.OperationalError as error:
            self.conn.rollback()
            raise _sqlite_error(error) from error
        self._committed()


def _sqlite_error(error: sqlite3.OperationalError) -> Exception:
    message = str(error)
    if "full" in message:
        return storage_error(OSError(28, "No space left on device"), "the store")
    if "readonly" in message or "read-only" in message:
        return storage_error(OSError(30, "Read-only file system"), "the store")
    return error
