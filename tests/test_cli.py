"""Every CLI command, in-process with click's CliRunner, against a temporary data directory."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from paperkg.cli import main
from paperkg.core.records import PaperInput
from tests.conftest import SEED_FILE, write_jsonl


@pytest.fixture
def run(tmp_path: Path) -> Any:
    data = tmp_path / "data"
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, data_dir: Path | None = data) -> Result:
        extra = ["--data", str(data_dir)] if data_dir is not None and args[0] not in ("extract",) else []
        return runner.invoke(main, [*args, *extra], input=input, env={"PAPERKG_MODEL": "hashing"},
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def small(tmp_path: Path, seed_papers: list[PaperInput]) -> Path:
    return write_jsonl(tmp_path / "small.jsonl", [{"title": p.title, "abstract": p.abstract}
                                                  for p in seed_papers[:12]])


def test_build_then_stats(run: Any) -> None:
    result = run("build", str(SEED_FILE))
    assert result.exit_code == 0, result.output
    assert "111 papers read: 111 created" in result.output
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["papers"] == 111
    for node_type in ("Paper", "Technique", "Model", "Hardware", "Dataset", "Software"):
        assert stats["nodes"][node_type] > 0, node_type
    for predicate in ("proposes", "uses", "runs-on", "evaluated-on", "outperforms"):
        assert stats["edges"][predicate] > 0, predicate


def test_ingest_is_idempotent_and_reports(run: Any, small: Path) -> None:
    assert "12 created" in run("ingest", str(small)).output
    again = run("ingest", str(small), "--json")
    report = json.loads(again.stdout)
    assert {p["status"] for p in report["papers"]} == {"unchanged"}
    assert json.loads(run("stats", "--json").stdout)["papers"] == 12


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty file"),
    ('{"title": "T", "abstract": "A."}\nnot json\n', ":2: not JSON"),
    ('{"title": "T", "abstract": ""}\n', ":1: title without an abstract"),
    ('{"title": "T", "abstract": "' + "x" * 1_048_576 + '"}\n', ":1: abstract of 1,048,576 characters"),
    ('{"title": "T", "abstract": "A.", "x": ' + "[" * 3000 + "]" * 3000 + "}\n", ":1: not JSON: nested too deeply"),
    ('{"title": "\U0001f642", "abstract": "A."}\n', ":1: title '\U0001f642' has no letters or digits"),
])
def test_bad_input_one_line_error_and_store_untouched(run: Any, small: Path, tmp_path: Path, content: str,
                                                      message: str) -> None:
    run("ingest", str(small))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    result = run("ingest", str(small), str(bad))
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("paperkg: error: ")
    assert json.loads(run("stats", "--json").stdout)["papers"] == 12


def test_non_utf8_and_missing_file(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"title": "Caf\xe9", "abstract": "A."}\n')
    result = run("ingest", str(bad))
    assert result.exit_code == 1 and "latin1.jsonl:1: not UTF-8" in result.stderr
    result = run("ingest", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_extract_prints_one_object_per_paper(run: Any, small: Path) -> None:
    result = run("extract", str(small), "--format", "jsonl")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 12
    for row in rows:
        assert row["id"] and row["title"]
        for entity in row["entities"]:
            assert {"name", "type", "aliases", "mentions"} <= entity.keys()
        for relation in row["relations"]:
            assert {"subject", "predicate", "object", "evidence", "confidence"} <= relation.keys()


def test_read_commands(run: Any, small: Path) -> None:
    run("ingest", str(small))
    hits = json.loads(run("search", "quantization of vision transformers", "--json").stdout)
    assert hits["results"] and hits["results"][0]["title"]
    first = hits["results"][0]["id"]
    similar = json.loads(run("similar", first, "--json").stdout)["results"]
    assert similar and all(hit["id"] != first for hit in similar)
    assert run("search", "inference", "-k", "3").stdout.count("\n") <= 3
    related = run("related", "quantization", "--json")
    assert related.exit_code == 0, related.output
    assert json.loads(related.stdout)["technique"]["id"] == "technique/quantization"  # the shape HTTP gives
    assert run("related", "quantisation", "-k", "2").stdout.startswith("Related to quantization (technique/")
    in_corpus = json.loads(run("related", "quantization", "-k", "30", "--corpus-only", "--json").stdout)["results"]
    assert in_corpus and all(r["why"]["in_corpus"] for r in in_corpus)
    sparql = run("sparql", "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/paperkg/ontology#Paper> }",
                 "--format", "csv")
    assert sparql.stdout.splitlines() == ["n", "12"]
    turtle = run("export", "--format", "turtle")
    assert turtle.exit_code == 0
    import rdflib

    graph = rdflib.Graph().parse(data=turtle.stdout, format="turtle")
    papers = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef("https://w3id.org/paperkg/ontology#Paper")))
    assert len(papers) == 12


def test_unknown_paper_and_unsafe_sparql_exit_non_zero(run: Any, small: Path) -> None:
    run("ingest", str(small))
    result = run("similar", "p-does-not-exist")
    assert result.exit_code == 1 and "no paper with id" in result.stderr
    result = run("sparql", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert result.exit_code == 1 and "SERVICE" in result.stderr


def test_files_named_on_the_command_line_fail_in_one_line(run: Any, small: Path, tmp_path: Path) -> None:
    run("ingest", str(small))
    (tmp_path / "latin1.rq").write_bytes('SELECT * WHERE { ?s ?p "caf\u00e9" }'.encode("latin-1"))
    database = tmp_path / "data" / "paperkg.sqlite3"
    for args, said in ((("sparql", f"@{tmp_path / 'missing.rq'}"), "missing.rq: No such file or directory"),
                       (("sparql", f"@{tmp_path}"), "Is a directory"),
                       (("sparql", f"@{tmp_path / 'latin1.rq'}"), "latin1.rq: not UTF-8 text"),
                       (("export", "--format", "turtle", "-o", str(tmp_path / "no" / "out.ttl")), "no such directory"),
                       (("export", "--format", "nodelink", "-o", str(database)), "inside the data directory")):
        result = run(*args, input="")
        assert result.exit_code == 1 and said in result.stderr and len(result.stderr.splitlines()) == 1, args
    assert json.loads(run("stats", "--json").stdout)["papers"] == 12  # the export did not overwrite the store
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "paperkg.sqlite3").write_text("not a database")
    result = run("stats", data_dir=broken)
    assert result.exit_code == 1 and "cannot open the store: file is not a database" in result.stderr


def test_the_cli_keeps_the_limits_and_defaults_of_http(run: Any, small: Path, tmp_path: Path) -> None:
    """A query over 20,000 characters is refused as over HTTP; an empty --category is no filter, as over HTTP."""
    run("ingest", str(small))
    result = run("search", "lora " * 5000)
    assert result.exit_code == 1 and "limit 20,000" in result.stderr
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"title": "Category test", "abstract": "An abstract."}])
    assert "1 created" in run("ingest", str(extra), "--category", "").output
    result = run("sparql", " ")
    assert result.exit_code == 1 and "empty query" in result.stderr


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("PAPERKG_ENCODER_THREADS", "-1", "PAPERKG_ENCODER_THREADS: Input should be greater than or equal to 0"),
    ("PAPERKG_ENCODER_QUERY_WIDTHS", "[0, 16]", "PAPERKG_ENCODER_QUERY_WIDTHS: Input should be greater than"),
    ("PAPERKG_ENCODER_QUERY_WIDTHS", "sixteen", "encoder_query_widths"),
    ("PAPERKG_ENCODER_BACKEND", "tpu", "PAPERKG_ENCODER_BACKEND: Input should be"),
])
def test_a_bad_setting_is_one_line_naming_its_variable(run: Any, small: Path, monkeypatch: pytest.MonkeyPatch,
                                                        variable: str, value: str, said: str) -> None:
    run("ingest", str(small))
    monkeypatch.setenv(variable, value)
    for command in (("stats",), ("search", "speculative decoding"), ("extract", str(small))):
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr.startswith("paperkg: error: ") and said in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    monkeypatch.delenv(variable)
    assert run("stats").exit_code == 0  # nothing stored was touched


def test_publish_of_a_missing_knowledge_base_is_refused(run: Any, tmp_path: Path) -> None:
    result = run("publish", data_dir=tmp_path / "typo")
    assert result.exit_code == 1 and "no knowledge base in" in result.stderr
    assert not (tmp_path / "typo").exists()  # nothing was created under the mistyped name


def test_read_commands_on_empty_data_dir_explain(run: Any) -> None:
    result = run("stats")
    assert result.exit_code == 1 and "paperkg build" in result.stderr


def test_serve_builds_from_seeds_on_first_run(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, factory: bool = False, **_: Any) -> None:
        from fastapi.testclient import TestClient

        module, _, name = app.partition(":")
        assert factory
        with TestClient(getattr(importlib.import_module(module), name)()) as client:
            served["health"] = client.get("/health").json()
        served["where"] = (host, port)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.delenv("PAPERKG_DATA", raising=False)  # serve hands its data directory to the app through it
    result = run("serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert served["health"]["papers"] == 111 and served["where"] == ("127.0.0.1", 8123)
