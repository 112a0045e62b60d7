"""The `paperkg` command line: each command translates its arguments into one call on the knowledge base."""

from __future__ import annotations

import click

from paperkg.cli import ingest, query, tune


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperkg")
def main() -> None:
    """paperkg: a knowledge graph and semantic search over scientific paper abstracts."""


for command in (ingest.build, ingest.ingest, ingest.extract, query.search, query.paper, query.similar, query.related,
                query.sparql, query.export, query.publish, query.stats, query.serve, tune.tune):
    main.add_command(command)

__all__ = ["main"]
