"""Entity lookup by name or alias, with typo tolerance ("llama 2 70b" and "lamma2-70b" find LLaMA2-70B)."""

from __future__ import annotations

import difflib
import re
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from paperkg.core.ids import alias_norm
from paperkg.core.protocols import RecordSource


@dataclass(frozen=True)
class EntityMatch:
    entity_id: str
    score: float
    alias: str


EXACT_ALIAS = 0.98
"""The score of a query that is exactly an alias (exactly the name: 1.0); prefix and fuzzy matches score below it."""
_PLAIN = re.compile(r"[^0-9a-z\u00c0-\uffff]+")


def _trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def _forms(text: str) -> list[str]:
    """The matching key (vendor, device words dropped) and the plain one: "NVIDIA A100 GPU" -> a100, nvidiaa100gpu."""
    plain = _PLAIN.sub("", text.lower())
    return list(dict.fromkeys(f for f in (alias_norm(text), plain) if f))


class _Postings:
    """The normalised aliases holding one trigram: a list (8 bytes an entry; a set took about 27) with the removed
    ones set aside until they are a quarter of it. The index adds an alias only while absent and removes it only
    while present (when it enters and leaves `_by_norm`)."""

    __slots__ = ("_live", "_removed")

    def __init__(self) -> None:
        self._live: list[str] = []
        self._removed: set[str] | None = None

    def add(self, norm: str) -> None:
        if self._removed is not None and norm in self._removed:
            self._removed.discard(norm)  # still in the list
        else:
            self._live.append(norm)

    def discard(self, norm: str) -> None:
        if self._removed is None:
            self._removed = set()
        self._removed.add(norm)
        if len(self._removed) > max(32, len(self._live) // 4):
            removed = self._removed
            self._live, self._removed = [n for n in self._live if n not in removed], None

    def __iter__(self) -> Iterator[str]:
        removed = self._removed
        return iter(self._live) if not removed else (n for n in self._live if n not in removed)


class EntityIndex:
    """Normalised aliases -> entity ids, plus a trigram index for fuzzy matches.

    A rebuild may run on another thread (`building()` first): until it is done, lookups and syncs wait for it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._ready.set()
        self._reset()

    @property
    def ready(self) -> bool:
        """False while a rebuild announced by `building()` runs."""
        return self._ready.is_set()

    def building(self) -> None:
        """Announce a rebuild about to run on another thread: lookups and syncs wait for it from now on."""
        self._ready.clear()

    def done(self) -> None:
        """End a rebuild announced by `building()`, also one that failed (the lookup then answers from what it has)."""
        self._ready.set()

    def _wait(self) -> None:
        if not self._ready.is_set():
            self._ready.wait()

    def _reset(self) -> None:
        self._by_norm: dict[str, str | set[str]] = {}
        """Entities of each normalised alias: one entity id (the usual case) or a set of them."""
        self._norms_of: dict[str, tuple[str, ...]] = {}
        """Each entity's normalised aliases, each followed by the alias it was first seen as: (norm, alias, ...)."""
        self._grams: dict[str, _Postings] = defaultdict(_Postings)
        self._types: dict[str, str] = {}
        self._name_of: dict[str, str] = {}

    def rebuild(self, store: RecordSource) -> None:
        """Build from the store (ending a rebuild announced by `building()`, also when this fails)."""
        try:
            self._reset()
            for entity in store.entities():
                self._types[entity.id] = sys.intern(entity.type)
                self._add(entity.id, entity.name)
                self._name_of[entity.id] = self._own_norm(entity.id, alias_norm(entity.name))
            for entity_id, alias in store.aliases():
                self._add(entity_id, alias)
        finally:
            self.done()

    def sync(self, store: RecordSource, entity_ids: Iterable[str]) -> None:
        """Reload the given entities (dropping those the store no longer has); two bulk reads, whose cost grows
        with the entities and their distinct aliases, not with the papers naming them."""
        self._wait()
        wanted = sorted(set(entity_ids))
        stored = store.entities_by_id(wanted)
        aliases = store.aliases_of(sorted(stored))
        for entity_id in wanted:
            self._drop(entity_id)
            entity = stored.get(entity_id)
            if entity:
                self._types[entity_id] = sys.intern(entity.type)
                for alias in [entity.name, *aliases[entity_id]]:
                    self._add(entity_id, alias)
                self._name_of[entity_id] = self._own_norm(entity_id, alias_norm(entity.name))

    def _add(self, entity_id: str, alias: str) -> None:
        for norm in _forms(alias):
            self._add_norm(entity_id, alias, norm)

    def _own_norm(self, entity_id: str, norm: str) -> str:
        """The entity's stored copy of `norm` if it has one (one string object instead of two)."""
        return next((own for own in self._norms_of.get(entity_id, ())[::2] if own == norm), norm)

    def _alias(self, entity_id: str, norm: str) -> str:
        pairs = self._norms_of[entity_id]
        return next(pairs[i + 1] for i in range(0, len(pairs), 2) if pairs[i] == norm)

    def _ids(self, norm: str) -> Iterable[str]:
        ids = self._by_norm.get(norm)
        return () if ids is None else (ids,) if isinstance(ids, str) else ids

    def _add_norm(self, entity_id: str, alias: str, norm: str) -> None:
        ids = self._by_norm.get(norm)
        if ids is None:
            for gram in _trigrams(norm):
                self._grams[gram].add(norm)
            self._by_norm[norm] = entity_id
        elif isinstance(ids, str):
            if ids != entity_id:
                self._by_norm[norm] = {ids, entity_id}
        else:
            ids.add(entity_id)
        pairs = self._norms_of.get(entity_id, ())
        if norm not in pairs[::2]:
            self._norms_of[entity_id] = (*pairs, norm, alias)

    def _drop(self, entity_id: str) -> None:
        for norm in self._norms_of.pop(entity_id, ())[::2]:
            ids = self._by_norm.get(norm)
            if ids is not None:
                if isinstance(ids, str):
                    ids = set() if ids == entity_id else None
                else:
                    ids.discard(entity_id)
                if ids is not None and not ids:
                    del self._by_norm[norm]
                    for gram in _trigrams(norm):
                        self._grams[gram].discard(norm)
        self._types.pop(entity_id, None)
        self._name_of.pop(entity_id, None)

    def type_of(self, entity_id: str) -> str | None:
        self._wait()
        return self._types.get(entity_id)

    def lookup(self, query: str, entity_type: str | None = None, limit: int = 10,
               popularity: Callable[[str], int] | None = None) -> list[EntityMatch]:
        """Best matches first: exact alias, then prefix, then fuzzy (trigram candidates, edit similarity)."""
        self._wait()
        forms = _forms(query)
        if not forms:
            return []
        scored: dict[str, EntityMatch] = {}

        def offer(candidate: str, score: float) -> None:
            for entity_id in self._ids(candidate):
                if entity_type and self._types.get(entity_id) != entity_type:
                    continue
                if entity_id not in scored or scored[entity_id].score < score:
                    scored[entity_id] = EntityMatch(entity_id, round(score, 4), self._alias(entity_id, candidate))

        for form in forms:
            offer(form, 1.0)
        for entity_id, match in list(scored.items()):
            if match.score == 1.0 and self._name_of.get(entity_id) != forms[0]:
                scored[entity_id] = EntityMatch(entity_id, EXACT_ALIAS, match.alias)  # a name beats an alias
        for form in forms:
            counts: dict[str, int] = defaultdict(int)
            for gram in _trigrams(form):
                for candidate in self._grams.get(gram, ()):
                    counts[candidate] += 1
            for candidate in sorted(counts, key=lambda c: (-counts[c], c))[:200]:  # ties by name: order-independent
                if candidate in forms:
                    continue
                if candidate.startswith(form) and len(form) >= 3:
                    offer(candidate, 0.85 + 0.1 * len(form) / len(candidate))
                    continue
                ratio = difflib.SequenceMatcher(None, form, candidate).ratio()
                if ratio >= 0.75:
                    offer(candidate, 0.9 * ratio)
        pop = popularity or (lambda _: 0)
        return sorted(scored.values(), key=lambda m: (-m.score, -pop(m.entity_id), m.entity_id))[:limit]
