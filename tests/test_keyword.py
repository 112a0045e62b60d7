"""The BM25 keyword index: stemming, stopwords, filters, incremental writes, files and corruption."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from paperkg.core.errors import CorruptData
from paperkg.embeddings import bm25_field
from paperkg.embeddings.bm25 import bm25_matrix
from paperkg.embeddings.bm25_field import SegmentParams
from paperkg.embeddings.keyword import KeywordIndex, keyword_text
from paperkg.embeddings.keyword_topk import PruningParams, QueryScores
from tests.conftest import damage as damage_file
from tests.conftest import stored_file

DOCS = {
    "gptq": keyword_text("GPTQ", "Accurate post-training quantization of generative transformers to 4 bits."),
    "kv": keyword_text("KVQuant", "Quantizing the key-value cache enables 10 million token contexts."),
    "sarathi": keyword_text("Sarathi", "Chunked prefills piggyback decodes to schedule LLM serving."),
    "video": keyword_text("REDUCIO", "Video generation with extremely compressed latents of a diffusion model."),
    "flight": keyword_text("FlightLLM", "Efficient LLM inference on FPGAs with a complete mapping flow."),
}


@pytest.fixture
def index() -> KeywordIndex:
    built = KeywordIndex()
    built.build(DOCS)
    return built


def test_stemming_matches_word_forms(index: KeywordIndex) -> None:
    assert index.tokenize("Quantizing quantized quantization") == ["quantiz"] * 3
    top = index.search("quantize", 5)
    assert {pid for pid, _ in top} == {"gptq", "kv"}
    assert index.search("scheduling", 1)[0][0] == "sarathi"
    assert index.search("FPGA", 1)[0][0] == "flight"


def test_stopwords_and_unknown_words_match_nothing(index: KeywordIndex) -> None:
    assert index.tokenize("the of and to") == []
    assert index.search("the of and", 5) == []
    assert index.search("zebra", 5) == []


def test_more_matching_terms_rank_higher(index: KeywordIndex) -> None:
    hits = index.search("quantizing the key-value cache", 5)
    assert hits[0][0] == "kv" and hits[0][1] > hits[1][1] > 0


def test_allowed_restricts_results(index: KeywordIndex) -> None:
    assert index.search("quantization", 5, allowed={"gptq", "video"}) == [
        (pid, score) for pid, score in index.search("quantization", 5) if pid == "gptq"
    ]
    assert index.search("quantization", 5, allowed=set()) == []


def test_add_and_remove_update_results(index: KeywordIndex) -> None:
    index.add({"tpu": keyword_text("TPU pods", "Training on TPU pods at scale.")})
    assert index.search("tpu", 1)[0][0] == "tpu" and len(index) == 6
    index.add({"tpu": keyword_text("Renamed", "Nothing about accelerators any more.")})
    assert index.search("tpu", 5) == [] and index.search("accelerators", 1)[0][0] == "tpu"
    assert index.remove(["kv", "missing"]) == 1
    assert "kv" not in index and all(pid != "kv" for pid, _ in index.search("cache quantization", 5))


def test_tokens_made_before_the_write_lock_index_as_the_text_does() -> None:
    """A writer tokenizes before it takes the write lock (`tokenize_docs`) and indexes the tokens under it."""
    by_text, by_tokens = KeywordIndex(), KeywordIndex()
    by_text.add(DOCS)
    tokens = by_tokens.tokenize_docs({**DOCS, "untitled": "Quantization without a title line"})
    assert tokens["gptq"].title == ("gptq",) and tokens["untitled"].title is None
    by_tokens.add_tokens({pid: doc for pid, doc in tokens.items() if pid != "untitled"})
    for query in ("quantization of transformers", "LLM serving on FPGAs", "video diffusion", "gptq"):
        assert by_tokens.search(query, 5) == by_text.search(query, 5), query
        assert by_tokens.score_titles(query).top(5, None) == by_text.score_titles(query).top(5, None), query


def test_a_write_prepared_before_the_lock_equals_one_applied_under_it(index: KeywordIndex) -> None:
    """`prepare` makes the fields a write leaves aside; `adopt` puts them in place. The same as removing and adding
    under the lock."""
    applied = KeywordIndex()
    applied.build(DOCS)
    new = {"kv": keyword_text("KVQuant 2", "Key-value cache quantization for long contexts on FPGAs."),
           "spec": keyword_text("Medusa", "Speculative decoding heads for faster LLM inference.")}
    applied.remove(["kv", "video"])
    applied.add(new)
    before = index.search("video diffusion", 5)
    prepared = index.prepare(index.tokenize_docs(new), ["kv", "video"])
    assert index.search("video diffusion", 5) == before  # nothing changes until adopted
    index.adopt(prepared)
    assert sorted(index.paper_ids()) == sorted(applied.paper_ids())
    for query in ("quantization cache", "speculative decoding LLM", "video diffusion", "FPGAs", "kvquant"):
        assert index.search(query, 5) == applied.search(query, 5), query
        assert index.score_titles(query).top(5, None) == applied.score_titles(query).top(5, None), query


def test_scores_of_every_paper_and_like_a_paper(index: KeywordIndex) -> None:
    scores = index.score("video diffusion")
    assert scores.of("video") > 0 and scores.of("gptq") == 0 and scores.of("absent") == 0
    like = index.score_like("kv").top(3)
    assert like[0][0] == "kv" and len(like) >= 2  # itself first, then papers sharing terms
    with pytest.raises(KeyError):
        index.score_like("absent")


def test_bm25_weights_equal_bm25s() -> None:
    rng = np.random.default_rng(3)
    docs = [rng.integers(0, 50, rng.integers(0, 40)).astype(np.int32) for _ in range(60)]
    data, indices, indptr = bm25_matrix(docs, 50, 1.2, 0.6)
    reference = bm25s.BM25(k1=1.2, b=0.6, method="lucene").build_index_from_ids(
        list(range(50)), [d.tolist() for d in docs], show_progress=False
    )
    np.testing.assert_allclose(data, reference["data"], rtol=1e-6)
    np.testing.assert_array_equal(indices, reference["indices"])
    np.testing.assert_array_equal(indptr, reference["indptr"])


def test_weights_per_term_equal_the_whole_matrix() -> None:
    """A field's weights, computed per term at query time, are bit for bit those of the whole-matrix build."""
    rng = np.random.default_rng(8)
    docs = [rng.integers(0, 80, rng.integers(0, 50)).astype(np.int32) for _ in range(300)]
    data, indices, indptr = bm25_matrix(docs, 80, 1.5, 0.75)
    field = bm25_field.Field.of(docs, 80, 1.5, 0.75)
    for term in range(80):
        rows, weights = field.column(term)
        np.testing.assert_array_equal(rows, indices[indptr[term]: indptr[term + 1]])
        np.testing.assert_array_equal(weights, data[indptr[term]: indptr[term + 1]])


