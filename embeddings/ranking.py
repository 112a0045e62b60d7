"""Hybrid ranking: dense passage scores aggregated to papers, fused with BM25 by z-score normalisation.

For each query a candidate set is gathered (the best papers by dense passage search and by BM25), and every candidate
gets three exact features: the best passage similarity (max), the similarity to the paper's centroid (the normalised
mean of its passage vectors, which rewards papers matching in several passages), and its BM25 score. Each feature is
standardised over the candidate set; the dense composite z(z(max) + z(centroid)) and z(BM25) are averaged.

Why this form: on the 30 dev queries every reasonable variant (passage size, aggregation, min-max or z-scores, PRF)
lands within noise of the others (0.935-0.948 nDCG@10), so the choice favours few parameters and no tuned weights:
equal weights, and z-scores, which unlike RRF keep how far apart the scores are (bench/search_quality.py: this 0.945,
BM25 + one-window dense RRF 0.935, BM25 alone 0.924). Leave-one-third-out keeps the 0.5 weight.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from paperkg.core.errors import NotFound
from paperkg.embeddings.dense import DenseIndex
from paperkg.embeddings.encoder import Encoder
from paperkg.embeddings.keyword import KeywordIndex, KeywordScores
from paperkg.embeddings.known_item import DEFAULT_KNOWN_ITEM, KnownItemParams, known_item_credit


@dataclass(frozen=True)
class Hit:
    """One ranked paper: fused score, its best passage, and the two raw signals (explanations)."""

    paper_id: str
    score: float
    passage_ord: int
    dense_score: float
    """Inner product of the query with the best passage (cosine; for `similar`, best passage pair)."""
    keyword_score: float
    """Raw BM25 score (0 when no query term occurs in the paper)."""


@dataclass(frozen=True)
class FusionParams:
    """The few knobs of the fusion. Defaults were chosen on the dev queries and checked by leave-some-out."""

    keyword_weight: float = 0.5
    """Weight of z(BM25); the dense composite gets the rest."""
    candidates: int = 100
    """Papers taken from each of dense and BM25 before fusion (at least k)."""
    passages_per_paper: int = 3
    """How many passage hits to fetch per wanted candidate paper."""
    graph_weight: float = 0.5
    """Weight of the graph boost (papers linked to entities the query names), added to the fused z-scores."""
    feedback_weight: float = 0.5
    """Rocchio pseudo-relevance feedback: weight of the top papers' centroid added to the query vector."""
    feedback_papers: int = 3


DEFAULT_FUSION = FusionParams()


@dataclass(frozen=True)
class Boost:
    """Papers linked to what a query names: groups of papers, each with a strength in [0, 1]; a paper's boost is
    its strongest group's. Kept as the groups (not a dict per paper), so a query naming a popular entity costs the
    candidates it looks at, not every paper linked to it. A group is any collection of paper ids (a frozenset, or
    the graph's `LinkedPapers`)."""

    groups: tuple[tuple[Collection[str], float], ...]

    def __bool__(self) -> bool:
        return any(papers for papers, _ in self.groups)

    def get(self, paper_id: str, default: float = 0.0) -> float:
        return max((weight for papers, weight in self.groups if paper_id in papers), default=default)

    def of_many(self, paper_ids: list[str]) -> np.ndarray:
        """`get` of each paper (default 0), one membership pass per group."""
        found = np.full(len(paper_ids), -np.inf)
        for papers, weight in self.groups:
            member = np.fromiter(map(papers.__contains__, paper_ids), dtype=bool, count=len(paper_ids))
            found[member] = np.maximum(found[member], weight)
        return np.where(found == -np.inf, 0.0, found)

    def strongest(self) -> Iterator[str]:
        """Every boosted paper once, strongest group first."""
        seen: set[str] = set()
        for papers, _ in sorted(self.groups, key=lambda group: -group[1]):
            for paper in papers:
                if paper not in seen:
                    seen.add(paper)
                    yield paper


