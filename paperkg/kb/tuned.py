"""The tuned embedding model a knowledge base serves, when `paperkg tune` kept one (kb/tuning.py makes it).

The record lives in the store's meta table (key `tuned_model`, JSON), so it changes in one transaction and travels
with published snapshots; the weights live in `DATA/tuned/<id>/` (a sentence-transformers directory, safetensors).
A tuned model refines one base model: it is served only while the configured model (`PAPERKG_MODEL`, or the bundled
one) is that base, and its id enters the model identity, so keeping or dropping it re-embeds every passage.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("paperkg")

META_KEY = "tuned_model"
TUNED_DIR = "tuned"


@dataclass(frozen=True)
class TunedModel:
    """A kept tuned model: where it is, what it came from, how it was made and how it scored."""

    id: str
    base: str
    """The model identity it was tuned from (`bundled:all-MiniLM-L6-v2` or the configured PAPERKG_MODEL)."""
    path: str
    """Its directory, relative to the data directory."""
    sha256: str
    """Of its model.safetensors."""
    corpus_version: int
    """The store's data version it was trained on."""
    papers: int
    params: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    """Held-out title -> abstract retrieval (mrr, recall_at_10, queries, candidates) of the base and of this model."""
    seconds: float
    created: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> TunedModel | None:
        if not text:
            return None
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as error:
            log.warning("unreadable tuned-model record (%s): serving the base model", error)
            return None

    def model_id(self) -> str:
        """What stands for the model in the knowledge base's model identity."""
        return f"tuned:{self.id}@{self.base}"

    def directory(self, data: Path, snapshot: bool) -> Path | None:
        """Its directory under `data`, or for a published snapshot (DATA/snapshots/N) under the writer's DATA."""
        for root in (data, data.parent.parent) if snapshot else (data,):
            candidate = root / self.path
            if (candidate / "model.safetensors").is_file():
                return candidate
        return None


def active(record: TunedModel | None, base: str, data: Path, snapshot: bool) -> tuple[TunedModel, Path] | None:
    """The tuned model to serve over `base`, with its directory; None (the base is served) if there is none, it was
    tuned from another base, or its directory is gone."""
    if record is None:
        return None
    if record.base != base:
        log.warning("tuned model %s refines %s, not the configured %s: serving the configured model",
                    record.id, record.base, base)
        return None
    directory = record.directory(data, snapshot)
    if directory is None:
        log.warning("tuned model %s: %s is missing; serving the base model %s", record.id, data / record.path, base)
        return None
    return record, directory
