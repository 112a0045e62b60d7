"""Papers linked to entities, as a read-only collection of paper ids held as their graph nodes.

`KnowledgeGraph.linked_papers` builds one from the adjacency dicts' own keys with set operations that run in C (no
Python step per edge, no new strings), which is what keeps the first search naming a popular entity cheap.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

PAPER_PREFIX = "paper/"


class LinkedPapers(Collection[str]):
    """Paper ids, held as the set of their graph nodes ("paper/<id>")."""

    __slots__ = ("_nodes",)

    def __init__(self, nodes: frozenset[str]) -> None:
        self._nodes = nodes

    def __contains__(self, paper_id: object) -> bool:
        return isinstance(paper_id, str) and PAPER_PREFIX + paper_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[str]:
        cut = len(PAPER_PREFIX)
        return (node[cut:] for node in self._nodes)