def rank(
    query: str,
    k: int,
    dense: DenseIndex,
    keyword: KeywordIndex,
    encoder: Encoder,
    allowed: set[str] | None = None,
    params: FusionParams = DEFAULT_FUSION,
    boost: Boost | None = None,
    known: KnownItemParams | None = DEFAULT_KNOWN_ITEM,
) -> list[Hit]:
    """The k best papers for a free-text query, restricted to `allowed` papers if given. `boost` gives papers
    linked to what the query names a strength in [0, 1]; the strongest join the candidates. `known` (None: off)
    credits the paper whose title the query nearly is (embeddings.known_item)."""
    if k <= 0 or (allowed is not None and not allowed):
        return []
    wanted = max(params.candidates, k)
    vector = encoder.encode_query(query)
    dense_papers = dense.search_papers(vector, wanted * params.passages_per_paper, allowed)[:wanted]
    scores = keyword.score(query)
    boosted = list(islice((pid for pid in (boost.strongest() if boost else ())
                           if (allowed is None or pid in allowed) and pid in dense), wanted))
    titled = [pid for pid, _ in keyword.score_titles(query).top(known.candidates, allowed)] if known else []
    candidates = list(dict.fromkeys(dense_papers + [pid for pid, _ in scores.top(wanted, allowed)] + boosted + titled))
    if not candidates:
        return []
    bm25 = scores.of_many(candidates)
    lexical = params.keyword_weight * zscores(bm25)
    if known is not None:
        lexical = lexical + known_item_credit(query, candidates, keyword, known)
    if boost:
        lexical = lexical + params.graph_weight * boost.of_many(candidates)
    passages = _Passages(dense, candidates)
    best, best_ord, centroid = passages.features(vector)
    fused = lexical + (1.0 - params.keyword_weight) * zscores(zscores(best) + zscores(centroid))
    if params.feedback_weight > 0:
        top = passages.of([candidates[i] for i in _order(fused, candidates, params.feedback_papers)])
        if len(top):  # the best may all be papers without vectors yet (keyword or title candidates)
            expanded = _normalise(vector + params.feedback_weight * _normalise(top.mean(axis=0)))
            best, best_ord, centroid = passages.features(expanded)
            fused = lexical + (1.0 - params.keyword_weight) * zscores(zscores(best) + zscores(centroid))
    return [Hit(candidates[i], float(fused[i]), int(best_ord[i]), float(best[i]), float(bm25[i]))
            for i in _order(fused, candidates, k)]


def _order(fused: np.ndarray, candidates: list[str], k: int) -> list[int]:
    """Indices of the k best, ties broken by paper id."""
    top = np.argsort(-fused, kind="stable")[: k + 8].tolist()  # a few extra so ties at the cut are ordered by id
    values = fused.tolist()
    return sorted(top, key=lambda i: (-values[i], candidates[i]))[:k]


@dataclass(frozen=True)
class SimilarParams:
    """The knobs of `similar` beyond FusionParams (candidate counts). Chosen on two tuning sets together: half A of
    bench/similar_eval.py's query-by-paper cases (mostly SciERC abstracts) and the query-by-paper proxy of the dev
    queries in bench/search_quality.py (seed papers); half B was never tuned on. Max-sim and the graph helped
    neither set, so they are off by default (README, "Similar papers")."""

    keyword_weight: float = 0.25
    """Weight of z(BM25 of the paper's own text); the dense part gets the rest. A whole abstract as a BM25 query
    matches on incidental words: on SciERC's abstracts 0.1-0.25 beat 0.5 clearly, on the seed papers 0.25-0.5 tie."""
    maxsim_weight: float = 0.0
    """Share of the dense part given to late-interaction max-sim (each passage of one paper matched with its best
    passage of the other, both ways, averaged); the passage centroid gets the rest."""
    graph_weight: float = 0.0
    """Weight of z(graph similarity) (shared techniques, datasets, hardware and models, weighted by rarity; the
    caller computes it) added to the fused z-scores."""
    feedback_weight: float = 0.0
    """Second-order similarity: weight of the centroid of the best `feedback_papers` first-round answers added to
    the paper's own centroid before its candidates' centroid similarity is measured again."""
    feedback_papers: int = 3
    hub_weight: float = 0.25
    """Hubness correction (as CSLS does for cross-lingual retrieval): a candidate's centroid similarity loses this
    times its mean similarity to its `hub_neighbours` nearest papers, so a generic abstract close to everything
    stops ranking high for every paper. Chosen on half A among 0.25-1.0 and 5-20 neighbours (README)."""
    hub_neighbours: int = 20


DEFAULT_SIMILAR = SimilarParams()
GraphSignal = Callable[[list[str]], np.ndarray]
"""Graph similarity of each candidate paper to the query paper (any scale; standardised here)."""
Hubness = Callable[[list[str]], np.ndarray]
"""Each paper's mean centroid similarity to its nearest papers (`neighbour_similarity`, usually cached)."""


def similar(
    paper_id: str,
    k: int,
    dense: DenseIndex,
    keyword: KeywordIndex | None = None,
    allowed: set[str] | None = None,
    params: FusionParams = DEFAULT_FUSION,
    graph: GraphSignal | None = None,
    graph_candidates: Sequence[str] = (),
    similar_params: SimilarParams = DEFAULT_SIMILAR,
    hubness: Hubness | None = None,
) -> list[Hit]:
    """The k papers most similar to a given one (never itself): passage centroid and max-sim, fused with BM25 (the
    paper's own text as the query) when a keyword index is given, and with the graph signal when given (its
    `graph_candidates` join the candidates). With `hubness`, candidates close to everything lose centroid
    similarity (SimilarParams.hub_weight). NotFound if the paper has no vectors."""
    if paper_id not in dense:
        raise NotFound(f"paper {paper_id} is not in the search index")
    if k <= 0 or (allowed is not None and not (allowed - {paper_id})):
        return []
    wanted = max(params.candidates, k)
    own = dense.vectors(paper_id)
    centre = _normalise(own.mean(axis=0))
    found: dict[str, None] = {}
    for probe in [centre, *own]:
        for pid, _, _ in dense.search(probe, wanted * params.passages_per_paper, allowed):
            found.setdefault(pid)
    found.pop(paper_id, None)
    dense_papers = _best_by_centroid(centre, dense, list(found), wanted)
    scores = keyword.score_like(paper_id) if keyword is not None and paper_id in keyword else None
    keyword_papers = [pid for pid, _ in scores.top(wanted + 1, allowed) if pid != paper_id] if scores else []
    linked = [pid for pid in graph_candidates if pid != paper_id and pid in dense
              and (allowed is None or pid in allowed)][:wanted]
    candidates = list(dict.fromkeys(dense_papers + keyword_papers + linked))
    if not candidates:
        return []
    matrix, owners, present = dense.passage_vectors(candidates)
    pairs = matrix @ own.T  # candidate passages x own passages
    pair_best = pairs.max(axis=1) if len(present) else np.zeros(0)
    best = _group_max(pair_best, owners, len(present))
    best_ord = _group_argmax(pair_best, owners, len(present))
    centroid = _centroid_similarity(matrix @ centre, owners, present, dense)
    best_all, ord_all, cent_all = _align(candidates, present, best, best_ord, centroid)
    _, _, maxsim_all = _align(candidates, present, best, best_ord, _maxsim(pairs, pair_best, owners, len(present)))
    if hubness is not None and similar_params.hub_weight:
        cent_all = cent_all - similar_params.hub_weight * hubness(candidates)
    weight = similar_params.keyword_weight if scores is not None else 0.0
    share = similar_params.maxsim_weight
    dense_part = zscores((1.0 - share) * zscores(cent_all) + share * zscores(maxsim_all))
    extra = similar_params.graph_weight * zscores(graph(candidates)) if graph is not None else None
    if similar_params.feedback_weight > 0:
        first = _fuse(candidates, dense_part, best_all, ord_all, scores, similar_params.feedback_papers, weight, extra)
        top, _, _ = dense.passage_vectors([h.paper_id for h in first])
        expanded = _normalise(centre + similar_params.feedback_weight * _normalise(top.mean(axis=0)))
        _, _, cent_all = _align(candidates, present, best, best_ord,
                                _centroid_similarity(matrix @ expanded, owners, present, dense))
        dense_part = zscores((1.0 - share) * zscores(cent_all) + share * zscores(maxsim_all))
    return _fuse(candidates, dense_part, best_all, ord_all, scores, k, weight, extra)


def neighbour_similarity(paper_id: str, dense: DenseIndex, neighbours: int,
                         params: FusionParams = DEFAULT_FUSION) -> float:
    """The mean centroid similarity of a paper to its `neighbours` nearest other papers (0 without vectors): how
    much of a hub it is. The neighbours are found as `similar` finds candidates, by passage search."""
    if paper_id not in dense or neighbours <= 0:
        return 0.0
    centre = _normalise(dense.vectors(paper_id).mean(axis=0))
    found = dict.fromkeys(pid for pid, _, _ in dense.search(centre, (neighbours + 1) * params.passages_per_paper))
    found.pop(paper_id, None)
    _, sims = _centroid_scores(centre, dense, list(found))
    return float(np.sort(sims)[::-1][:neighbours].mean()) if len(sims) else 0.0


def _maxsim(pairs: np.ndarray, pair_best: np.ndarray, owners: np.ndarray, groups: int) -> np.ndarray:
    """Symmetric late-interaction similarity per candidate: the mean, over the query paper's passages, of their
    best match among the candidate's passages, averaged with the same the other way round."""
    if groups == 0:
        return np.zeros(0)
    starts = _group_starts(owners, groups)
    forward = np.maximum.reduceat(pairs, starts, axis=0).mean(axis=1)
    counts = np.diff(np.append(starts, len(owners)))
    backward = np.add.reduceat(pair_best.astype(np.float64), starts) / counts
    return (forward + backward) / 2.0


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Classic RRF (score = sum of 1 / (k + rank)); kept for baselines and for fusing further signals."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for position, pid in enumerate(ranking):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + position + 1)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def zscores(values: np.ndarray) -> np.ndarray:
    """Standardised values; all zeros when they do not vary."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    centred = values - np.add.reduce(values) / values.size  # what values.mean() and .std() compute, without their
    spread = math.sqrt(np.add.reduce(centred * centred) / values.size)  # overhead (a dozen calls per query)
    return centred / spread if spread > 1e-12 else np.zeros_like(values)


# ---------------------------------------------------------------------------------------------------------------------


class _Passages:
    """The candidates' passage vectors, read from the index once per query and scored against several vectors."""

    def __init__(self, dense: DenseIndex, candidates: list[str]) -> None:
        self.dense, self.candidates = dense, candidates
        self.matrix, self.owners, self.present = dense.passage_vectors(candidates)
        self.norms = dense.sum_norms(self.present) if self.present else np.zeros(0)

    def features(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per candidate: best passage similarity, its passage ordinal, centroid similarity."""
        sims = self.matrix @ vector
        groups = len(self.present)
        best = _group_max(sims, self.owners, groups)
        best_ord = _group_argmax(sims, self.owners, groups)
        centroid = _centroid_similarity(sims, self.owners, self.present, self.dense, self.norms)
        return _align(self.candidates, self.present, best, best_ord, centroid)

    def of(self, papers: list[str]) -> np.ndarray:
        """The passage vectors of some of the candidates (rows of the matrix already read)."""
        where = {pid: i for i, pid in enumerate(self.present)}
        wanted = np.zeros(len(self.present), dtype=bool)
        wanted[[where[p] for p in papers if p in where]] = True
        return self.matrix[wanted[self.owners]]


def _centroid_similarity(sims: np.ndarray, owners: np.ndarray, present: list[str], dense: DenseIndex,
                         norms: np.ndarray | None = None) -> np.ndarray:
    """Cosine between a unit vector and each paper's passage centroid, from the passage similarities alone (`norms`:
    `dense.sum_norms(present)` when the caller has them)."""
    if not present:
        return np.zeros(0)
    sums = np.add.reduceat(sims.astype(np.float64), _group_starts(owners, len(present)))
    norms = dense.sum_norms(present) if norms is None else norms
    return np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)


def _align(
    candidates: list[str], present: list[str], best: np.ndarray, best_ord: np.ndarray, centroid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features in candidate order; a candidate without vectors gets the lowest value seen (and passage 0)."""
    if len(present) == len(candidates):
        return best, best_ord, centroid
    where = {pid: i for i, pid in enumerate(present)}
    floor_best = float(best.min()) if len(best) else 0.0
    floor_cent = float(centroid.min()) if len(centroid) else 0.0
    rows = [where.get(pid) for pid in candidates]
    return (
        np.array([best[r] if r is not None else floor_best for r in rows]),
        np.array([best_ord[r] if r is not None else 0 for r in rows]),
        np.array([centroid[r] if r is not None else floor_cent for r in rows]),
    )


