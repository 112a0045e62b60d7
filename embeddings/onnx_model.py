"""A sentence-transformers model as one ONNX graph (transformer + pooling + L2 norm), built locally and cached.

The graph is exported from the local safetensors weights with torch (only when no valid cached copy exists). For ONNX
Runtime it is then fused with ONNX Runtime's transformer optimizer (contrib ops only that runtime knows), and for
`int8` dynamically quantized (per-channel int8 weights); OpenVINO takes the plain export (`fused=False`). The result
is cached as `<key>.onnx` beside a `<key>.json` that records its SHA-256; a load re-hashes the bytes it hands to ONNX
Runtime and rebuilds on any mismatch. ONNX files are protobuf: nothing is unpickled. torch, transformers and
onnxruntime are imported only here and only when needed, so a process serving a cached model never imports torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperkg.core.errors import PaperkgError, ReadOnly, StorageFull
from paperkg.core.files import write_atomic

log = logging.getLogger("paperkg")

PRECISIONS = ("fp32", "int8", "int8-7bit")
RECIPE = 1
"""Version of the export/optimise/quantise recipe; part of the cache key, so a change rebuilds cached models."""
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "sentence_embedding"
_SOURCE_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json",
                 "model.safetensors", "tokenizer.json")


@dataclass(frozen=True)
class QuantParams:
    r"""How `int8` quantizes: dynamic (activations scaled per batch), int8 weights with one scale per output channel.

    `fp32_nodes` are regular expressions of node names kept in fp32; None takes the precision's own (FP32_NODES).
    Measured on all-MiniLM-L6-v2 (cosine to torch over the seed abstracts; bench/search_quality.py on the dev
    queries, query-by-paper nDCG@10 against torch's): full-range `int8` with everything quantized gives cosine 0.9946
    and -0.0061 query-by-paper (over the 0.005 limit); keeping the six FFN output projections (`layer.N/output/dense`,
    fed by GELU's long-tailed activations, which quantize worst) in fp32 gives 0.9977 and -0.0034, at about 60% of
    the int8 speed-up. With 7-bit weights (`int8-7bit`) only the first layer's projection needs fp32: -0.0014 dev
    nDCG@10 and +0.0036 query-by-paper (all six in fp32: -0.0007 and -0.0027; none: -0.0005 and -0.0074; layers 4
    and 5: -0.0005 and -0.0068), and one query no longer reads five fp32 weight matrices (1.3 of its 4.4 ms on 2 AVX2
    cores: each matrix is read whole for a few tokens).
    """

    per_channel: bool = True
    fp32_nodes: tuple[str, ...] | None = None

    def nodes(self, precision: str) -> tuple[str, ...]:
        """The node patterns kept in fp32 at `precision`."""
        return self.fp32_nodes if self.fp32_nodes is not None else FP32_NODES.get(precision, ())


FP32_NODES = {"int8": (r"layer\.\d+/output/dense",), "int8-7bit": (r"layer\.0/output/dense",)}
"""Each int8 precision's nodes kept in fp32 (QuantParams)."""


@dataclass(frozen=True)
class ModelInfo:
    """What the encoder needs to know about the exported model."""

    dim: int
    max_tokens: int
    pooling: str


@dataclass(frozen=True)
class OnnxModel:
    """Verified ONNX bytes, their checksum and where they are cached (None when the cache was not writable)."""

    data: bytes
    sha256: str
    path: Path | None
    info: ModelInfo


def model_info(model_dir: Path) -> ModelInfo:
    """Dimension, window and pooling from the model's JSON files (PaperkgError for what the export cannot do)."""
    config = _json(model_dir / "config.json")
    modules = _read_json(model_dir / "modules.json") if (model_dir / "modules.json").exists() else []
    if not isinstance(modules, list):
        raise PaperkgError(f"{model_dir / 'modules.json'}: expected a list of modules")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules if isinstance(m, dict)]
    if any(kind not in ("Transformer", "Pooling", "Normalize") for kind in kinds):
        raise PaperkgError(f"{model_dir}: modules {kinds} are beyond the onnx backend (Transformer, Pooling, "
                           "Normalize); use encoder_backend=torch")
    pooling_file = model_dir / "1_Pooling" / "config.json"
    pooling = "mean"
    if pooling_file.exists():
        modes = [k for k, v in _json(pooling_file).items() if k.startswith("pooling_mode_") and v is True]
        if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]):
            raise PaperkgError(f"{pooling_file}: pooling {modes} is beyond the onnx backend (mean or cls)")
        pooling = "cls" if modes == ["pooling_mode_cls_token"] else "mean"
    limit = int(config.get("max_position_embeddings", 512))
    st_config = model_dir / "sentence_bert_config.json"
    window = int(_json(st_config).get("max_seq_length") or limit) if st_config.exists() else limit
    return ModelInfo(int(config["hidden_size"]), min(window, limit), pooling)


