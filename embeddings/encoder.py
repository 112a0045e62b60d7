"""Text encoders behind one protocol: sentence-transformers on torch, a lexical hashing backend, and what the model
backends share (query cache and batching, model-directory checks). The ONNX Runtime backend is in onnx_encoder.py;
loading.py picks one."""

from __future__ import annotations

import hashlib
import itertools
import json
import pickletools
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from paperkg.core.errors import PaperkgError, UnsafeModel
from paperkg.core.lru import LRUCache
from paperkg.embeddings.batching import MicroBatcher
from paperkg.embeddings.passages import split_passages

Progress = Callable[[int], None]
"""Called with the number of texts just encoded (an increment, as tqdm's `update` takes)."""

PICKLE_SUFFIXES = (".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib")
_CHUNK_BATCHES = 8
"""Batches per `model.encode` call: large enough to keep the model busy, small enough for progress reports."""


class Encoder(Protocol):
    """What the index needs from a text encoder."""

    name: str
    dim: int
    max_tokens: int
    """The model window in tokens, special tokens included."""

    def encode(self, texts: list[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        """float32 (len(texts), dim), each row L2-normalised."""
        ...

    def encode_query(self, text: str) -> np.ndarray:
        """One normalised float32 vector (dim,), cached; the array is read-only."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the model tokens of `text` (special tokens excluded)."""
        ...

    def encode_query_later(self, text: str) -> Future[np.ndarray] | None:
        """The query's vector as a future that lands in the query cache, when it is worth batching with concurrent
        queries; None when `encode_query` would answer at once or compute it better inline."""
        ...

    def close(self) -> None:
        """Release background resources (the query-batching thread); the encoder stays usable."""
        ...


class QueryCache(LRUCache[str, np.ndarray]):
    """A thread-safe LRU of query vectors (read-only float32); size 0 disables it."""

    def prepare(self, value: np.ndarray) -> np.ndarray:
        vector = np.ascontiguousarray(value, dtype=np.float32)
        vector.flags.writeable = False
        return vector


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if matrix.size:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


# ---------------------------------------------------------------------------------------------------------------------
# Model directory safety


def check_model_dir(directory: Path) -> None:
    """Refuse a model directory that would run code or unpickle data when loaded (UnsafeModel)."""
    if not directory.is_dir():
        raise UnsafeModel(f"model directory {directory} does not exist")
    modules_file = directory / "modules.json"
    if modules_file.exists():
        try:
            modules = json.loads(modules_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UnsafeModel(f"{modules_file}: unreadable ({error})") from None
        if not isinstance(modules, list):
            raise UnsafeModel(f"{modules_file}: expected a list of modules")
        root = directory.resolve()
        for module in modules:
            kind = module.get("type") if isinstance(module, dict) else None
            if not isinstance(kind, str) or not kind.startswith("sentence_transformers."):
                raise UnsafeModel(f"{modules_file}: module type {kind!r} is outside sentence_transformers; refused")
            sub = module.get("path", "")
            if not isinstance(sub, str) or not (root / sub).resolve().is_relative_to(root):
                raise UnsafeModel(f"{modules_file}: module path {sub!r} leaves the model directory; refused")
    config_file = directory / "config.json"
    if config_file.exists():
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UnsafeModel(f"{config_file}: unreadable ({error})") from None
        if isinstance(config, dict) and config.get("auto_map"):
            raise UnsafeModel(f"{config_file}: names custom model code (auto_map); refused")
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix.lower() in PICKLE_SUFFIXES and is_pickle(path):
            raise UnsafeModel(f"{path}: a pickle file where safetensors is expected; refused")
    if not any(directory.rglob("*.safetensors")):
        raise UnsafeModel(f"{directory}: no .safetensors weights")


def is_pickle(path: Path) -> bool:
    """True for a pickle stream (any protocol) or a torch zip archive (which holds one)."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                return any(name.endswith((".pkl", ".pickle")) for name in archive.namelist())
        except zipfile.BadZipFile:
            return False
    # Protocol 0/1: decode opcodes without executing anything; a stream that reaches STOP is a pickle.
    try:
        return any(opcode.name == "STOP" for opcode, _, _ in pickletools.genops(head))
    except Exception:  # not a valid opcode stream
        return False


def resolve_model_dir(name_or_path: str) -> Path:
    """A local directory as given, or the cached snapshot of a hub name (never downloaded)."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download  # noqa: PLC0415 (heavy, loaded only when used)

        return Path(snapshot_download(repo_id=name_or_path, local_files_only=True))
    except Exception as error:  # any hub error means: not available offline
        raise PaperkgError(
            f"embedding model {name_or_path!r} is neither a directory nor in the local Hugging Face cache "
            "(nothing is downloaded)"
        ) from error


# ---------------------------------------------------------------------------------------------------------------------
# Backends


MAX_QUERY_PASSAGES = 8
"""A long query is embedded from at most this many passages (about 1,300 tokens, more than any abstract), so that one
request of 20,000 characters cannot hold a core for seconds (a 9,000-token query took 3.4 s on 2 cores)."""


class WindowEncoder:
    """Query handling shared by the model backends: the query cache, micro-batching, and long queries as passages.

    A subclass sets `name`, `dim`, `max_tokens`, `_spans` (a tokenizers.Tokenizer without truncation or padding),
    `_cache` and `_batcher`, and implements `encode` and `_encode_batch`.
    """

    name: str
    dim: int
    max_tokens: int
    _spans: Any
    _cache: QueryCache
    _batcher: MicroBatcher

    def encode(self, texts: list[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        raise NotImplementedError

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode_query(self, text: str) -> np.ndarray:
        return self._cache.get_or_compute(text, self._encode_one)

    def encode_query_later(self, text: str) -> Future[np.ndarray] | None:
        if self._cache.size == 0 or self._cache.get(text) is not None or self._batcher.idle() or self._is_long(text):
            return None
        future = self._batcher.submit(text)
        # registered before any waiter's callback, so the vector is cached when they wake
        future.add_done_callback(lambda done: done.exception() is None and self._cache.put(text, done.result()))
        return future

    def _is_long(self, text: str) -> bool:
        room = self.max_tokens - 2
        # A text makes at most one token per UTF-8 byte, and one more: WordPiece pieces are non-empty parts of the
        # normalised text, never longer than those bytes (tested); byte-level BPE takes a byte at most; SentencePiece
        # adds one word-start mark. A query shorter than that is not tokenized just to learn that it fits.
        if len(text.encode("utf-8")) + 1 <= room:
            return False
        return len(self._spans.encode(text, add_special_tokens=False).ids) > room

    def _encode_one(self, text: str) -> np.ndarray:
        return self._encode_long(text) if self._is_long(text) else self._batcher.encode(text)

    def close(self) -> None:
        self._batcher.close()

    def _encode_long(self, text: str) -> np.ndarray:
        """A query longer than the window (a whole abstract, say) is embedded like a paper: passages, averaged; at
        most MAX_QUERY_PASSAGES of them, the text's start."""
        spans = split_passages("", text, self.token_spans, self.max_tokens)[:MAX_QUERY_PASSAGES]
        vectors = self.encode([text[a:b] for a, b in spans], batch_size=16)
        return normalise_rows(vectors.mean(axis=0, keepdims=True))[0]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        encoding = self._spans.encode(text, add_special_tokens=False)
        return [(int(a), int(b)) for a, b in encoding.offsets]


class SentenceTransformerEncoder(WindowEncoder):
    """A sentence-transformers model on torch (CPU), loaded from local files only and without remote code."""

    def __init__(self, name_or_path: str, cache_size: int) -> None:
        directory = resolve_model_dir(name_or_path)
        check_model_dir(directory)
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415 (heavy, loaded only when used)
        from transformers.utils import logging as hf_logging  # noqa: PLC0415 (heavy, loaded only when used)

        hf_logging.disable_progress_bar()
        try:
            self.model: Any = SentenceTransformer(
                str(directory),
                device="cpu",
                local_files_only=True,
                trust_remote_code=False,
                model_kwargs={"use_safetensors": True},
            )
        except (OSError, ValueError, RuntimeError) as error:
            raise PaperkgError(f"cannot load the embedding model from {directory}: {error}") from error
        self.name = name_or_path
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        if self.dim <= 0:
            raise PaperkgError(f"{directory}: the model does not declare its embedding dimension")
        self.max_tokens = int(self.model.max_seq_length or 512)
        self._spans = _span_tokenizer(self.model.tokenizer)
        self._cache = QueryCache(cache_size)
        self._batcher = MicroBatcher(self._encode_batch)  # concurrent queries share a forward pass

    def encode(self, texts: list[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        """Texts sorted by length so batches carry little padding, encoded in chunks that report progress."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = batch_size * _CHUNK_BATCHES
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            vectors = self.model.encode(
                [texts[i] for i in chunk],
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            out[chunk] = vectors
            if progress is not None:
                progress(len(chunk))
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True, normalize_embeddings=True,
                                    show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _span_tokenizer(tokenizer: Any) -> Any:
    """A private copy of the fast tokenizer without truncation or padding (the model's copy changes per call)."""
    from tokenizers import Tokenizer  # noqa: PLC0415 (heavy, loaded only when used)

    if not hasattr(tokenizer, "backend_tokenizer"):
        raise PaperkgError("the embedding model needs a fast (Rust) tokenizer: passages are cut at its token offsets")
    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_truncation()
    backend.no_padding()
    return backend


_WORD = re.compile(r"\w+|[^\w\s]")


class HashingEncoder:
    """Deterministic lexical feature hashing (words and word bigrams); for tests and model-free use."""

    def __init__(self, dim: int = 384, cache_size: int = 1024, max_tokens: int = 256) -> None:
        if dim < 8:
            raise ValueError("dim must be at least 8")
        self.name = f"hashing:{dim}"
        self.dim = dim
        self.max_tokens = max_tokens
        self._cache = QueryCache(cache_size)
        self._buckets: dict[str, tuple[int, float]] = {}

    def _bucket(self, feature: str) -> tuple[int, float]:
        found = self._buckets.get(feature)
        if found is None:
            digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
            found = (digest % self.dim, 1.0 if (digest >> 63) & 1 else -1.0)
            if len(self._buckets) < 200_000:
                self._buckets[feature] = found
        return found

    def _vector(self, text: str) -> np.ndarray:
        words = [_stem(w) for w in re.findall(r"\w+", text.lower())]
        vector = np.zeros(self.dim, dtype=np.float32)
        for feature, weight in [(w, 1.0) for w in words] + [(f"{a} {b}", 0.5) for a, b in itertools.pairwise(words)]:
            index, sign = self._bucket(feature)
            vector[index] += sign * weight
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def encode(self, texts: list[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), max(1, batch_size)):
            batch = texts[start : start + batch_size]
            for offset, text in enumerate(batch):
                out[start + offset] = self._vector(text)
            if progress is not None:
                progress(len(batch))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._cache.get_or_compute(text, self._vector)

    def encode_query_later(self, text: str) -> Future[np.ndarray] | None:
        return None  # hashing is cheaper than handing over

    def close(self) -> None:
        pass

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]


def _stem(word: str) -> str:
    """A crude plural/verb-ending strip so that the hashing backend matches 'models' with 'model'."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word
