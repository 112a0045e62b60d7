"""Known-item search (title field, near titles, pasted ids), similar papers' max-sim, graph signal and hubness, and the
generic-technique list of related techniques."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from paperkg.core.errors import CorruptData
from paperkg.core.ids import identifier_forms
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.embeddings.dense import DenseIndex
from paperkg.embeddings.encoder import HashingEncoder
from paperkg.embeddings.keyword import KeywordIndex, keyword_text
from paperkg.embeddings.known_item import KnownItemParams, known_item_credit, title_similarity
from paperkg.embeddings.ranking import SimilarParams, _maxsim, neighbour_similarity, rank, similar
from paperkg.graph.taxonomy import load_generic
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]

TITLES = {
    "cnn": "A Convolutional Neural Network for Modelling Sentences",
    "cnn-images": "A Convolutional Neural Network for Modelling Images",
    "rnn": "Recurrent Neural Networks for Modelling Sentences and Documents",
    "cnn-survey": "Neural Networks: A Survey of Convolutional Architectures for Sentences",
    "other": "Zebrafish Embryos Under the Microscope",
}
ABSTRACTS = {
    "cnn": "We model sentences with a dynamic convolutional network and k-max pooling over sequences.",
    "cnn-images": "Convolutional neural networks model images; sentences of captions are modelled as well.",
    "rnn": "Recurrent networks model sentences and documents; convolutional baselines model sentences too.",
    "cnn-survey": "We survey convolutional neural network architectures for modelling sentences and images.",
    "other": "Cells divide in patterns that microscopes record.",
}


@pytest.fixture(scope="module")
def corpus() -> tuple[DenseIndex, KeywordIndex, HashingEncoder]:
    encoder = HashingEncoder(dim=256)
    dense = DenseIndex(encoder.dim)
    keyword = KeywordIndex()
    for pid, title in TITLES.items():
        dense.add(pid, encoder.encode([f"{title}. {ABSTRACTS[pid]}"], 4))
    keyword.build({pid: keyword_text(title, ABSTRACTS[pid]) for pid, title in TITLES.items()})
    return dense, keyword, encoder


def test_the_title_field_holds_the_title_words_only(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    _, keyword, _ = corpus
    assert keyword.title_terms("other") == ["zebrafish", "embryo", "under", "microscop"]
    top = keyword.score_titles("zebrafish embryos").top(5)
    assert [pid for pid, _ in top] == ["other"]
    assert keyword.score_titles("pooling").top(5) == []  # an abstract word is not in the title field


def test_title_text_follows_writes() -> None:
    keyword = KeywordIndex()
    keyword.build({"a": keyword_text("Zebrafish embryos under the microscope", "An abstract.")})
    assert keyword.title_text("a") == "zebrafish embryo under microscop"
    keyword.add({"a": keyword_text("Pruning large language models", "An abstract.")})
    assert keyword.title_text("a") == "prune larg languag model" == " ".join(keyword.title_terms("a"))
    keyword.remove(["a"])
    assert keyword.title_text("a") == ""


def test_title_lengths_survive_save_and_load(tmp_path: Path,
                                             corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    _, keyword, _ = corpus
    keyword.save(tmp_path, 3)
    loaded, version = KeywordIndex.load(tmp_path)
    assert version == 3
    assert all(loaded.title_terms(pid) == keyword.title_terms(pid) for pid in TITLES)
    manifest = tmp_path / "keyword.manifest.json"
    manifest.write_text(manifest.read_text().replace("paperkg-keyword/3", "paperkg-keyword/2"))
    with pytest.raises(CorruptData):  # an index of an earlier format is rebuilt, not misread
        KeywordIndex.load(tmp_path)


def test_near_titles_are_nearly_the_title() -> None:
    index = KeywordIndex()
    title = index.tokenize(TITLES["cnn"])
    for variant in ("a convolutional neural network for modeling sentences",  # case, American spelling
                    "Convolutional Neural Network for Modelling Sentences",  # first word dropped
                    "A Convolutional Neural Netwrok for Modelling Sentences"):  # a typo
        assert title_similarity(index.tokenize(variant), title) > 0.9
    assert title_similarity(index.tokenize(TITLES["cnn-images"]), title) < 0.85
    assert title_similarity(index.tokenize("modelling sentences"), title) < 0.8


def test_known_item_credit_goes_to_the_titled_paper_only(
        corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    _, keyword, _ = corpus
    credit = known_item_credit("convolutional neural network for modeling sentences", list(TITLES), keyword)
    assert credit[0] == pytest.approx(KnownItemParams().weight)  # nearly the title: full credit
    assert credit[0] > 3 * credit[1:].max()  # a title one word away gets a little; others none
    assert not known_item_credit("sentences", list(TITLES), keyword).any()  # one word is a topic, not a title


@pytest.mark.parametrize("query", [
    "A Convolutional Neural Network for Modelling Sentences",
    "convolutional neural network for modeling sentences",
    "A Convolutional Neural Netwrok for Modelling Sentences",
])
def test_a_near_title_finds_its_paper_first(query: str,
                                            corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, encoder = corpus
    assert rank(query, 3, dense, keyword, encoder)[0].paper_id == "cnn"
    without = rank(query, 5, dense, keyword, encoder, known=None)
    with_weight = rank(query, 5, dense, keyword, encoder, known=KnownItemParams(weight=8.0))
    assert with_weight[0].paper_id == "cnn" and with_weight[0].score > without[0].score


@pytest.mark.parametrize(("query", "first"), [
    ("arXiv:2401.01234v2", "2401.01234"),
    ("https://arxiv.org/abs/2401.01234", "2401.01234"),
    ("https://arxiv.org/pdf/hep-th/9901001v1", "hep-th/9901001"),
    ("https://doi.org/10.18653/v1/P18-1001", "10.18653/v1/P18-1001"),
    ("doi:10.1145/3600006.3613165", "10.1145/3600006.3613165"),
])
def test_identifier_forms(query: str, first: str) -> None:
    forms = identifier_forms(query)
    assert forms[0] == first and len(forms) == len(set(forms))


def test_identifier_forms_leave_text_alone() -> None:
    assert identifier_forms("quantization of 10.5 billion parameters") == []
    assert identifier_forms("A Convolutional Neural Network") == []


def test_a_pasted_arxiv_id_or_doi_finds_its_paper(settings: Settings) -> None:
    """Whether the id is the paper's own id or one of the ids its source gave (an arXiv snapshot record, a `doi`)."""
    papers = [PaperInput(TITLES[pid], ABSTRACTS[pid], id=own) for pid, own in
              (("cnn", "2401.01234"), ("rnn", "10.1000/RNN.7"), ("other", None))]
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(papers)
        assert kb.search("https://arxiv.org/abs/2401.01234v3", 3).results[0].id == "2401.01234"
        assert kb.search("doi:10.1000/RNN.7", 3).results[0].id == "10.1000/RNN.7"
        assert kb.search(TITLES["other"].lower(), 3).results[0].title == TITLES["other"]
        [entry] = kb.add_papers([PaperInput("Snorkelformer: Efficient Attention for Tiny Devices",
                                            "We propose an efficient attention method for a Jetson Orin.",
                                            doi="10.5555/clean.42", external_ids=(("arxiv", "2403.09999"),))]).papers
        for pasted in ("2403.09999", "arXiv:2403.09999v1", "https://doi.org/10.5555/CLEAN.42", "10.5555/clean.42"):
            assert kb.search(pasted, 3).results[0].id == entry.id, pasted


