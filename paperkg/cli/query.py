"""Commands that read the knowledge base (search, papers, related, SPARQL, exports, stats) and serve it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import uvicorn

from paperkg.cli.common import YEAR, data_option, domain_errors, emit, json_option, open_kb, settings_for
from paperkg.core.errors import InvalidInput, NotFound
from paperkg.core.files import atomic_writer
from paperkg.core.formats import names
from paperkg.core.settings import load_settings
from paperkg.kb.base import DB_NAME
from paperkg.kb.replica import first_snapshot
from paperkg.store import check_schema

APP_FACTORY = "paperkg.api.app:create_app"
# requests uvicorn cannot parse are answered as problem+json too
HTTP_PROTOCOL = "paperkg.api.protocol:ProblemHttpToolsProtocol"
EXPORT_FORMATS = names("export")
SPARQL_FORMATS = (*names("solutions"), *names("graph"))


@click.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--hardware", default=None, help="Only papers that run on this hardware (any alias).")
@click.option("--technique", default=None, help="Only papers that use or propose this technique.")
@click.option("--dataset", default=None, help="Only papers evaluated on this dataset.")
@click.option("--model", default=None, help="Only papers that use or mention this model.")
@click.option("--since", type=YEAR, default=None, help="Only papers of this year or later.")
@click.option("--until", type=YEAR, default=None, help="Only papers of this year or earlier.")
@click.option("--category", default=None, help="Only papers in this category ('cs' takes every cs.* category).")
@data_option
@json_option
@domain_errors
def search(query: str, k: int, hardware: str | None, technique: str | None, dataset: str | None,
           model: str | None, since: int | None, until: int | None, category: str | None, data: Path | None,
           as_json: bool) -> None:
    """Semantic + keyword search over the papers."""
    filters = {"hardware": hardware, "technique": technique, "dataset": dataset, "model": model,
               "since": str(since) if since else None, "until": str(until) if until else None, "category": category}
    with open_kb(data, read_only=True) as kb:
        results = kb.search(query, k, filters)
    if as_json:
        emit(results)
        return
    for rank, hit in enumerate(results.results, 1):
        click.echo(f"{rank:2d}. {hit.score:.3f}  {hit.id}  {hit.title}")


@click.command()
@click.argument("paper_id")
@data_option
@json_option
@domain_errors
def paper(paper_id: str, data: Path | None, as_json: bool) -> None:
    """Show a paper by any of its ids: paper id, DOI, arXiv, OpenAlex or Semantic Scholar id, own id, BibTeX key."""
    with open_kb(data, read_only=True) as kb:
        detail = kb.get_paper(paper_id)
    if as_json:
        emit(detail)
        return
    click.echo(f"{detail.id}  {detail.title}")
    facts = [", ".join(detail.authors), str(detail.year or ""), detail.venue or "", " ".join(detail.categories)]
    click.echo("  " + " | ".join(f for f in facts if f))
    click.echo("  ids: " + ", ".join(f"{i.kind}:{i.value}" for i in detail.identifiers))


@click.command()
@click.argument("paper_id")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--aspect", type=click.Choice(["all", "method", "task", "results"]), default="all", show_default=True,
              help="compare whole papers, or only their method, their task (problem, datasets) or their results")
@data_option
@json_option
@domain_errors
def similar(paper_id: str, k: int, aspect: str, data: Path | None, as_json: bool) -> None:
    """Papers most similar to PAPER_ID."""
    with open_kb(data, read_only=True) as kb:
        results = kb.similar(paper_id, k, aspect)
    if as_json:
        emit({"results": results})
        return
    for rank, hit in enumerate(results, 1):
        click.echo(f"{rank:2d}. {hit.score:.3f}  {hit.id}  {hit.title}")


@click.command()
@click.argument("name")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--corpus-only", is_flag=True,
              help="Only techniques the corpus names, not taxonomy relatives known from the vocabulary alone.")
@data_option
@json_option
@domain_errors
def related(name: str, k: int, corpus_only: bool, data: Path | None, as_json: bool) -> None:
    """Techniques related to NAME (a technique name, alias or id), each with why."""
    with open_kb(data, read_only=True) as kb:
        technique, results = kb.related_with_subject(name, k, corpus_only)
    if as_json:
        emit({"technique": technique, "results": results})  # as over HTTP
        return
    click.echo(f"Related to {technique.name} ({technique.id}):")  # the name asked for may be a near one
    for rank, hit in enumerate(results, 1):
        reasons = "; ".join(str(v) for v in hit.why.get("summary", []))
        click.echo(f"{rank:2d}. {hit.score:.3f}  {hit.name}  ({reasons})")


@click.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(SPARQL_FORMATS), default=None,
              help="Result format [default: json for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE].")
@data_option
@domain_errors
def sparql(query: str, fmt: str | None, data: Path | None) -> None:
    """Run a read-only SPARQL QUERY (use @FILE to read it from a file, - for stdin)."""
    if query == "-":
        query = sys.stdin.read()
    elif query.startswith("@"):
        try:
            query = Path(query[1:]).read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"{query[1:]}: not UTF-8 text (byte {error.start})") from error
    with open_kb(data, read_only=True) as kb:
        result = kb.sparql(query, fmt=fmt)
    sys.stdout.buffer.write(result.body)
    if not result.body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    if result.truncated:
        click.echo(f"paperkg: results truncated at {result.rows:,} rows", err=True)


@click.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of stdout.")
@data_option
@domain_errors
def export(fmt: str, output: Path | None, data: Path | None) -> None:
    """Export the whole graph as RDF (turtle, ntriples, jsonld) or a property graph (graphml, gexf, nodelink)."""
    if output is not None and not output.parent.is_dir():
        raise InvalidInput(f"{output.parent}: no such directory to write {output.name} into")
    with open_kb(data, read_only=True) as kb:
        if output is not None and output.resolve().is_relative_to(kb.settings.data.resolve()):
            raise InvalidInput(f"{output}: inside the data directory {kb.settings.data}; write the export elsewhere")
        _, chunks = kb.export(fmt)
        if output is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            return
        with atomic_writer(output) as handle:
            for chunk in chunks:
                handle.write(chunk)


@click.command()
@click.option("--keep", type=click.IntRange(min=1), default=None, help="Snapshots kept at least "
              "[env PAPERKG_PUBLISH_KEEP; default 3].")
@data_option
@json_option
@domain_errors
def publish(keep: int | None, data: Path | None, as_json: bool) -> None:
    """Publish a read-only snapshot of the knowledge base for replicas (`paperkg serve --replica DATA`).

    A running `paperkg serve` owns its data directory: give it --publish-every instead."""
    settings = settings_for(data)
    if not (settings.data / DB_NAME).exists():  # a mistyped directory would otherwise publish an empty one
        raise NotFound(f"no knowledge base in {settings.data}: run `paperkg build` first")
    with open_kb(data) as kb:
        snapshot = kb.publish(keep or settings.publish_keep, settings.publish_retain)
    if as_json:
        emit({"generation": snapshot.generation, "version": snapshot.version, "papers": snapshot.papers,
               "path": str(snapshot.path)})
        return
    click.echo(f"{snapshot.describe()}: {snapshot.path}")


@click.command()
@data_option
@json_option
@domain_errors
def stats(data: Path | None, as_json: bool) -> None:
    """Counts of papers, nodes by type, edges by relation, and index details."""
    with open_kb(data, read_only=True) as kb:
        result = kb.stats()
    if as_json:
        emit(result)
        return
    click.echo(f"papers: {result.papers}  (data version {result.version})")
    click.echo("nodes: " + ", ".join(f"{k} {v}" for k, v in result.nodes.items()))
    click.echo("edges: " + ", ".join(f"{k} {v}" for k, v in result.edges.items()))
    click.echo("index: " + ", ".join(f"{k} {v}" for k, v in result.index.items()))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="HOST")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="PORT")
@click.option("--replica", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Serve read-only from the latest snapshot a writer published in this directory (its DATA or "
                   "DATA/snapshots), switching to newer ones as they appear [env PAPERKG_REPLICA].")
@click.option("--publish-every", type=click.FloatRange(min=0), default=None,
              help="As the writer, publish a snapshot for replicas every SECONDS when the data changed "
                   "[env PAPERKG_PUBLISH_INTERVAL; default 0: never].")
@data_option
@domain_errors
def serve(host: str, port: int, replica: Path | None, publish_every: float | None, data: Path | None) -> None:
    """Serve the HTTP API, building the knowledge base from seeds/ first if it is empty."""
    settings = settings_for(data)
    # The app is named, not imported: the CLI and the API are separate entry points over the knowledge base, and
    # the app factory builds its settings from the same environment at start-up.
    os.environ["PAPERKG_DATA"] = str(settings.data)
    if replica is not None:
        os.environ["PAPERKG_REPLICA"] = str(replica)
    if publish_every is not None:
        os.environ["PAPERKG_PUBLISH_INTERVAL"] = str(publish_every)
    source = replica or load_settings().replica
    # What would fail the server's start-up is said here, in one line, not as a traceback from inside uvicorn
    if source:
        check_schema(first_snapshot(source, settings.replica_poll).path / DB_NAME, snapshot=True)
    else:
        check_schema(settings.data / DB_NAME)
    served = f"the snapshots published in {source} (read-only replica)" if source else settings.data
    click.echo(f"serving {served} on http://{host}:{port}", err=True)
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="info", http=HTTP_PROTOCOL)
