"""Choosing and loading an encoder backend: hashing, sentence-transformers on torch, or ONNX Runtime (fp32/int8)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from paperkg.core.errors import InvalidParameter
from paperkg.embeddings.encoder import Encoder, HashingEncoder, SentenceTransformerEncoder
from paperkg.embeddings.onnx_encoder import RUNTIMES, OnnxEncoder, RuntimeParams
from paperkg.embeddings.onnx_model import QuantParams

__all__ = ["AUTO", "BACKENDS", "DEFAULT_BACKEND", "EncoderParams", "QuantParams", "RuntimeParams", "backend_tag",
           "is_hashing", "load_encoder", "preferred", "recorded", "resolve"]

BACKENDS = ("torch", *RUNTIMES)
DEFAULT_BACKEND = "openvino"
"""Measured by bench/encoder_speed.py on this project's machines (2 cores with AMX): OpenVINO bf16 embeds seed
abstracts ~4.5x as fast as torch at cosine 0.99998; ONNX Runtime int8 ~1.5-1.9x, fp32 ~1.2x."""
AUTO = "auto"
"""The backend setting that picks by CPU (`preferred`), or keeps what a knowledge base was built with (`recorded`)."""
_TAG = re.compile(r"#backend=([a-z]+)-([^#]+)")


@dataclass(frozen=True)
class EncoderParams:
    """Which backend runs a model, at which precision ('' for the backend's default; torch runs fp32), and where
    exported models are cached."""

    backend: str = DEFAULT_BACKEND
    precision: str = ""
    cache_dir: Path | None = None
    runtime: RuntimeParams = field(default_factory=RuntimeParams)
    quant: QuantParams = field(default_factory=QuantParams)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise InvalidParameter(f"encoder backend {self.backend!r}: expected one of {', '.join(BACKENDS)}")
        allowed = RUNTIMES.get(self.backend, ("fp32",))
        if not self.precision:
            object.__setattr__(self, "precision", allowed[0])
        elif self.precision not in allowed:
            raise InvalidParameter(f"encoder precision {self.precision!r} with backend {self.backend!r}: expected "
                                   f"one of {', '.join(allowed)}")


def is_hashing(name: str) -> bool:
    return name == "hashing" or name.startswith("hashing:")


def backend_tag(name: str, params: EncoderParams) -> str:
    """What the backend adds to a model's identity: '' for hashing and torch (the vectors they always gave),
    '#backend=onnx-int8', '#backend=openvino-bf16' and so on otherwise, so that switching re-embeds."""
    if is_hashing(name) or params.backend == "torch":
        return ""
    return f"#backend={params.backend}-{params.precision}"


def recorded(model_id: str) -> tuple[str, str]:
    """The backend and precision a model identity names ('...#backend=onnx-int8#...'); torch (fp32) when it names
    none, as identities of torch-embedded passages do."""
    tag = _TAG.search(model_id)
    return (tag.group(1), tag.group(2)) if tag else ("torch", "fp32")


def resolve(backend: str, precision: str, model_id: str | None) -> tuple[str, str]:
    """The configured backend and precision with `auto` made concrete: what `model_id` (the identity the stored
    passages were embedded with; None for a knowledge base without papers) names, so that a data directory moved
    to another CPU is not re-embedded, else `preferred()`. An explicit precision overrides the chosen one."""
    if backend != AUTO:
        return backend, precision
    chosen, default_precision = recorded(model_id) if model_id else preferred()
    return chosen, precision or default_precision


def preferred() -> tuple[str, str]:
    """The fastest backend on this CPU within the quality limits (bench/encoder_speed.py, bench/search_quality.py):
    OpenVINO bf16 where OpenVINO computes in bf16 (AMX, AVX512-BF16: 2.2-4.6x torch at cosine 0.99998); elsewhere
    OpenVINO falls back to fp32 (1.2x on a 2-core AVX2 EPYC) and ONNX Runtime int8 with 7-bit weights is faster
    (1.4-1.5x, one query 0.18-0.22x torch; query-by-paper nDCG +0.004, full-range int8 -0.007 there)."""
    return ("openvino", "bf16") if _computes_bf16() else ("onnx", "int8-7bit")


@functools.cache
def _computes_bf16() -> bool:
    """Whether OpenVINO's CPU plugin reports bf16 arithmetic on this machine."""
    try:
        import openvino  # noqa: PLC0415 (optional or heavy, loaded only when used)

        return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # no OpenVINO, or a plugin that cannot say: take the choice that needs nothing special
        return False


def load_encoder(name: str, cache_size: int, params: EncoderParams | None = None) -> Encoder:
    """`hashing` or `hashing:DIM` selects the hashing backend; anything else is a sentence-transformers model (a
    directory or a cached hub name), run by `params.backend`."""
    params = params or EncoderParams()
    if is_hashing(name):
        _, _, dim = name.partition(":")
        if dim and not dim.isdigit():
            raise ValueError(f"bad hashing encoder spec {name!r}; expected hashing:DIM")
        return HashingEncoder(int(dim) if dim else 384, cache_size=cache_size)
    if params.backend == "torch":
        return SentenceTransformerEncoder(name, cache_size)
    return OnnxEncoder(name, cache_size, params.precision, params.cache_dir, params.runtime, params.quant,
                       params.backend)
