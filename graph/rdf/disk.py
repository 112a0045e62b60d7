"""The state file of an on-disk RDF store: which data version it reflects, and whether a write was under way.

DATA/rdf/ is an Oxigraph (RocksDB) store derived from the SQLite store of record; DATA/rdf.json says what it holds.
Before the RDF store is changed the file is marked dirty, after the change it names the new data version, each time
written atomically (fsync, rename). At start-up a clean store that is behind is caught up from the store of record;
a dirty, missing or unreadable one, or one made for another base IRI, extractor or vocabulary, is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pyoxigraph import Quad

from paperkg.core.files import fsync_dir, write_atomic

FORMAT = "paperkg-rdf/1"


@dataclass(frozen=True)
class DiskState:
    """What an on-disk RDF store was made from and holds."""

    base: str
    extractor: str
    static: str
    """SHA-256 of the ontology and vocabulary quads it was built with."""
    version: int = -1
    dirty: bool = True
    triples: int = 0
    papers: int = 0
    format: str = FORMAT

    def same_origin(self, other: DiskState) -> bool:
        return (self.format, self.base, self.extractor, self.static) == \
            (other.format, other.base, other.extractor, other.static)

    def marked(self, dirty: bool, version: int, triples: int, papers: int) -> DiskState:
        return replace(self, dirty=dirty, version=version, triples=triples, papers=papers)


def static_digest(quads: list[Quad]) -> str:
    digest = hashlib.sha256()
    for line in sorted(str(q) for q in quads):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def checkpoints_dir(store_dir: Path) -> Path:
    """Where checkpoints of the on-disk store go, for SPARQL workers and exports during writes: beside it, on the same
    file system, so they are hard links. Each is named after the process that made it, `PID-...`."""
    return store_dir.with_name(store_dir.name + ".workers")


def state_path(store_dir: Path) -> Path:
    return store_dir.with_name(store_dir.name + ".json")


def read_state(store_dir: Path) -> DiskState | None:
    """The recorded state, or None when it is missing or unreadable (so the store is rebuilt)."""
    try:
        data = json.loads(state_path(store_dir).read_text(encoding="utf-8"))
        return DiskState(str(data["base"]), str(data["extractor"]), str(data["static"]), int(data["version"]),
                         bool(data["dirty"]), int(data["triples"]), int(data["papers"]), str(data["format"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(store_dir: Path, state: DiskState) -> None:
    write_atomic(state_path(store_dir), (json.dumps(asdict(state), indent=1) + "\n").encode())


def state_problem(state: DiskState | None, expected: DiskState, store_version: int) -> str | None:
    """Why the recorded store cannot be opened and caught up as it is (None: it can)."""
    if state is None:
        return "no state file"
    if not state.same_origin(expected):
        return "made from another mapping"
    if state.dirty:
        return "left mid-write"
    if state.version > store_version:
        return "ahead of the store"
    return None


def replace_dir(built: Path, target: Path) -> None:
    """Move the closed store directory `built` to `target`, replacing what was there (renames, then fsync)."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    built.rename(target)
    fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)
