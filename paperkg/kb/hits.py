"""What a search shows of its hits, read from the store once per data version.

A search shows its top papers' titles and best passages and counts its ranked papers' years (the year facet); the
same papers come back in query after query, and reading them again (one SQLite read of title, abstract and year per
ranked paper, one of passage spans per shown paper) cost about a tenth of a search. Entries are dropped whenever the
store's data version moves, so what a search shows is always what the store holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperkg.store import Store


@dataclass(frozen=True)
class HitText:
    """A shown paper's title, abstract, year and passage spans (offsets into the abstract, in passage order)."""

    title: str
    abstract: str
    year: int | None
    spans: list[tuple[int, int]]

    def passage(self, ordinal: int) -> str:
        """The passage of that ordinal (the whole abstract when the paper has no such passage)."""
        start, end = self.spans[ordinal] if ordinal < len(self.spans) else (0, len(self.abstract))
        return self.abstract[start:end]


class HitTexts:
    """Shown papers' `HitText` and ranked papers' years, kept for one data version and up to `limit` papers each
    (emptied when full). Readers may share it: a reader that finds another version starts new dicts, and one still
    filling the old ones keeps its own."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._version = -1
        self._texts: dict[str, HitText] = {}
        self._years: dict[str, int | None] = {}

    def read(self, store: Store, shown: Sequence[str], ranked: Sequence[str]) -> tuple[dict[str, HitText],
                                                                                      dict[str, int]]:
        """The texts of the `shown` papers the store holds, and the years of the `ranked` papers that have one."""
        version = store.version
        if version != self._version or len(self._texts) > self.limit or len(self._years) > self.limit:
            self._texts, self._years, self._version = {}, {}, version
        texts, years = self._texts, self._years
        missing = [pid for pid in shown if pid not in texts]
        if missing:
            heads = store.paper_texts(missing)
            spans = store.passage_spans_of(list(heads))
            for pid, head in heads.items():
                texts[pid] = HitText(head.title, head.abstract, head.year, spans.get(pid, []))
        unknown = [pid for pid in ranked if pid not in texts and pid not in years]
        if unknown:
            found = store.years_of(unknown)
            years.update((pid, found.get(pid)) for pid in unknown)
        shown_texts = {pid: texts[pid] for pid in shown if pid in texts}
        ranked_years = {pid: year for pid in ranked
                        if (year := texts[pid].year if pid in texts else years.get(pid)) is not None}
        return shown_texts, ranked_years
