"""Source formats: arXiv snapshot, OpenAlex, Semantic Scholar, BibTeX, CSL-JSON, read from real records."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from paperkg.core.errors import InvalidInput
from paperkg.core.identifiers import candidates, normalise_arxiv, normalise_doi, normalise_openalex
from paperkg.core.records import PaperInput
from paperkg.sources import Skipped, Slice, Tally, detect, expand, read_papers, scan
from paperkg.sources.base import unmarkup
from tests.source_samples import ATTENTION, BERT, LORA, QLORA

SAMPLES = Path(__file__).parent / "data" / "sources"
ARXIV, OPENALEX, S2 = SAMPLES / "arxiv-snapshot.json", SAMPLES / "openalex-works.jsonl", SAMPLES / "s2-batch.json"
BIB, CSL = SAMPLES / "zotero-export.bib", SAMPLES / "zotero-export.csl.json"
LORA_AUTHORS = ("Edward J. Hu", "Yelong Shen", "Phillip Wallis", "Zeyuan Allen-Zhu", "Yuanzhi Li", "Shean Wang",
                "Lu Wang", "Weizhu Chen")
LORA_TITLE = "LoRA: Low-Rank Adaptation of Large Language Models"


def records(path: Path, fmt: str | None = None) -> tuple[list[PaperInput], list[Skipped]]:
    found = list(scan(path, fmt))
    return [r for r in found if isinstance(r, PaperInput)], [r for r in found if isinstance(r, Skipped)]


@pytest.mark.parametrize(("path", "name"), [(ARXIV, "arxiv"), (OPENALEX, "openalex"), (S2, "s2"), (BIB, "bibtex"),
                                            (CSL, "csl")])
def test_formats_are_recognised_by_content(path: Path, name: str, tmp_path: Path) -> None:
    assert detect(path).name == name
    renamed = tmp_path / "download.dat"  # the name says nothing: the content decides
    renamed.write_bytes(path.read_bytes())
    assert detect(renamed).name == name


def test_arxiv_snapshot_unwrapped_with_clean_authors_and_ids() -> None:
    papers, skipped = records(ARXIV)
    assert skipped == []
    lora, attention, qlora = papers
    assert (lora.title, lora.abstract, lora.authors) == (LORA_TITLE, LORA, LORA_AUTHORS)
    assert (lora.year, lora.categories, lora.url) == (2021, ("cs.CL", "cs.AI", "cs.LG"),
                                                      "https://arxiv.org/abs/2106.09685")
    assert lora.external_ids == (("arxiv", "2106.09685"),) and lora.id is None
    assert (attention.title, attention.abstract, attention.year) == ("Attention Is All You Need", ATTENTION, 2017)
    assert attention.authors[5:] == ("Aidan N. Gomez", "Lukasz Kaiser", "Illia Polosukhin")
    assert (qlora.abstract, qlora.categories) == (QLORA, ("cs.LG",))


def test_arxiv_title_latex_is_decoded_as_bibtex_latex_is(tmp_path: Path) -> None:
    record = json.loads(ARXIV.read_text(encoding="utf-8").splitlines()[0])
    snapshot = tmp_path / "arxiv.json"
    latex = {"title": 'G\\"odel Meets {Attention}',
             "abstract": "We gain 50\\% with \\emph{sparse} heads at $O(n \\log n)$ cost."}
    snapshot.write_text(json.dumps({**record, **latex}) + "\n", encoding="utf-8")
    (paper,), _ = records(snapshot)
    assert paper.title == "Gödel Meets Attention"  # the same paper as OpenAlex's or a BibTeX entry's
    titled = tmp_path / "titled.json"
    title = "99% of Schr\\\"odinger's $L^\\infty$ bound, 50\\% faster"
    titled.write_text(json.dumps({**record, "title": title}) + "\n", encoding="utf-8")
    assert records(titled)[0][0].title == "99% of Schrödinger's $L^\\infty$ bound, 50% faster"  # math verbatim
    assert paper.abstract == latex["abstract"]  # as written (decoding math-laden abstracts costs 1.5-2 ms each)


def test_openalex_abstract_rebuilt_word_for_word() -> None:
    papers, skipped = records(OPENALEX)
    lora, attention = papers
    assert (lora.title, lora.abstract, lora.authors, lora.year) == (LORA_TITLE, LORA, LORA_AUTHORS, 2021)
    assert lora.doi == "10.48550/arxiv.2106.09685" and lora.venue == "arXiv (Cornell University)"
    assert ("openalex", "W3168867926") in lora.external_ids and ("arxiv", "2106.09685") in lora.external_ids
    assert attention.abstract == ATTENTION and attention.authors[6] == "Łukasz Kaiser"
    assert [(s.kind, s.origin.endswith(":3")) for s in skipped] == [("no-abstract", True)]


def test_markup_of_web_sources_is_read_as_text(tmp_path: Path) -> None:
    work = json.loads(OPENALEX.read_text(encoding="utf-8").splitlines()[0])
    marked = tmp_path / "marked.jsonl"
    index = {"<jats:p>We": [0], "cut": [1], "H<sub>2</sub>O": [2], "use": [3], "by": [4], "x": [5], "&lt;": [6],
             "y.</jats:p>": [7]}
    marked.write_text(json.dumps({**work, "title": "Fast <i>LoRA</i> &amp; More", "abstract_inverted_index": index})
                      + "\n", encoding="utf-8")
    (paper,), _ = records(marked, "openalex")
    assert (paper.title, paper.abstract) == ("Fast LoRA & More", "We cut H2O use by x < y.")
    assert unmarkup("R&D for a <b and c> d, x < y") == "R&D for a <b and c> d, x < y"  # not markup: left alone


def test_saved_api_pages_and_huge_first_records_are_recognised(tmp_path: Path) -> None:
    works = [json.loads(line) for line in OPENALEX.read_text(encoding="utf-8").splitlines()[:2]]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"meta": {"count": 2}, "results": works}, indent=2), encoding="utf-8")
    assert detect(page).name == "openalex" and len(records(page)[0]) == 2
    paper = json.loads(S2.read_text(encoding="utf-8"))[0]
    search = tmp_path / "search.json"
    search.write_text(json.dumps({"total": 1, "offset": 0, "data": [paper]}, indent=2), encoding="utf-8")
    assert detect(search).name == "s2" and len(records(search)[0]) == 1
    big = tmp_path / "big-page.json"  # a page longer than the 256 KiB head: recognised by its text
    big.write_text(json.dumps({"meta": {"count": 400}, "results": works * 200}, indent=2), encoding="utf-8")
    assert big.stat().st_size > 256 * 1024 and detect(big).name == "openalex"
    many = {**works[0], "authorships": [{"author": {"display_name": f"Author {i}"}} for i in range(6000)]}
    lines = tmp_path / "many.jsonl"  # a first record longer than the 256 KiB head (physics author lists)
    lines.write_text(json.dumps(many) + "\n" + json.dumps(works[1]) + "\n", encoding="utf-8")
    assert lines.stat().st_size > 256 * 1024 and detect(lines).name == "openalex"
    found, skipped = records(lines)
    assert len(found) == 2 and not skipped and len(found[0].authors) == 6000


def test_openalex_fields_of_an_odd_shape_are_ignored(tmp_path: Path) -> None:
    work = json.loads(OPENALEX.read_text(encoding="utf-8").splitlines()[0])
    odd = tmp_path / "odd.jsonl"
    odd.write_text(json.dumps({**work, "concepts": 5, "locations": "x", "authorships": {}}) + "\n", encoding="utf-8")
    (paper,), skipped = records(odd, "openalex")
    assert paper.title == LORA_TITLE and not skipped and paper.authors == ()


def test_semantic_scholar_array_object_and_lines(tmp_path: Path) -> None:
    papers, skipped = records(S2)
    lora, attention = papers
    assert (lora.title, lora.abstract, lora.year) == (LORA_TITLE, LORA, 2021)
    assert lora.venue == "International Conference on Learning Representations"
    assert lora.external_ids[:1] == (("s2", "a8ca46b171467ceb2d7652fbfb67fe701ad86092"),)
    assert {("arxiv", "2106.09685"), ("corpusid", "235458009")} <= set(lora.external_ids)
    assert attention.abstract == ATTENTION and ("mag", "2963403868") in attention.external_ids
    assert sorted(s.kind for s in skipped) == ["empty", "no-abstract"]
    items = json.loads(S2.read_text(encoding="utf-8"))
    single = tmp_path / "paper.json"
    single.write_text(json.dumps(items[0], indent=2), encoding="utf-8")
    assert [p.title for p in records(single)[0]] == [LORA_TITLE]
    lines = tmp_path / "papers.jsonl"
    lines.write_text("".join(json.dumps(i) + "\n" for i in items if i), encoding="utf-8")
    found = records(lines)[0]
    assert [p.origin.rsplit(":", 1)[1] for p in found] == ["1", "2"] and found[1].abstract == ATTENTION


def test_bibtex_braces_accents_escapes_and_eprint() -> None:
    papers, skipped = records(BIB)
    lora, attention, bert = papers
    assert (lora.title, lora.abstract, lora.authors) == (LORA_TITLE, LORA, LORA_AUTHORS)
    assert lora.doi == "10.48550/arxiv.2106.09685" and ("arxiv", "2106.09685") in lora.external_ids
    assert ("key", "hu_lora_2021") in lora.external_ids and lora.categories[0] == "cs.CL"
    assert (attention.title, attention.abstract) == ("Attention is All you Need", ATTENTION)
    assert attention.authors[5:] == ("Aidan N Gomez", "Łukasz Kaiser", "Illia Polosukhin")
    assert attention.venue == "Advances in Neural Information Processing Systems"
    assert bert.abstract == BERT and bert.doi == "10.18653/v1/n19-1423" and bert.year == 2019
    assert bert.title == "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    assert bert.authors == ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova")
    [book] = skipped
    assert (book.kind, book.origin) == ("no-abstract", f"{BIB}:49 (goodfellow_deep_2016)")


def test_csl_json_family_given_issued_doi() -> None:
    papers, skipped = records(CSL)
    lora, bert = papers
    assert (lora.title, lora.abstract, lora.authors, lora.year) == (LORA_TITLE, LORA, LORA_AUTHORS, 2021)
    assert lora.doi == "10.48550/arxiv.2106.09685" and ("arxiv", "2106.09685") in lora.external_ids
    assert (bert.abstract, bert.year, bert.doi) == (BERT, 2019, "10.18653/v1/n19-1423")
    assert bert.venue is not None and bert.venue.startswith("Proceedings of the 2019 Conference")
    assert [s.kind for s in skipped] == ["no-abstract"]


def test_gzip_is_read_transparently_and_streamed(tmp_path: Path) -> None:
    for sample in (ARXIV, BIB, S2):
        packed = tmp_path / (sample.name + ".gz")
        packed.write_bytes(gzip.compress(sample.read_bytes()))
        assert detect(packed).name == detect(sample).name
        def same(p: PaperInput) -> tuple[object, ...]:
            return p.title, p.abstract, p.authors, p.external_ids, p.origin.rsplit(":", 1)[-1]

        assert [same(p) for p in records(packed)[0]] == [same(p) for p in records(sample)[0]]
    assert "arxiv-snapshot.json.gz" in [p.name for p in expand([tmp_path])]
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(ARXIV.read_bytes())[:200])
    with pytest.raises(InvalidInput, match="corrupt or truncated gzip"):
        list(scan(broken, "arxiv"))


def test_bad_records_name_file_line_or_key(tmp_path: Path) -> None:
    lines = ARXIV.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "arxiv.json"
    bad.write_text("\n".join([lines[0], '{"id": "2106.09685", "title": "x', lines[1].replace('"1706.03762"', '"n/a"'),
                              lines[2]]) + "\n", encoding="utf-8")
    tally = Tally()
    for record in scan(bad):
        tally.add(record)
    assert tally.papers == 2 and tally.bad_count == 2
    assert tally.bad[0].startswith(f"{bad}:2: not JSON")
    assert tally.bad[1] == f"{bad}:3: 'id' 'n/a' is not an arXiv id"
    with pytest.raises(InvalidInput, match=r"arxiv.json:2: not JSON"):
        read_papers(bad)
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB.read_text(encoding="utf-8") + "\n@article{dup,\n title = {A}, title = {B}, abstract = {C}}\n"
                   "@article{broken,\n  title = {Oops\n", encoding="utf-8")
    messages = [r.message for r in scan(bib) if isinstance(r, Skipped) and r.kind == "bad"]
    end = BIB.read_text(encoding="utf-8").count("\n")
    assert messages == [f"{bib}:{end + 2} (dup): fields given twice: title",
                        f"{bib}:{end + 4}: not BibTeX: Unexpectedly reached end of file."]


def test_slice_by_category_and_year() -> None:
    selection = Slice(categories=("cs.LG",), since=2023)
    kept = [r for r in scan(ARXIV, selection=selection) if isinstance(r, PaperInput)]
    assert [p.title for p in kept] == ["QLoRA: Efficient Finetuning of Quantized LLMs"]
    assert len([r for r in scan(ARXIV, selection=Slice(categories=("cs",))) if isinstance(r, PaperInput)]) == 3
    assert next(r for r in scan(ARXIV, selection=Slice(until=2017)) if isinstance(r, PaperInput)).year == 2017


def test_forced_format_and_unknown_content(tmp_path: Path) -> None:
    weird = tmp_path / "x.json"
    weird.write_text('[{"foo": 1}]', encoding="utf-8")
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        detect(weird)
    assert [(type(s), s.kind) for s in scan(weird, "s2") if isinstance(s, Skipped)] == [(Skipped, "bad")]


@pytest.mark.parametrize(("text", "doi"), [("https://doi.org/10.48550/arXiv.2106.09685", "10.48550/arxiv.2106.09685"),
                                           ("doi:10.18653/V1/N19-1423", "10.18653/v1/n19-1423"), ("2106.09685", None)])
def test_doi_normalisation(text: str, doi: str | None) -> None:
    assert normalise_doi(text) == doi


@pytest.mark.parametrize(("text", "arxiv"), [("arXiv:2106.09685v2", "2106.09685"),
                                             ("https://arxiv.org/abs/1706.03762", "1706.03762"),
                                             ("hep-th/9711200v3", "hep-th/9711200"), ("10.1000/x", None)])
def test_arxiv_normalisation(text: str, arxiv: str | None) -> None:
    assert normalise_arxiv(text) == arxiv


def test_candidates_for_a_typed_id() -> None:
    assert normalise_openalex("https://openalex.org/W3168867926") == "W3168867926"
    assert candidates("arXiv:2106.09685")[0] == ("arxiv", "2106.09685")
    assert candidates("HTTPS://DOI.ORG/10.18653/V1/N19-1423")[0] == ("doi", "10.18653/v1/n19-1423")


@pytest.mark.parametrize("text", [r'M\"uller', r"Garc{\'\i}a", r"{\L}ukasz", r"Erd\H{o}s", r"\c{C}etin", r"Ga\v s",
                                  r"{LoRA}: {Low}-{Rank}", r"Jos\'{e}", r"\o{}ystein", r"Stra\ss e", r"na\"{\i}ve",
                                  r"{\aa}ngstr{\"o}m", r"Dvo\v{r}\'ak", r"50\% of $\alpha$"])
def test_fast_latex_decoding_agrees_with_pylatexenc(text: str) -> None:
    from paperkg.sources.base import _fast_delatex, _latex, delatex, squash

    reference = squash(_latex().latex_to_text(text))
    assert delatex(text) == reference
    assert _fast_delatex(text) in (None, reference)


def test_percent_signs_survive_latex_decoding_and_keep_two_titles_apart(tmp_path: Path) -> None:
    """pylatexenc reads % as a comment: "Removing 50% of ... $O(n)$" ended at "Removing 50", and two such titles
    became one paper."""
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a1, title = {Removing 50% of Attention Heads in $O(n)$ Time}, abstract = {We cut 40% "
                   "of the memory on $n$ tokens. The rest survives.}}\n"
                   "@article{a2, title = {Removing 50\\% of \\emph{Transformer} Layers}, abstract = {Other.}}\n",
                   encoding="utf-8")
    first, second = records(bib)[0]
    assert first.title.startswith("Removing 50% of Attention Heads") and first.abstract.endswith("The rest survives.")
    assert second.title == "Removing 50% of Transformer Layers"
    csl = tmp_path / "refs.csl.json"
    csl.write_text(json.dumps({"items": [{"type": "article", "title": "Reaching 90% Accuracy with $k$-NN",
                                          "abstract": "About retrieval.", "author": [{"family": "Doe"}]}]}))
    assert detect(csl).name == "csl" and records(csl)[0][0].title.startswith("Reaching 90% Accuracy")


def test_detection_of_headed_bibtex_flattened_openalex_and_empty_pages(tmp_path: Path) -> None:
    headed = tmp_path / "library.bib"
    headed.write_text("Automatically generated by Mendeley Desktop 1.19.8\nAny changes will be lost.\n\n"
                      "@article{Hu2021,\nabstract = {We propose LoRA.},\ntitle = {{LoRA}},\nyear = {2021}\n}\n")
    assert detect(headed).name == "bibtex" and records(headed)[0][0].title == "LoRA"
    flat = tmp_path / "flat.jsonl"
    flat.write_text(json.dumps({"id": "https://openalex.org/W4386764123", "title": "Converted One",
                                "abstract": "We serve LLaMA-7B with vLLM."}) + "\n")
    assert detect(flat).name == "jsonl" and records(flat)[0][0].abstract == "We serve LLaMA-7B with vLLM."
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"meta": {"count": 0}, "results": []}))
    assert detect(page).name == "openalex" and records(page) == ([], [])


def test_an_array_whose_first_record_is_longer_than_the_head_is_detected(tmp_path: Path) -> None:
    """A pretty-printed S2 /paper/batch answer whose first paper has 8,000 authors (over 256 KiB) was "cannot tell
    the format"; an OpenAlex array likewise."""
    authors = [{"authorId": str(i), "name": f"Author Number {i}"} for i in range(8000)]
    s2 = tmp_path / "batch.json"
    s2.write_text(json.dumps([{"paperId": "a8ca46b171467ceb2d7652fbfb67fe701ad86092", "title": "LoRA",
                               "abstract": LORA, "authors": authors},
                              {"paperId": "204e3073870fae3d05bcbc2f6a8e263d9b72e776", "title": "Attention",
                               "abstract": ATTENTION}], indent=2))
    assert s2.stat().st_size > 256 * 1024
    assert detect(s2).name == "s2" and [p.title for p in records(s2)[0]] == ["LoRA", "Attention"]
    works = tmp_path / "works.json"
    works.write_text(json.dumps([{"id": "https://openalex.org/W3168867926", "title": "LoRA",
                                  "abstract_inverted_index": {"We": [0], "adapt.": [1]},
                                  "authorships": [{"author": {"display_name": f"A {i}"}} for i in range(8000)]}]))
    assert works.stat().st_size > 256 * 1024
    assert detect(works).name == "openalex" and records(works)[0][0].abstract == "We adapt."


