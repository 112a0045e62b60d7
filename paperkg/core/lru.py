"""A small thread-safe least-recently-used cache (query vectors, search results)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """Holds up to `size` values; size 0 disables it. Values should be immutable: they are shared."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[K], V]) -> V:
        found = self.get(key)
        return found if found is not None else self.put(key, compute(key))

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: K, value: V) -> V:
        """Store `value` (prepared) and return it."""
        value = self.prepare(value)
        if self.size > 0:
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def prepare(self, value: V) -> V:
        """Hook for subclasses: make a computed value safe to share."""
        return value

    def __len__(self) -> int:
        return len(self._items)
