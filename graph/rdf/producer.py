"""Export chunks made on a thread of their own, for pyoxigraph iterators that must stay on the thread that made them.

pyoxigraph's quad iterators are "unsendable": used from another thread than the one that created them, pyo3 panics
and the whole process aborts. A streamed HTTP response is read a chunk at a time from whichever worker thread is
free, so an export iterator made in the request's thread would bring the server down under concurrent requests.
Here one thread makes the iterator (taking the snapshot while the caller still holds its lock) and runs the whole
serialisation, handing chunks over a small queue to whatever thread reads them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

DEPTH = 4
"""Chunks made ahead of the reader."""
_POLL = 0.5


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


class Produced:
    """The chunks a producer thread makes; reading it from any thread is safe. Closing it (or dropping it) stops the
    producer."""

    def __init__(self, items: queue.Queue[object], stop: threading.Event) -> None:
        self._items = items
        self._stop = stop
        self._ended = False

    def __iter__(self) -> Produced:
        return self

    def __next__(self) -> bytes:
        if self._ended or self._stop.is_set():  # closed: the producer puts nothing more
            raise StopIteration
        item = self._items.get()
        if item is _END:
            self._ended = True
            raise StopIteration
        if isinstance(item, _Failed):
            self._ended = True
            raise item.error
        assert isinstance(item, bytes)
        return item

    def close(self) -> None:
        self._stop.set()

    def __del__(self) -> None:
        self._stop.set()


def produced(start: Callable[[], Iterator[bytes]], name: str = "paperkg-export") -> Produced:
    """Run `start()` and iterate what it returns on a new thread; return once `start` has returned (an Oxigraph
    iterator takes its snapshot when it is made, so the caller's lock can go then), raising what it raised."""
    items: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
    stop, ready, resumed = threading.Event(), threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            chunks = start()
        except BaseException as error:  # handed to the caller
            failure.append(error)
            return
        finally:
            ready.set()
        resumed.wait()  # serialising holds the GIL: let the caller (and its lock) go first
        try:
            for chunk in chunks:
                if not put(chunk):
                    break
            else:
                put(_END)
        except BaseException as error:  # handed to the reader
            put(_Failed(error))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # a generator's cleanup runs here, on its own thread

    threading.Thread(target=run, name=name, daemon=True).start()
    ready.wait()
    resumed.set()
    if failure:
        raise failure[0]
    return Produced(items, stop)
