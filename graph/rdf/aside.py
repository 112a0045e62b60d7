"""RDF exports while a write is staged into the on-disk RDF store: from a checkpoint put aside before it.

An RDF export's snapshot is an Oxigraph iterator over the store, so one taken while a write is staged would hold part
of an uncommitted write; exports then had to wait for the write's RDF staging and commit (0.5 s for 1,000 papers).
While exports are in use, a writer puts a RocksDB checkpoint of the store aside before it changes it (hard links:
milliseconds), and an export that comes meanwhile streams from that checkpoint, which is the committed version until
the write commits. The checkpoint goes when the write is done and the last export reading it has finished.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paperkg.graph.rdf.disk import checkpoints_dir
from paperkg.graph.rdf.producer import produced
from paperkg.graph.rdf.serialize import stream
from paperkg.graph.rdf.store import RDFGraph

log = logging.getLogger(__name__)

WINDOW = 30.0
"""Seconds after an RDF export within which writes put a checkpoint aside for the next ones."""


@dataclass
class _Checkpoint:
    path: Path
    readers: int = 0
    done: bool = False
    """No export starts on it any more (its write committed or was undone)."""
    removed: bool = False


class ExportAside:
    """The checkpoint a staged write put aside, handed to RDF exports until the write is done."""

    def __init__(self, graph: RDFGraph, window: float = WINDOW) -> None:
        self.graph = graph
        self.window = window
        self.last_use = -window
        """`time.monotonic()` of the last RDF export."""
        self._current: _Checkpoint | None = None
        self._alive: set[Path] = set()
        self._serial = itertools.count()
        self._lock = threading.Lock()

    def put_aside(self, large: bool = False) -> None:
        """Before a write is staged into the on-disk store (exports meanwhile take their snapshot here): a checkpoint
        of the store as committed, if RDF exports are in use or the write is `large` (its staging is long)."""
        path = self.graph.path
        if path is None or self.graph.read_only or not (large or time.monotonic() - self.last_use < self.window):
            return
        scratch = checkpoints_dir(path)  # the SPARQL pool removes those of processes that are gone
        target = scratch / f"{os.getpid()}-export-{next(self._serial)}"
        try:
            scratch.mkdir(exist_ok=True)
            self.graph.checkpoint(target)
        except (OSError, RuntimeError) as error:  # a full disk: exports then wait for the write, which goes on
            log.warning("no checkpoint of the RDF store for exports during this write: %s", error)
            shutil.rmtree(target, ignore_errors=True)
            return
        with self._lock:
            self._current = _Checkpoint(target)
            self._alive.add(target)

    def done(self) -> None:
        """The staged write committed or was undone: no export starts on its checkpoint any more."""
        with self._lock:
            checkpoint, self._current = self._current, None
            if checkpoint is not None:
                checkpoint.done = True
        if checkpoint is not None:
            self._remove_if_unused(checkpoint)

    def export(self, fmt: str) -> Iterator[bytes] | None:
        """The chunks of an RDF export from the checkpoint put aside (its snapshot is taken now), or None if there is
        none."""
        with self._lock:
            checkpoint = self._current
            if checkpoint is None:
                return None
            checkpoint.readers += 1
        return produced(lambda: self._chunks(checkpoint, fmt))  # the chunks release the checkpoint when done

    def _chunks(self, checkpoint: _Checkpoint, fmt: str) -> Iterator[bytes]:
        """Run on the producer's thread: pyoxigraph's iterators stay on the thread that made them."""
        try:
            store = ox.Store.read_only(str(checkpoint.path))
            quads = store.quads_for_pattern(None, None, None, None)
            yield from stream(quads, fmt, self.graph.iris.prefixes())
            del store, quads  # RocksDB closes with its last reference, before the directory goes
        finally:
            self._release(checkpoint)

    def _release(self, checkpoint: _Checkpoint) -> None:
        with self._lock:
            checkpoint.readers -= 1
        self._remove_if_unused(checkpoint)

    def _remove_if_unused(self, checkpoint: _Checkpoint) -> None:
        with self._lock:
            unused = checkpoint.done and checkpoint.readers == 0 and not checkpoint.removed
            if unused:
                checkpoint.removed = True
                self._alive.discard(checkpoint.path)
        if unused:
            shutil.rmtree(checkpoint.path, ignore_errors=True)

    def close(self) -> None:
        """Remove every checkpoint (at shutdown; an export still streaming from one ends with an error)."""
        with self._lock:
            alive, self._alive, self._current = list(self._alive), set(), None
        for path in alive:
            shutil.rmtree(path, ignore_errors=True)
