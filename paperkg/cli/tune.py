"""`paperkg tune`: adapt the embedding model to the stored papers (kb/tuning.py), then re-embed if it was kept."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from paperkg.cli.common import data_option, domain_errors, emit, json_option, open_kb, settings_for
from paperkg.core.errors import NotFound
from paperkg.embeddings.tuning import TuneParams
from paperkg.kb import tuning
from paperkg.kb.base import DB_NAME


@click.command()
@click.option("--epochs", type=int, default=None, help="Passes over the training pairs [1].")
@click.option("--batch-size", type=int, default=None, help="Pairs per batch; the others are its negatives [32].")
@click.option("--max-length", type=int, default=None, help="Tokens of each training text [128].")
@click.option("--learning-rate", type=float, default=None, help="AdamW learning rate [3e-5].")
@click.option("--margin", type=float, default=None, help="Held-out MRR gain needed to keep the model [0.005].")
@click.option("--holdout", type=float, default=None, help="Fraction of papers held out for the judgement [0.1].")
@click.option("--dry-run", is_flag=True, help="Train and judge, but keep nothing.")
@click.option("--revert", is_flag=True, help="Serve the base model again (re-embeds).")
@data_option
@json_option
@domain_errors
def tune(epochs: int | None, batch_size: int | None, max_length: int | None, learning_rate: float | None,
         margin: float | None, holdout: float | None, dry_run: bool, revert: bool, data: Path | None,
         as_json: bool) -> None:
    """Adapt the embedding model to the stored papers (title -> abstract pairs, in-batch negatives); keep it only if
    held-out titles find their own abstracts better, then re-embed every passage with it."""
    given: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size, "max_length": max_length,
                             "learning_rate": learning_rate, "margin": margin, "holdout": holdout}
    params = TuneParams(**{k: v for k, v in given.items() if v is not None})
    settings = settings_for(data)
    if not (settings.data / DB_NAME).exists():
        raise NotFound(f"no knowledge base in {settings.data}: run `paperkg build` first")
    with open_kb(data) as kb:
        if revert:
            changed = tuning.revert(kb)
        else:
            bar: Any = None

            def step(done: int, total: int) -> None:
                nonlocal bar
                if bar is None:
                    bar = tqdm(total=total, desc="tuning", unit="step", file=sys.stderr, dynamic_ncols=True)
                bar.update(done - bar.n)

            try:
                report = tuning.tune(kb, params, dry_run, step)
            finally:
                if bar is not None:
                    bar.close()
            changed = report.kept
    model = ""
    if changed:
        with open_kb(data) as kb:  # opening with the new model identity re-embeds every passage
            model = kb.model_id
    if revert:
        message = f"serving the base model again: {model}" if changed else "no tuned model was served"
        emit({"reverted": changed}) if as_json else click.echo(message)
        return
    if as_json:
        emit(report)
        return
    training = report.training
    click.echo(f"{report.papers} papers: {report.train_papers} trained on, {report.held_out} held out")
    click.echo(f"training: {training.steps} steps of up to {params.batch_size} pairs in {training.seconds:.1f} s "
               f"(loss {training.first_loss:.3f} -> {training.last_loss:.3f})")
    click.echo(f"held-out title -> abstract recall@10: {report.before.recall_at_10:.3f} -> "
               f"{report.after.recall_at_10:.3f} ({report.before.candidates} candidate abstracts)")
    click.echo(report.decision)
    if report.kept:
        click.echo(f"re-embedded with {model}")
