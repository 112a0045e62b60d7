"""Micro-batching of query encodes: queries that arrive together share one model call.

Under concurrent load every request used to run its own one-query forward pass, each wanting both cores; one worker
thread that takes whatever queries are waiting and encodes them as a batch does the same work in fewer, fuller passes.
A lone query arriving while the model is idle is encoded on the caller's own thread: handing it to the worker
and waking the caller again cost about 1.5 ms, half of a one-query forward pass with the fast backends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

EncodeMany = Callable[[list[str]], np.ndarray]


class MicroBatcher:
    """Encodes submitted texts on one worker thread, up to `max_batch` of those waiting per model call."""

    def __init__(self, encode_many: EncodeMany, max_batch: int = 16) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._encode_many = encode_many
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy = threading.Lock()  # held while a model call runs, inline or on the worker
        self._worker: threading.Thread | None = None

    def encode(self, text: str) -> np.ndarray:
        """The vector of `text`: at once on this thread when the model is idle, else in a batch with whatever other
        texts are waiting."""
        if self._queue.empty() and self._busy.acquire(blocking=False):  # queued texts go first
            try:
                return np.asarray(self._encode_many([text])[0])
            finally:
                self._busy.release()
        return self.submit(text).result()

    def idle(self) -> bool:
        """True when no model call runs: `encode` would answer on the caller's thread without waiting."""
        return not self._busy.locked() and self._queue.empty()

    def submit(self, text: str) -> Future[np.ndarray]:
        """The future vector of `text`: callers may wait without holding a thread (asyncio.wrap_future)."""
        future: Future[np.ndarray] = Future()
        self._ensure_worker()
        self._queue.put((text, future))
        return future

    def close(self) -> None:
        """Stop the worker after the texts already submitted."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(None)  # the stop mark
            worker.join()

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="paperkg-query-encoder", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            with self._busy:  # taken before collecting, so what queues up behind an inline call joins this batch
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                self._serve(batch)
            if stop:
                return

    def _serve(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        try:
            vectors = self._encode_many([text for text, _ in batch])
        except BaseException as error:  # the callers re-raise it; the worker lives on
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)