def test_maxsim_matches_each_passage_with_its_best_counterpart() -> None:
    pairs = np.array([[0.9, 0.1], [0.2, 0.3], [0.5, 0.6]], dtype=np.float32)  # 3 candidate passages x 2 own
    owners = np.array([0, 0, 1])
    values = _maxsim(pairs, pairs.max(axis=1), owners, 2)
    # paper 0: own passages' best (0.9, 0.3), its passages' best (0.9, 0.3); paper 1: (0.5, 0.6) and (0.6)
    assert values == pytest.approx([0.6, (0.55 + 0.6) / 2])


def test_similar_uses_the_graph_signal(corpus: tuple[DenseIndex, KeywordIndex, HashingEncoder]) -> None:
    dense, keyword, _ = corpus
    plain = [h.paper_id for h in similar("cnn", 4, dense, keyword)]
    assert "cnn" not in plain

    def favour_zebrafish(candidates: list[str]) -> np.ndarray:
        return np.array([1.0 if c == "other" else 0.0 for c in candidates])

    hits = similar("cnn", 4, dense, keyword, graph=favour_zebrafish, graph_candidates=["other"],
                   similar_params=SimilarParams(graph_weight=5.0))
    assert hits[0].paper_id == "other"


def test_a_hub_is_near_everything_and_similar_demotes_it() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors[1:, 0] += 2.0  # every paper leans one way,
    vectors[0] = np.eye(8)[0]  # and paper 0 is that way alone: the hub, close to every other paper
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = DenseIndex(8)
    for i, vector in enumerate(vectors):
        dense.add(f"p{i:02d}", vector[None, :])
    cosines = vectors @ vectors.T
    np.fill_diagonal(cosines, -np.inf)
    expected = np.sort(cosines, axis=1)[:, ::-1][:, :15].mean(axis=1)
    hubs = {f"p{i:02d}": neighbour_similarity(f"p{i:02d}", dense, 15) for i in range(30)}
    assert list(hubs.values()) == pytest.approx(expected.tolist(), abs=1e-5)
    assert max(hubs, key=hubs.__getitem__) == "p00"
    assert neighbour_similarity("missing", dense, 5) == 0.0

    def hubness(candidates: list[str]) -> np.ndarray:
        return np.array([hubs[c] for c in candidates])

    query = "p01"
    plain = [h.paper_id for h in similar(query, 29, dense)]
    corrected = [h.paper_id for h in similar(query, 29, dense, hubness=hubness,
                                             similar_params=SimilarParams(hub_weight=1.0))]
    by_hand = sorted(hubs.keys() - {query}, key=lambda p: -(cosines[1, int(p[1:])] - hubs[p]))
    assert corrected == by_hand
    assert corrected.index("p00") > plain.index("p00")
    assert [h.paper_id for h in similar(query, 29, dense, hubness=hubness,
                                        similar_params=SimilarParams(hub_weight=0.0))] == plain


