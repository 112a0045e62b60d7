"""The store's bulk reads of one write, done before the write lock and served again from memory under it.

A staged write (`KnowledgeBase._commit`) reads what the networkx graph, the entity lookup and the keyword index will
need (the changed papers, their mentions and relations, the entities they name now and named before, and those
entities' aliases) through the store's pending transaction, so that the write lock covers only in-memory changes.
Any other read, or the same read with other arguments, goes to the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from paperkg.core.records import Paper, PaperHead, RelationHead, StoredEntity, StoredMention, StoredRelation
from paperkg.embeddings.keyword import PreparedKeywords, TokenizedDoc
from paperkg.store import Store


class Prefetched:
    """A `RecordSource` over `store` that answers one write's bulk reads from memory."""

    def __init__(self, store: Store, changed: Sequence[str], linked_before: Iterable[str]) -> None:
        self._store = store
        self._changed = list(changed)
        self._papers = store.papers(self._changed)
        self._ids = [p.id for p in self._papers]
        self._mentions = store.mentions_of(self._ids)
        self._relations = store.relations_of(self._ids)
        asked = set(linked_before)
        asked.update(m.entity_id for rows in self._mentions.values() for m in rows)
        asked.update(e for rows in self._relations.values() for r in rows for e in (r.subject, r.object))
        self._asked = asked
        self._entities = store.entities_by_id(sorted(asked))
        self._aliases = store.aliases_of(sorted(self._entities))
        self.keyword_tokens: dict[str, TokenizedDoc] | None = None
        """The changed papers' keyword tokens, when the writer tokenized them before the lock too."""
        self.keywords: PreparedKeywords | None = None
        """The keyword index as the write leaves it, when the writer built it before the lock."""

    # -- served from memory when asked as prefetched ---------------------------------------------------------

    def papers(self, ids: Sequence[str] | None = None, limit: int = -1, offset: int = 0) -> list[Paper]:
        if ids is not None and list(ids) == self._changed and (limit, offset) == (-1, 0):
            return list(self._papers)
        return self._store.papers(ids, limit, offset)

    def mentions_of(self, paper_ids: Sequence[str]) -> dict[str, list[StoredMention]]:
        return dict(self._mentions) if list(paper_ids) == self._ids else self._store.mentions_of(paper_ids)

    def relations_of(self, paper_ids: Sequence[str]) -> dict[str, list[StoredRelation]]:
        return dict(self._relations) if list(paper_ids) == self._ids else self._store.relations_of(paper_ids)

    def entities_by_id(self, ids: Sequence[str]) -> dict[str, StoredEntity]:
        wanted = set(ids)
        if wanted <= self._asked:
            return {k: v for k, v in self._entities.items() if k in wanted}
        return self._store.entities_by_id(ids)

    def aliases_of(self, entity_ids: Sequence[str]) -> dict[str, list[str]]:
        if set(entity_ids) <= self._aliases.keys():
            return {e: list(self._aliases[e]) for e in entity_ids}
        return self._store.aliases_of(entity_ids)

    # -- everything else reads the store ----------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self._store.version

    def paper(self, paper_id: str) -> Paper | None:
        return self._store.paper(paper_id)

    def iter_papers(self) -> Iterator[Paper]:
        return self._store.iter_papers()

    def paper_heads(self) -> Iterator[PaperHead]:
        return self._store.paper_heads()

    def relation_heads(self) -> Iterator[RelationHead]:
        return self._store.relation_heads()

    def mention_pairs(self) -> Iterator[tuple[str, str]]:
        return self._store.mention_pairs()

    def entity(self, entity_id: str) -> StoredEntity | None:
        return self._store.entity(entity_id)

    def entities(self, entity_type: str | None = None) -> list[StoredEntity]:
        return self._store.entities(entity_type)

    def aliases(self) -> Iterator[tuple[str, str]]:
        return self._store.aliases()

    def entity_aliases(self, entity_id: str) -> list[str]:
        return self._store.entity_aliases(entity_id)

    def mentions(self, paper_id: str | None = None) -> list[StoredMention]:
        return self._store.mentions(paper_id)

    def relations(self, paper_id: str | None = None) -> list[StoredRelation]:
        return self._store.relations(paper_id)


class LazyRevs(Mapping[str, int]):
    """Every paper's revision, read from the store on first use (start-up rarely needs them)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._revs: dict[str, int] | None = None
        self._count: int | None = None

    def count(self) -> int:
        """How many papers the store holds (counted once, without reading the revisions)."""
        if self._count is None:
            self._count = len(self._revs) if self._revs is not None else self._store.count_papers()
        return self._count

    def _all(self) -> dict[str, int]:
        if self._revs is None:
            self._revs = self._store.paper_revs()
        return self._revs

    def __getitem__(self, paper_id: str) -> int:
        return self._all()[paper_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
