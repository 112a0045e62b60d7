"""The `paperkg` command line: each command translates its arguments into one call on the knowledge base."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import uvicorn
from tqdm import tqdm

from paperkg.core.errors import PaperkgError
from paperkg.core.files import atomic_writer
from paperkg.core.formats import names
from paperkg.core.ids import paper_id
from paperkg.core.settings import Settings
from paperkg.graph.extraction import annotation, learned_extractor
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import KnowledgeBase, distributed
from paperkg.kb.ingest import IngestOptions, IngestSummary, check, ingest_files
from paperkg.sources import NAMES, Slice, Tally, expand, read_papers

F = TypeVar("F", bound=Callable[..., Any])
APP_FACTORY = "paperkg.api.app:create_app"
EXPORT_FORMATS = names("export")
YEAR = click.IntRange(1000, 3000)
SPARQL_FORMATS = (*names("solutions"), *names("graph"))


def _settings(data: Path | None) -> Settings:
    return Settings(data=data) if data is not None else Settings()


def data_option(func: F) -> F:
    """--data DIR on every command (default: $PAPERKG_DATA, else ./data)."""
    return click.option("--data", "data", type=click.Path(path_type=Path, file_okay=False), default=None,
                        help="Data directory [env PAPERKG_DATA; default ./data].")(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def domain_errors(func: F) -> F:
    """PaperkgError -> one line on stderr and exit status 1 (click's own usage errors exit 2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PaperkgError as error:
            click.echo(f"paperkg: error: {error.detail}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("paperkg: interrupted; nothing half-written was kept", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="passage", file=sys.stderr, dynamic_ncols=True)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def _open(data: Path | None, read_only: bool = False) -> KnowledgeBase:
    settings = _settings(data)
    with _progress("re-embedding") as progress:
        return KnowledgeBase.open(settings, read_only=read_only, progress=progress)


def _emit(value: Any) -> None:
    click.echo(json.dumps(_plain(value), ensure_ascii=False, indent=1))


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperkg")
def main() -> None:
    """paperkg: a knowledge graph and semantic search over scientific paper abstracts."""


def _ingest(data: Path | None, files: tuple[Path, ...], as_json: bool, options: IngestOptions | None = None,
            ray_address: str | None = None) -> None:
    options = options or IngestOptions()
    if ray_address is not None:
        _ingest_on_ray(data, files, as_json, options, distributed.RayParams(ray_address))
        return
    bar: Any = None

    def start(tally: Tally) -> None:
        nonlocal bar
        for message in tally.bad:
            click.echo(f"paperkg: skipped {message}", err=True)
        if tally.bad_count > len(tally.bad):
            click.echo(f"paperkg: skipped {tally.bad_count - len(tally.bad):,} more bad records", err=True)
        bar = tqdm(total=tally.papers, desc="ingesting", unit="paper", file=sys.stderr, dynamic_ncols=True)

    def batch_done(summary: IngestSummary, size: int) -> None:
        bar.update(size)
        bar.set_postfix_str(summary.status_line(), refresh=False)

    def embedding(done: int, total: int) -> None:
        if bar is not None:
            bar.set_postfix_str(f"embedding {done:,}/{total:,} passages")

    settings = _settings(data)
    checking = tqdm(desc="checking", unit="record", file=sys.stderr, dynamic_ncols=True, leave=False, delay=2.0)

    def checked_some(count: int) -> None:
        checking.update(count)

    with checking:  # all of it, before the store opens
        checked = check(expand(files), options, settings.max_title_chars, settings.max_abstract_chars, checked_some)
    with _open(data) as kb:
        try:
            summary = ingest_files(kb, files, options, checked, start, batch_done, embedding)
        except KeyboardInterrupt:
            click.echo(f"\npaperkg: interrupted; the papers of committed batches ({bar.n if bar else 0:,}) are "
                       "stored, the batch in flight is not: run the same command again to go on", err=True)
            sys.exit(130)
        finally:
            if bar is not None:
                bar.close()
        tally = summary.tally
        if as_json:
            _emit(_ingest_json(summary))
            return
        skipped = tally.summary().partition(", ")[2]
        click.echo(f"{tally.papers} papers read: {summary.status_line()}{f' (skipped: {skipped})' if skipped else ''};"
                   f" knowledge base now holds {kb.paper_count()} papers (data version {summary.version})")


def _ingest_json(summary: IngestSummary) -> dict[str, Any]:
    """What `ingest --json` prints."""
    tally = summary.tally
    return {"version": summary.version, "read": tally.papers, "statuses": dict(summary.statuses),
            "skipped": dict(tally.skipped), "bad": tally.bad, "papers": summary.papers,
            "papers_truncated": summary.truncated}


def _ingest_on_ray(data: Path | None, files: tuple[Path, ...], as_json: bool, options: IngestOptions,
                   params: distributed.RayParams) -> None:
    """`_ingest` on Ray: a progress bar per phase (staging, processing on the cluster, loading)."""
    settings = _settings(data)
    checking = tqdm(desc="checking", unit="record", file=sys.stderr, dynamic_ncols=True, leave=False, delay=2.0)

    def checked_some(count: int) -> None:
        checking.update(count)

    with checking:
        checked = check(expand(files), options, settings.max_title_chars, settings.max_abstract_chars, checked_some)
    for message in checked.bad:
        click.echo(f"paperkg: skipped {message}", err=True)
    bars: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in bars:
            for other in bars.values():
                other.close()
            bars[phase] = tqdm(total=total, desc=phase, unit="paper", file=sys.stderr, dynamic_ncols=True)
        bars[phase].update(done - bars[phase].n)

    with _open(data) as kb:
        try:
            with _stdout_to_stderr():  # Ray's driver prints its cluster's warnings to stdout: keep --json clean
                summary, report = distributed.ingest_files(kb, files, options, params, checked, progress=progress)
        except KeyboardInterrupt:
            click.echo("\npaperkg: interrupted; the batches loaded so far are stored, the rest is not: run the same "
                       "command again to go on", err=True)
            sys.exit(130)
        finally:
            for bar in bars.values():
                bar.close()
        tally = summary.tally
        if as_json:
            _emit({**_ingest_json(summary), "ray": report.as_dict()})
            return
        click.echo(f"{tally.papers} papers read: {summary.status_line()}; knowledge base now holds "
                   f"{kb.paper_count()} papers (data version {summary.version}); Ray: {len(report.nodes)} nodes, "
                   + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in report.seconds.items()))


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what is written to file descriptor 1 (by Python or by native code) to 2 meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _ray_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--ray` alone means a local Ray; with a value it must look like an address (a file name taken for one by
    mistake, as in `--ray papers.jsonl`, gets a usage error, not a connection attempt)."""
    if value is None or value in (distributed.LOCAL, "auto") or value.startswith("ray://"):
        return value
    host, _, port = value.rpartition(":")
    if host and port.isdigit():
        return value
    raise click.BadParameter(f"{value!r} is not a Ray address (HOST:PORT, auto or ray://HOST:PORT); write "
                             "--ray=ADDRESS, or --ray alone after the files for a local Ray")


def ingest_options(func: F) -> F:
    """--format, --skip-bad, --category, --since, --until, --batch-size, --ray."""
    options = [
        click.option("--format", "fmt", type=click.Choice(NAMES), default=None,
                     help="Source format [default: recognised from each file's content]."),
        click.option("--skip-bad", is_flag=True, help="Store the good records and report the bad ones "
                     "[default: one bad record stores nothing]."),
        click.option("--category", "categories", multiple=True, metavar="CAT",
                     help="Only papers in this category (repeatable; 'cs' takes every cs.* category)."),
        click.option("--since", type=YEAR, default=None, help="Only papers of this year or later."),
        click.option("--until", type=YEAR, default=None, help="Only papers of this year or earlier."),
        click.option("--batch-size", type=click.IntRange(1, 100_000), default=IngestOptions.batch_size,
                     show_default=True, help="Papers per committed transaction."),
        click.option("--ray", "ray_address", is_flag=False, flag_value=distributed.LOCAL, default=None,
                     metavar="[ADDRESS]", callback=_ray_address,
                     help="Extract and embed on Ray: alone, a Ray started on this machine; with HOST:PORT (a head "
                     "node started by `ray start --head`), auto or ray://HOST:PORT, that cluster."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _options(fmt: str | None, skip_bad: bool, categories: tuple[str, ...], since: int | None, until: int | None,
             batch_size: int) -> IngestOptions:
    return IngestOptions(fmt, Slice(categories, since, until), skip_bad, batch_size)


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@ingest_options
@data_option
@json_option
@domain_errors
def build(sources: tuple[Path, ...], fmt: str | None, skip_bad: bool, categories: tuple[str, ...], since: int | None,
          until: int | None, batch_size: int, ray_address: str | None, data: Path | None, as_json: bool) -> None:
    """Build the knowledge base from SOURCES (default: the seeds/ directory)."""
    _ingest(data, sources or (_settings(data).seeds,), as_json,
            _options(fmt, skip_bad, categories, since, until, batch_size), ray_address)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@ingest_options
@data_option
@json_option
@domain_errors
def ingest(files: tuple[Path, ...], fmt: str | None, skip_bad: bool, categories: tuple[str, ...], since: int | None,
           until: int | None, batch_size: int, ray_address: str | None, data: Path | None, as_json: bool) -> None:
    """Add or update papers from FILES: arXiv snapshot, OpenAlex, Semantic Scholar, BibTeX, CSL-JSON, JSON Lines or
    a title/abstract dump, any of them gzip-compressed. Checked in full first; stored in committed batches."""
    _ingest(data, files, as_json, _options(fmt, skip_bad, categories, since, until, batch_size), ray_address)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@domain_errors
def extract(files: tuple[Path, ...], fmt: str) -> None:
    """Print the entities and relations read from each paper in FILES, one JSON object per line (no store)."""
    settings = Settings()
    vocabulary = Vocabulary.load(settings.seeds)
    extractor = learned_extractor(vocabulary, settings.seeds, settings.min_confidence)
    for path in files:
        for paper in read_papers(path):
            result = annotation(paper.title, paper.abstract, extractor.extract(paper.title, paper.abstract),
                                vocabulary)
            click.echo(json.dumps({"id": paper.id or paper_id(paper.title), **result}, ensure_ascii=False))


@main.command()
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
    with _open(data, read_only=True) as kb:
        results = kb.search(query, k, filters)
    if as_json:
        _emit(results)
        return
    for rank, hit in enumerate(results.results, 1):
        click.echo(f"{rank:2d}. {hit.score:.3f}  {hit.id}  {hit.title}")


@main.command()
@click.argument("paper_id")
@data_option
@json_option
@domain_errors
def paper(paper_id: str, data: Path | None, as_json: bool) -> None:
    """Show a paper by any of its ids: paper id, DOI, arXiv, OpenAlex or Semantic Scholar id, own id, BibTeX key."""
    with _open(data, read_only=True) as kb:
        detail = kb.get_paper(paper_id)
    if as_json:
        _emit(detail)
        return
    click.echo(f"{detail.id}  {detail.title}")
    facts = [", ".join(detail.authors), str(detail.year or ""), detail.venue or "", " ".join(detail.categories)]
    click.echo("  " + " | ".join(f for f in facts if f))
    click.echo("  ids: " + ", ".join(f"{i.kind}:{i.value}" for i in detail.identifiers))


@main.command()
@click.argument("paper_id")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--aspect", type=click.Choice(["all", "method", "task", "results"]), default="all", show_default=True,
              help="compare whole papers, or only their method, their task (problem, datasets) or their results")
@data_option
@json_option
@domain_errors
def similar(paper_id: str, k: int, aspect: str, data: Path | None, as_json: bool) -> None:
    """Papers most similar to PAPER_ID."""
    with _open(data, read_only=True) as kb:
        results = kb.similar(paper_id, k, aspect)
    if as_json:
        _emit({"results": results})
        return
    for rank, hit in enumerate(results, 1):
        click.echo(f"{rank:2d}. {hit.score:.3f}  {hit.id}  {hit.title}")


@main.command()
@click.argument("name")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@data_option
@json_option
@domain_errors
def related(name: str, k: int, data: Path | None, as_json: bool) -> None:
    """Techniques related to NAME (a technique name, alias or id), each with why."""
    with _open(data, read_only=True) as kb:
        results = kb.related(name, k)
    if as_json:
        _emit({"results": results})
        return
    for rank, hit in enumerate(results, 1):
        reasons = "; ".join(str(v) for v in hit.why.get("summary", []))
        click.echo(f"{rank:2d}. {hit.score:.3f}  {hit.name}  ({reasons})")


@main.command()
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
        query = Path(query[1:]).read_text(encoding="utf-8")
    with _open(data, read_only=True) as kb:
        result = kb.sparql(query, fmt=fmt)
    sys.stdout.buffer.write(result.body)
    if not result.body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    if result.truncated:
        click.echo(f"paperkg: results truncated at {result.rows:,} rows", err=True)


@main.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of stdout.")
@data_option
@domain_errors
def export(fmt: str, output: Path | None, data: Path | None) -> None:
    """Export the whole graph as RDF (turtle, ntriples, jsonld) or a property graph (graphml, gexf, nodelink)."""
    with _open(data, read_only=True) as kb:
        _, chunks = kb.export(fmt)
        if output is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            return
        with atomic_writer(output) as handle:
            for chunk in chunks:
                handle.write(chunk)


@main.command()
@click.option("--keep", type=click.IntRange(min=1), default=None, help="Snapshots kept at least "
              "[env PAPERKG_PUBLISH_KEEP; default 3].")
@data_option
@json_option
@domain_errors
def publish(keep: int | None, data: Path | None, as_json: bool) -> None:
    """Publish a read-only snapshot of the knowledge base for replicas (`paperkg serve --replica DATA`).

    A running `paperkg serve` owns its data directory: give it --publish-every instead."""
    settings = _settings(data)
    with _open(data) as kb:
        snapshot = kb.publish(keep or settings.publish_keep, settings.publish_retain)
    if as_json:
        _emit({"generation": snapshot.generation, "version": snapshot.version, "papers": snapshot.papers,
               "path": str(snapshot.path)})
        return
    click.echo(f"{snapshot.describe()}: {snapshot.path}")


@main.command()
@data_option
@json_option
@domain_errors
def stats(data: Path | None, as_json: bool) -> None:
    """Counts of papers, nodes by type, edges by relation, and index details."""
    with _open(data, read_only=True) as kb:
        result = kb.stats()
    if as_json:
        _emit(result)
        return
    click.echo(f"papers: {result.papers}  (data version {result.version})")
    click.echo("nodes: " + ", ".join(f"{k} {v}" for k, v in result.nodes.items()))
    click.echo("edges: " + ", ".join(f"{k} {v}" for k, v in result.edges.items()))
    click.echo("index: " + ", ".join(f"{k} {v}" for k, v in result.index.items()))


@main.command()
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
    settings = _settings(data)
    # The app is named, not imported: the CLI and the API are separate entry points over the knowledge base, and
    # the app factory builds its settings from the same environment at start-up.
    os.environ["PAPERKG_DATA"] = str(settings.data)
    if replica is not None:
        os.environ["PAPERKG_REPLICA"] = str(replica)
    if publish_every is not None:
        os.environ["PAPERKG_PUBLISH_INTERVAL"] = str(publish_every)
    source = replica or Settings().replica
    served = f"the snapshots published in {source} (read-only replica)" if source else settings.data
    click.echo(f"serving {served} on http://{host}:{port}", err=True)
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="info")
