"""Keyword index: BM25 over each paper's title and abstract, with PyStemmer English stemming and bm25s's stopwords.

The BM25 weights are bm25s's Lucene variant (a test checks them against bm25s itself), computed per query term from
term counts kept a write at a time (`embeddings.bm25_field`): no write rebuilds the index (4.2 s at a million
papers), and the scores are those of a fresh build.
"""

from __future__ import annotations

import io
import json
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from paperkg.core.errors import CorruptData
from paperkg.embeddings.bm25_field import DEFAULT_SEGMENTS, Field, SegmentParams
from paperkg.embeddings.generations import load_generation, save_generation
from paperkg.embeddings.keyword_topk import DEFAULT_PRUNING, Column, PruningParams, QueryScores, ranked

FORMAT = "paperkg-keyword/3"
"""2: adds each paper's title length, for the title field. 3: term counts of both fields instead of weights."""
STEM_CACHE_LIMIT = 1_000_000
TITLE_CACHE_LIMIT = 200_000
"""Papers whose title text (`title_text`) is kept; the cache is emptied when full."""
_WORD = re.compile(r"(?u)\b\w\w+\b")
"""bm25s's default splitter: words of two or more characters."""
_ACRONYM_PLURAL = re.compile(r"(?u)\b([A-Z][\w]*[A-Z0-9])s\b")
"""'LLMs', 'GPUs', 'FPGAs', 'ViTs': Snowball keeps the 's' after a capital or vowel, so it is dropped beforehand."""


@dataclass(frozen=True)
class TokenizedDoc:
    """A document's stems by field, ready for `KeywordIndex.add_tokens`; `title` is None for a text without one."""

    title: tuple[str, ...] | None
    body: tuple[str, ...]


def keyword_text(title: str, abstract: str) -> str:
    """The text a paper is indexed under: the title on the first line (the title field), then the abstract."""
    return f"{' '.join(title.split())}\n{abstract}"


