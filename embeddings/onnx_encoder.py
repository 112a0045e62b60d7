"""The encoder on ONNX Runtime: the fast `tokenizers` tokenizer, length-sorted batches, one fused graph per batch.

Gives the torch backend's vectors (fp32: cosine >= 0.999) without importing torch: the graph includes pooling and
normalisation, so a forward pass is one `session.run` on padded int64 arrays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperkg.core.errors import PaperkgError
from paperkg.embeddings.batching import MicroBatcher
from paperkg.embeddings.encoder import (
    Progress,
    QueryCache,
    WindowEncoder,
    check_model_dir,
    resolve_model_dir,
)
from paperkg.embeddings.onnx_model import INPUTS, OnnxModel, QuantParams, load_model

CHUNK_BATCHES = 8
"""Batches between progress reports."""


@dataclass(frozen=True)
class RuntimeParams:
    """ONNX Runtime session settings.

    `threads` 0 means one intra-op thread per CPU this process may run on (2 here). One batch runs at a time (queries
    are micro-batched on one worker), so inter-op parallelism stays off. `spin` lets idle intra-op threads busy-wait
    between operators: lower latency on an idle machine, stolen cycles on a busy one.
    """

    threads: int = 0
    spin: bool = True

    def intra_op_threads(self) -> int:
        if self.threads > 0:
            return self.threads
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)


class OnnxEncoder(WindowEncoder):
    """A sentence-transformers model exported to ONNX (fp32 or int8), run by ONNX Runtime on the CPU."""

    def __init__(self, name_or_path: str, cache_size: int, precision: str = "fp32", cache_dir: Path | None = None,
                 runtime: RuntimeParams | None = None, quant: QuantParams | None = None) -> None:
        directory = resolve_model_dir(name_or_path)
        check_model_dir(directory)
        self.model: OnnxModel = load_model(directory, precision, cache_dir, quant)
        self.name = name_or_path
        self.precision = precision
        self.dim = self.model.info.dim
        self.max_tokens = self.model.info.max_tokens
        self._session = _session(self.model.data, runtime or RuntimeParams())
        self._feeds = [i.name for i in self._session.get_inputs()]
        self._tokens = _tokenizer(directory, self.max_tokens)
        self._spans = _tokenizer(directory, None)
        self._cache = QueryCache(cache_size)
        self._batcher = MicroBatcher(self._encode_batch)  # concurrent queries share a forward pass

    def encode(self, texts: list[str], batch_size: int, progress: Progress | None = None) -> np.ndarray:
        """All texts tokenized at once, sorted by token count so each batch pads to nearly its own length."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokens.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        batch_size = max(1, batch_size)
        reported = 0
        for number, start in enumerate(range(0, len(order), batch_size), 1):
            batch = order[start : start + batch_size]
            out[batch] = self._run([encodings[i] for i in batch])
            done = start + len(batch)
            if progress is not None and (number % CHUNK_BATCHES == 0 or done == len(order)):
                progress(done - reported)
                reported = done
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._run(self._tokens.encode_batch(texts))

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
            types[row, :n] = encoding.type_ids
        arrays = dict(zip(INPUTS, (ids, mask, types), strict=True))
        (vectors,) = self._session.run(None, {name: arrays[name] for name in self._feeds})
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _session(data: bytes, runtime: RuntimeParams) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = runtime.intra_op_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if runtime.spin else "0")
    options.log_severity_level = 3  # errors only
    try:
        return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for a model it cannot run
        raise PaperkgError(f"ONNX Runtime cannot load the encoder: {error}") from error


def _tokenizer(directory: Path, max_tokens: int | None) -> Any:
    """The model's fast tokenizer from tokenizer.json: truncated to the window (or not at all), never padded."""
    from tokenizers import Tokenizer

    path = directory / "tokenizer.json"
    if not path.exists():
        raise PaperkgError(f"{directory}: no tokenizer.json; the onnx backend needs a fast (Rust) tokenizer")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    if max_tokens is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer
