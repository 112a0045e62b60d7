"""DATA/manifest.json: which schema, embedding model and extractor the stored data was made with.

The store's meta table holds the same facts, changed in the same transaction as the rows they describe;
the manifest mirrors them for people and tools that do not read SQLite.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from paperkg.core.files import write_atomic

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    model: str
    extractor_version: str
    tuned: dict[str, Any] | None = None
    """The tuned model served (kb/tuned.py: id, base, corpus version, params, held-out scores); absent if none."""

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            tuned = data.get("tuned")
            return cls(int(data["schema_version"]), str(data["model"]), str(data["extractor_version"]),
                       tuned if isinstance(tuned, dict) else None)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # unreadable: treated as unknown, so everything derived is rebuilt

    def write(self, directory: Path) -> None:
        fields = {k: v for k, v in asdict(self).items() if k != "tuned" or v is not None}
        write_atomic(directory / MANIFEST, (json.dumps(fields, indent=1) + "\n").encode())