@dataclass(frozen=True)
class KeywordScores:
    """BM25 scores of one query against every indexed paper (a snapshot: later writes do not change it)."""

    scores: np.ndarray
    papers: list[str]
    position: dict[str, int]

    def of(self, paper_id: str) -> float:
        """The score of one paper (0.0 when it is not indexed or shares no term with the query)."""
        index = self.position.get(paper_id, -1)
        return float(self.scores[index]) if 0 <= index < len(self.scores) else 0.0

    def of_many(self, paper_ids: list[str]) -> np.ndarray:
        return np.array([self.of(p) for p in paper_ids], dtype=np.float64)

    def top(self, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The k best papers with a positive score, best first (ties by paper id)."""
        return ranked(self.scores, k, allowed, self.papers, self.position)


@dataclass(frozen=True)
class PreparedKeywords:
    """What `KeywordIndex.prepare` made for a write, which `adopt` puts in place under the write lock: the new
    documents' token ids and title lengths, the papers the write drops or replaces, both fields as the write leaves
    them, and the renumbered paper order when the write also dropped the dead positions (None: appended)."""

    docs: dict[str, np.ndarray]
    titles: dict[str, int]
    removed: tuple[str, ...]
    whole: Field
    title: Field
    papers: list[str] | None


class KeywordIndex:
    """BM25 over stemmed, stopword-free tokens, kept current a write at a time (`embeddings.bm25_field`): a write
    costs what its own papers cost, and the weights of a query's terms are computed when it asks, then kept until
    the next write.

    Not synchronised for writes: the caller holds a read-write lock; concurrent queries are fine.
    """

    def __init__(self, *, k1: float = 1.5, b: float = 0.75, pruning: PruningParams = DEFAULT_PRUNING,
                 segments: SegmentParams = DEFAULT_SEGMENTS) -> None:
        self.k1 = k1
        self.b = b
        self.pruning = pruning
        self.segments = segments
        self._stemmer = Stemmer.Stemmer("english")
        self._stopwords = frozenset(STOPWORDS_EN)
        self._stems: dict[str, str] = {}
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._docs: dict[str, np.ndarray] = {}
        """Token ids of each live paper, in position order."""
        self._title_lengths: dict[str, int] = {}
        """Tokens of each paper's title: its document starts with them (the title field)."""
        self._papers: list[str] = []
        """The paper at each position, dead ones included (a write appends; dropping the dead renumbers)."""
        self._position: dict[str, int] = {}
        self._whole = Field.empty(k1, b)
        self._title = Field.empty(k1, b)
        self._columns: dict[tuple[bool, int], Column] = {}
        """Weights of the terms queries asked for since the last write, by (title field?, term)."""
        self._cached = 0
        self._title_texts: dict[str, str] = {}
        """`title_text` of the papers searches asked about (a write drops its papers' entries)."""
        self._lock = threading.Lock()

    # -- tokens --------------------------------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[str]:
        """Lower-cased words of two or more characters, stopwords dropped, Snowball-stemmed (acronym plurals too)."""
        words = [w for w in _WORD.findall(_ACRONYM_PLURAL.sub(r"\1", text).lower()) if w not in self._stopwords]
        unknown = [w for w in dict.fromkeys(words) if w not in self._stems]
        if not unknown:
            return [self._stems[w] for w in words]
        with self._lock:  # PyStemmer objects are not thread-safe
            stems = dict(zip(unknown, self._stemmer.stemWords(unknown), strict=True))
        if len(self._stems) < STEM_CACHE_LIMIT:  # queries bring arbitrary words: the cache must stay bounded
            self._stems.update(stems)
        return [self._stems.get(w) or stems[w] for w in words]

    def tokenize_docs(self, docs: dict[str, str]) -> dict[str, TokenizedDoc]:
        """Each document's stems, title (its first line) and the rest: the costly part of `add`, which a writer does
        before it takes the write lock (the stemmer is locked, the stem cache only grows)."""
        found: dict[str, TokenizedDoc] = {}
        for pid, text in docs.items():
            title, newline, abstract = text.partition("\n")
            found[pid] = TokenizedDoc(tuple(self.tokenize(title)), tuple(self.tokenize(abstract))) if newline \
                else TokenizedDoc(None, tuple(self.tokenize(title)))
        return found

    def _doc_ids(self, stems: Iterable[str]) -> np.ndarray:
        ids = []
        for stem in stems:
            if stem not in self._vocab:
                self._vocab[stem] = len(self._vocab)
                self._terms.append(stem)
            ids.append(self._vocab[stem])
        return np.asarray(ids, dtype=np.int32)

    def _query_ids(self, text: str) -> list[int]:
        return [i for i in (self._vocab.get(stem) for stem in self.tokenize(text)) if i is not None]

    # -- writes --------------------------------------------------------------------------------------------------------

    def build(self, docs: dict[str, str]) -> None:
        """Replace the whole index with `docs` (paper id -> title and abstract text)."""
        with self._lock:
            self._vocab, self._terms, self._docs, self._title_lengths = {}, [], {}, {}
            self._papers, self._position = [], {}
            self._whole, self._title = Field.empty(self.k1, self.b), Field.empty(self.k1, self.b)
            self._columns, self._cached, self._title_texts = {}, 0, {}
        self.add(docs)

    def add(self, docs: dict[str, str]) -> None:
        """Index papers, replacing earlier text of the same ids."""
        self.add_tokens(self.tokenize_docs(docs))

    def add_tokens(self, docs: dict[str, TokenizedDoc]) -> None:
        """Index papers already tokenized (`tokenize_docs`), replacing earlier text of the same ids."""
        if docs:
            self.adopt(self.prepare(docs, ()))

    def remove(self, paper_ids: Iterable[str]) -> int:
        gone = [p for p in dict.fromkeys(paper_ids) if p in self._docs]
        if gone:
            self.adopt(self.prepare({}, gone))
        return len(gone)

    def prepare(self, tokens: dict[str, TokenizedDoc], removed: Iterable[str]) -> PreparedKeywords:
        """The index as a write leaves it (`removed` dropped, then the papers of `tokens` added or replaced), made
        without changing what searches see: before the write lock, put in place under it by `adopt`. Only the
        vocabulary changes here: new words get ids, which no field has postings for yet."""
        docs: dict[str, np.ndarray] = {}
        titles: dict[str, int] = {}
        for pid, doc in tokens.items():
            pid = sys.intern(pid)  # the graph and the dense index hold the same string
            head = self._doc_ids(doc.title) if doc.title is not None else np.zeros(0, np.int32)
            docs[pid] = np.concatenate([head, self._doc_ids(doc.body)])
            titles[pid] = len(head)
        gone = tuple(p for p in dict.fromkeys([*removed, *docs]) if p in self._docs)
        vocabulary = len(self._vocab)
        if self._whole.dead + len(gone) >= max(self.segments.compact_min,
                                               self.segments.compact_dead * (self._whole.positions + len(docs))):
            dropped = set(gone)
            papers = [p for p in self._docs if p not in dropped] + list(docs)
            everything = [docs[p] if p in docs else self._docs[p] for p in papers]
            heads = [titles[p] if p in docs else self._title_lengths[p] for p in papers]
            title_docs = [d[:h] for d, h in zip(everything, heads, strict=True)]
            return PreparedKeywords(docs, titles, gone, Field.of(everything, vocabulary, self.k1, self.b),
                                    Field.of(title_docs, vocabulary, self.k1, self.b), papers)
        dead = {self._position[p]: self._docs[p] for p in gone}
        dead_titles = {self._position[p]: self._docs[p][: self._title_lengths[p]] for p in gone}
        new = list(docs.values())
        whole = self._whole.changed(new, dead, vocabulary, self.segments)
        title = self._title.changed([d[: titles[p]] for p, d in docs.items()], dead_titles, vocabulary,
                                    self.segments)
        return PreparedKeywords(docs, titles, gone, whole, title, None)

    def adopt(self, prepared: PreparedKeywords) -> None:
        """Put a prepared write in place (the caller holds the write lock; no write came between)."""
        with self._lock:
            for pid in prepared.removed:
                del self._docs[pid], self._title_lengths[pid], self._position[pid]
            for pid in (*prepared.removed, *prepared.docs):
                self._title_texts.pop(pid, None)
            self._docs.update(prepared.docs)
            self._title_lengths.update(prepared.titles)
            if prepared.papers is not None:
                self._papers = prepared.papers
                self._position = dict(zip(prepared.papers, range(len(prepared.papers)), strict=True))
            else:
                self._position.update(zip(prepared.docs, range(len(self._papers), len(self._papers) + len(
                    prepared.docs)), strict=True))
                self._papers.extend(prepared.docs)
            self._whole, self._title = prepared.whole, prepared.title
            self._columns, self._cached = {}, 0

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._docs

    def paper_ids(self) -> list[str]:
        return list(self._docs)

    # -- search --------------------------------------------------------------------------------------------------------

    def score(self, query: str) -> QueryScores:
        """BM25 scores of a text query, computed for the papers asked about and for the top k."""
        return self._query_scores(self._query_ids(query))

    def score_titles(self, query: str) -> QueryScores:
        """BM25 scores of a text query against the title field alone."""
        return self._query_scores(self._query_ids(query), titles=True)

    def score_all(self, query: str) -> KeywordScores:
        """BM25 scores of a text query against every paper, every posting of its terms read (as before pruning)."""
        return self._score_ids(self._query_ids(query))

    def _query_scores(self, token_ids: list[int], titles: bool = False) -> QueryScores:
        with self._lock:
            field = self._title if titles else self._whole
            columns, papers, position = self._columns, self._papers, self._position
        # a term repeated in the query counts once per occurrence, as in bm25s; saturating it instead measured worse
        # for whole abstracts as queries (they repeat their topic words)
        terms, counts = np.unique(np.asarray(token_ids, dtype=np.int64), return_counts=True)
        found = [self._column(columns, field, titles, term) for term in terms.tolist()]
        return QueryScores(found, counts, papers, position, field.positions, self.pruning)

    def _column(self, columns: dict[tuple[bool, int], Column], field: Field, titles: bool, term: int) -> Column:
        """A term's weights, from the cache of the version `columns` belongs to, or computed and cached."""
        found = columns.get((titles, term))
        if found is None:
            found = Column(*field.column(term))
            with self._lock:
                if columns is self._columns:  # no write came meanwhile
                    if self._cached > self.pruning.cached_postings:
                        self._columns = columns = {}
                        self._cached = 0
                    columns[(titles, term)] = found
                    self._cached += len(found.rows) + CACHE_ENTRY_POSTINGS
        return found

    def forget_weights(self) -> None:
        """Drop the cached weights of queried terms (benchmarks measure queries without them)."""
        with self._lock:
            self._columns, self._cached = {}, 0

    def title_terms(self, paper_id: str) -> list[str]:
        """The stemmed words of a paper's title, in order (empty if the paper is not indexed)."""
        doc = self._docs.get(paper_id)
        if doc is None:
            return []
        return [self._terms[i] for i in doc[: self._title_lengths.get(paper_id, 0)].tolist()]

    def title_text(self, paper_id: str) -> str:
        """`title_terms` joined by spaces (kept: known-item search compares it with every candidate's)."""
        text = self._title_texts.get(paper_id)
        if text is None:
            if len(self._title_texts) >= TITLE_CACHE_LIMIT:
                self._title_texts = {}
            text = self._title_texts[paper_id] = " ".join(self.title_terms(paper_id))
        return text

    def score_like(self, paper_id: str) -> KeywordScores:
        """BM25 scores with a paper's own text as the query (for similar papers); KeyError if absent."""
        return self._score_ids(self._docs[paper_id].tolist())

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The k best papers for a text query, restricted to `allowed` papers if given."""
        return self.score(query).top(k, allowed)

    def _score_ids(self, token_ids: list[int], titles: bool = False) -> KeywordScores:
        scores = self._query_scores(token_ids, titles)
        return KeywordScores(scores.full(), scores.papers, scores.position)

    def stats(self) -> dict[str, Any]:
        tokens = sum(len(t) for t in self._docs.values())
        fields = (self._whole, self._title)
        postings = sum(s.counts.nbytes + s.rows.nbytes + s.indptr.nbytes for f in fields for s in f.segments)
        return {
            "papers": len(self._docs),
            "vocabulary": len(self._whole.df),  # words a write has put in place (staged ones have ids already)
            "tokens": tokens,
            "segments": len(self._whole.segments),
            "bytes": int(postings + sum(f.lengths.nbytes + f.norms.nbytes + f.df.nbytes for f in fields) + tokens * 4),
        }

    # -- files ---------------------------------------------------------------------------------------------------------

    def save(self, directory: Path, version: int) -> None:
        """Token ids and both fields' term counts (live papers only, one segment) as a numpy archive (no pickle),
        paper ids and vocabulary as JSON."""
        papers = list(self._docs)
        lengths = np.asarray([len(self._docs[p]) for p in papers], dtype=np.int64)
        offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)])
        tokens = np.concatenate([self._docs[p] for p in papers]) if papers else np.zeros(0, np.int32)
        heads = np.asarray([self._title_lengths.get(p, 0) for p in papers], dtype=np.int64)
        arrays: dict[str, Any] = {"tokens": tokens, "offsets": offsets, "titles": heads}
        for name, field in (("whole", self._whole), ("title", self._title)):
            arrays |= field.arrays(name, len(self._vocab))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        vocab = sorted(self._vocab, key=self._vocab.__getitem__)
        names = json.dumps({"papers": papers, "vocab": vocab}, ensure_ascii=False, separators=(",", ":")).encode()
        meta = {"k1": self.k1, "b": self.b, "papers": len(papers)}
        save_generation(directory, "keyword", FORMAT, version, {"arrays": (buffer.getvalue(), "npz"),
                                                                 "names": (names, "json")}, meta)

    @classmethod
    def load(cls, directory: Path) -> tuple[KeywordIndex, int]:
        """The saved index and its data version; CorruptData if anything is missing, truncated or altered."""
        manifest, blobs = load_generation(directory, "keyword", FORMAT)
        try:
            index = cls(k1=float(manifest["k1"]), b=float(manifest["b"]))
            names = json.loads(blobs["names"])
            with np.load(io.BytesIO(blobs["arrays"]), allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in ARRAYS}
            papers = [sys.intern(str(p)) for p in names["papers"]]  # interned: the graph holds the same strings
            index._restore(papers, list(map(str, names["vocab"])), arrays)
            return index, int(manifest["version"])
        except CorruptData:
            raise
        except Exception as error:  # any inconsistency inside checksummed files is corruption too
            raise CorruptData(f"{directory}: keyword index unreadable: {error}") from None

    def _restore(self, papers: list[str], vocab: list[str], arrays: dict[str, np.ndarray]) -> None:
        tokens, offsets, heads = arrays["tokens"], arrays["offsets"], arrays["titles"]
        lengths = np.diff(offsets)
        consistent = (
            len(offsets) == len(papers) + 1
            and offsets[0] == 0
            and offsets[-1] == len(tokens)
            and bool(np.all(lengths >= 0))
            and (len(tokens) == 0 or (tokens.min() >= 0 and tokens.max() < len(vocab)))
            and len(set(papers)) == len(papers)
            and len(set(vocab)) == len(vocab)
            and len(heads) == len(papers)
            and bool(np.all((heads >= 0) & (heads <= lengths)))
            and all(Field.fits(arrays, name, len(papers), len(vocab)) for name in ("whole", "title"))
        )
        if not consistent:
            raise CorruptData("keyword index arrays are inconsistent")
        self._vocab = {stem: i for i, stem in enumerate(vocab)}
        self._terms = list(vocab)
        # views into one array (a copy per document took 1 s of a million-paper start)
        tokens, bounds = tokens.astype(np.int32, copy=False), offsets.tolist()
        self._docs = dict(zip(papers, [tokens[a:b] for a, b in pairwise(bounds)], strict=True))
        self._title_lengths = dict(zip(papers, heads.tolist(), strict=True))
        self._papers = papers
        self._position = dict(zip(papers, range(len(papers)), strict=True))
        self._whole = Field.restored(arrays, "whole", lengths.astype(np.int64), self.k1, self.b)
        self._title = Field.restored(arrays, "title", heads.astype(np.int64), self.k1, self.b)


ARRAYS = ("tokens", "offsets", "titles", *(f"{name}_{part}" for name in ("whole", "title") for part in Field.PARTS))
CACHE_ENTRY_POSTINGS = 32
"""What a cached term's entry costs beside its postings, counted in postings (its Python objects)."""
