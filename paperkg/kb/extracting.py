"""Extraction of large batches in worker processes.

Extraction is CPU-bound Python: on the writing thread it holds the GIL for much of a large write, and on one core it
reads about 220 abstracts/s, which would cap an ingest on a machine whose cores embed faster than that. A worker
process has a GIL and a core of its own. Small batches stay on the writing thread, where they cost less than a
worker's start (1-3 s, once).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from paperkg.core.errors import InvalidParameter
from paperkg.core.records import Extraction, PaperInput
from paperkg.graph.extraction import Extractor, seeded_extractor

log = logging.getLogger("paperkg")


@dataclass(frozen=True)
class ExtractionParams:
    """When and how a batch is extracted in worker processes."""

    processes: int = 1
    """Worker processes (Settings.extract_processes); 0 extracts every batch on the writing thread."""
    min_papers: int = 200
    """Batches smaller than this extract on the writing thread: 200 papers take about 1 s there."""
    chunk_papers: int = 50
    """Papers per task sent to a worker."""
    cpus_per_worker: int = 8
    """CPUs per worker when the number is not configured. Embedding runs about 21 abstracts/s per core and
    extraction about 220 on one, so on many cores the writing thread's extraction would cap an ingest. On 2 cores
    a worker gained nothing with the real model (bench/writer_stalls.py: writes 0.98x, longest reader stall 73 ms
    against 35 ms), so there extraction stays on the writing thread."""

    def __post_init__(self) -> None:
        if self.processes < 0 or min(self.min_papers, self.chunk_papers, self.cpus_per_worker) < 1:
            raise InvalidParameter("processes must be >= 0, min_papers, chunk_papers and cpus_per_worker >= 1")

    @classmethod
    def configured(cls, processes: int | None) -> ExtractionParams:
        """The defaults with `processes` workers (Settings.extract_processes), or, when None, one per
        `cpus_per_worker` CPUs this process may use (none on fewer)."""
        defaults = cls()
        if processes is None:
            processes = len(os.sched_getaffinity(0)) // defaults.cpus_per_worker
        return replace(defaults, processes=processes)


class ExtractionPool:
    """Extracts a batch on the calling thread or, when it is large, in worker processes started on first use.

    Workers build the same extractor from the same seeds; a worker that reports another extractor version, or a pool
    that breaks, leaves the batch to the calling thread, so a write never fails for want of a worker."""

    def __init__(self, extractor: Extractor, seeds: Path, params: ExtractionParams) -> None:
        """`seeds`: where `extractor`'s vocabulary and scorer came from (workers load them from there)."""
        self.extractor = extractor
        self.params = params
        self._seeds = str(seeds)
        self._pool: ProcessPoolExecutor | None = None
        self._mutex = threading.Lock()
        self._closed = False

    def extract(self, papers: Sequence[PaperInput]) -> list[Extraction]:
        if self.params.processes == 0 or len(papers) < self.params.min_papers:
            return self._here(papers)
        try:
            return self._in_workers(papers)
        except (BrokenProcessPool, OSError, _VersionMismatch) as error:
            log.warning("extraction workers failed (%s): extracting %d papers on this thread", error, len(papers))
            # a worker that read other seeds would read them again: no more workers for this knowledge base
            self._discard(stop=isinstance(error, _VersionMismatch))
            return self._here(papers)

    @property
    def started(self) -> bool:
        return self._pool is not None

    def close(self) -> None:
        with self._mutex:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _here(self, papers: Sequence[PaperInput]) -> list[Extraction]:
        return [self.extractor.extract(paper.title, paper.abstract) for paper in papers]

    def _in_workers(self, papers: Sequence[PaperInput]) -> list[Extraction]:
        pool = self._started()
        if pool is None:
            return self._here(papers)
        size = self.params.chunk_papers
        chunks = [[(p.title, p.abstract) for p in papers[start:start + size]] for start in range(0, len(papers), size)]
        extractions: list[Extraction] = []
        for version, chunk in pool.map(_extract_chunk, chunks):
            if version != self.extractor.version:
                raise _VersionMismatch(f"a worker runs extractor {version}, this process {self.extractor.version}")
            extractions += chunk
        return extractions

    def _started(self) -> ProcessPoolExecutor | None:
        with self._mutex:
            if self._pool is None and not self._closed:
                # spawn: the server has threads (FAISS, RocksDB, uvicorn) that a fork would copy mid-work
                self._pool = ProcessPoolExecutor(self.params.processes, multiprocessing.get_context("spawn"),
                                                 initializer=_load,
                                                 initargs=(self._seeds, self.extractor.min_confidence))
            return self._pool

    def _discard(self, stop: bool) -> None:
        with self._mutex:
            self._closed = self._closed or stop
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


NICENESS = 5
"""Workers yield a busy CPU to the server's threads: a reader, or a thread holding the GIL for a garbage-collection
pass, that waits for a CPU makes every reader wait."""


class _VersionMismatch(RuntimeError):
    pass


_worker: list[Extractor] = []
"""The extractor of this worker process (set by `_load`)."""


def _load(seeds: str, min_confidence: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it shuts the pool down
    os.nice(NICENESS)
    _worker.append(seeded_extractor(Path(seeds), min_confidence))


def _extract_chunk(texts: list[tuple[str, str]]) -> tuple[str, list[Extraction]]:
    extractor = _worker[0]
    return extractor.version, [extractor.extract(title, abstract) for title, abstract in texts]
