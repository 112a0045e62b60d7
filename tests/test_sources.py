"""The seed dump parser, JSON Lines, and the checks every paper passes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from paperkg.core.errors import InvalidInput
from paperkg.core.ids import normalise_title, paper_id
from paperkg.core.records import PaperInput
from paperkg.sources import BOILERPLATE, expand, parse_dump, read_papers, validate

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_a8d658c6adbf4f3a.txt"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_seed_dump_gives_111_papers_without_boilerplate() -> None:
    papers = read_papers(SEED)
    assert len(papers) == 111
    assert papers[0].title == "Boost Vision Transformer with GPU-Friendly Sparsity and Quantization"
    assert papers[-1].title == "TrimLLM: Progressive Layer Dropping for Domain-Specific LLMs"
    for paper in papers:
        assert not paper.title.startswith("Subscribe")
        assert all(b not in paper.title and b not in paper.abstract for b in BOILERPLATE[:2])
        assert len(paper.abstract) > 300
    assert len({normalise_title(p.title) for p in papers}) == 111


def test_seed_titles_and_abstracts_exact_against_raw_lines() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    content = lines[2:]
    content[0] = content[0].removeprefix("Subscribe")
    papers = read_papers(SEED)
    assert [p.title for p in papers] == content[0::2]
    assert [p.abstract for p in papers] == content[1::2]


@pytest.mark.skipif(not (SHARED / "eval" / "gold_dev.jsonl").exists(), reason="../shared not present")
def test_seed_titles_match_gold_titles() -> None:
    ours = {p.title: p.abstract for p in read_papers(SEED)}
    for line in (SHARED / "eval" / "gold_dev.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        assert ours[gold["title"]] == gold["abstract"]


def test_boilerplate_anywhere_is_dropped() -> None:
    text = "Title One\nAbstract one is long enough.\nGet trending papers in your email inbox!\nSubscribeTitle Two\n" \
           "Abstract two.\n"
    papers = list(parse_dump(text, "x.txt"))
    assert [p.title for p in papers] == ["Title One", "Title Two"]


def test_title_without_abstract_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_text("A Title\nAn abstract that is a proper sentence.\nLonely Title\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"dump.txt:3: title without an abstract"):
        read_papers(path)


def test_jsonl_reading_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "T", "abstract": "A.", "year": 2024, "authors": ["X"], "id": "abc"}) + "\n",
                    encoding="utf-8")
    [paper] = read_papers(good)
    assert (paper.title, paper.year, paper.authors, paper.id, paper.origin) == ("T", 2024, ("X",), "abc",
                                                                               f"{good}:1")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"title": "T", "abstract": "A."}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad.jsonl:2: not JSON"):
        read_papers(bad)
    typed = tmp_path / "typed.jsonl"
    typed.write_text(json.dumps({"title": "T", "abstract": "A.", "year": "next year"}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"typed.jsonl:1: 'year' must be an integer"):
        read_papers(typed)
    typed.write_text(json.dumps({"title": "T", "abstract": "A.", "authors": [{"id": 7}]}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"typed.jsonl:1: 'authors' must be a list of names"):
        read_papers(typed)


def test_jsonl_metadata_in_the_shapes_other_tools_write(tmp_path: Path) -> None:
    """Numeric ids, years as strings, authors as objects, DOIs as ids, unknown fields: all taken as meant."""
    rows = [{"title": "T1", "abstract": "A.", "id": 204838, "year": "2021", "venue": "KDD",
             "authors": [{"authorId": "1", "name": "Ada Lovelace"}, "Alan Turing"]},
            {"title": "T2", "abstract": "B.", "id": "10.1145/3292500.3330701"}]
    source = tmp_path / "other.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    first, second = (validate(p, 2_000, 100_000) for p in read_papers(source))
    assert (first.id, first.year, first.authors) == ("204838", 2021, ("Ada Lovelace", "Alan Turing"))
    assert second.id == "10.1145/3292500.3330701"
    with pytest.raises(InvalidInput, match="must be 1-128 letters"):
        validate(PaperInput("T", "A.", "ends/with/slash/"), 2_000, 100_000)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file"),
    (b"   \n\n", "empty file"),
    (b'{"title": "T", "abstract": "caf\xe9"}\n', r":1: not UTF-8"),
])
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        read_papers(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_papers(tmp_path / "nope.jsonl")


def test_a_pipe_is_refused_in_one_line() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b'{"title": "T", "abstract": "A."}\n')
        with pytest.raises(InvalidInput, match="not a regular file"):
            read_papers(Path(f"/dev/fd/{read}"))
    finally:
        os.close(read)
        os.close(write)


def test_validate_limits_and_control_characters() -> None:
    ok = validate(PaperInput("  T  ", " A. "), 100, 100)
    assert (ok.title, ok.abstract) == ("T", "A.")
    with pytest.raises(InvalidInput, match="title without an abstract"):
        validate(PaperInput("T", "  "), 100, 100)
    with pytest.raises(InvalidInput, match="abstract of 1,000,001 characters"):
        validate(PaperInput("T", "x" * 1_000_001), 100, 100_000)
    with pytest.raises(InvalidInput, match="control character U\\+0007"):
        validate(PaperInput("T\x07", "A."), 100, 100)
    with pytest.raises(InvalidInput, match="id"):
        validate(PaperInput("T", "A.", id="../../etc"), 100, 100)
    with pytest.raises(InvalidInput, match="/similar"):  # GET /papers/{id}/similar would take it
        validate(PaperInput("T", "A.", id="slash/similar"), 100, 100)
    assert validate(PaperInput("T", "A.", id="10.1000/similarity"), 100, 100).id == "10.1000/similarity"
    for dotted in ("x/../y", "x/./y", "x/.."):  # an IRI would resolve the segment away
        with pytest.raises(InvalidInput, match="segment"):
            validate(PaperInput("T", "A.", id=dotted), 100, 100)
    assert validate(PaperInput("T", "A.", id="2106.09685v2"), 100, 100).id == "2106.09685v2"
    # every text field, and the characters XML 1.0 cannot carry (GraphML, GEXF, RDF/XML exports)
    for bad, field in ((PaperInput("T\ufffe", "A."), "title"), (PaperInput("T", "A.", url="x\x00"), "url"),
                       (PaperInput("T", "A.", authors=("a", "b\x1b")), "authors"),
                       (PaperInput("T", "A.", venue="v\uffff"), "venue"),
                       (PaperInput("T", "A.", categories=("cs.LG\x01",)), "categories")):
        with pytest.raises(InvalidInput, match=f"(control|invalid) character U\\+[0-9A-F]{{4}} in the {field}"):
            validate(bad, 100, 100)


def test_paper_id_is_stable_under_title_normalisation() -> None:
    assert paper_id("PixArt-$α$: Fast Training") == paper_id("pixart α fast training")
    assert paper_id("A") != paper_id("B")


def test_expand_directories(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "a.txt").write_text("", encoding="utf-8")
    (tmp_path / "ignored.md").write_text("", encoding="utf-8")
    assert [p.name for p in expand([tmp_path])] == ["a.txt", "b.jsonl"]
