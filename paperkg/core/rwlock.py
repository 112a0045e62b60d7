"""A phase-fair readers-writer lock: searches run together, a write waits for them and then runs alone; when a
write ends, the readers already waiting go before the next write.

Without that last rule a writer that takes the lock again at once (a write staged in several short holds) keeps
every reader out until it is done: the holds add up to one long wait.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class RWLock:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self._waiting_readers = 0
        self._admitted = 0
        """Readers let in ahead of waiting writers: those that were waiting when the last write ended."""

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._waiting_readers += 1
            try:
                while self._writer or (self._waiting_writers and not self._admitted):
                    self._cond.wait()
            finally:  # interrupted or not, this reader no longer holds writers back
                self._waiting_readers -= 1
                if self._admitted:
                    self._admitted -= 1
                    self._cond.notify_all()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers or self._admitted:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._admitted = self._waiting_readers
                self._cond.notify_all()
