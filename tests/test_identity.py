"""Streaming batched ingest and identity: every id a source gives resolves, the same work from two sources is one
paper, an id merged away keeps resolving; metadata in the API and RDF; schema upgrade of older stores."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from paperkg.cli import main
from paperkg.core.errors import InvalidInput
from paperkg.core.identifiers import record_digest
from paperkg.core.ids import paper_id
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.kb.ingest import IngestOptions, ingest_files
from paperkg.store import SCHEMA_VERSION, Store
from tests.conftest import write_jsonl
from tests.source_samples import LORA

SAMPLES = Path(__file__).parent / "data" / "sources"
LORA_IDS = ["2106.09685", "arXiv:2106.09685v2", "arXiv:2106.09685V2", " 2106.09685 ", "https://arxiv.org/abs/2106.09685",
            "10.48550/arXiv.2106.09685",
            "https://doi.org/10.48550/ARXIV.2106.09685", "W3168867926", "https://openalex.org/W3168867926",
            "a8ca46b171467ceb2d7652fbfb67fe701ad86092", "hu_lora_2021", "235458009"]


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, [*args, "--data", str(tmp_path / "data")], env={"PAPERKG_MODEL": "hashing"},
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def merged(settings: Settings) -> Iterator[KnowledgeBase]:
    """Every sample file ingested: 4 works, each from up to five sources."""
    with KnowledgeBase.open(settings) as kb:
        ingest_files(kb, [SAMPLES], IngestOptions(batch_size=3))
        yield kb


def test_five_sources_fold_into_four_papers_with_every_id(merged: KnowledgeBase) -> None:
    assert merged.paper_count() == 4
    lora = {merged.store.resolve(text) for text in LORA_IDS}
    assert len(lora) == 1 and None not in lora
    [own] = lora
    assert merged.store.resolve(f" {own}\t") == own  # surrounding whitespace is no part of any id
    detail = merged.get_paper("arXiv:2106.09685")
    assert detail.abstract == LORA and detail.authors[0] == "Edward J. Hu"
    assert detail.doi == "10.48550/arxiv.2106.09685" and detail.year == 2021
    assert {"cs.LG", "Computer Science"} <= set(detail.categories)
    kinds = {(i.kind, i.value) for i in detail.identifiers}
    assert {("arxiv", "2106.09685"), ("doi", "10.48550/arxiv.2106.09685"), ("openalex", "W3168867926"),
            ("s2", "a8ca46b171467ceb2d7652fbfb67fe701ad86092"), ("key", "hu_lora_2021")} <= kinds
    assert next(i.iri for i in detail.identifiers if i.kind == "arxiv") == "https://arxiv.org/abs/2106.09685"
    assert merged.store.resolve("1706.03762") == merged.store.resolve("204e3073870fae3d05bcbc2f6a8e263d9b72e776")
    assert merged.store.resolve("10.9999/nothing") is None
    for node in ("arXiv:2106.09685", "paper/2106.09685", "paper/10.48550/arXiv.2106.09685", f"paper/{own}"):
        assert merged.neighborhood(node).center == f"paper/{own}", node


def test_api_and_sparql_resolve_any_id(merged: KnowledgeBase) -> None:
    from paperkg.api.app import create_app

    with TestClient(create_app(merged.settings, merged)) as client:
        pid = merged.store.resolve("2106.09685")
        for text in ("2106.09685", "https://doi.org/10.48550/ARXIV.2106.09685", "W3168867926", "hu_lora_2021"):
            body = client.get(f"/papers/{text}").json()
            assert body["id"] == pid, text
        assert body["venue"] and "cs.LG" in body["categories"] and body["doi"] == "10.48550/arxiv.2106.09685"
        assert client.get("/papers/W3168867926/similar", params={"k": 2}).status_code == 200
        assert client.get("/papers/W0000000000").status_code == 404
        posted = client.post("/papers", json={"title": "Posted", "abstract": "With a DOI.", "venue": "KDD",
                                              "doi": "https://doi.org/10.1145/ABC", "categories": ["cs.DB"]}).json()
        shown = client.get("/papers/doi:10.1145/abc").json()
        assert (shown["id"], shown["doi"], shown["venue"]) == (posted["papers"][0]["id"], "10.1145/abc", "KDD")
        assert client.post("/papers", json={"title": "T", "abstract": "A.", "doi": "nope"}).status_code == 400
    query = ("SELECT ?paper ?title WHERE { ?paper owl:sameAs <https://arxiv.org/abs/2106.09685> ; "
             "dcterms:identifier \"W3168867926\" ; dcterms:title ?title ; dcterms:subject \"cs.LG\" }")
    rows = json.loads(merged.sparql(query, fmt="json").body)["results"]["bindings"]
    assert [(r["paper"]["value"].endswith(str(pid)), r["title"]["value"]) for r in rows] == \
        [(True, "LoRA: Low-Rank Adaptation of Large Language Models")]


def test_cli_shows_a_paper_by_any_id(run: Any) -> None:
    result = run("ingest", str(SAMPLES / "arxiv-snapshot.json"), str(SAMPLES / "s2-batch.json"))
    assert result.exit_code == 0, result.output
    shown = json.loads(run("paper", "a8ca46b171467ceb2d7652fbfb67fe701ad86092", "--json").stdout)
    assert shown["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert shown["venue"] == "International Conference on Learning Representations"
    text = run("paper", "arXiv:1706.03762").stdout
    assert "Attention" in text and "arxiv:1706.03762" in text and "s2:204e3073870fae3d05bcbc2f6a8e263d9b72e776" in text


def test_an_id_merged_away_keeps_resolving(settings: Settings) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Shared Title", "First abstract.", id="abc")])
        kb.add_papers([PaperInput("Shared title", "Second abstract.", id="def")])
        assert kb.paper_count() == 1
        assert kb.get_paper("def").id == "abc" and kb.get_paper("def").abstract == "Second abstract."
        one = PaperInput("Same work", "Via arXiv.", external_ids=(("arxiv", "2401.00001"),))
        two = PaperInput("Same work, retitled by the publisher", "Via the journal.", doi="10.48550/arxiv.2401.00001")
        report = kb.add_papers([one, two])  # one batch: the later record wins and keeps the ids of both
        assert [p.status for p in report.papers] == ["superseded", "created"]  # in the order given
        assert kb.store.resolve("2401.00001") == kb.store.resolve("10.48550/ARXIV.2401.00001") == report.papers[1].id
        kb.add_papers([PaperInput("Same work again", "Later.", external_ids=(("arxiv", "arXiv:2401.00001v3"),))])
        assert kb.paper_count() == 2 and kb.get_paper("2401.00001").title == "Same work again"
        keyed = [PaperInput(f"Paper {n}", "Abstract.", external_ids=(("key", "smith2020"),)) for n in (1, 2)]
        kb.add_papers(keyed[:1])
        kb.add_papers(keyed[1:])  # a citation key is local to its file: the same key is no reason to merge
        assert kb.get_paper("smith2020").title == "Paper 1" and kb.paper_count() == 4
        kb.add_papers([PaperInput("Dated", "Abstract.", year=2020, authors=("Ada Lovelace",), venue="ICLR")])
        kb.add_papers([PaperInput("Dated", "Abstract.", url="https://example.org/d", categories=("cs.LG",))])
        detail = kb.get_paper(paper_id("Dated"))  # the second source lacks year, authors, venue: they are kept
        assert (detail.year, detail.authors, detail.venue, detail.url, detail.categories) == \
            (2020, ["Ada Lovelace"], "ICLR", "https://example.org/d", ["cs.LG"])


def test_batches_commit_one_by_one_and_a_rerun_skips_what_is_stored(run: Any, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[dict[str, object]] = [{"title": f"Paper number {i}", "abstract": f"Abstract {i} about LoRA."}
                                     for i in range(7)]
    source = write_jsonl(tmp_path / "seven.jsonl", rows)
    calls: list[int] = []
    real = KnowledgeBase.add_papers

    def interrupted(self: KnowledgeBase, papers: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(papers))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, papers, *args, **kwargs)

    monkeypatch.setattr(KnowledgeBase, "add_papers", interrupted)
    result = run("ingest", str(source), "--batch-size", "2")
    assert result.exit_code == 130 and "batch in flight" in result.stderr
    monkeypatch.setattr(KnowledgeBase, "add_papers", real)
    stats = json.loads(run("stats", "--json").stdout)
    assert (stats["papers"], stats["version"]) == (4, 2)  # two committed batches, the third lost
    again = json.loads(run("ingest", str(source), "--batch-size", "2", "--json").stdout)
    assert again["statuses"] == {"unchanged": 4, "created": 3}
    assert json.loads(run("stats", "--json").stdout)["version"] == 4


def test_bad_records_all_or_nothing_unless_skip_bad(run: Any, tmp_path: Path) -> None:
    lines = (SAMPLES / "arxiv-snapshot.json").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "dump.json"
    bad.write_bytes(("\n".join([lines[0], "{broken", lines[1], '{"id": "x", "title": "T", "abstract": "A"}', lines[2]])
                     + "\n").encode() + b'{"id": "2106.09686", "title": "Caf\xe9"}\n')
    result = run("ingest", str(bad))
    assert result.exit_code == 1
    assert result.stderr == (f"paperkg: error: {bad}:2: not JSON: Expecting property name enclosed in double quotes "
                             f"(column 2) (3 bad records in {bad}; --skip-bad stores the good ones)\n")
    assert run("stats", "--json").exit_code == 1  # nothing was stored: not even a store
    result = run("ingest", str(bad), "--skip-bad")
    assert result.exit_code == 0, result.output
    assert f"skipped {bad}:4: 'id' 'x' is not an arXiv id" in result.stderr
    assert f"skipped {bad}:6: not UTF-8 (byte 0xe9)" in result.stderr
    assert "3 papers read: 3 created (skipped: 3 bad)" in result.stdout


def test_slice_by_category_and_year_from_the_cli(run: Any) -> None:
    result = run("ingest", str(SAMPLES / "arxiv-snapshot.json"), "--category", "cs.LG", "--since", "2023")
    assert "1 papers read: 1 created (skipped: 2 outside the slice)" in result.stdout
    assert json.loads(run("paper", "2305.14314", "--json").stdout)["categories"] == ["cs.LG"]


def test_version_1_store_is_upgraded_in_place(settings: Settings) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Old paper", "Stored before ids were kept.", id="old-1")])
    db = settings.data / "paperkg.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript("DROP TABLE paper_ids; DROP TABLE paper_meta; DROP TABLE paper_records; "
                           "DROP TABLE applied_records; "
                           "UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    store = Store(db)
    try:
        assert store.meta("schema_version") == str(SCHEMA_VERSION) == "4"
        assert store.resolve("old-1") == "old-1"
    finally:
        store.close()
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Old paper", "Stored before ids were kept.", id="old-1", doi="10.1000/OLD")])
        assert kb.get_paper("doi:10.1000/old").id == "old-1"


def test_search_and_listing_filter_by_year_and_category(merged: KnowledgeBase) -> None:
    from paperkg.api.app import create_app

    found = merged.search("low-rank adapters for language models", 10, {"since": "2021", "category": "cs.LG"})
    assert {h.title for h in found.results} == {"LoRA: Low-Rank Adaptation of Large Language Models",
                                                "QLoRA: Efficient Finetuning of Quantized LLMs"}
    with TestClient(create_app(merged.settings, merged)) as client:
        hits = client.get("/search", params={"q": "transformer attention", "until": 2018}).json()["results"]
        assert [h["title"] for h in hits] == ["Attention is All you Need"]
        page = client.get("/papers", params={"category": "cs", "since": 2023}).json()
        assert (page["total"], page["results"][0]["title"]) == (1, "QLoRA: Efficient Finetuning of Quantized LLMs")
        assert client.get("/papers", params={"since": "soon"}).status_code == 422


def test_a_conflict_only_the_store_sees_is_rejected_with_skip_bad(settings: Settings, tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"title": "First", "abstract": "One.", "doi": "10.1000/one"},
                                     {"title": "Second", "abstract": "Two."}]
    conflict: list[dict[str, object]] = [{"title": "Second", "abstract": "Changed.", "doi": "10.1000/one"},
                                         {"title": "Third", "abstract": "3."}]
    source = write_jsonl(tmp_path / "conflict.jsonl", conflict)
    with KnowledgeBase.open(settings) as kb:
        ingest_files(kb, [write_jsonl(tmp_path / "first.jsonl", rows)], IngestOptions())
        with pytest.raises(InvalidInput, match="shares an id with paper"):
            ingest_files(kb, [source], IngestOptions())
        late = write_jsonl(tmp_path / "late.jsonl", [{"title": "Fourth", "abstract": "4."}, *conflict])
        with pytest.raises(InvalidInput, match=r"this batch was not stored; the 1 papers read before it were"):
            ingest_files(kb, [late], IngestOptions(batch_size=1))
        assert kb.paper_count() == 3  # "Fourth", from the batch before the conflict
        summary = ingest_files(kb, [source], IngestOptions(skip_bad=True))
        assert (summary.statuses["rejected"], summary.statuses["created"], kb.paper_count()) == (1, 1, 4)
        assert summary.rejected == [f"{source}:1: shares an id with paper {paper_id('First')!r}, but its title is "
                                    f"that of paper {paper_id('Second')!r}"]
        assert summary.tally.bad_count == 0  # one record, counted once: among the papers read, as rejected


def test_an_id_and_a_doi_naming_two_stored_papers_are_rejected(settings: Settings, tmp_path: Path) -> None:
    """A record whose own id is one stored paper and whose DOI is another's would make the first claim the second's
    DOI: it is rejected, and both papers stay as they were."""
    rows: list[dict[str, object]] = [{"id": "one", "title": "First", "abstract": "One.", "doi": "10.1000/one"},
                                     {"id": "two", "title": "Second", "abstract": "Two.", "doi": "10.1000/two"}]
    revised: dict[str, object] = {"id": "two", "title": "Second", "abstract": "Two, revised."}
    clash = [{**revised, "doi": "10.1000/one"}]
    with KnowledgeBase.open(settings) as kb:
        ingest_files(kb, [write_jsonl(tmp_path / "first.jsonl", rows)], IngestOptions())
        with pytest.raises(InvalidInput, match="'two' exists, but it shares an id with paper 'one'"):
            ingest_files(kb, [write_jsonl(tmp_path / "clash.jsonl", clash)], IngestOptions())
        assert kb.get_paper("two").abstract == "Two." and kb.get_paper("two").doi == "10.1000/two"
        assert kb.store.resolve("10.1000/one") == "one" and kb.get_paper("one").doi == "10.1000/one"
        same = [{**revised, "doi": "10.1000/two"}]
        summary = ingest_files(kb, [write_jsonl(tmp_path / "same.jsonl", same)], IngestOptions())
        assert summary.statuses["replaced"] == 1 and kb.get_paper("two").abstract == "Two, revised."


def test_another_work_with_the_same_title_is_stored_beside_it(settings: Settings, tmp_path: Path) -> None:
    """Two editorials of one title with different DOIs are two works: the second is stored beside the first under an
    id of its own, never over it, also within one batch and on every re-run; an arXiv record and its journal version
    stay one paper; a record that only has the title joins the paper that holds it."""
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Editorial", "Volume one, on quantization.", doi="10.7777/vol1")])
        [two] = kb.add_papers([PaperInput("Editorial", "Volume two, on pruning.", doi="10.7777/vol2")]).papers
        assert two.status == "created" and kb.paper_count() == 2
        assert kb.get_paper("10.7777/vol1").abstract == "Volume one, on quantization."
        assert kb.get_paper("10.7777/vol2").abstract == "Volume two, on pruning." and two.id != paper_id("Editorial")
        again = kb.add_papers([PaperInput("Editorial", "Volume two, on pruning.", doi="10.7777/vol2"),
                               PaperInput("Editorial", "Volume three.", doi="10.7777/vol3"),
                               PaperInput("Editorial", "Volume one, revised.", doi="10.7777/vol1")])
        assert [p.status for p in again.papers] == ["unchanged", "created", "replaced"] and kb.paper_count() == 3
        batch = kb.add_papers([PaperInput("Preface", "One.", doi="10.7777/p1"),
                               PaperInput("Preface", "Two.", doi="10.7777/p2")])
        assert [p.status for p in batch.papers] == ["created", "created"] and kb.paper_count() == 5
        kb.add_papers([PaperInput("Editorial", "No ids at all.")])
        assert kb.paper_count() == 5 and kb.get_paper("10.7777/vol1").abstract == "No ids at all."
        kb.add_papers([PaperInput("Some Work", "Preprint.", doi="10.48550/arXiv.2401.00001")])
        kb.add_papers([PaperInput("Some work", "Journal version.", doi="10.1145/12345")])
        assert kb.paper_count() == 6 and kb.get_paper("2401.00001").abstract == "Journal version."
        rows: list[dict[str, object]] = [{"title": "Erratum", "abstract": "First.", "doi": "10.7777/e1"},
                                         {"title": "Erratum", "abstract": "Second.", "doi": "10.7777/e2"}]
        source = write_jsonl(tmp_path / "errata.jsonl", rows)
        assert ingest_files(kb, [source], IngestOptions()).statuses["created"] == 2
        assert ingest_files(kb, [source], IngestOptions()).statuses["unchanged"] == 2
        assert kb.get_paper("10.7777/e1").abstract == "First." and kb.get_paper("10.7777/e2").abstract == "Second."


def test_a_title_with_no_letters_or_digits_is_rejected(settings: Settings) -> None:
    """Papers are told apart by their titles' words: "🙂" and "???" would be one paper, each overwriting the last."""
    with KnowledgeBase.open(settings) as kb:
        for title in ("\U0001f642", "???", "\u2211\u220f"):
            with pytest.raises(InvalidInput, match="has no letters or digits"):
                kb.add_papers([PaperInput(title, "An abstract.", id="e1")])
        assert kb.paper_count() == 0