def test_hubness_is_kept_until_the_corpus_changes_size(settings: Settings) -> None:
    papers = [PaperInput(TITLES[pid], ABSTRACTS[pid]) for pid in TITLES]
    with KnowledgeBase.open(settings) as kb:
        ids = [p.id for p in kb.add_papers(papers[:3]).papers]
        params = SimilarParams()
        hubness = kb.queries.hubness(params)
        assert hubness is not None and kb.queries.hubness(SimilarParams(hub_weight=0)) is None
        first = hubness(ids)
        assert first.shape == (3,) and np.all(first > 0)
        kb.queries._hubs[(ids[0], params.hub_neighbours)] = 9.0  # reused while the data stays the same
        assert hubness(ids)[0] == 9.0
        fewer = kb.queries.hubness(SimilarParams(hub_neighbours=1))
        assert fewer is not None and fewer(ids)[0] not in (9.0, first[0])  # another neighbour count: its own
        kb.queries.params = replace(kb.queries.params, hub_refresh=1.0)
        kb.add_papers(papers[3:4])  # 3 -> 4 papers: within hub_refresh, kept
        assert hubness(ids)[0] == 9.0
        kb.queries.params = replace(kb.queries.params, hub_refresh=0.1)
        kb.add_papers(papers[4:])  # 4 -> 5 papers: beyond it, computed again
        assert hubness(ids)[0] != 9.0
        assert [r.id for r in kb.similar(ids[0], 3)] and ids[0] not in [r.id for r in kb.similar(ids[0], 3)]


def test_generic_techniques_file(tmp_path: Path) -> None:
    path = tmp_path / "generic.txt"
    path.write_text("# comment\nTransformer\n\nlayer normalization  # a building block\n", encoding="utf-8")
    assert load_generic(path) == {"transformer", "layer normalization"}
    assert load_generic(tmp_path / "absent.txt") == frozenset()
    shipped = load_generic(Path(__file__).resolve().parents[1] / "seeds/vocab/generic_techniques.txt")
    assert {"transformer", "efficient inference", "regular decoding"} <= shipped


def test_related_offers_no_umbrella_siblings_and_shows_evidence(seeded_settings: Settings) -> None:
    with KnowledgeBase.open(seeded_settings, read_only=True) as kb:
        generic = load_generic(kb.settings.seeds / "vocab" / "generic_techniques.txt")
        results = kb.related("speculative decoding", 10)
        assert results
        names = [r.name.lower() for r in results]
        assert "kernel fusion" not in names  # a sibling under an umbrella ("efficient inference") is no link
        flags = [name in generic for name in names]
        assert flags == sorted(flags)  # generic ones ("regular decoding") only after every specific one
        for result in results:
            link = result.why["taxonomy"]
            if link and link["relation"] in ("sibling", "cousin"):
                parent = kb.vocabulary.get(link["path"][1])
                assert parent is None or parent.label.lower() not in generic
            assert result.why["shared_paper_count"] or link  # every result shows its evidence


@pytest.mark.parametrize(("query", "named"), [
    ("lora", ["technique/lora"]),  # not LoRA-Plus: "LoRA+" is "lora plus"
    ("lora+ on a100", ["technique/lora-plus", "hardware/nvidia-a100"]),
    ("qlora fine-tuning on a100 gpus", ["technique/qlora", "hardware/nvidia-a100"]),
    ("gptq quantization of llama-2 70b", ["technique/gptq", "model/llama-2"]),
    ("adam optimizer", []),  # a capitalised word in lower case may be just a word
    ("fast speech synthesis", []),  # FastSpeech is one word; "fast speech" is two
    ("recovering the shape of a scene", []),  # nor is "shape" Shap-E
    ("LoRA on A100", []),  # as written: the extractor reads it
])
def test_names_typed_in_lower_case_are_found(query: str, named: list[str]) -> None:
    assert Vocabulary.load(ROOT / "seeds").named_in_lowercase(query) == named


def test_a_lower_case_query_links_what_it_names(settings: Settings, seed_papers: list[PaperInput]) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:40])
        assert kb.get_entity("hardware/nvidia-a100").paper_count
        for query in ("a100", "A100"):
            hits = kb.search(query, 10).results
            assert any("hardware/nvidia-a100" in {e.id for e in hit.entities} for hit in hits), query
