"""What every command shares: settings, options, the domain-error handler, progress, output."""

from __future__ import annotations

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
from tqdm import tqdm

from paperkg.core.errors import PaperkgError
from paperkg.core.settings import Settings, load_settings
from paperkg.kb import KnowledgeBase

F = TypeVar("F", bound=Callable[..., Any])
YEAR = click.IntRange(1000, 3000)
"""A publication year, as options take it."""


def settings_for(data: Path | None) -> Settings:
    return load_settings(data)


def data_option(func: F) -> F:
    """--data DIR on every command (default: $PAPERKG_DATA, else ./data)."""
    return click.option("--data", "data", type=click.Path(path_type=Path, file_okay=False), default=None,
                        help="Data directory [env PAPERKG_DATA; default ./data].")(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def domain_errors(func: F) -> F:
    """PaperkgError, or an OSError on a file, -> one line on stderr and exit status 1 (click's own usage errors exit
    2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PaperkgError as error:
            click.echo(f"paperkg: error: {error.detail}", err=True)
            sys.exit(1)
        except BrokenPipeError:  # the reader went away (`paperkg export | head`): stop quietly, as a pipe tool does
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as error:  # a file named on the command line: missing, a directory, not writable, ...
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"paperkg: error: {where}{error.strerror or error}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("paperkg: interrupted; nothing half-written was kept", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
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


def open_kb(data: Path | None, read_only: bool = False) -> KnowledgeBase:
    settings = settings_for(data)
    with progress_bar("re-embedding") as progress:
        return KnowledgeBase.open(settings, read_only=read_only, progress=progress)


def emit(value: Any) -> None:
    click.echo(json.dumps(plain(value), ensure_ascii=False, indent=1))


def plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
