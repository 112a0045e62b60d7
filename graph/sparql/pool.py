"""The worker pool behind the SPARQL executor: snapshot processes, started, handed out, retired, reaped.

Workers are started by one long-lived thread (so PR_SET_PDEATHSIG, tied to the starting thread, lasts as long as the
pool) while it holds the knowledge base's snapshot lock (the `snapshot` factory): each sees one version of the RDF
store and is tagged with the data version and the graph generation it was started at.

- An on-disk store is checkpointed (RocksDB hard links, about a millisecond) under the snapshot lock and a fresh
  interpreter is spawned on the checkpoint. Forking a process whose RocksDB threads may hold a mutex at that instant
  left the child waiting on that mutex forever (the kill -9 test's first query after a restart, in about one run
  of four), and a fork also holds the GIL for ~30 ms per GB of the server's memory.
- An in-memory store (no background threads) is forked, the child keeping the parent's copy-on-write snapshot.

After a write, stale workers are SIGKILLed at once and reaped by a background thread, and one fresh worker is started
ahead of time if SPARQL is in use; more are started on demand, up to the pool size.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import shutil
import signal
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from paperkg.core.errors import PaperkgError, QueryTimeout
from paperkg.graph.rdf.disk import checkpoints_dir
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.sparql.process import Worker, fork_in_memory, spawn

log = logging.getLogger("paperkg.sparql")
Snapshot = Callable[[], AbstractContextManager[object]]
PREFORK_WINDOW = 30.0
"""Seconds after the last query during which a fresh worker is started ahead of the next query."""


class WorkerPool:
    """At most `size` workers; `checkout` hands out a fresh idle one, forking if needed, until a deadline."""

    def __init__(self, graph: RDFGraph, snapshot: Snapshot, size: int, memory_limit: int, prefork: bool,
                 prefixes: dict[str, str]) -> None:
        self.graph = graph
        self.workers = max(1, size)
        self.memory_limit = memory_limit
        self.prefork = prefork
        self._snapshot = snapshot
        self._prefixes = prefixes
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._forking = 0
        self._waiting = 0
        self._wanted = 0
        self._closed = False
        self._fork_error: BaseException | None = None
        self._forker: threading.Thread | None = None
        self._reap_lock = threading.Lock()
        self._zombies: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._reaper: threading.Thread | None = None
        self._retiring: list[Worker] = []
        self.last_use = -PREFORK_WINDOW
        self.counters = {"queries": 0, "timeouts": 0, "forks": 0, "retired": 0, "refused": 0}
        self._checkpoints = itertools.count()
        self._spare: tuple[Path, int, int] | None = None
        """(checkpoint, version, generation) put aside by `put_aside_checkpoint`."""
        self._cleaned: set[Path] = set()

    def start(self) -> None:
        with self._cond:
            self.last_use = time.monotonic()
            self._ensure_forker()
            self._cond.notify_all()

    def invalidate(self, version: int | None = None) -> None:
        """Retire workers older than `version` (default: the graph's); returns at once."""
        with self._cond:
            self._wanted = max(self._wanted, self.graph.version if version is None else version)
            self._retire_stale()
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            doomed = [*self._idle, *self._busy, *self._retiring]
            self._idle, self._busy, self._retiring = [], set(), []
            self._cond.notify_all()
        for worker in doomed:
            self.kill(worker)
        self._discard_spare()
        if self._forker is not None:
            self._forker.join(timeout=5)

    def pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in [*self._idle, *self._busy]]

    def stats(self) -> dict[str, Any]:
        with self._cond:
            versions = sorted(w.version for w in [*self._idle, *self._busy])
            return {"workers": len(versions), "busy": len(self._busy), "versions": versions, **self.counters}

    def _current(self) -> int:
        return max(self._wanted, self.graph.version)

    def _stale(self, worker: Worker) -> bool:
        """Forked before the last write (or before the version `invalidate` announced)."""
        return worker.generation != self.graph.generation or worker.version < self._current()

    def checkout(self, deadline: float, limit: float) -> Worker:
        """A fresh idle worker (forked if need be), or QueryTimeout when none is free by the deadline."""
        with self._cond:
            self._ensure_forker()
            self._waiting += 1
            try:
                while True:
                    if self._closed:
                        raise PaperkgError("the SPARQL executor is closed")
                    while self._idle:
                        worker = self._idle.pop()
                        if not self._stale(worker):
                            self._busy.add(worker)
                            return worker
                        self._retiring.append(worker)
                    self._cond.notify_all()
                    if self._fork_error is not None and not self._forking:
                        raise PaperkgError(f"cannot start a SPARQL worker: {self._fork_error}")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise QueryTimeout(f"no SPARQL worker became free within {limit:g} s "
                                           f"({self.workers} run at a time); try again")
                    self._cond.wait(remaining)
            finally:
                self._waiting -= 1

    def checkin(self, worker: Worker) -> None:
        with self._cond:
            self._busy.discard(worker)
            if self._closed or self._stale(worker):
                self._retiring.append(worker)
            else:
                self._idle.append(worker)
            self._cond.notify_all()

    def discard(self, worker: Worker) -> int | None:
        with self._cond:
            self._busy.discard(worker)
            self._cond.notify_all()
        return self.kill(worker)

    def kill(self, worker: Worker, wait: bool = True) -> int | None:
        """SIGKILL a worker and reap it: now (its exit status), or with wait=False in the reaper thread, since
        tearing down a large copy-on-write address space takes tens of ms. Once only: a reaped pid may be reused."""
        with self._reap_lock:
            if worker.reaped:
                return None
            worker.reaped = True
            self.counters["retired"] += 1
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
            for fd in (worker.send, worker.recv):
                with contextlib.suppress(OSError):
                    os.close(fd)
        if not wait:
            self._zombies.put(worker)
            if self._reaper is None or not self._reaper.is_alive():
                self._reaper = threading.Thread(target=self._reaper_loop, name="sparql-reaper", daemon=True)
                self._reaper.start()
            return None
        return self._reap(worker)

    def _reap(self, worker: Worker) -> int | None:
        """Wait for a killed worker (its exit status), then remove its checkpoint."""
        status = None
        with contextlib.suppress(ChildProcessError):
            status = os.waitpid(worker.pid, 0)[1]
        if worker.checkpoint is not None:
            shutil.rmtree(worker.checkpoint, ignore_errors=True)
        return status

    def _reaper_loop(self) -> None:
        while True:
            self._reap(self._zombies.get())

    def _scratch(self, store: Path) -> Path:
        """Where checkpoints of the store at `store` go (beside it: the same file system, so they are hard links);
        on first use, checkpoints left by processes that are gone (killed before they could clean up) are removed."""
        scratch = checkpoints_dir(store)
        if scratch not in self._cleaned:
            self._cleaned.add(scratch)
            for entry in scratch.iterdir() if scratch.is_dir() else ():
                owner = entry.name.split("-", 1)[0]
                if not owner.isdigit() or not Path(f"/proc/{owner}").exists():
                    shutil.rmtree(entry, ignore_errors=True)
        scratch.mkdir(exist_ok=True)
        return scratch

    def _ensure_forker(self) -> None:
        if self._forker is None or not self._forker.is_alive():
            self._forker = threading.Thread(target=self._forker_loop, name="sparql-forker", daemon=True)
            self._forker.start()

    def _should_fork(self) -> bool:
        """Fork when a query waits for a worker or, with prefork, to keep one fresh worker ready while SPARQL is in
        use (a query in the last PREFORK_WINDOW s): os.fork holds the GIL, so forks after writes nobody queries
        would stall the whole process for nothing."""
        fresh = sum(1 for w in self._idle if not self._stale(w))
        if fresh + len(self._busy) + self._forking >= self.workers:
            return False
        if self._waiting > fresh + self._forking:
            return True
        recent = time.monotonic() - self.last_use < PREFORK_WINDOW
        busy_fresh = sum(1 for w in self._busy if not self._stale(w))
        return self.prefork and recent and fresh + busy_fresh + self._forking == 0

    def _retire_stale(self) -> None:
        """Move stale idle workers to the retiring list (call with the condition held)."""
        self._retiring += [w for w in self._idle if self._stale(w)]
        self._idle = [w for w in self._idle if not self._stale(w)]

    def _kill_retiring(self) -> None:
        with self._cond:
            doomed, self._retiring = self._retiring, []
        for worker in doomed:
            self.kill(worker, wait=False)

    def _forker_loop(self) -> None:
        """Fork what is needed, then retire stale workers: killing first would have their teardown (which updates
        the same shared pages) slow the fork down about twofold."""
        while True:
            with self._cond:
                while not self._closed and not self._should_fork() and not self._retiring:
                    self._cond.wait(1.0)
                if self._closed:
                    return
                self._retire_stale()
                fork = self._should_fork()
                if fork:
                    self._forking += 1
            if not fork:
                self._kill_retiring()
                continue
            fresh: Worker | None = None
            try:
                fresh = self._fork()
                self._fork_error = None
            except Exception as error:  # reported to waiting queries; retried after a pause
                log.exception("cannot fork a SPARQL worker")
                self._fork_error = error
            with self._cond:
                self._forking -= 1
                if fresh is not None and not self._closed:
                    self._idle.append(fresh)
                    fresh = None
                self._cond.notify_all()
            if fresh is not None:
                self.kill(fresh)
            self._kill_retiring()
            if self._fork_error is not None:
                time.sleep(0.2)

    def _fork(self) -> Worker:
        """Start a worker on a consistent snapshot: the checkpoint a staged write put aside if it is still current,
        else one taken under the knowledge base's snapshot lock."""
        spare = self._take_spare()
        if spare is not None:
            checkpoint, version, generation = spare
            owned: Path | None = checkpoint
        else:
            with self._snapshot():
                with self._cond:
                    version, generation = self._current(), self.graph.generation
                path = self.graph.path  # read now: a store that cannot be used read-only is rebuilt in memory
                owned = None
                if path is None:
                    worker = fork_in_memory(self.graph.store, self.graph.iris.base, self._prefixes,
                                            self.memory_limit, version, generation)
                    self.counters["forks"] += 1
                    return worker
                if self.graph.read_only:  # a published snapshot: nothing writes it, it is read as it is
                    checkpoint = path
                else:
                    owned = self._checkpoint(path)
                    checkpoint = owned
        try:
            worker = spawn(checkpoint, self.graph.iris.base, self._prefixes, self.memory_limit, version, generation)
        except BaseException:
            if owned is not None:
                shutil.rmtree(owned, ignore_errors=True)
            raise
        worker.checkpoint = owned
        self.counters["forks"] += 1
        return worker

    def _checkpoint(self, store: Path) -> Path:
        target = self._scratch(store) / f"{os.getpid()}-{next(self._checkpoints)}"
        try:
            return self.graph.checkpoint(target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)  # nothing half made is left behind
            raise

    # -- a checkpoint put aside for writes staged into the store ------------------------------------------------------

    def put_aside_checkpoint(self, large: bool = False) -> None:
        """Called before a write is staged into the on-disk store ahead of announcing its version (meanwhile the
        caller keeps snapshots from being taken: a worker started then would wait for the whole write): if SPARQL is
        in use, or the write is `large` (its staging is long), a checkpoint of the store as it is now is put aside,
        and a worker started meanwhile runs on it."""
        path = self.graph.path
        if path is None or self.graph.read_only or not self.prefork or self._closed:
            return
        with self._cond:
            wanted = large or time.monotonic() - self.last_use < PREFORK_WINDOW or self._waiting > 0
            current = (self._current(), self.graph.generation)
            kept = self._spare is not None and self._spare[1:] == current
        if wanted and not kept:
            self._discard_spare()
            try:
                checkpoint = self._checkpoint(path)
            except (OSError, RuntimeError) as error:  # a full disk: workers then wait for the write, which goes on
                log.warning("no checkpoint of the RDF store for SPARQL workers during this write: %s", error)
                return
            with self._cond:
                self._spare = (checkpoint, *current)
                self._cond.notify_all()

    def _take_spare(self) -> tuple[Path, int, int] | None:
        """The checkpoint put aside, if no write was announced since it was taken (it is then the caller's)."""
        with self._cond:
            spare, self._spare = self._spare, None
            if spare is not None and spare[1:] == (self._current(), self.graph.generation):
                return spare
        if spare is not None:
            shutil.rmtree(spare[0], ignore_errors=True)
        return None

    def _discard_spare(self) -> None:
        with self._cond:
            spare, self._spare = self._spare, None
        if spare is not None:
            shutil.rmtree(spare[0], ignore_errors=True)
