"""Hybrid ranking and similar papers, on the hashing encoder."""

from __future__ import annotations

import numpy as np
import pytest

from paperkg.core.errors import NotFound
from paperkg.embeddings.dense import DenseIndex
from paperkg.embeddings.encoder import HashingEncoder
from paperkg.embeddings.keyword import KeywordIndex, keyword_text
from paperkg.embeddings.passages import passage_texts, split_passages
from paperkg.embeddings.ranking import Boost, FusionParams, Hit, rank, reciprocal_rank_fusion, similar, zscores

PAPERS = {
    "kvquant": ("KVQuant: KV Cache Quantization", "We quantize the key value cache of long context inference. "
                "Per-channel quantization of keys keeps accuracy. The cache shrinks fourfold."),
    "snapkv": ("SnapKV: Selecting Cache Entries", "We evict entries from the key value cache during long context "
               "generation. Attention heads vote which tokens to keep. Memory drops eightfold."),
    "gptq": ("GPTQ: Post-Training Quantization", "We quantize weights of generative transformers after training. "
             "Second-order information guides rounding. Models run in four bits."),
    "sarathi": ("Sarathi: Chunked Prefills", "Chunked prefills piggyback decodes when serving language models. "
                "Scheduling raises throughput. Pipeline bubbles vanish."),
    "video": ("Reducio: Video Latents", "We generate video from extremely compressed latents. A diffusion model "
              "denoises the latents. Clips render in seconds."),
    "flight": ("FlightLLM on FPGAs", "Language model inference runs on FPGA accelerators. Sparse DSP chains map "
               "the computation. Energy efficiency improves sixfold over GPUs."),
    "zebra": ("Zebrafish Imaging", "Microscopes image zebrafish embryos. Cells divide in patterns. Biology wins."),
}


@pytest.fixture(scope="module")
def corpus() -> tuple[DenseIndex, KeywordIndex, HashingEncoder]:
    encoder = HashingEncoder(dim=256, max_tokens=24)  # a small window: several passages per paper
    dense = DenseIndex(encoder.dim)
    for pid, (title, abstract) in PAPERS.items():
        spans = split_passages(title, abstract, encoder.token_spans, encoder.max_tokens, 16)
        dense.add(pid, encoder.encode(passage_texts(title, abstract, spans), 8))
    keyword = KeywordIndex()
    keyword.build({pid: keyword_text(title, abstract) for pid, (title, abstract) in PAPERS.items()})
    return dense, keyword, encoder


def ids(hits: list[Hit]) -> list[str]:
    return [hit.paper_id for hit in hits]


def test_papers_matching_both_signals_rank_first(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, encoder = corpus
    hits = rank("quantize the key value cache", 3, dense, keyword, encoder)
    assert ids(hits)[0] == "kvquant" and set(ids(hits)[1:]) == {"snapkv", "gptq"}
    assert hits[0].score > hits[1].score >= hits[2].score
    assert hits[0].keyword_score > 0 and 0 < hits[0].dense_score <= 1.0001


def test_hit_names_the_best_passage(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, encoder = corpus
    assert len(dense.vectors("flight")) > 1
    hit = rank("energy efficiency sixfold over GPUs", 1, dense, keyword, encoder)[0]
    assert hit.paper_id == "flight"
    vectors = dense.vectors("flight")
    assert hit.passage_ord == int(np.argmax(vectors @ encoder.encode_query("energy efficiency sixfold over GPUs")))
    assert hit.passage_ord > 0


def test_weights_at_the_extremes_give_each_signal_alone(
    corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder],
) -> None:
    dense, keyword, encoder = corpus
    query = "diffusion latents for video clips"
    lexical = ids(rank(query, 3, dense, keyword, encoder, params=FusionParams(keyword_weight=1.0)))
    assert lexical[:1] == [pid for pid, _ in keyword.search(query, 1)]
    semantic = rank(query, 7, dense, keyword, encoder, params=FusionParams(keyword_weight=0.0))
    assert semantic[0].paper_id == "video"
    assert [h.dense_score for h in semantic][:2] == sorted((h.dense_score for h in semantic), reverse=True)[:2]


def test_keyword_only_matches_still_surface(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, encoder = corpus
    hits = rank("zebrafish", 2, dense, keyword, encoder)
    assert ids(hits)[0] == "zebra"


def test_allowed_restricts_the_ranking(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, encoder = corpus
    hits = rank("quantize the key value cache", 5, dense, keyword, encoder, allowed={"gptq", "video", "ghost"})
    assert ids(hits) == ["gptq", "video"]
    assert rank("quantize", 5, dense, keyword, encoder, allowed=set()) == []
    assert rank("quantize", 0, dense, keyword, encoder) == []


def test_no_match_anywhere_returns_dense_neighbours(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, encoder = corpus
    hits = rank("", 3, dense, keyword, encoder)
    assert len(hits) == 3 and all(h.keyword_score == 0 for h in hits)


def test_similar_excludes_the_paper_itself(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, _encoder = corpus
    hits = similar("kvquant", 3, dense, keyword)
    assert "kvquant" not in ids(hits) and ids(hits)[0] == "snapkv"
    assert ids(similar("kvquant", 3, dense))[0] == "snapkv"  # dense alone agrees
    assert len(similar("kvquant", 50, dense, keyword)) == len(PAPERS) - 1
    assert ids(similar("kvquant", 3, dense, keyword, allowed={"gptq", "kvquant"})) == ["gptq"]
    with pytest.raises(NotFound):
        similar("absent", 3, dense, keyword)


def test_reciprocal_rank_fusion() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert [pid for pid, _ in fused][:2] == ["a", "b"]  # a tie broken by id
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert [pid for pid, _ in fused][2:] == ["c", "d"]


def test_zscores() -> None:
    np.testing.assert_allclose(zscores(np.array([1.0, 2.0, 3.0])), [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    assert not zscores(np.array([5.0, 5.0])).any()
    assert zscores(np.array([])).size == 0
    values = np.random.default_rng(1).standard_normal(517) * 1e3
    spread = float(values.std())  # the same values bit for bit as numpy's mean and std give
    assert np.array_equal(zscores(values), (values - values.mean()) / spread)


def test_boost_of_many_is_get_per_paper() -> None:
    boost = Boost(((frozenset({"a", "b"}), 0.25), (frozenset({"b", "c"}), 0.75), (frozenset(), 0.9)))
    papers = ["a", "b", "c", "d"]
    assert boost.of_many(papers).tolist() == [boost.get(p, 0.0) for p in papers] == [0.25, 0.75, 0.75, 0.0]
    assert Boost(()).of_many(papers).tolist() == [0.0] * 4

