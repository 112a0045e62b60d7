"""Durable file operations: atomic writes, checksums, and the one-writer lock on a data directory."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from paperkg.core.errors import DataDirLocked, ReadOnly, StorageFull, UnsafeModel

LOCK_NAME = "writer.lock"


def storage_error(error: OSError, what: str) -> Exception:
    """The domain error for an OSError met while writing `what`."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"disk full while writing {what}; nothing was changed")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnly(f"cannot write {what}: {error.strerror}")
    return error


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(directory: Path) -> None:
    """fsync every file under `directory`, then every directory in it and itself, so a rename of it is durable."""
    for path in directory.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for path in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
        fsync_dir(path)


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Write to a temporary file beside `path`, fsync, rename over it, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise storage_error(error, str(path)) from error
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def scan_for_pickles(directory: Path, skip: Collection[Path] = ()) -> None:
    """Refuse to start over a data directory that holds a pickle: paperkg never writes one, so it was planted.

    Paths in `skip` (files, or directories with everything below them) are never opened: pass the SQLite store's
    files and the on-disk RDF store's directory. POSIX locks belong to the process, so opening and closing a database
    file (or its -wal/-shm) outside SQLite drops every lock SQLite holds on it; the next reader process then takes
    itself for the first connection and truncates the -shm that this process has mapped, and this process dies of
    SIGBUS at its next access to the wal-index. (A database refuses a pickle in its own files anyway.)
    """
    if not directory.is_dir():
        return
    skipped = tuple(path.absolute() for path in skip)
    for path in sorted(directory.rglob("*")):
        here = path.absolute()
        if not path.is_file() or path.is_symlink() or any(here == s or here.is_relative_to(s) for s in skipped):
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(2)
        except OSError:
            continue
        if head in PICKLE_MAGIC or path.suffix in (".pkl", ".pickle"):
            raise UnsafeModel(f"refusing to start: {path} is a pickle file; paperkg never loads pickles "
                              "(remove the file)")


class WriterLock:
    """An exclusive flock on DATA/writer.lock naming the owner's pid; released when the process dies."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise storage_error(error, str(self.path)) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirLocked(
                f"data directory {self.path.parent} is in use by another paperkg writer (pid {owner}); "
                "if it is `paperkg serve`, POST /papers to it; else stop it or use another --data directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