def test_bibtex_concatenation_and_crossref_resolve_as_bibtex_does(tmp_path: Path) -> None:
    """`pre # {BERT ...}` was stored as "pre # BERT ..." and a crossref's year and venue were lost; a `#` inside a
    braced value is text."""
    bib = tmp_path / "refs.bib"
    bib.write_text('@STRING{ pre = "Efficient " }\n@STRING{ both = pre # "and Fast " }\n'
                   '@article{a, title = pre # {{BERT} Inference on {CPUs}}, abstract = "We run {BERT} on CPUs.",'
                   ' year = 2020}\n'
                   '@article{b, title = both # "Serving", abstract = {Written in C# and {F#}.}, year = {2021}}\n'
                   '@inproceedings{c, title = {Speculative Decoding on a Budget}, abstract = {We decode.},'
                   ' crossref = {conf2023}}\n'
                   '@proceedings{conf2023, title = {Proceedings of the Budget Conference}, year = 2023}\n')
    papers = {p.external_ids[0][1]: p for p in records(bib)[0]}
    assert papers["a"].title == "Efficient BERT Inference on CPUs"
    assert (papers["b"].title, papers["b"].abstract) == ("Efficient and Fast Serving", "Written in C# and F#.")
    assert (papers["c"].year, papers["c"].venue) == (2023, "Proceedings of the Budget Conference")