def test_a_new_own_id_that_already_names_another_paper_is_rejected(settings: Settings) -> None:
    """An own id spelled like a stored paper's arXiv id (or DOI, or any id it answers to) would make that id name two
    papers; the same work under that id is still one paper."""
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("LoRA", "Low-rank adaptation.", external_ids=(("arxiv", "2106.09685"),))])
        with pytest.raises(InvalidInput, match=r"id '2106\.09685' already names paper"):
            kb.add_papers([PaperInput("Something else", "Another abstract.", id="2106.09685")])
        assert kb.get_paper("2106.09685").title == "LoRA" and kb.paper_count() == 1
        kb.add_papers([PaperInput("LoRA", "Low-rank adaptation, revised.", id="2106.09685")])
        assert kb.paper_count() == 1 and kb.get_paper("2106.09685").abstract == "Low-rank adaptation, revised."



def test_the_id_of_a_title_a_paper_has_left_is_not_that_paper(settings: Settings) -> None:
    """A paper keeps the id of its first title when it is retitled (same DOI, new title); a later work with that old
    title is another paper, stored under an id of its own, never over the retitled one; on every re-run too."""
    old, new = "Fast Inference for Large Language Models", "FastLLM: Fast Inference for Large Language Models on GPUs"
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput(old, "We quantize LLaMA-13B on A100 GPUs.", doi="10.1234/aaa")])
        assert kb.add_papers([PaperInput(new, "We quantize LLaMA-13B on A100 GPUs.", doi="10.1234/aaa")]
                             ).papers[0].status == "updated"
        for doi in ("10.9999/bbb", None):
            other = PaperInput(old, f"A survey of CPU inference ({doi}).", doi=doi)
            [entry] = kb.add_papers([other]).papers
            assert entry.status in ("created", "replaced") and entry.id != paper_id(old), entry
            assert kb.add_papers([other]).papers[0].status == "unchanged"
            assert kb.get_paper("10.1234/aaa").title == new and kb.paper_count() == 2


