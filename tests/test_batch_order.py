"""A batch is read in order, as batches of one would be: what an ingest stores, and whether it stops, never depends
on `--batch-size`, and a later record of a paper in the batch supersedes the earlier ones without losing them."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperkg.core.errors import InvalidInput
from paperkg.core.identifiers import record_source
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.kb.ingest import IngestOptions, ingest_files
from tests.conftest import write_jsonl
from tests.test_identity import _arxiv_line, _openalex, _stored

Stored = list[tuple[str, str, list[tuple[str, str]]]]


def _files(tmp_path: Path, name: str, *records: dict[str, object]) -> list[Path]:
    """One file a record, in input order, in a directory of their own."""
    (tmp_path / name).mkdir(parents=True, exist_ok=True)
    return [write_jsonl(tmp_path / name / f"{n:03d}.jsonl", [record]) for n, record in enumerate(records)]


def _ingest(tmp_path: Path, records: list[dict[str, object]], size: int) -> Stored | str:
    """What a store holds after ingesting `records` (one file each, in order) at this batch size, or the file of the
    record the ingest stopped at."""
    files = _files(tmp_path, "in", *records)
    with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
        try:
            ingest_files(kb, files, IngestOptions(batch_size=size))
        except InvalidInput as error:
            return Path(error.detail.split(":")[0]).name
        return _stored(kb)


CASES: dict[str, tuple[list[dict[str, object]], list[tuple[str, str]]]] = {
    # W2 retitled onto the title W1 holds, then a record with nothing but that title: it is W1's (batch size 2
    # folded it into W2 and lost W2's abstract)
    "retitled onto a held title": (
        [_openalex("W1", "Editorial", "e1 vol1", "10.1000/v1"),
         _openalex("W2", "Introduction", "i2 vol2", "10.1000/v2"),
         _openalex("W2", "Editorial", "e3 vol2", "10.1000/v2"), {"title": "Editorial", "abstract": "e4 title only"}],
        [("Editorial", "e3 vol2"), ("Editorial", "e4 title only")]),
    # two works titled "Editorial"; the first retitled; then a title-only "Editorial": a paper of its own (batch
    # size 3 gave W2 the bare title and the title-only record overwrote W2's abstract)
    "a title the other work shadowed": (
        [_openalex("W1", "Editorial", "e1 vol1", "10.1000/v1"), _openalex("W2", "Editorial", "e2 vol2", "10.1000/v2"),
         _openalex("W1", "Preface", "p3 vol1", "10.1000/v1"), {"title": "Editorial", "abstract": "e4 title only"}],
        [("Editorial", "e2 vol2"), ("Editorial", "e4 title only"), ("Preface", "p3 vol1")]),
    # the arXiv record of another work of W101's first title, W101 retitled, then an own record of that title: at
    # batch size 3 the own record overwrote the arXiv record, whose abstract was stored nowhere
    "an other work's arXiv record": (
        [_openalex("W101", "Graph neural networks", "r1 openalex", "10.48550/arXiv.2301.00001"),
         _arxiv_line("2301.00003", "Graph neural networks", "r2 arxiv other work"),
         _openalex("W101", "Deep learning survey", "r3 retitles W101", "10.48550/arXiv.2301.00001"),
         {"id": "o1", "title": "Graph neural networks", "abstract": "r4 own id o1"}],
        [("Deep learning survey", "r3 retitles W101"), ("Graph neural networks", "r2 arxiv other work"),
         ("Graph neural networks", "r4 own id o1")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_record_is_matched_after_the_ones_before_it(tmp_path: Path, case: str) -> None:
    records, expected = CASES[case]
    results = [_ingest(tmp_path, records, size) for size in (1, 2, 3, 1000)]
    assert all(result == results[0] for result in results), case
    assert not isinstance(results[0], str)
    assert [(title, abstract) for title, abstract, _ in results[0]] == expected


def _dense_corpus(seed: int) -> list[dict[str, object]]:
    """Eight records of a few works that share titles and every kind of id at random: most such corpora contradict
    themselves somewhere (an id of one work, the title of another)."""
    rng = random.Random(seed)
    titles = ["Editorial", "Graph neural networks", "Deep learning survey", "Attention is enough"]
    records: list[dict[str, object]] = []
    for n in range(8):
        title = rng.choice(titles)
        abstract = f"r{n} about {title.lower()}"
        doi = rng.choice([None, "10.1000/p1", "10.1000/p2", "10.48550/arXiv.2301.00001"])
        kind = rng.choice(["arxiv", "openalex", "own", "bare"])
        if kind == "arxiv":
            records.append(_arxiv_line(rng.choice(["2301.00001", "2301.00002"]), title, abstract))
        elif kind == "openalex":
            records.append(_openalex(rng.choice(["W101", "W102"]), title, abstract, doi))
        else:
            own = {"id": rng.choice(["o1", "2301.00002"])} if kind == "own" else {}
            records.append({**own, "title": title, "abstract": abstract, **({"doi": doi} if doi else {})})
    return records


@pytest.mark.parametrize("seed", range(6))
def test_dense_corpora_store_the_same_at_every_batch_size(tmp_path: Path, seed: int) -> None:
    """Each size stores the same papers, or each stops at the same record. (Before, 10 of 60 such corpora stored
    something else at some batch size, and 40 stopped at some sizes only.)"""
    records = _dense_corpus(seed)
    results = [_ingest(tmp_path, records, size) for size in (1, 2, 3, 1000)]
    assert all(result == results[0] for result in results), results


def test_a_superseded_record_leaves_its_ids_and_is_not_embedded(tmp_path: Path) -> None:
    """In one batch: the preprint record, then the journal record of the same work. The first is superseded (its
    ids and metadata stay, its text is not embedded); the paper is reported created."""
    embedded: list[str] = []
    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        encode = kb.encoder.encode

        def spy(texts: list[str], batch_size: int, progress: Any = None) -> Any:
            embedded.extend(texts)
            return encode(texts, batch_size, progress)

        kb.encoder.encode = spy  # type: ignore[method-assign]
        report = kb.add_papers([
            PaperInput("Sparse kernels", "a1 the preprint", year=2022, external_ids=(("arxiv", "2301.00007"),)),
            PaperInput("Sparse kernels", "a2 the journal version", doi="10.1000/j7",
                       external_ids=(("openalex", "W7"),))])
        assert [p.status for p in report.papers] == ["superseded", "created"]
        assert len({p.id for p in report.papers}) == 1 and kb.paper_count() == 1
        assert not any("a1" in text for text in embedded) and any("a2" in text for text in embedded)
        paper = kb.get_paper("2301.00007")
        assert (paper.abstract, paper.year) == ("a2 the journal version", 2022)
        assert kb.get_paper("W7").id == kb.get_paper("10.1000/j7").id == paper.id






def test_a_reverted_record_that_now_conflicts_stops_the_run_instead_of_being_skipped(tmp_path: Path) -> None:
    """Run 1: arXiv record R "Title T". Run 2: R retitled "Title T2", and a record titled "Title T" without ids.
    Run 3 reverts R: its id names one paper and its title the other. A record applied once before was taken as
    applied and skipped silently, leaving "Title T2"; it now stops the run, storing nothing of the batch."""
    r = _arxiv_line("2301.00001", "Title T", "a1 first")
    r2 = _arxiv_line("2301.00001", "Title T2", "a2 edited")
    q: dict[str, object] = {"title": "Title T", "abstract": "q another record"}
    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        ingest_files(kb, _files(tmp_path, "run1", r), IngestOptions(batch_size=1000))
        ingest_files(kb, _files(tmp_path, "run2", r2, q), IngestOptions(batch_size=1000))
        stored = _stored(kb)
        with pytest.raises(InvalidInput, match="shares an id with paper"):
            ingest_files(kb, _files(tmp_path, "run3", r, q), IngestOptions(batch_size=1000))
        assert _stored(kb) == stored


def test_an_error_names_a_paper_only_its_batch_would_have_created_by_its_record(tmp_path: Path) -> None:
    """The failing batch is not stored, so a paper an earlier record of it would have created exists nowhere: the
    error names that record."""
    records: list[dict[str, object]] = [{"title": "Title T", "abstract": "a1", "id": "2301.00001"},
                                        {"title": "Title T2", "abstract": "a2", "id": "2301.00001"},
                                        {"title": "Title T", "abstract": "q"},
                                        {"title": "Title T", "abstract": "a3", "doi": "10.48550/arXiv.2301.00001"}]
    source = write_jsonl(tmp_path / "a.jsonl", records)
    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        with pytest.raises(InvalidInput) as raised:
            ingest_files(kb, [source], IngestOptions(batch_size=1000))
        assert f"paper '2301.00001' (of {source}:1, earlier in this batch)" in raised.value.detail
        assert f"(of {source}:3, earlier in this batch)" in raised.value.detail and kb.paper_count() == 0


def test_posting_the_same_batch_again_changes_nothing(settings: Settings) -> None:
    """POST /papers reads its records as a file ingest does: posted again, records still their source's last are
    unchanged (they were applied again in order, and the work went back and forth between them)."""
    from paperkg.api.app import create_app

    body = {"papers": [{"title": "Graph networks", "abstract": "r0 our record", "id": "o1",
                        "doi": "10.48550/arXiv.2301.00001"},
                       {"title": "Graph networks (revised)", "abstract": "r1 the journal version",
                        "doi": "10.48550/arXiv.2301.00001"},
                       {"title": "Deep survey", "abstract": "r2 another work"}]}
    with KnowledgeBase.open(settings) as kb, TestClient(create_app(settings, kb)) as client:
        first = client.post("/papers", json=body)
        assert first.status_code == 200, first.text
        stored = _stored(kb)
        version = kb.store.version
        again = client.post("/papers", json=body)
        assert again.status_code == 200, again.text
        assert [p["status"] for p in again.json()["papers"]] == ["unchanged"] * 3
        assert _stored(kb) == stored and kb.store.version == version


def test_a_store_an_older_release_folded_re_runs_without_stopping(tmp_path: Path) -> None:
    """A release before schema 4 folded a batch's records of one work and recorded only the last: re-run by this
    one, the arXiv record it folded (its id names the work, its first title another paper now) stopped every run."""
    files = _files(tmp_path, "in", _arxiv_line("2301.00001", "Sparse vision transformers", "a1 arXiv"),
                         _openalex("W101", "Sparse vision transformers (revised)", "o2 OpenAlex",
                                   "10.48550/arXiv.2301.00001"),
                         {"title": "Sparse vision transformers", "abstract": "j3 own record"})
    data = tmp_path / "data"
    with KnowledgeBase.open(Settings(data=data, model="hashing")) as kb:
        ingest_files(kb, files, IngestOptions(batch_size=1000))
        stored = _stored(kb)
    with sqlite3.connect(data / "paperkg.sqlite3") as conn:  # as that release left it: schema 3, no such record
        conn.execute("DELETE FROM applied_records")
        conn.execute("DELETE FROM paper_records WHERE source = ?",
                     (record_source(PaperInput("", "", external_ids=(("arxiv", "2301.00001"),))),))
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with KnowledgeBase.open(Settings(data=data, model="hashing")) as kb:
        for _ in range(2):
            again = ingest_files(kb, files, IngestOptions(batch_size=1000))
            assert again.statuses == {"unchanged": 3} and _stored(kb) == stored


def test_a_rerun_of_a_source_that_gave_a_work_two_records_keeps_the_later(tmp_path: Path) -> None:
    """An OpenAlex snapshot and an update that gives the same W-id again: a re-run applies both again, in order
    (the first is not its source's last), and the work ends as the update left it; leaving the update out, or
    editing it, is applied as a fresh ingest would."""
    snapshot = write_jsonl(tmp_path / "snapshot.jsonl", [_openalex("W1", "Alpha", "a1 snapshot", "10.1000/p1"),
                                                        _openalex("W2", "Beta", "b1 only once")])
    update = write_jsonl(tmp_path / "update.jsonl", [_openalex("W1", "Alpha", "a2 updated", "10.1000/p1")])
    for size in (1, 1000):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            ingest_files(kb, [snapshot, update], IngestOptions(batch_size=size))
            stored = _stored(kb)
            again = ingest_files(kb, [snapshot, update], IngestOptions(batch_size=size))
            assert again.statuses["unchanged"] >= 1 and _stored(kb) == stored
            assert kb.get_paper("W1").abstract == "a2 updated"
            edited = write_jsonl(tmp_path / "edited.jsonl", [_openalex("W1", "Alpha", "a3 edited", "10.1000/p1")])
            ingest_files(kb, [snapshot, edited], IngestOptions(batch_size=size))
            assert kb.get_paper("W1").abstract == "a3 edited"
            ingest_files(kb, [snapshot], IngestOptions(batch_size=size))  # the update file left out
            assert kb.get_paper("W1").abstract == "a1 snapshot"


def test_a_record_added_between_runs_is_never_merged_into_a_work_a_skipped_record_left(tmp_path: Path) -> None:
    """Run 1: OpenAlex W1 "Title One", then W1 "Title Two". Run 2 puts another work, titled "Title Two" without
    ids, between them. Skipping W1's first record (its source's last record is stored) left W1 titled "Title Two"
    early, so the new record was written into W1 and overwritten: its abstract was stored nowhere. Read in order,
    it is a paper of its own and W1's last record stops the run (its id names W1, its title the new paper)."""
    first = _openalex("W1", "Title One", "r1 first", "10.1000/p1")
    last = _openalex("W1", "Title Two", "f2 final", "10.1000/p1")
    other: dict[str, object] = {"title": "Title Two", "abstract": "z another work"}
    for size in (1, 1000):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            ingest_files(kb, _files(tmp_path / f"run1-{size}", "in", first, last), IngestOptions(batch_size=size))
            run2 = _files(tmp_path / f"run2-{size}", "in", first, other, last)
            with pytest.raises(InvalidInput, match="shares an id with paper"):
                ingest_files(kb, run2, IngestOptions(batch_size=size))
            summary = ingest_files(kb, run2, IngestOptions(batch_size=size, skip_bad=True))
            assert summary.statuses["rejected"] == 1
            assert "z another work" in {abstract for _, abstract, _ in _stored(kb)}


def test_a_title_only_record_moved_after_a_retitling_is_not_lost_on_a_rerun(tmp_path: Path) -> None:
    """Run 1: arXiv X "Title T", a record "Title T" without ids (joins X), X retitled "Title T2". Run 2 moves the
    title-only record to the end: read after the retitling it is a paper of its own, as in a fresh ingest."""
    x = _arxiv_line("2301.00001", "Title T", "a1 arXiv")
    x2 = _arxiv_line("2301.00001", "Title T2", "a2 arXiv revised")
    r: dict[str, object] = {"title": "Title T", "abstract": "b title-only record"}
    for size in (1, 1000):
        with KnowledgeBase.open(Settings(data=tmp_path / f"data{size}", model="hashing")) as kb:
            ingest_files(kb, _files(tmp_path / f"run1-{size}", "in", x, r, x2), IngestOptions(batch_size=size))
            ingest_files(kb, _files(tmp_path / f"run2-{size}", "in", x, x2, r), IngestOptions(batch_size=size))
            assert {(title, abstract) for title, abstract, _ in _stored(kb)} == {
                ("Title T2", "a2 arXiv revised"), ("Title T", "b title-only record")}