def test_empty_index_searches_fine() -> None:
    empty = KeywordIndex()
    assert empty.search("anything", 3) == []
    empty.build({})
    assert empty.stats()["papers"] == 0


def test_save_and_load_round_trip(tmp_path: Path, index: KeywordIndex) -> None:
    index.save(tmp_path, version=4)
    loaded, version = KeywordIndex.load(tmp_path)
    assert version == 4 and sorted(loaded.paper_ids()) == sorted(DOCS)
    for query in ("quantization of transformers", "video latents", "LLM serving"):
        assert loaded.search(query, 5) == index.search(query, 5)
    loaded.add({"new": "quantization again"})
    assert "new" in {pid for pid, _ in loaded.search("quantization", 5)}


@pytest.mark.parametrize("key", ["arrays", "names"])
@pytest.mark.parametrize("damage", ["truncate", "zero", "flip"])
def test_damaged_files_raise_corrupt_data(tmp_path: Path, index: KeywordIndex, key: str, damage: str) -> None:
    index.save(tmp_path, 1)
    damage_file(stored_file(tmp_path, "keyword", key), damage)
    with pytest.raises(CorruptData):
        KeywordIndex.load(tmp_path)


def test_inconsistent_arrays_with_valid_checksums_are_corrupt(tmp_path: Path, index: KeywordIndex) -> None:
    index.save(tmp_path, 1)
    manifest_path = tmp_path / "keyword.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    names = json.loads(stored_file(tmp_path, "keyword", "names").read_text())
    names["papers"] = names["papers"][:-1]  # one paper fewer than the arrays hold
    other = tmp_path / "other"
    KeywordIndex().save(other, 1)  # any valid generation, to borrow the writer
    from paperkg.embeddings.generations import save_generation

    arrays = stored_file(tmp_path, "keyword", "arrays").read_bytes()
    save_generation(tmp_path, "keyword", manifest["format"], 1,
                    {"arrays": (arrays, "npz"), "names": (json.dumps(names).encode(), "json")},
                    {k: manifest[k] for k in ("k1", "b", "papers")})
    with pytest.raises(CorruptData, match="inconsistent"):
        KeywordIndex.load(tmp_path)


