"""Related techniques: fused signals, explanations, and techniques first seen in a paper ingested a moment ago."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from paperkg.core.errors import NotFound
from paperkg.core.records import PaperInput
from paperkg.core.results import RelatedTechnique
from paperkg.core.settings import Settings
from paperkg.graph.related import RelatedParams, RelatedTechniques
from paperkg.graph.taxonomy import roles
from paperkg.kb import KnowledgeBase

FRESH = PaperInput(
    "FooQuant: Accurate Post-Training Quantization for Large Language Models",
    "We propose FooQuant, a post-training quantization method for large language models. FooQuant builds on GPTQ "
    "and SmoothQuant and quantizes the weights of LLaMA-7B to 3 bits. On an NVIDIA A100 GPU FooQuant is 2.1x faster "
    "than GPTQ.",
)


def test_a_technique_ingested_a_moment_ago_has_explained_neighbours(kb: KnowledgeBase) -> None:
    with pytest.raises(NotFound):
        kb.related("FooQuant")
    assert "FooQuant" not in {r.name for r in kb.related("GPTQ", 20)}  # a list kept until the next write
    kb.add_papers([FRESH])
    subject, results = kb.related_with_subject("FooQuant", 10)
    assert subject.name == "FooQuant" and subject.type == "Technique"
    by_name = {r.name: r for r in results}
    assert {"GPTQ", "SmoothQuant"} <= by_name.keys()  # used by the paper that proposes it
    gptq = by_name["GPTQ"].why
    assert gptq["shared_paper_count"] >= 1 and gptq["shared_papers"][0]["title"] == FRESH.title
    assert gptq["path"][0] == subject.id and gptq["path"][-1] == by_name["GPTQ"].id
    # its taxonomy is inferred from the head of "post-training quantization method": PTQ is its broader concept
    linked = [r for r in results if r.why["taxonomy"]]
    assert any("quantization" in r.name for r in linked), [(r.name, r.why["taxonomy"]) for r in results]
    assert all(r.why["summary"] for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert subject.id not in {r.id for r in results}
    # and the newcomer is found from the other side too
    assert "FooQuant" in {r.name for r in kb.related("GPTQ", 20)}


def test_forgotten_with_its_only_paper(kb: KnowledgeBase) -> None:
    [entry] = kb.add_papers([FRESH]).papers
    assert kb.related("FooQuant")
    kb.remove_paper(entry.id)
    with pytest.raises(NotFound):
        kb.related("FooQuant")
    assert "FooQuant" not in {r.name for r in kb.related("GPTQ", 50)}


def test_a_vocabulary_concept_gathers_its_narrower_techniques(kb: KnowledgeBase) -> None:
    """'quantization' ranks what sits under it in the taxonomy, each result saying how it is linked."""
    results = kb.related("quantization", 10)
    assert results and len(results) <= 10
    narrower = [r for r in results if r.why["taxonomy"] and r.why["taxonomy"]["relation"] == "narrower"]
    assert narrower, [(r.name, r.why["taxonomy"]) for r in results]


def test_http_related_404_and_k(client: TestClient) -> None:
    assert client.post("/papers", json={"title": FRESH.title, "abstract": FRESH.abstract}).status_code in (200, 201)
    body = client.get("/techniques/FooQuant/related", params={"k": 3}).json()
    assert body["technique"]["name"] == "FooQuant" and 1 <= len(body["results"]) <= 3
    missing = client.get("/techniques/no-such-technique-xyz/related")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/techniques/quantization/related", params={"k": 0}).status_code == 422


def test_a_broad_technique_speaks_for_the_papers_of_its_narrower_ones(settings: Settings) -> None:
    """One paper names "quantization" beside an attention method; three do post-training quantization with GPTQ.
    Related to quantization are the PTQ side first, not the one paper's attention method."""
    papers = [PaperInput("BarAttention: Sparse Attention for Long Contexts",
                         "We propose BarAttention, a sparse attention method. BarAttention is compatible with "
                         "quantization and runs LLaMA-7B on an NVIDIA A100 GPU.")]
    papers += [PaperInput(f"Study {i} of Weight Quantization",
                          f"We study post-training quantization of OPT-{n}B with GPTQ on an NVIDIA A100 GPU.")
               for i, n in enumerate((13, 30, 66))]
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(papers)
        names = [r.name for r in kb.related("quantization", 5, corpus_only=True)]
    quantizing = [i for i, name in enumerate(names) if name == "GPTQ" or "quantization" in name]
    assert len(quantizing) >= 2 and max(quantizing) < names.index("BarAttention"), names