def test_a_doi_the_paper_gave_up_is_not_that_paper(settings: Settings) -> None:
    """A paper's own record corrects its DOI; the work that really has the old DOI comes later (from OpenAlex, with
    its own title) and is a paper of its own: it used to overwrite the corrected paper through the stale DOI."""
    mine = "We serve LLaMA-13B with tensor parallelism on two RTX 3090 GPUs."
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Tensor Parallel Serving", mine, id="mine-1", doi="10.1145/3600006.3613165")])
        kb.add_papers([PaperInput("Tensor Parallel Serving", mine, id="mine-1", doi="10.1145/3600006.3613999")])
        vllm = PaperInput("Efficient Memory Management for LLM Serving with PagedAttention", "vLLM on A100 GPUs.",
                          doi="10.1145/3600006.3613165", external_ids=(("openalex", "W4386764"),))
        [entry] = kb.add_papers([vllm]).papers
        assert entry.status == "created" and entry.id != "mine-1"
        assert kb.add_papers([vllm]).papers[0].status == "unchanged"
        kept = kb.get_paper("mine-1")
        assert (kept.title, kept.abstract, kept.doi) == ("Tensor Parallel Serving", mine, "10.1145/3600006.3613999")
        assert kb.get_paper("doi:10.1145/3600006.3613165").id == entry.id == kb.store.resolve("W4386764")
        assert kb.store.resolve("10.1145/3600006.3613999") == "mine-1" and kb.paper_count() == 2


