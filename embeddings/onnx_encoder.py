"""The encoder on an exported ONNX graph, run by ONNX Runtime or OpenVINO: the fast `tokenizers` tokenizer,
length-sorted batches, one graph run per batch.

Gives the torch backend's vectors (fp32: cosine >= 0.999) without importing torch: the graph includes pooling and
normalisation, so a forward pass is one run on padded int64 arrays. OpenVINO runs bf16 matrix products on CPUs that
have them (AMX, AVX512-BF16) and fp32 elsewhere.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
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

log = logging.getLogger("paperkg.encoder")
CHUNK_BATCHES = 8
"""Batches between progress reports."""
RUNTIMES = {"onnx": ("int8", "fp32", "int8-7bit"), "openvino": ("bf16", "fp32")}
"""Each runtime's precisions, its default first."""

Run = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class RuntimeParams:
    """ONNX Runtime session settings.

    `threads` 0 means one intra-op thread per CPU this process may run on (2 here). One batch runs at a time (queries
    are micro-batched on one worker), so inter-op parallelism stays off. `spin` lets idle ONNX Runtime threads busy-wait
    between operators, and `pin` binds OpenVINO's threads to cores: each can shave a little latency on an idle machine,
    but on a busy one they cost much more (one-query p10 31.9 ms without spinning against 161 ms with it, at load 15 on
    2 cores), and a server shares its cores with the HTTP and ranking threads anyway.

    `query_widths`: OpenVINO runs a one-text batch of at most that many tokens on a model compiled for the next
    width up (padded; the mask keeps the vector: cosine 0.99999), skipping the per-inference work of dynamic shapes:
    over the 30 dev queries (7-19 tokens) a one-query pass takes 0.74x the time with widths 16 and 32 (quiet,
    bench/encoder_speed.py). Each width shares the loaded model's weights and costs about 60 MB and 0.6 s of
    compilation, done on a background thread the first time such a batch comes (a query,
    never an ingest batch); the dynamic model answers until then. () turns it off.
    """

    threads: int = 0
    spin: bool = False
    pin: bool = False
    query_widths: tuple[int, ...] = (16, 32)

    def intra_op_threads(self) -> int:
        if self.threads > 0:
            return self.threads
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)


class OnnxEncoder(WindowEncoder):
    """A sentence-transformers model exported to ONNX, run on the CPU by ONNX Runtime (fp32 or int8 weights) or by
    OpenVINO (bf16 or fp32 arithmetic)."""

    def __init__(self, name_or_path: str, cache_size: int, precision: str = "fp32", cache_dir: Path | None = None,
                 runtime: RuntimeParams | None = None, quant: QuantParams | None = None,
                 engine: str = "onnx") -> None:
        if precision not in RUNTIMES.get(engine, ()):
            raise PaperkgError(f"encoder backend {engine!r} with precision {precision!r}: expected one of {RUNTIMES}")
        directory = resolve_model_dir(name_or_path)
        check_model_dir(directory)
        runtime = runtime or RuntimeParams()
        if engine == "onnx":
            self.model: OnnxModel = load_model(directory, precision, cache_dir, quant)
            self._infer = _onnxruntime(self.model.data, runtime)
        else:
            self.model = load_model(directory, "fp32", cache_dir, quant, fused=False)
            self._infer = _openvino(self.model.data, runtime, precision)
        self.model = replace(self.model, data=b"")  # the runtime holds its own copy: do not keep 20-90 MB twice
        self.name = name_or_path
        self.engine = engine
        self.precision = precision
        self.dim = self.model.info.dim
        self.max_tokens = self.model.info.max_tokens
        self._tokens = _tokenizer(directory, self.max_tokens)
        self._spans = _tokenizer(directory, None)
        self._cache = QueryCache(cache_size)
        self._batcher = MicroBatcher(self._encode_batch)  # concurrent queries share a forward pass

    def settle(self) -> None:
        """Wait for the fixed-width query models being compiled in the background (tests, benchmarks)."""
        fixed = getattr(self._infer, "fixed", None)
        if isinstance(fixed, _FixedWidths):
            fixed.wait()

    def close(self) -> None:
        super().close()
        self.settle()  # a compile cut off when the process exits would abort it

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
        vectors = self._infer(dict(zip(INPUTS, (ids, mask, types), strict=True)))
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _onnxruntime(data: bytes, runtime: RuntimeParams) -> Run:
    """An ONNX Runtime session's run (thread-safe), fed the inputs the graph declares."""
    session = _session(data, runtime)
    feeds = [i.name for i in session.get_inputs()]

    def run(arrays: dict[str, np.ndarray]) -> np.ndarray:
        (vectors,) = session.run(None, {name: arrays[name] for name in feeds})
        return np.asarray(vectors)

    return run


