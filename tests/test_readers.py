"""Readers in other processes come and go while a knowledge base is open, and the writer never notices.

SQLite's locks are POSIX advisory locks, which belong to a process: any open() and close() of the database, its
-wal or its -shm outside SQLite drops all of them. The next reader process then takes itself for the first
connection, truncates the -shm the writer has mapped, and the writer dies of SIGBUS (issue 18).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase

WAL_INDEX_DMS_BYTE = 128
"""The "dead man switch" lock byte of the -shm file (sqlite.org/walformat.html): every connection attached to the
wal-index holds a shared lock on it, and one that gets it exclusively truncates and re-initialises the file."""

PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))
except OSError:
    print("attached")
else:
    print("nobody")
"""

FILE_EVENTS = {"open": 1, "os.truncate": 1, "os.remove": 1, "os.rename": 2, "os.link": 2, "os.symlink": 2}
"""Audit events (docs.python.org/3/library/audit_events.html) that open or change a file: how many leading
arguments are paths."""

_recording = threading.Event()
_touched: list[str] = []
_hooked = False


def _record_file_event(event: str, args: tuple[object, ...]) -> None:
    if _recording.is_set() and event in FILE_EVENTS:
        _touched.extend(os.path.abspath(os.fsdecode(path)) for path in args[:FILE_EVENTS[event]]
                        if isinstance(path, str | bytes | os.PathLike))


@pytest.fixture
def touched_paths() -> Iterator[list[str]]:
    """Every path this process opens, truncates, removes or renames from Python while the test runs
    (builtins.open, os.open, os.truncate, os.remove, os.replace, ...; SQLite's own calls are C, not seen here)."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_record_file_event)  # cannot be removed; idle unless recording
        _hooked = True
    _touched.clear()
    _recording.set()
    try:
        yield _touched
    finally:
        _recording.clear()


def _attached_elsewhere(kb: KnowledgeBase) -> str:
    """Whether, seen from another process, some process holds its lock on the store's wal-index: "attached" or
    "nobody"."""
    shm = next(path for path in kb.store.files if path.name.endswith("-shm"))
    probe = subprocess.run([sys.executable, "-c", PROBE, str(shm), str(WAL_INDEX_DMS_BYTE)], capture_output=True,
                           text=True, check=True)
    return probe.stdout.strip()


def test_store_files_are_touched_only_by_sqlite(settings: Settings, seed_papers: list[PaperInput],
                                                touched_paths: list[str]) -> None:
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:5])
        files = {str(path.absolute()) for path in kb.store.files}
        with KnowledgeBase.open(settings, read_only=True) as reader:
            assert reader.search("quantization", 3).results
        kb.add_papers(seed_papers[5:8])
    assert any(path.endswith("manifest.json") for path in touched_paths), "the audit hook saw no write at all"
    assert sorted(set(touched_paths) & files) == []


@pytest.mark.parametrize("with_reader", [False, True], ids=["writer", "writer-and-reader"])
def test_the_writer_stays_attached_to_the_wal_index(settings: Settings, seed_papers: list[PaperInput],
                                                    with_reader: bool) -> None:
    """A reader process arriving now must find the writer attached, or it would truncate the writer's -shm."""
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(seed_papers[:5])
        if with_reader:  # our own read-only opening, in the writer's process (as tests and tools do)
            with KnowledgeBase.open(settings, read_only=True) as reader:
                assert reader.paper_count() == 5
        kb.add_papers(seed_papers[5:8])
        assert _attached_elsewhere(kb) == "attached"