def _arxiv_line(arxiv_id: str, title: str, abstract: str) -> dict[str, object]:
    """A line of the arXiv metadata snapshot."""
    return {"id": arxiv_id, "submitter": "A B", "authors": "A B", "title": title, "abstract": abstract,
            "categories": "cs.LG", "versions": [{"version": "v1", "created": "Mon, 1 May 2023 00:00:00 GMT"}],
            "authors_parsed": [["B", "A", ""]]}


def _openalex(work: str, title: str, words: str, doi: str | None = None) -> dict[str, object]:
    """An OpenAlex work of one year whose abstract is `words`."""
    return {"id": f"https://openalex.org/{work}", "title": title, "publication_year": 2023,
            "abstract_inverted_index": {word: [i] for i, word in enumerate(words.split())},
            **({"doi": f"https://doi.org/{doi}"} if doi else {})}


def test_a_rerun_with_one_work_in_two_batches_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    """The arXiv and the OpenAlex record of one work in different batches: the first run stores the paper and the
    later record overwrites it; a re-run (an interrupted ingest resumed) used to rewrite the paper twice, extracting
    and embedding it again each time. A record changed since is still applied."""
    arxiv: dict[str, object] = _arxiv_line("2106.09685", "LoRA", "The arXiv abstract.")
    openalex = {"id": "https://openalex.org/W3168867926", "title": "LoRA: Low-Rank Adaptation",
                "publication_year": 2022, "doi": "https://doi.org/10.48550/arXiv.2106.09685",
                "abstract_inverted_index": {"The": [0], "journal": [1], "abstract.": [2]}}
    files = [write_jsonl(tmp_path / "a.jsonl", [arxiv, _arxiv_line("2106.00001", "Other", "Else.")]),
             write_jsonl(tmp_path / "b.jsonl", [openalex])]
    with KnowledgeBase.open(settings) as kb:
        first = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert first.statuses == {"created": 2, "replaced": 1} and kb.paper_count() == 2
        again = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert again.statuses == {"unchanged": 3} and again.version == first.version
        assert kb.get_paper("2106.09685").abstract == "The journal abstract."
        write_jsonl(files[0], [{**arxiv, "abstract": "The arXiv abstract, v2."}, _arxiv_line("2106.00001", "Other",
                                                                                            "Else.")])
        # the edit is applied, and so is the later record of the work again: the paper holds what a fresh ingest of
        # these files gives
        assert ingest_files(kb, files, IngestOptions(batch_size=1)).statuses == {"replaced": 2, "unchanged": 1}
        assert kb.get_paper("2106.09685").abstract == "The journal abstract."
        write_jsonl(files[0], [arxiv])  # the edit taken back: applied again, as any change
        assert ingest_files(kb, files[:1], IngestOptions(batch_size=1)).statuses == {"replaced": 1}
        assert kb.get_paper("2106.09685").abstract == "The arXiv abstract."