def _openvino(data: bytes, runtime: RuntimeParams, precision: str) -> Run:
    """An OpenVINO compiled model's run, with fixed-width query models (RuntimeParams.query_widths)."""
    import openvino  # noqa: PLC0415 (optional or heavy, loaded only when used)

    core = openvino.Core()
    config = {
        "INFERENCE_NUM_THREADS": runtime.intra_op_threads(),
        "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32",
        "PERFORMANCE_HINT": "LATENCY",
        "ENABLE_CPU_PINNING": runtime.pin,
    }
    try:
        model = core.read_model(data)
        dynamic = _Requests(core.compile_model(model, "CPU", config))
    except Exception as error:  # OpenVINO raises its own exception types for a model it cannot compile
        raise PaperkgError(f"OpenVINO cannot compile the encoder: {error}") from error

    def compile_width(width: int) -> _Requests:
        shaped = model.clone()  # shares the weights with the model (a fresh read would hold a copy of its own)
        shaped.reshape({port.get_any_name(): [1, width] for port in shaped.inputs})

        def bind(request: Any) -> dict[str, np.ndarray]:
            # a run copies its tokens into arrays the request reads in place: no input dispatch per call
            arrays = {port.get_any_name(): np.zeros((1, width), dtype=np.int64) for port in shaped.inputs}
            for name, array in arrays.items():
                request.set_tensor(name, openvino.Tensor(array, shared_memory=True))
            return arrays

        return _Requests(core.compile_model(shaped, "CPU", config), bind)

    use_fixed = bool(runtime.query_widths)
    return _OpenVinoRun(dynamic, _FixedWidths(compile_width, runtime.query_widths) if use_fixed else None)


class _OpenVinoRun:
    """The dynamic-shape model, or a fixed-width one where one is ready for the batch."""

    def __init__(self, dynamic: _Requests, fixed: _FixedWidths | None) -> None:
        self.dynamic, self.fixed = dynamic, fixed

    def __call__(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        shaped = self.fixed.get(arrays) if self.fixed is not None else None
        return shaped() if shaped is not None else self.dynamic.run(arrays)


class _Requests:
    """A compiled model's infer requests, borrowed one per call (a request is not thread-safe), so there are as
    many as calls ever ran at once, not one per thread that ever called. With `bind` (a fixed-shape model), each
    request reads its inputs from arrays bound to it once; a run copies the batch into them, zero-padded."""

    def __init__(self, compiled: Any, bind: Callable[[Any], dict[str, np.ndarray]] | None = None) -> None:
        self._compiled = compiled
        self._bind = bind
        self._idle: queue.SimpleQueue[tuple[Any, dict[str, np.ndarray] | None]] = queue.SimpleQueue()

    def run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        try:
            request, bound = self._idle.get_nowait()
        except queue.Empty:
            request = self._compiled.create_infer_request()
            bound = self._bind(request) if self._bind is not None else None
        try:
            if bound is None:
                request.infer(arrays)
            else:
                for name, target in bound.items():
                    array = arrays[name]
                    target[:, : array.shape[1]] = array
                    target[:, array.shape[1] :] = 0
                request.infer()
            return np.array(request.get_output_tensor(0).data)  # a copy: the tensor is reused by the next call
        finally:
            self._idle.put((request, bound))


class _FixedWidths:
    """Models compiled for one-row batches of fixed widths, each built on a background thread the first time a
    batch that fits it comes; `get` gives the padded run on the smallest width that fits, or None while that one is
    not compiled yet (or the batch fits none)."""

    def __init__(self, compile_width: Callable[[int], _Requests], widths: tuple[int, ...]) -> None:
        self._compile = compile_width
        self._widths = tuple(sorted(set(widths)))
        self._ready: dict[int, _Requests] = {}
        self._started: set[int] = set()
        self._failed: set[int] = set()
        self._lock = threading.Lock()

    def get(self, arrays: dict[str, np.ndarray]) -> Callable[[], np.ndarray] | None:
        rows, width = next(iter(arrays.values())).shape
        fits = [w for w in self._widths if w >= width]
        if rows != 1 or not fits:
            return None
        target = fits[0]
        requests = self._ready.get(target)
        if requests is None:
            self._start(target)
            return None
        return lambda: requests.run(arrays)  # its requests pad the batch to the width

    def wait(self) -> None:
        """Until every width started so far is compiled or has failed (tests)."""
        while True:
            with self._lock:
                if self._started <= self._ready.keys() | self._failed:
                    return
            time.sleep(0.01)

    def _start(self, width: int) -> None:
        with self._lock:
            if width in self._started:
                return
            self._started.add(width)
        # not a daemon: the interpreter joins it before it finalises (OpenVINO aborts the process when a compile is
        # cut off at exit)
        threading.Thread(target=self._build, args=(width,), name=f"paperkg-openvino-{width}", daemon=False).start()

    def _build(self, width: int) -> None:
        try:
            requests = self._compile(width)
        except Exception:  # the dynamic model keeps answering these batches
            log.warning("OpenVINO could not compile the encoder for width %d", width, exc_info=True)
            with self._lock:
                self._failed.add(width)
            return
        with self._lock:
            self._ready = {**self._ready, width: requests}


def _session(data: bytes, runtime: RuntimeParams) -> Any:
    import onnxruntime  # noqa: PLC0415 (optional or heavy, loaded only when used)

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
    from tokenizers import Tokenizer  # noqa: PLC0415 (optional or heavy, loaded only when used)

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