def test_pruned_top_k_equals_scoring_every_posting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The threshold algorithm (embeddings.keyword_topk) returns the top k that scoring every posting gives, with the
    same scores, and answers most queries without that full scoring."""
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    zipf = 1.0 / np.arange(1, len(words) + 1)
    docs = {f"p{i:04d}": keyword_text(" ".join(rng.choice(words, 4, p=zipf / zipf.sum())),
                                      " ".join(rng.choice(words, int(rng.integers(5, 60)), p=zipf / zipf.sum())))
            for i in range(3000)}
    index = KeywordIndex(pruning=PruningParams(min_postings=60, depths=(16, 64, 256)))
    index.build(docs)
    full_scorings: list[int] = []
    ranked = QueryScores._ranked

    def counted(self: QueryScores, *args: object) -> list[tuple[str, float]]:
        full_scorings.append(1)
        return ranked(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(QueryScores, "_ranked", counted)
    queries = [" ".join(rng.choice(words[:40] if n % 2 else words, int(rng.integers(1, 6)))) for n in range(150)]
    pruned = 0
    for n, query in enumerate(queries):
        for titles in (False, True):
            scores = index.score_titles(query) if titles else index.score(query)
            every = index._score_ids(index._query_ids(query), titles)
            expected = sorted(((p, float(s)) for p, s in zip(every.papers, every.scores, strict=True) if s > 0),
                              key=lambda item: (-item[1], item[0]))
            k = (1, 5, 20, 100)[n % 4]
            before = len(full_scorings)
            assert scores.top(k) == expected[:k]
            pruned += len(full_scorings) == before
            some = [p for p, _ in expected[:7]] + ["p0001", "p2999", "absent"]
            assert scores.of_many(some).tolist() == [every.of(p) for p in some]
            assert scores.top(3, {"p0001", "p0002", "p2999"}) == [p for p in expected if p[0] in
                                                                  {"p0001", "p0002", "p2999"}][:3]
    assert pruned > 150  # of 300 rankings, most answered from the heads alone


def test_ties_at_the_cut_keep_the_papers_indexed_first() -> None:
    """Of the papers tied with the k-th, the first indexed are kept; the answer is then ordered by paper id."""
    index = KeywordIndex()
    index.build({pid: keyword_text("Same", "quantized kernels") for pid in ("e", "c", "a", "d", "b")}
                | {"z": keyword_text("Other", "quantized quantized kernels")})
    assert [p for p, _ in index.score("quantized").top(3)] == ["z", "c", "e"]
    assert [p for p, _ in index.score_all("quantized").top(3)] == ["z", "c", "e"]
    assert [p for p, _ in index.score("quantized").top(6)] == ["z", "a", "b", "c", "d", "e"]


def _random_docs(rng: np.random.Generator, count: int, start: int = 0) -> dict[str, str]:
    words = [f"w{i}" for i in range(120)]
    zipf = 1.0 / np.arange(1, len(words) + 1)
    return {f"p{i:04d}": keyword_text(" ".join(rng.choice(words, int(rng.integers(0, 5)), p=zipf / zipf.sum())),
                                      " ".join(rng.choice(words, int(rng.integers(0, 40)), p=zipf / zipf.sum())))
            for i in range(start, start + count)}


def _same_scores(index: KeywordIndex, fresh: KeywordIndex, queries: list[str]) -> None:
    assert index.paper_ids() == fresh.paper_ids()
    for query in queries:
        for titles in (False, True):
            ours = index._score_ids(index._query_ids(query), titles)
            theirs = fresh._score_ids(fresh._query_ids(query), titles)
            for pid in fresh.paper_ids():  # bit for bit: the weights come from the same statistics
                assert ours.of(pid) == theirs.of(pid), (query, titles, pid)
            assert index.score(query).top(10) == fresh.score(query).top(10), query


@pytest.mark.parametrize("segments", [SegmentParams(), SegmentParams(merge_ratio=0.5, compact_min=5)])
def test_writes_leave_the_scores_of_a_fresh_build(segments: SegmentParams) -> None:
    """Adds, replacements and removals, a write at a time (segments merging, positions dying and, with the second
    parameters, renumbered), score every paper exactly as an index built at once from the papers left."""
    rng = np.random.default_rng(11)
    index, texts = KeywordIndex(segments=segments), dict[str, str]()
    queries = ["w0 w1", "w3 w50 w7", "w119 w2 w2", "w60", "w0 w0 w5 w9 w11 w30"]
    for step in range(25):
        added = _random_docs(rng, int(rng.integers(1, 40)), start=int(rng.integers(0, 400)))
        removed = [p for p in texts if rng.random() < 0.1]
        if step % 3:
            index.adopt(index.prepare(index.tokenize_docs(added), removed))
        else:
            index.remove(removed)
            index.add(added)
        texts = {p: t for p, t in texts.items() if p not in removed and p not in added} | added
        fresh = KeywordIndex()
        fresh.build(texts)
        _same_scores(index, fresh, queries)
    assert len(index._whole.segments) <= 12
    if segments.compact_min == 5:
        assert index._whole.dead < index._whole.positions / 2


def test_a_write_counts_only_its_own_papers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No write rebuilds the index: the term counts made are those of the write's papers (a merge of segments
    aside, which copies each posting O(log n) times)."""
    index = KeywordIndex()
    index.build(_random_docs(np.random.default_rng(2), 3000))
    counted: list[int] = []
    original = bm25_field.count_postings

    def spy(docs: list[np.ndarray], first: int, vocabulary: int) -> bm25_field.Postings:
        counted.append(len(docs))
        return original(docs, first, vocabulary)

    monkeypatch.setattr(bm25_field, "count_postings", spy)
    index.add({"p0007": keyword_text("Replaced", "w1 w2 w3"), "new": keyword_text("New", "w4 w5")})
    index.remove(["p0008"])
    assert counted == [2, 2]  # both fields, the two papers
    assert index.search("replaced", 1)[0][0] == "p0007" and "p0008" not in index


def test_save_and_load_after_removals_keeps_the_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    index = KeywordIndex()
    index.build(_random_docs(rng, 200))
    index.add(_random_docs(rng, 30, start=150))  # 30 replaced: dead positions
    index.remove(["p0003", "p0100"])
    assert index._whole.dead == 32
    index.save(tmp_path, 2)
    loaded, _ = KeywordIndex.load(tmp_path)
    assert loaded._whole.dead == 0 and loaded._whole.positions == 198
    _same_scores(loaded, index, ["w0 w1", "w3 w50 w7", "w60"])


def test_papers_without_terms_first_then_with_terms_save_and_load(tmp_path: Path) -> None:
    """A first segment that starts after documents without any term keeps its positions through a save."""
    index = KeywordIndex()
    index.build({"empty1": "the of", "empty2": "and"})
    index.add({"full": keyword_text("Quantized kernels", "Quantized kernels for LLM serving.")})
    index.save(tmp_path, 1)
    loaded, _ = KeywordIndex.load(tmp_path)
    assert loaded.search("quantized kernels", 3) == index.search("quantized kernels", 3) != []