def load_model(model_dir: Path, precision: str, cache_dir: Path | None, quant: QuantParams | None = None,
               fused: bool = True) -> OnnxModel:
    """The cached model if its checksum holds, else a fresh build (cached when `cache_dir` is writable).

    `precision` is that of the weights: fp32, int8, or int8-7bit (int8 weights kept within 7 bits, ONNX Runtime's
    `reduce_range`: on CPUs without VNNI the u8 x s8 products are summed in 16 bits, which full-range weights
    saturate); `fused=False` gives the plain fp32 export for other runtimes.
    """
    if precision not in PRECISIONS or (precision != "fp32" and not fused):
        raise PaperkgError(f"encoder precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    quant = quant or QuantParams()
    info = model_info(model_dir)
    key = cache_key(model_dir, precision, quant, fused)
    if cache_dir is not None:
        cached = _read_cached(cache_dir, key, info)
        if cached is not None:
            return cached
    # an int8 model is quantized from the fused fp32 one, which is cached too: changing precision exports once
    fused_fp32 = load_model(model_dir, "fp32", cache_dir, quant).data if precision != "fp32" and cache_dir else None
    data = build(model_dir, info, precision, quant, fused, fused_fp32)
    digest = hashlib.sha256(data).hexdigest()
    path = _write_cached(cache_dir, key, data, digest, model_dir, precision) if cache_dir is not None else None
    return OnnxModel(data, digest, path, info)


def cache_key(model_dir: Path, precision: str, quant: QuantParams, fused: bool = True) -> str:
    """A digest of the source files (name, size, mtime), precision, fusion, recipe and the onnxruntime version."""
    import onnxruntime  # noqa: PLC0415 (optional or heavy, loaded only when used)

    source = []
    for name in _SOURCE_FILES:
        path = model_dir / name
        if path.exists():
            stat = path.stat()
            source.append([name, stat.st_size, stat.st_mtime_ns])
    material = {"source": [str(model_dir.resolve()), source], "precision": precision, "recipe": RECIPE, "fused": fused,
                "quant": [quant.per_channel, list(quant.nodes(precision))], "onnxruntime": onnxruntime.__version__}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:20]


def _read_cached(cache_dir: Path, key: str, info: ModelInfo) -> OnnxModel | None:
    meta_path, model_path = cache_dir / f"{key}.json", cache_dir / f"{key}.onnx"
    if not meta_path.exists() or not model_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_bytes())
        data = model_path.read_bytes()
    except (OSError, ValueError) as error:
        log.warning("cached encoder %s unreadable (%s): rebuilding it", model_path, error)
        return None
    digest = hashlib.sha256(data).hexdigest()
    if not isinstance(meta, dict) or meta.get("sha256") != digest or meta.get("bytes") != len(data):
        log.warning("cached encoder %s fails its checksum: rebuilding it", model_path)
        return None
    return OnnxModel(data, digest, model_path, info)