def test_a_crossref_gives_where_and_when_never_the_works_ids(tmp_path: Path) -> None:
    """Entries that cross-reference one proceedings with a DOI took that DOI (and an eprint, a URL, an abstract)
    and folded into one paper, the others' titles and abstracts lost; a parent paper's title became their venue."""
    bib = tmp_path / "refs.bib"
    bib.write_text("@proceedings{conf, title = {Proceedings of ICML}, year = 2023, doi = {10.1000/proc},"
                   " publisher = {PMLR}}\n"
                   "@inproceedings{parent, title = {Parent Work}, booktitle = {ICML}, year = 2022,"
                   " abstract = {We decode.}, doi = {10.1000/parent}, eprint = {2301.11111}}\n"
                   "@inproceedings{a, title = {Alpha}, abstract = {We quantize.}, crossref = {conf}}\n"
                   "@inproceedings{b, title = {Beta}, abstract = {We route.}, crossref = {conf}}\n"
                   "@inproceedings{c, title = {Gamma}, crossref = {parent}}\n"
                   "@inproceedings{d, title = {Delta}, abstract = {We prune.}, crossref = {parent}}\n"
                   "@inproceedings{e, title = {Self}, abstract = {Itself.}, crossref = {e}}\n"
                   "@article{f, title = {Own}, abstract = {Own venue.}, journaltitle = {J. Own}, date = {2022-05},"
                   " crossref = {conf}}\n")
    papers, skipped = records(bib)
    by_key = {p.external_ids[0][1]: p for p in papers}
    assert set(by_key) == {"parent", "a", "b", "d", "e", "f"} and [s.kind for s in skipped] == ["no-abstract"] * 2
    assert [(by_key[k].doi, by_key[k].venue, by_key[k].year) for k in "ab"] == [(None, "Proceedings of ICML", 2023)] * 2
    assert (by_key["d"].doi, by_key["d"].venue, by_key["d"].year, by_key["d"].external_ids) == \
        (None, "ICML", 2022, (("key", "d"),))
    assert by_key["e"].venue is None
    assert (by_key["f"].venue, by_key["f"].year) == ("J. Own", 2022)  # its own venue and date stand


def test_a_number_too_long_for_python_is_a_bad_record(tmp_path: Path) -> None:
    """A 5,000-digit integer (past Python's 4,300-digit limit) was a ValueError traceback, even with --skip-bad."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 7, "title": "Good paper", "abstract": "LoRA on an A100 GPU."}\n'
                    f'{{"title": "Huge", "abstract": "A.", "id": {"9" * 5000}}}\n')
    papers, skipped = records(path)
    assert [p.id for p in papers] == ["7"] and [s.kind for s in skipped] == ["bad"]
    assert "number too long" in skipped[0].reason