def _fuse(
    candidates: list[str],
    dense_part: np.ndarray,
    best: np.ndarray,
    best_ord: np.ndarray,
    scores: KeywordScores | None,
    k: int,
    keyword_weight: float,
    extra: np.ndarray | None = None,
) -> list[Hit]:
    bm25 = scores.of_many(candidates) if scores is not None else np.zeros(len(candidates))
    fused = keyword_weight * zscores(bm25) + (1.0 - keyword_weight) * dense_part
    if extra is not None:
        fused = fused + extra
    order = sorted(range(len(candidates)), key=lambda i: (-fused[i], candidates[i]))[:k]
    return [
        Hit(candidates[i], float(fused[i]), int(best_ord[i]), float(best[i]), float(bm25[i])) for i in order
    ]


def _group_starts(owners: np.ndarray, groups: int) -> np.ndarray:
    # passage_vectors returns each paper's passages contiguously and in paper order
    return np.searchsorted(owners, np.arange(groups))


def _group_max(values: np.ndarray, owners: np.ndarray, groups: int) -> np.ndarray:
    if groups == 0:
        return np.zeros(0)
    return np.maximum.reduceat(values, _group_starts(owners, groups))


def _group_argmax(values: np.ndarray, owners: np.ndarray, groups: int) -> np.ndarray:
    if groups == 0:
        return np.zeros(0, dtype=np.int64)
    starts = _group_starts(owners, groups)
    order = np.lexsort((-values, owners))  # per group, the best passage first
    return order[starts] - starts


def _best_by_centroid(centre: np.ndarray, dense: DenseIndex, papers: list[str], wanted: int) -> list[str]:
    """The `wanted` papers among `papers` whose centroids are closest to `centre`."""
    if len(papers) <= wanted:
        return papers
    present, sims = _centroid_scores(centre, dense, papers)
    return [present[i] for i in np.argsort(-sims, kind="stable")[:wanted]]


def _centroid_scores(centre: np.ndarray, dense: DenseIndex, papers: list[str]) -> tuple[list[str], np.ndarray]:
    """The papers among `papers` that have vectors, and the cosine of `centre` to each one's passage centroid."""
    if not papers:
        return [], np.zeros(0)
    matrix, owners, present = dense.passage_vectors(papers)
    return present, _centroid_similarity(matrix @ centre, owners, present, dense)


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 0 else vector).astype(np.float32)
