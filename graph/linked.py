"""Papers linked to entities, as a read-only collection of paper ids held as their graph nodes.

`KnowledgeGraph.linked_papers` builds one from the adjacency dicts' own keys with set operations that run in C (no
Python step per edge, no new strings), which is what keeps the first search naming a popular entity cheap.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator

PAPER_PREFIX = "paper/"
HEAD = 256
"""Ids taken in order by a partial selection before the whole set is sorted (on iterating past them)."""


class LinkedPapers(Collection[str]):
    """Paper ids, held as the set of their graph nodes ("paper/<id>"). Iteration is in id order (sorted once, on
    first use): a search that takes the first of a popular entity's papers as candidates takes the same ones in
    every process, whatever the hash seed."""

    __slots__ = ("_head", "_nodes", "_ordered")

    def __init__(self, nodes: frozenset[str]) -> None:
        self._nodes = nodes
        self._head: tuple[str, ...] | None = None
        self._ordered: tuple[str, ...] | None = None

    def wraps(self, nodes: frozenset[str]) -> bool:
        """Whether this holds exactly that set object (a cached set, not a copy)."""
        return self._nodes is nodes

    def __contains__(self, paper_id: object) -> bool:
        return isinstance(paper_id, str) and PAPER_PREFIX + paper_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[str]:
        if self._ordered is not None:
            return iter(self._ordered)
        return self._first_then_all()

    def _first_then_all(self) -> Iterator[str]:
        """The first `HEAD` ids without sorting the rest: a search takes about 100 of a popular entity's papers, and
        sorting all 340,000 of one at a million papers took 170 ms of the first such search after each write."""
        cut = len(PAPER_PREFIX)
        if self._head is None:
            self._head = tuple(node[cut:] for node in heapq.nsmallest(HEAD, self._nodes))
        head = self._head
        yield from head
        if len(head) < len(self._nodes):
            if self._ordered is None:
                self._ordered = tuple(node[cut:] for node in sorted(self._nodes))
            yield from self._ordered[len(head):]


SetCache = dict[tuple[object, ...], frozenset[str]]
"""The graph's cached node sets, keyed by what they were computed from ("citing", "any", "linked", ...)."""
LinkedCache = dict[frozenset[str], LinkedPapers]


def untouched(cache: SetCache, linked: LinkedCache, touched: set[str]) -> tuple[SetCache, int, LinkedCache]:
    """What a write leaves valid of the graph's cached node sets (and their member count): those computed over
    entities none of which it touched; sets over node types or attribute values go (a paper came or went). At a
    million papers, recomputing a popular entity's papers after every write cost a search 100 ms."""
    kept = {key: found for key, found in cache.items()
            if (entities := _entities(key)) is not None and entities.isdisjoint(touched)}
    return kept, sum(map(len, kept.values())), {n: w for n, w in linked.items() if n.isdisjoint(touched)}


def _entities(key: tuple[object, ...]) -> frozenset[str] | None:
    """The entities a cached set was computed over; None for a set that depends on more than entities."""
    if key[0] == "citing":
        return frozenset([str(key[1])])
    if key[0] in ("any", "linked", "by-predicate") and isinstance(key[1], frozenset):
        return key[1]
    return None