def _write_cached(cache_dir: Path, key: str, data: bytes, digest: str, source: Path, precision: str) -> Path | None:
    model_path = cache_dir / f"{key}.onnx"
    meta = {"sha256": digest, "bytes": len(data), "source": str(source), "precision": precision, "recipe": RECIPE}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(model_path, data)
        write_atomic(cache_dir / f"{key}.json", json.dumps(meta, indent=1).encode())  # last: it vouches for the file
    except (OSError, ReadOnly, StorageFull) as error:
        log.warning("cannot cache the encoder in %s (%s): it is rebuilt at every start", cache_dir, error)
        return None
    return model_path


def _json(path: Path) -> dict[str, Any]:
    value = _read_json(path)
    return value if isinstance(value, dict) else {}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PaperkgError(f"{path}: unreadable ({error})") from None


# ---------------------------------------------------------------------------------------------------------------------
# Building: export with torch, fuse, quantize


def build(model_dir: Path, info: ModelInfo, precision: str, quant: QuantParams, fused: bool = True,
          fused_fp32: bytes | None = None) -> bytes:
    """Export, optimise and (for int8) quantize the model; the ONNX bytes. `fused_fp32`: the optimised fp32 model
    already built, to quantize instead of exporting again."""
    log.info("building the %s ONNX encoder from %s (once; cached afterwards)", precision, model_dir)
    with tempfile.TemporaryDirectory(prefix="paperkg-onnx-") as tmp:
        optimised = Path(tmp) / "fused.onnx"
        if fused_fp32 is not None and fused:
            optimised.write_bytes(fused_fp32)
        else:
            exported = Path(tmp) / "exported.onnx"
            _export(model_dir, info, exported)
            if not fused:
                return exported.read_bytes()
            _fuse(model_dir, exported, optimised)
        if precision == "fp32":
            return optimised.read_bytes()
        quantized = Path(tmp) / "int8.onnx"
        _quantize(optimised, quantized, quant.per_channel, quant.nodes(precision),
                  reduce_range=precision == "int8-7bit")
        return quantized.read_bytes()


def _export(model_dir: Path, info: ModelInfo, target: Path) -> None:
    import torch  # noqa: PLC0415 (optional or heavy, loaded only when used)
    from transformers import AutoModel  # noqa: PLC0415 (optional or heavy, loaded only when used)

    try:
        # eager attention exports as plain MatMul/Softmax, which the optimizer fuses into one Attention op
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, trust_remote_code=False,
                                          use_safetensors=True, attn_implementation="eager").eval()
    except (OSError, ValueError) as error:
        raise PaperkgError(f"cannot load the embedding model from {model_dir}: {error}") from error

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            if info.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    sample = torch.ones((2, 16), dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {OUTPUT: {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(Pooled(), (sample, sample, torch.zeros_like(sample)), str(target), input_names=list(INPUTS),
                          output_names=[OUTPUT], dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def _fuse(model_dir: Path, source: Path, target: Path) -> None:
    """ONNX Runtime's offline BERT fusions (Attention, SkipLayerNorm, BiasGelu); other architectures pass as is."""
    config = _json(model_dir / "config.json")
    if config.get("model_type") != "bert":
        target.write_bytes(source.read_bytes())
        return
    from onnxruntime.transformers import optimizer  # noqa: PLC0415 (optional or heavy, loaded only when used)

    optimized = optimizer.optimize_model(str(source), model_type="bert", num_heads=int(config["num_attention_heads"]),
                                         hidden_size=int(config["hidden_size"]), opt_level=0, use_gpu=False)
    optimized.save_model_to_file(str(target))


def _quantize(source: Path, target: Path, per_channel: bool, fp32_nodes: tuple[str, ...], reduce_range: bool) -> None:
    import onnx  # noqa: PLC0415 (optional or heavy, loaded only when used)
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415 (optional or heavy, loaded only when used)

    graph = onnx.load(str(source), load_external_data=False).graph
    keep = [node.name for node in graph.node if any(re.search(p, node.name) for p in fp32_nodes)]
    # int8 weights (not uint8): with uint8 activations that is the u8s8 kernel VNNI/AMX run natively
    quantize_dynamic(str(source), str(target), per_channel=per_channel, weight_type=QuantType.QInt8,
                     reduce_range=reduce_range,
                     nodes_to_exclude=keep, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
