"""Commands that add papers: build, ingest (in process or on Ray), and extract (annotations only)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from paperkg.cli.common import YEAR, F, data_option, domain_errors, emit, json_option, open_kb, settings_for
from paperkg.core.ids import paper_id
from paperkg.core.settings import load_settings
from paperkg.graph.extraction import annotation, learned_extractor
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import distributed
from paperkg.kb.ingest import IngestOptions, IngestSummary, check, ingest_files
from paperkg.sources import NAMES, Slice, Tally, expand, read_papers


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

    settings = settings_for(data)
    checking = tqdm(desc="checking", unit="record", file=sys.stderr, dynamic_ncols=True, leave=False, delay=2.0)

    def checked_some(count: int) -> None:
        checking.update(count)

    with checking:  # all of it, before the store opens
        checked = check(expand(files), options, settings.max_title_chars, settings.max_abstract_chars, checked_some)
    with open_kb(data) as kb:
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
            emit(_ingest_json(summary))
            return
        for message in summary.rejected:
            click.echo(f"paperkg: rejected {message}", err=True)
        skipped = tally.summary().partition(", ")[2]
        click.echo(f"{tally.papers} papers read: {summary.status_line()}{f' (skipped: {skipped})' if skipped else ''};"
                   f" knowledge base now holds {kb.paper_count()} papers (data version {summary.version})")


def _ingest_json(summary: IngestSummary) -> dict[str, Any]:
    """What `ingest --json` prints."""
    tally = summary.tally
    return {"version": summary.version, "read": tally.papers, "statuses": dict(summary.statuses),
            "skipped": dict(tally.skipped), "bad": tally.bad, "rejected": summary.rejected, "papers": summary.papers,
            "papers_truncated": summary.truncated}


def _ingest_on_ray(data: Path | None, files: tuple[Path, ...], as_json: bool, options: IngestOptions,
                   params: distributed.RayParams) -> None:
    """`_ingest` on Ray: a progress bar per phase (staging, processing on the cluster, loading)."""
    settings = settings_for(data)
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

    with open_kb(data) as kb:
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
            emit({**_ingest_json(summary), "ray": report.as_dict()})
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
    kept = tuple(c for c in categories if c.strip())  # an empty --category is no filter, as in search and HTTP
    return IngestOptions(fmt, Slice(kept, since, until), skip_bad, batch_size)


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@ingest_options
@data_option
@json_option
@domain_errors
def build(sources: tuple[Path, ...], fmt: str | None, skip_bad: bool, categories: tuple[str, ...], since: int | None,
          until: int | None, batch_size: int, ray_address: str | None, data: Path | None, as_json: bool) -> None:
    """Build the knowledge base from SOURCES (default: the seeds/ directory)."""
    _ingest(data, sources or (settings_for(data).seeds,), as_json,
            _options(fmt, skip_bad, categories, since, until, batch_size), ray_address)


@click.command()
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


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(NAMES), default=None,
              help="Source format [default: recognised from each file's content].")
@domain_errors
def extract(files: tuple[Path, ...], fmt: str | None) -> None:
    """Print the entities and relations read from each paper in FILES, one JSON object per line (no store)."""
    settings = load_settings()
    vocabulary = Vocabulary.load(settings.seeds)
    extractor = learned_extractor(vocabulary, settings.seeds, settings.min_confidence)
    for path in files:
        for paper in read_papers(path, fmt):
            result = annotation(paper.title, paper.abstract, extractor.extract(paper.title, paper.abstract),
                                vocabulary)
            click.echo(json.dumps({"id": paper.id or paper_id(paper.title), **result}, ensure_ascii=False))
