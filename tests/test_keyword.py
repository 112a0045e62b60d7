"""The BM25 keyword index: stemming, stopwords, filters, incremental writes, files and corruption."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from paperkg.core.errors import CorruptData
from paperkg.embeddings.bm25 import bm25_matrix
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
    """`prepare` builds the index a write leaves (matrices included) aside; `adopt` puts it in place. The same as
    removing and adding under the lock, and the next search finds the matrices built."""
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
    assert index._matrix is not None and index._title_matrix is not None  # no search rebuilds them
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