def test_a_hub_met_once_is_no_related_technique(seeded_settings: Settings) -> None:
    """Without a taxonomy link, a technique named in many papers and only in a few of them beside the target (one
    mixture-of-experts paper among the 13 naming diffusion models) is not offered; the rule only removes."""
    targets = ("mixture of experts", "Gaussian splatting", "zeroth-order optimization", "instruction tuning")
    with KnowledgeBase.open(seeded_settings, read_only=True) as kb:
        ranker = kb.queries.related_ranker
        shown = {t: kb.related(t, 30) for t in targets}
        kb.queries.related_ranker = RelatedTechniques(RelatedParams(min_unlinked_share=0.0), ranker.generic,
                                                      ranker.model)
        unfiltered = {t: kb.related(t, 30) for t in targets}
        kb.queries.related_ranker = ranker
        graph = kb.graph
    dropped = []
    for target in targets:
        names = {r.name for r in shown[target]}
        assert names <= {r.name for r in unfiltered[target]}
        for result in unfiltered[target]:
            if not result.why["in_corpus"]:
                continue  # a vocabulary relative: a taxonomy link and no paper
            share = result.why["shared_paper_count"] / len(roles(graph, result.id))
            if result.name not in names:
                dropped.append(result.name)
            elif not result.why["taxonomy"]:
                assert share >= 0.3 or result.why["similarity"] >= 0.87, (target, result.name)
    assert "diffusion models" in dropped


def test_one_shared_paper_without_a_link_ranks_below_a_taxonomy_link(seeded_settings: Settings) -> None:
    """A technique named beside the target in one paper, with no taxonomy link, is weak evidence: the fusion scores
    it at `unlinked_single` of its fused score, so a direct taxonomy relative (even one only the vocabulary knows)
    comes first; the factor only reorders and removes, never adds. The learned order agrees."""
    target = "sequence parallelism"
    with KnowledgeBase.open(seeded_settings, read_only=True) as kb:
        ranker = kb.queries.related_ranker
        learned = kb.related(target, 30)
        kb.queries.related_ranker = RelatedTechniques(RelatedParams(learned=False), ranker.generic)
        shown = kb.related(target, 30)
        kb.queries.related_ranker = RelatedTechniques(RelatedParams(unlinked_single=1.0, learned=False),
                                                      ranker.generic)
        plain = kb.related(target, 30)
        kb.queries.related_ranker = ranker

    def single(r: RelatedTechnique) -> bool:
        return not r.why["taxonomy"] and r.why["shared_paper_count"] == 1

    assert any(single(r) for r in shown), [r.name for r in shown]
    assert {r.name for r in shown} <= {r.name for r in plain}
    factor = RelatedParams().unlinked_single
    before = {r.name: r.score for r in plain}
    for r in shown:
        assert r.score == pytest.approx(before[r.name] * (factor if single(r) else 1.0), abs=2e-3), r.name
    for results in (shown, learned):
        direct = [r.score for r in results
                  if r.why["taxonomy"] and r.why["taxonomy"]["relation"] in ("narrower", "broader")]
        assert direct and min(direct) > max(r.score for r in results if single(r))


def test_vocabulary_relatives_fill_the_places_the_corpus_leaves(kb: KnowledgeBase, client: TestClient) -> None:
    """A technique the vocabulary links directly to the target and no paper names is offered after the corpus's
    own results of the same link, marked as such; never an umbrella; `corpus_only` leaves them all out."""
    graph, vocabulary = kb.graph, kb.vocabulary
    results = kb.related("speculative decoding", 30)
    outside = [r for r in results if not r.why["in_corpus"]]
    assert outside, [r.name for r in results]
    narrower = {c.id for c in vocabulary.of_type("Technique")
                if "technique/speculative-decoding" in vocabulary.broader(c.id)}
    for r in outside:
        assert r.id not in graph and r.why["shared_paper_count"] == 0 and r.why["taxonomy"], r
        assert "in the vocabulary only" in "; ".join(r.why["summary"])
        assert r.why["taxonomy"]["relation"] in {"narrower", "broader", "descendant", "ancestor", "sibling", "related"}
        assert r.name.lower() not in kb.queries.related_ranker.generic
    assert {r.id for r in outside if r.why["taxonomy"]["relation"] == "narrower"} <= narrower
    assert any(r.id in narrower for r in outside)
    linked_in_corpus = [r.score for r in results if r.why["in_corpus"] and r.why["taxonomy"]
                        and r.why["taxonomy"]["relation"] == "narrower" and r.why["shared_paper_count"]]
    assert all(score > max(r.score for r in outside) for score in linked_in_corpus)
    in_corpus = kb.related("speculative decoding", 30, corpus_only=True)
    shown = [r for r in results if r.why["in_corpus"]]
    assert in_corpus[:len(shown)] == shown
    assert all(r.id in graph for r in in_corpus)
    body = client.get("/techniques/speculative decoding/related", params={"k": 30, "corpus_only": True}).json()
    assert [r["id"] for r in body["results"]] == [r.id for r in in_corpus]
    assert client.get("/techniques/speculative decoding/related", params={"corpus_only": "maybe"}).status_code == 422


