"""Replicas, and the writer's publisher of the snapshots they serve (`paperkg.kb.snapshots`).

A replica serves the latest published snapshot of a writer's knowledge base read-only and follows newer ones.
It polls the snapshots directory's CURRENT file; when it names a newer generation, the replica opens it beside the
one it serves (sharing the loaded model), warms it up, hands it to the server (`on_switch`), and closes the old one
after a grace period, so requests under way finish on the version they started on. Nothing is written: the
snapshot's SQLite file is opened immutable and its RDF store read-only, so several replicas (and machines sharing or
syncing the directory) can serve one snapshot at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from paperkg.core.errors import InvalidInput
from paperkg.core.settings import Settings
from paperkg.kb.base import KnowledgeBase
from paperkg.kb.snapshots import Snapshot, current, read_snapshot, snapshots_root

log = logging.getLogger("paperkg")


def first_snapshot(source: Path, poll: float) -> Snapshot:
    """The latest snapshot published under `source`, waiting (polling) until a writer has published one. Called in
    the serving command's main thread, before the server starts: there Ctrl-C and SIGTERM stop the wait (inside the
    server's start-up nothing would)."""
    root = snapshots_root(source)
    while (path := current(root)) is None:
        log.warning("waiting for the writer to publish a snapshot in %s", root)
        time.sleep(poll)
    return read_snapshot(path)


class Replica:
    """The knowledge base of the latest snapshot under `settings.replica`, switched when a newer one is published."""

    def __init__(self, settings: Settings, source: Path) -> None:
        self.settings = settings
        self.root = snapshots_root(source)
        self.kb: KnowledgeBase | None = None
        self.snapshot: Snapshot | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._retired: list[tuple[float, KnowledgeBase]] = []

    def wait_for_first(self) -> KnowledgeBase:
        """Open the latest snapshot, waiting (polling) until the writer has published one."""
        while self.kb is None:
            if not self.switch_if_newer():
                if self._stop.is_set():
                    raise InvalidInput(f"no snapshot published in {self.root}")
                log.warning("waiting for the writer to publish a snapshot in %s", self.root)
                self._stop.wait(self.settings.replica_poll)
        return self.kb

    def follow(self, on_switch: Callable[[KnowledgeBase], None]) -> None:
        """Poll on a thread; each newer snapshot is opened and passed to `on_switch`."""
        def loop() -> None:
            while not self._stop.wait(self.settings.replica_poll):
                try:
                    if self.switch_if_newer():
                        assert self.kb is not None
                        on_switch(self.kb)
                except Exception:
                    log.exception("could not switch to a newer snapshot in %s (still serving %s)", self.root,
                                  self.snapshot.describe() if self.snapshot else "nothing")
                self._close_retired(time.monotonic())

        self._thread = threading.Thread(target=loop, name="paperkg-replica", daemon=True)
        self._thread.start()

    def switch_if_newer(self) -> bool:
        """Open the snapshot CURRENT names if it is newer than the one served; True if it switched."""
        path = current(self.root)
        if path is None:
            return False
        snapshot = read_snapshot(path)
        if self.snapshot is not None and snapshot.generation <= self.snapshot.generation:
            return False
        kb = self._open(snapshot)
        old, self.kb, self.snapshot = self.kb, kb, snapshot
        if old is not None:
            self._retired.append((time.monotonic() + self.settings.replica_grace, old))
        log.warning("replica serving %s from %s", snapshot.describe(), snapshot.path)
        return True

    def _open(self, snapshot: Snapshot) -> KnowledgeBase:
        # the writer's model cache (DATA/models) unless one is configured: the snapshot directory is read-only
        settings = self.settings.model_copy(update={
            "data": snapshot.path, "model_cache": self.settings.model_cache or self.root.parent / "models"})
        kb = KnowledgeBase.open(settings, read_only=True)
        try:
            stored = kb.store.meta("model")
            if stored is not None and stored != kb.model_id:
                raise InvalidInput(f"{snapshot.path} was embedded with {stored}, this replica would embed queries "
                                   f"with {kb.model_id}: give it the writer's PAPERKG_MODEL and encoder settings")
            if self.kb is not None:
                self.kb.share_encoder_with(kb)
            kb.warm_up()
        except BaseException:
            kb.close()
            raise
        return kb

    def _close_retired(self, now: float, everything: bool = False) -> None:
        keep = []
        for due, kb in self._retired:
            if everything or due <= now:
                kb.close()
            else:
                keep.append((due, kb))
        self._retired = keep

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._close_retired(time.monotonic(), everything=True)
        if self.kb is not None:
            self.kb.close()
            self.kb = None


class Publisher:
    """Publishes a new snapshot every `interval` seconds when the data version moved, and once more at stop."""

    def __init__(self, kb: KnowledgeBase, interval: float, keep: int, retain: float) -> None:
        self.kb = kb
        self.interval = interval
        self.keep = keep
        self.retain = retain
        self.published: Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="paperkg-publisher", daemon=True)

    def start(self) -> Publisher:
        self._thread.start()
        return self

    def publish_if_changed(self) -> Snapshot | None:
        if self.published is None or self.published.version != self.kb.store.version:
            try:
                self.published = self.kb.publish(self.keep, self.retain)
            except Exception:
                log.exception("could not publish a snapshot (will try again)")
        return self.published

    def _loop(self) -> None:
        self.publish_if_changed()
        while not self._stop.wait(self.interval):
            self.publish_if_changed()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.publish_if_changed()
