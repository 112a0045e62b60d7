"""Choosing and loading an encoder backend: hashing, sentence-transformers on torch, or ONNX Runtime (fp32/int8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from paperkg.embeddings.encoder import Encoder, HashingEncoder, SentenceTransformerEncoder
from paperkg.embeddings.onnx_encoder import OnnxEncoder, RuntimeParams
from paperkg.embeddings.onnx_model import PRECISIONS, QuantParams

__all__ = ["BACKENDS", "EncoderParams", "QuantParams", "RuntimeParams", "backend_tag", "is_hashing", "load_encoder"]

BACKENDS = ("torch", "onnx")


@dataclass(frozen=True)
class EncoderParams:
    """Which backend runs a model, at which precision (onnx only), and where exported models are cached."""

    backend: str = "onnx"
    precision: str = "int8"
    cache_dir: Path | None = None
    runtime: RuntimeParams = field(default_factory=RuntimeParams)
    quant: QuantParams = field(default_factory=QuantParams)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"encoder backend {self.backend!r}: expected one of {', '.join(BACKENDS)}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"encoder precision {self.precision!r}: expected one of {', '.join(PRECISIONS)}")


def is_hashing(name: str) -> bool:
    return name == "hashing" or name.startswith("hashing:")


def backend_tag(name: str, params: EncoderParams) -> str:
    """What the backend adds to a model's identity: '' for hashing and torch (the vectors they always gave),
    '#backend=onnx-fp32' or '#backend=onnx-int8' otherwise, so that switching re-embeds."""
    if is_hashing(name) or params.backend == "torch":
        return ""
    return f"#backend={params.backend}-{params.precision}"


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
    return OnnxEncoder(name, cache_size, params.precision, params.cache_dir, params.runtime, params.quant)
