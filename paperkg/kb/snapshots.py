"""Published snapshots: read-only copies of a knowledge base that replica servers serve while the writer goes on.

DATA/snapshots/ holds one directory per published generation (00000001, 00000002, ...) and a file CURRENT naming
the latest. A generation is a data directory of its own, consistent at one data version: the SQLite store (a copy
by SQLite's backup API, in rollback-journal mode, so that it opens immutable with no lock and no side file), the
index files (hard links to the writer's, which are replaced by rename and never changed in place), a checkpoint of
the RDF store (hard links where it can) with its state file, the manifest, and `snapshot.json`. It is written
under a temporary name and renamed into place, then CURRENT is replaced atomically, so a reader on this machine or
on another one that syncs or shares the directory sees a whole generation or none. Older generations are removed
once they are beyond the newest `keep` and were superseded more than `retain` seconds ago (longer than a replica's
poll interval plus its grace period; README, "Scaling").
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Protocol

from paperkg.core.files import fsync_dir, fsync_tree, write_atomic
from paperkg.kb.manifest import Manifest
from paperkg.store import Store

log = logging.getLogger("paperkg")
SNAPSHOTS_DIR = "snapshots"
CURRENT = "CURRENT"
SNAPSHOT_FILE = "snapshot.json"


@dataclass(frozen=True)
class Snapshot:
    """One published generation."""

    generation: int
    version: int
    """The data version of the store it copies."""
    papers: int
    published_at: float
    path: Path

    def describe(self) -> str:
        return f"snapshot {self.generation} (data version {self.version}, {self.papers:,} papers)"


def is_snapshot(data: Path) -> bool:
    """Whether a data directory is a published snapshot (opened read-only, immutable, RDF on disk)."""
    return (data / SNAPSHOT_FILE).is_file()


def snapshots_root(path: Path) -> Path:
    """The snapshots directory of `path`: `path` itself if it holds CURRENT or generations, else path/snapshots."""
    return path if (path / CURRENT).exists() or path.name == SNAPSHOTS_DIR else path / SNAPSHOTS_DIR


def read_snapshot(path: Path) -> Snapshot:
    data = json.loads((path / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    return Snapshot(int(data["generation"]), int(data["version"]), int(data["papers"]), float(data["published_at"]),
                    path)


def current(root: Path) -> Path | None:
    """The directory of the latest published generation under `root`, or None if nothing is published yet."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if name.isdigit() and is_snapshot(path) else None


class DerivedFiles(Protocol):
    def copy_files(self, target: Path) -> None:
        """Put the index files and the RDF store of the current version into `target`."""


def publish(data: Path, store: Store, derived: DerivedFiles, manifest: Manifest, keep: int = 3,
            retain: float = 600.0) -> Snapshot:
    """Publish the knowledge base in `data` at its current version (the caller holds its write mutex: no write runs
    meanwhile; searches go on). Returns the latest snapshot unchanged if it already holds this version."""
    root = data / SNAPSHOTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    version = store.version
    latest = current(root)
    if latest is not None and read_snapshot(latest).version == version:
        return read_snapshot(latest)
    for leftover in root.glob("*.tmp"):  # a publish interrupted by a crash
        shutil.rmtree(leftover, ignore_errors=True)
    generation = max((int(p.name) for p in root.iterdir() if p.name.isdigit()), default=0) + 1
    name = f"{generation:08d}"
    building = root / f"{name}.tmp"
    building.mkdir()
    try:
        store.backup(building / store.path.name)
        derived.copy_files(building)
        manifest.write(building)
        snapshot = Snapshot(generation, version, store.count_papers(), time.time(), root / name)
        info = {k: v for k, v in asdict(snapshot).items() if k != "path"}
        write_atomic(building / SNAPSHOT_FILE, (json.dumps(info, indent=1) + "\n").encode())
        fsync_tree(building)
        building.rename(root / name)
        fsync_dir(root)
        write_atomic(root / CURRENT, f"{name}\n".encode())
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    prune(root, keep, retain)
    log.info("published %s in %s", snapshot.describe(), snapshot.path)
    return snapshot


def prune(root: Path, keep: int, retain: float = 600.0) -> None:
    """Remove generations beyond the newest `keep` that were superseded more than `retain` seconds ago (a replica
    may still serve one until its poll and grace period are over)."""
    generations = sorted((p for p in root.iterdir() if p.name.isdigit() and p.is_dir()), key=lambda p: int(p.name))
    now = time.time()
    for path, successor in list(pairwise(generations))[:-max(keep, 1) + 1 or None]:
        try:
            superseded = read_snapshot(successor).published_at
        except (OSError, ValueError, KeyError):
            continue
        if now - superseded > retain:
            shutil.rmtree(path, ignore_errors=True)
