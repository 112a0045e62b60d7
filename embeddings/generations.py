"""Checksummed file generations: how the dense and keyword indexes are saved and loaded atomically."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from paperkg.core.errors import CorruptData
from paperkg.core.files import fsync_dir, storage_error, write_atomic


def save_generation(
    directory: Path, prefix: str, fmt: str, version: int, blobs: dict[str, tuple[bytes, str]], meta: dict[str, Any]
) -> None:
    """Write each blob atomically as PREFIX-<sha256[:16]>.SUFFIX, then PREFIX.manifest.json naming them.

    The manifest is replaced last, so a crash at any point leaves the previous generation complete and readable.
    The files of the previous generation are kept for readers that opened its manifest a moment ago; older ones go.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(error, str(directory)) from error
    manifest_path = directory / f"{prefix}.manifest.json"
    files: dict[str, dict[str, Any]] = {}
    for key, (data, suffix) in blobs.items():
        digest = hashlib.sha256(data).hexdigest()
        name = f"{prefix}-{digest[:16]}.{suffix}"
        write_atomic(directory / name, data)
        files[key] = {"name": name, "sha256": digest, "bytes": len(data)}
    previous = _referenced(manifest_path)
    manifest = {"format": fmt, "version": int(version), **meta, "files": files}
    write_atomic(manifest_path, json.dumps(manifest, indent=1).encode())
    keep = {entry["name"] for entry in files.values()} | previous
    generation = re.compile(rf"^{re.escape(prefix)}-[0-9a-f]{{16}}\.")
    # Temporary files of a writer killed mid-save (there is one writer, so any other pid's are stale).
    stale = re.compile(rf"^\.{re.escape(prefix)}[-.].*\.(\d+)\.tmp$")
    removed = False
    for path in directory.iterdir():
        leftover = stale.match(path.name)
        if (generation.match(path.name) and path.name not in keep) or (
            leftover and int(leftover.group(1)) != os.getpid()
        ):
            with contextlib.suppress(OSError):  # best effort: a leftover file is harmless
                path.unlink()
                removed = True
    if removed:
        with contextlib.suppress(OSError):
            fsync_dir(directory)


def load_generation(directory: Path, prefix: str, fmt: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the verified bytes of every file it names; CorruptData if anything is off."""
    manifest = _read_manifest(directory / f"{prefix}.manifest.json", fmt)
    blobs = {key: _read_checked(directory, entry) for key, entry in manifest["files"].items()}
    return manifest, blobs


def manifest_version(directory: Path, prefix: str) -> int | None:
    """The data version a saved generation carries, without reading its data (None if there is none readable)."""
    try:
        version = json.loads((directory / f"{prefix}.manifest.json").read_bytes()).get("version")
    except Exception:  # missing or unreadable: no version
        return None
    return version if isinstance(version, int) else None


def _referenced(manifest_path: Path) -> set[str]:
    try:
        files = json.loads(manifest_path.read_bytes())["files"]
        return {str(entry["name"]) for entry in files.values()}
    except Exception:  # no previous manifest, or an unreadable one: nothing to keep
        return set()


def _read_manifest(path: Path, fmt: str) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CorruptData(f"{path}: missing") from None
    except OSError as error:
        raise CorruptData(f"{path}: unreadable: {error.strerror}") from None
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CorruptData(f"{path}: not valid JSON ({len(data)} bytes)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise CorruptData(f"{path}: not a {fmt} manifest")
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("version"), int):
        raise CorruptData(f"{path}: manifest lacks files or version")
    return manifest


def _read_checked(directory: Path, entry: object) -> bytes:
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or not isinstance(name, str) or "/" in name or name.startswith("."):
        raise CorruptData(f"{directory}: bad file entry in manifest: {entry!r}")
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError:
        raise CorruptData(f"{path}: missing or unreadable") from None
    if len(data) != entry.get("bytes"):
        raise CorruptData(f"{path}: {len(data)} bytes, manifest says {entry.get('bytes')} (truncated?)")
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise CorruptData(f"{path}: checksum mismatch")
    return data