def test_top_k_pruning_returns_what_scoring_every_candidate_does(kb: KnowledgeBase) -> None:
    """Context similarity is computed only while a candidate can still reach the top k: the same k results."""
    techniques = [n.name for n in kb.graph.nodes("Technique")][:60]
    for name in techniques:
        assert kb.related(name, 5) == kb.related(name, 10_000)[:5], name


def test_personalised_pagerank_and_shortest_paths_match_networkx(kb: KnowledgeBase) -> None:
    graph = kb.graph
    undirected = nx.Graph(graph.snapshot())
    nodes = sorted(n.id for n in graph.nodes("Technique"))[:40]
    for node in nodes:
        local = nx.Graph(undirected.subgraph(nx.single_source_shortest_path_length(undirected, node, cutoff=2)))
        expected = nx.pagerank(local, alpha=0.85, personalization={node: 1.0}, max_iter=200, tol=1e-8) \
            if local.number_of_edges() else {}
        found = graph.personalised_pagerank(node, 2)
        assert found.keys() == expected.keys() and all(abs(found[n] - expected[n]) < 1e-12 for n in expected)
        for other in nodes[::7]:
            path = graph.shortest_path(node, other)
            if not nx.has_path(undirected, node, other):
                assert path == []
                continue
            assert path[0] == node and path[-1] == other
            assert len(path) - 1 == nx.shortest_path_length(undirected, node, other)
            assert all(undirected.has_edge(a, b) for a, b in itertools.pairwise(path))


def test_associative_links_of_the_vocabulary_are_offered_and_explained(kb: KnowledgeBase) -> None:
    """skos:related links (stated once in the file) hold both ways, and each technique they link to a technique of
    the corpus is offered beside it, as "related" with the link as its path, unless it is an umbrella or the
    hierarchy links the two more strongly."""
    vocabulary, generic = kb.vocabulary, kb.queries.related_ranker.generic
    techniques = [c.id for c in vocabulary.of_type("Technique")]
    assert all(a in vocabulary.related(b) for a in techniques for b in vocabulary.related(a))
    pairs = [(a, b) for a in techniques if a in kb.graph for b in vocabulary.related(a)
             if (concept := vocabulary.get(b)) is not None and concept.label.lower() not in generic]
    assert len(pairs) >= 10
    for target, other in pairs:
        found = {r.id: r for r in kb.related(target, 1000)}
        assert other in found, (target, other)
        link = found[other].why["taxonomy"]
        if link["relation"] == "related":
            assert link["path"] == [target, other]
        else:
            assert link["relation"] in {"broader", "narrower", "ancestor", "descendant"}, (target, other, link)


def test_a_sibling_under_a_large_specific_parent_is_offered_before_a_one_paper_co_mention(kb: KnowledgeBase) -> None:
    """GPTQ's parent, post-training quantization, has many children: each sibling link is diluted, yet another PTQ
    method is a better neighbour than a technique one paper happens to name beside GPTQ. Vocabulary-only siblings
    are offered (never under an umbrella), and a candidate backed by one paper and no link ranks after them."""
    results = kb.related("GPTQ", 30)
    siblings = [r for r in results if not r.why["in_corpus"] and r.why["taxonomy"]["relation"] == "sibling"]
    assert {"AWQ", "SmoothQuant"} & {r.name for r in siblings} or len(siblings) >= 3, [r.name for r in results]
    for r in siblings:
        assert r.why["taxonomy"]["path"][1] == "technique/post-training-quantization", r.why["taxonomy"]
        assert r.why["signals"]["taxonomy"] < 0.5  # below the old admission threshold: diluted, yet offered
    single = [r.score for r in results if not r.why["taxonomy"] and r.why["shared_paper_count"] == 1]
    assert all(score < min(r.score for r in siblings) for score in single)
    strict = RelatedTechniques(RelatedParams(min_vocabulary_sibling=0.5), kb.queries.related_ranker.generic)
    kb.queries.related_ranker, kept = strict, kb.queries.related_ranker
    try:
        assert not {r.name for r in siblings} & {r.name for r in kb.related("GPTQ", 30)}
    finally:
        kb.queries.related_ranker = kept
