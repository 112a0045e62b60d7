"""Shared fixtures: settings over a temporary data directory, knowledge bases, an in-process HTTP client.

Most tests use the fast deterministic hashing encoder; tests marked `model` use the real MiniLM model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.sources import read_papers

ROOT = Path(__file__).resolve().parents[1]
SEED_FILE = ROOT / "seeds" / "000_a8d658c6adbf4f3a.txt"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session", autouse=True)
def shared_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache of exported ONNX models for the whole session (each data directory would otherwise build its own)."""
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get("PAPERKG_MODEL_CACHE"):
            patch.setenv("PAPERKG_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
        yield Path(os.environ["PAPERKG_MODEL_CACHE"])


@pytest.fixture(scope="session")
def seed_papers() -> list[PaperInput]:
    return read_papers(SEED_FILE)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=tmp_path / "data", model="hashing", sparql_timeout=5.0)


@pytest.fixture
def kb(settings: Settings, seed_papers: list[PaperInput]) -> Iterator[KnowledgeBase]:
    """A knowledge base holding the first 20 seed papers (hashing encoder)."""
    with KnowledgeBase.open(settings) as base:
        base.add_papers(seed_papers[:20])
        yield base


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    from paperkg.api.app import create_app

    with TestClient(create_app(kb.settings, kb)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a data directory built once per session from all 111 seeds with the hashing encoder."""
    settings = Settings(data=tmp_path_factory.mktemp("seeded") / "data", model="hashing")
    with KnowledgeBase.open(settings) as base:
        base.add_papers(read_papers(SEED_FILE))
    return settings


@pytest.fixture(scope="session")
def real_model_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data directory built once per session from all seeds with the real embedding model."""
    settings = Settings(data=tmp_path_factory.mktemp("real") / "data")
    with KnowledgeBase.open(settings) as base:
        base.add_papers(read_papers(SEED_FILE))
    return settings


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def stored_file(directory: Path, manifest: str, key: str) -> Path:
    """The data file a component's manifest (`dense`, `keyword`) names under `key`."""
    entries = json.loads((directory / f"{manifest}.manifest.json").read_text())
    return directory / entries["files"][key]["name"]


def damage(path: Path, how: str) -> None:
    """Damage a stored file as a crash or a bad disk would: truncate, zero, flip one byte, or delete it."""
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "zero":
        path.write_bytes(b"")
    elif how == "flip":
        at = min(40, len(data) - 1)
        path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
    elif how == "delete":
        path.unlink()
    else:
        raise ValueError(how)