def test_a_rerun_after_a_retitling_skips_instead_of_failing(settings: Settings, tmp_path: Path) -> None:
    """Batches of one: the arXiv record, then the same work retitled, then an own record with the first title (a new
    paper, as no stored paper has that title any more). Re-running the command failed ("shares an id with ..., but
    its title is that of paper 'own10'") instead of skipping what it had stored."""
    title, text = "PackMamba: Variable-Length Sequences", "We propose PackMamba, which runs Mamba on A100 GPUs."
    inverted = {word: [i] for i, word in enumerate(text.split())}
    files = [write_jsonl(tmp_path / "a.jsonl", [_arxiv_line("2302.00010", title, text)]),
             write_jsonl(tmp_path / "b.jsonl", [{"id": "https://openalex.org/W900010", "title": f"{title} (revised)",
                                                 "doi": "https://doi.org/10.48550/arXiv.2302.00010",
                                                 "abstract_inverted_index": inverted}]),
             write_jsonl(tmp_path / "c.jsonl", [{"id": "own10", "title": title, "abstract": text,
                                                 "doi": "10.5555/j10"}])]
    with KnowledgeBase.open(settings) as kb:
        first = ingest_files(kb, files, IngestOptions(batch_size=1))
        again = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert again.statuses == {"unchanged": 3} and again.version == first.version and kb.paper_count() == 2


def test_a_rerun_knows_each_record_by_its_own_id_whatever_else_changed(settings: Settings, tmp_path: Path) -> None:
    """A record's source is its own id (else its arXiv, OpenAlex, S2 id, key, DOI, title): an own record matched to
    an arXiv paper by title is skipped on re-run (it was applied again, over OpenAlex's record); a record given a
    DOI and then taken back is applied (it was skipped); the same file renamed changes nothing."""
    text = "We propose TinyDraft, speculative decoding on the B200 GPU."
    own: dict[str, object] = {"id": "own42", "title": "Speculative Decoding with Tiny Drafts",
                              "abstract": "Own: " + text}
    files = [write_jsonl(tmp_path / "a.jsonl", [_arxiv_line("2301.00042", str(own["title"]), "arXiv: " + text)]),
             write_jsonl(tmp_path / "own.jsonl", [own]),
             write_jsonl(tmp_path / "c.jsonl", [{"id": "https://openalex.org/W42", "title": own["title"],
                                                 "doi": "https://doi.org/10.48550/arXiv.2301.00042",
                                                 "abstract_inverted_index": {"OpenAlex.": [0]}}])]
    with KnowledgeBase.open(settings) as kb:
        first = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert ingest_files(kb, files, IngestOptions(batch_size=1)).version == first.version
        assert kb.get_paper("own42").abstract == "OpenAlex."
        files[1].rename(tmp_path / "mine.jsonl")
        assert ingest_files(kb, [tmp_path / "mine.jsonl"], IngestOptions()).statuses == {"unchanged": 1}
        write_jsonl(tmp_path / "mine.jsonl", [{**own, "abstract": "Own, v2.", "doi": "10.1000/own42"}])
        ingest_files(kb, [tmp_path / "mine.jsonl"], IngestOptions())
        write_jsonl(tmp_path / "mine.jsonl", [own])  # the edit taken back (its DOI too): a change, applied
        assert ingest_files(kb, [tmp_path / "mine.jsonl"], IngestOptions()).statuses == {"replaced": 1}
        assert kb.get_paper("own42").abstract == "Own: " + text


def test_a_doi_a_preprint_record_overwrote_still_names_the_paper(settings: Settings) -> None:
    """An arXiv DOI a preprint record gave replaces the stored DOI, but says nothing of the journal DOI before it: a
    later record with that journal DOI and a subtitle is the same paper (it became a second one that took the DOI)."""
    text = "We propose JKernels on A100 GPUs."
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("J Kernels", text, id="own7", doi="10.1000/j7")])
        kb.add_papers([PaperInput("J Kernels", text, doi="10.48550/arXiv.2301.00007")])
        kb.add_papers([PaperInput("J Kernels: Fast Sparse Kernels", text, doi="10.1000/j7")])
        assert kb.paper_count() == 1 and kb.store.resolve("10.1000/j7") == "own7"
        kb.add_papers([PaperInput("J Kernels", text + " Edited.", id="own7", doi="10.1000/j7")])


def test_a_new_doi_keeps_the_ids_other_records_gave(settings: Settings) -> None:
    """The own record gives a new DOI; the DOI an OpenAlex record gave and the arXiv id of the arXiv DOI still name
    the paper, and later records of the same title with them are that paper, not second ones."""
    text = "We propose AlphaPrune, a pruning method for OPT-13B."
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Alpha Pruning", text, id="own9", doi="10.48550/arXiv.2301.00009")])
        kb.add_papers([PaperInput("Alpha Pruning", text, doi="10.1000/oa9", external_ids=(("openalex", "W909"),))])
        kb.add_papers([PaperInput("Alpha Pruning", text, id="own9", doi="10.1000/journal9")])
        assert {kb.store.resolve(i) for i in ("10.1000/oa9", "arXiv:2301.00009", "10.1000/journal9")} == {"own9"}
        kb.add_papers([PaperInput("Alpha Pruning", "CSL.", doi="10.1000/oa9")])
        kb.add_papers([PaperInput("Alpha Pruning", "v2.", external_ids=(("arxiv", "2301.00009v2"),))])
        assert kb.paper_count() == 1


def test_re_extraction_keeps_two_works_of_one_title(settings: Settings) -> None:
    """Two "Editorial" works (other DOIs) stored side by side: a new extractor re-extracts every stored paper under
    its id; that failed for the second one ("its new title is that of paper ..."), so the store could not be opened
    for writing after an upgrade."""
    editorials = [PaperInput("Editorial", f"This editorial introduces volume {n}.", doi=f"10.2000/ed{n}")
                  for n in (1, 2)]
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(editorials[:1])
        kb.add_papers(editorials[1:])
        kb.store.set_meta("extractor_version", "older")
        ids = {kb.store.resolve("10.2000/ed1"), kb.store.resolve("10.2000/ed2")}
    with KnowledgeBase.open(settings) as kb:
        assert kb.paper_count() == 2 and {kb.store.resolve("10.2000/ed1"), kb.store.resolve("10.2000/ed2")} == ids
        assert kb.get_paper("10.2000/ed2").abstract == "This editorial introduces volume 2."


def test_a_record_whose_arxiv_id_is_a_stored_own_id_is_that_paper(settings: Settings) -> None:
    """{"id": "2305.11111"} stored first, then the arXiv snapshot's 2305.11111: one paper, and every spelling of the id
    names it (it was a second paper that only "arXiv:2305.11111" named)."""
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([PaperInput("Paged Attention for Serving", "We serve LLaMA-7B with vLLM.", id="2305.11111")])
        kb.add_papers([PaperInput("Paged Attention for Serving", "The arXiv abstract.",
                                  external_ids=(("arxiv", "2305.11111"),))])
        assert kb.paper_count() == 1
        spellings = ("2305.11111", "arXiv:2305.11111", "https://arxiv.org/abs/2305.11111v2")
        assert {kb.get_paper(i).id for i in spellings} == {"2305.11111"}
        assert kb.get_paper("2305.11111").abstract == "The arXiv abstract."


def _stored(kb: KnowledgeBase) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every paper's title, abstract and ids but its paper id, sorted (the paper id names the first record)."""
    rows = kb.store._db.execute("SELECT id, title, abstract FROM papers").fetchall()
    return sorted((title, abstract, sorted(kb.store._db.execute(
        "SELECT kind, value FROM paper_ids WHERE paper_id = ? AND kind != 'own'", (pid,)).fetchall()))
        for pid, title, abstract in rows)


def test_what_is_stored_does_not_depend_on_the_batch_size(tmp_path: Path) -> None:
    """A batch folded by every title its records had, the store by the title each paper has now: a work retitled by
    a later record and then met under its first title was one paper in a big batch and two in small ones."""
    arxiv: list[dict[str, object]] = []
    openalex: list[dict[str, object]] = []
    own: list[dict[str, object]] = []
    for i in range(12):
        title, text = f"Work {i}: sparse kernels for model {i}", f"We propose method {i} for GPU {i}."
        arxiv.append(_arxiv_line(f"2302.{i:05d}", title, text))
        if i % 3 == 0:  # the journal version: same title, a DOI of its own
            openalex.append(_openalex(f"W9{i:05d}", title, text + " (journal)", f"10.5555/j{i}"))
        elif i % 3 == 1:  # the arXiv DOI under a new title
            openalex.append(_openalex(f"W9{i:05d}", f"{title} (revised)", text + " (journal)",
                                      f"10.48550/arXiv.2302.{i:05d}"))
        if i % 2 == 0:  # an own record under the first title and the journal DOI
            own.append({"id": f"own{i}", "title": title, "abstract": text + " (own)", "doi": f"10.5555/j{i}"})
    files = [write_jsonl(tmp_path / "a.jsonl", arxiv), write_jsonl(tmp_path / "b.jsonl", openalex),
             write_jsonl(tmp_path / "c.jsonl", own)]
    stored = []
    for size in (1, 5, 1000):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            ingest_files(kb, files, IngestOptions(batch_size=size))
            stored.append(_stored(kb))
            assert ingest_files(kb, files, IngestOptions(batch_size=size)).statuses.keys() <= {"unchanged",
                                                                                              "superseded"}
    assert stored[0] == stored[1] == stored[2]
    assert len(stored[0]) == 14  # 12 works; 2 retitled, then met under the first title, are a second paper


def test_a_retitling_and_the_first_title_in_one_batch_are_read_in_order(tmp_path: Path) -> None:
    """A work retitled (Alpha -> Beta), then a record with nothing but its first title: another paper. When the
    retitling and that record met in one batch after the first record was stored, the store matched the record to
    the work by the title it had before the batch and overwrote the retitled work (batch size 2); a batch folding
    all four lost it too (batch size 1000)."""
    records: list[dict[str, object]] = [
        {"title": "Unrelated zero", "abstract": "z0 unrelated"}, _openalex("W1", "Alpha", "a1 first"),
        _openalex("W1", "Beta", "b2 retitled"), {"title": "Alpha", "abstract": "a3 title only record"}]
    files = [write_jsonl(tmp_path / f"{n}.jsonl", [record]) for n, record in enumerate(records)]
    stored = []
    for size in (1, 2, 1000):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            ingest_files(kb, files, IngestOptions(batch_size=size))
            stored.append(_stored(kb))
    assert stored[0] == stored[1] == stored[2]
    assert [(title, abstract) for title, abstract, _ in stored[0]] == [
        ("Alpha", "a3 title only record"), ("Beta", "b2 retitled"), ("Unrelated zero", "z0 unrelated")]


def test_a_doi_the_work_gave_up_names_the_other_work_at_any_batch_size_and_on_a_re_run(tmp_path: Path) -> None:
    """A work's record changes its DOI (p1 -> p2); a later record of another title carries p1. A batch folding all
    three made one paper of them (Alpha lost), and a re-run at batch size 1 matched the work's first record by p1 to
    Beta and overwrote it."""
    records: list[dict[str, object]] = [_openalex("W1", "Alpha", "a1 first", "10.1000/p1"),
                                        _openalex("W1", "Alpha", "a2 second", "10.1000/p2"),
                                        {"title": "Beta", "abstract": "b3 beta", "doi": "10.1000/p1"}]
    files = [write_jsonl(tmp_path / f"{n}.jsonl", [record]) for n, record in enumerate(records)]
    for size in (1, 1000):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            for _ in range(2):
                ingest_files(kb, files, IngestOptions(batch_size=size))
                assert [(title, abstract) for title, abstract, _ in _stored(kb)] == [("Alpha", "a2 second"),
                                                                                   ("Beta", "b3 beta")]
                assert kb.get_paper("10.1000/p1").title == "Beta" and kb.get_paper("W1").abstract == "a2 second"


def test_a_record_carrying_an_arxiv_doi_is_not_the_arxiv_records_source(tmp_path: Path) -> None:
    """The arXiv record, our record with its arXiv DOI, then the OpenAlex record: three sources of one paper. The
    second had been taken for the arXiv record's source (the arXiv id the DOI implies), so a re-run applied the first
    two again and left the paper with the second's content."""
    files = [write_jsonl(tmp_path / "a.jsonl", [_arxiv_line("2301.00004", "Graph neural networks", "r1 arXiv.")]),
             write_jsonl(tmp_path / "b.jsonl", [{"title": "Editorial", "abstract": "r2 ours.",
                                                 "doi": "10.48550/arXiv.2301.00004"}]),
             write_jsonl(tmp_path / "c.jsonl", [_openalex("W101", "Graph neural networks", "r3 OpenAlex.",
                                                          "10.48550/arXiv.2301.00004")])]
    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        ingest_files(kb, files, IngestOptions(batch_size=1))
        again = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert again.statuses == {"unchanged": 3} and kb.get_paper("2301.00004").abstract == "r3 OpenAlex."


def test_an_own_id_that_is_an_arxiv_id_folds_with_that_arxiv_record_in_one_batch(tmp_path: Path) -> None:
    """Our record {"id": "2301.00001"}, then the arXiv record 2301.00001: one paper in batches of one (the store
    matches a paper's own id), and two in one batch, where `paper arXiv:2301.00001` and `paper 2301.00001` named
    different papers."""
    files = [write_jsonl(tmp_path / "a.jsonl", [{"id": "2301.00001", "title": "Alpha", "abstract": "a1 ours"}]),
             write_jsonl(tmp_path / "b.jsonl", [_arxiv_line("2301.00001", "Alpha revised", "a2 arxiv record")])]
    stored = []
    for size in (1, 2):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            ingest_files(kb, files, IngestOptions(batch_size=size))
            stored.append(_stored(kb))
            assert kb.paper_count() == 1
            assert kb.store.resolve("2301.00001") == kb.store.resolve("arXiv:2301.00001")
    assert stored[0] == stored[1]


def test_a_record_re_applied_in_a_run_does_not_leave_the_paper_with_older_content(tmp_path: Path) -> None:
    """Our record (arXiv DOI), then the OpenAlex record of the work. When a re-run applies the first again (its
    source was unknown to the store: a store written by an older version keyed it otherwise), the OpenAlex record,
    the last its own source gave, was skipped as applied and the paper kept the older content."""
    files = [write_jsonl(tmp_path / "a.jsonl", [{"title": "Graph neural networks", "abstract": "j1 ours",
                                                 "doi": "10.48550/arXiv.2301.00001"}]),
             write_jsonl(tmp_path / "b.jsonl", [_openalex("W101", "Graph neural networks", "o2 OpenAlex latest",
                                                          "10.48550/arXiv.2301.00001")])]
    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        ingest_files(kb, files, IngestOptions(batch_size=1))
        with kb.store._db:
            kb.store._db.execute("DELETE FROM paper_records WHERE digest = ?", (record_digest(
                PaperInput("Graph neural networks", "j1 ours", doi="10.48550/arxiv.2301.00001")),))
        again = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert again.statuses == {"replaced": 2} and kb.get_paper("W101").abstract == "o2 OpenAlex latest"
        last = ingest_files(kb, files, IngestOptions(batch_size=1))
        assert last.statuses == {"unchanged": 2} and kb.get_paper("W101").abstract == "o2 OpenAlex latest"
