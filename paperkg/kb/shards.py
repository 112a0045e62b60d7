"""The Parquet shards of the distributed ingest: one typed Arrow schema, defined here and nowhere else.

A shard holds one row per paper. Input shards (written by the driver, read by the Ray pipeline) have the paper
columns; output shards (written by the driver from what the pipeline returns, read back to load the store) add the
extraction, the passages and their vectors, and provenance. Nothing is pickled: every column is a plain Arrow type,
and the one free-form value (an entity's attributes) is a JSON object in a string column.

Columns (Arrow types; `?` marks a nullable value):

- `seq`, `chunk` (int64): position in the input, and the ingest batch (`--batch-size`) the paper is stored with.
- `title`, `abstract`, `origin` (string; `origin` is FILE:LINE, for messages); `id`, `url`, `venue`, `doi`
  (string?); `year` (int32?); `authors`, `categories` (list<string>); `external_ids` (list<struct<kind, value>>).
- after extraction: `entities`, list<struct<key, name, type: string, aliases: list<string>, mentions:
  list<struct<field: string, start: int32, end: int32, text: string>>, attrs: string (a JSON object), confidence:
  float64>>; `relations`, list<struct<subject, predicate, object: string, evidence: struct<sentence: string, start:
  int32, end: int32, field: string>, confidence: float64, factor: float64?, count: int64?, metric: string?,
  hardware: string?>>; `extractor`, `paperkg` (string: the extractor version and paperkg release of the worker,
  checked when loading); `extract_node` (string: the Ray node id).
- after embedding: `passages`, list<struct<start: int32, end: int32>> (character spans in the abstract);
  `vectors`, list<fixed_size_list<float32>[dim]> (one L2-normalised vector per passage); `embed_node` (string).

The schema's metadata names the format (`paperkg-shard/1`) and, for output shards, the vector dimension.
pyarrow comes with the optional extra `paperkg[ray]`, so it is imported when a shard is first built or read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from paperkg.core.errors import CorruptData, Unavailable
from paperkg.core.ids import content_hash, paper_id
from paperkg.core.records import (
    Evidence,
    ExtractedEntity,
    ExtractedRelation,
    Extraction,
    Mention,
    PaperInput,
)
from paperkg.store import PaperWrite

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = "paperkg-shard/1"
PAPER_COLUMNS = ("seq", "chunk", "title", "abstract", "id", "year", "url", "authors", "origin", "venue", "categories",
                 "doi", "external_ids")
EXTRACTED_COLUMNS = (*PAPER_COLUMNS, "entities", "relations", "extractor", "paperkg", "extract_node")
OUTPUT_COLUMNS = (*EXTRACTED_COLUMNS, "passages", "vectors", "embed_node")


def arrow() -> Any:
    """The pyarrow module (with pyarrow.parquet loaded), or Unavailable naming the extra that installs it."""
    try:
        import pyarrow  # noqa: PLC0415 (optional, the [ray] extra)
        import pyarrow.parquet  # noqa: PLC0415 (optional, the [ray] extra)
    except ImportError as error:
        raise Unavailable("the distributed ingest needs pyarrow and Ray: pip install 'paperkg[ray]'") from error
    return pyarrow


def _fields(pa: Any, dim: int) -> dict[str, Any]:
    """Every column's Arrow type (the output shard's; earlier stages have a prefix of these columns)."""
    text, strings = pa.string(), pa.list_(pa.string())
    span = [("start", pa.int32()), ("end", pa.int32())]
    mention = pa.struct([("field", text), *span, ("text", text)])
    entity = pa.struct([("key", text), ("name", text), ("type", text), ("aliases", strings),
                        ("mentions", pa.list_(mention)), ("attrs", text), ("confidence", pa.float64())])
    evidence = pa.struct([("sentence", text), *span, ("field", text)])
    relation = pa.struct([("subject", text), ("predicate", text), ("object", text), ("evidence", evidence),
                          ("confidence", pa.float64()), ("factor", pa.float64()), ("count", pa.int64()),
                          ("metric", text), ("hardware", text)])
    return {"seq": pa.int64(), "chunk": pa.int64(), "title": text, "abstract": text, "id": text, "year": pa.int32(),
            "url": text, "authors": strings, "origin": text, "venue": text, "categories": strings, "doi": text,
            "external_ids": pa.list_(pa.struct([("kind", text), ("value", text)])),
            "entities": pa.list_(entity), "relations": pa.list_(relation), "extractor": text, "paperkg": text,
            "extract_node": text, "passages": pa.list_(pa.struct(span)),
            "vectors": pa.list_(pa.list_(pa.float32(), dim)), "embed_node": text}


def schema(kind: str, dim: int = 0) -> pa.Schema:
    """The schema of `input`, `extracted` or `output` rows (`dim`: the vectors' dimension, output only)."""
    pa = arrow()
    columns = {"input": PAPER_COLUMNS, "extracted": EXTRACTED_COLUMNS, "output": OUTPUT_COLUMNS}[kind]
    types = _fields(pa, dim or 1)
    required = {"seq", "chunk", "title", "abstract"}
    metadata = {"format": FORMAT, "kind": kind, **({"dim": str(dim)} if kind == "output" else {})}
    return pa.schema([pa.field(name, types[name], nullable=name not in required) for name in columns],
                     metadata=metadata)


# -- papers ------------------------------------------------------------------------------------------------------


def papers_table(rows: Sequence[tuple[int, int, PaperInput]]) -> pa.Table:
    """An input shard: (seq, chunk, paper) rows."""
    return arrow().Table.from_pylist([_paper_row(seq, chunk, paper) for seq, chunk, paper in rows],
                                     schema=schema("input"))


def _paper_row(seq: int, chunk: int, p: PaperInput) -> dict[str, Any]:
    return {"seq": seq, "chunk": chunk, "title": p.title, "abstract": p.abstract, "id": p.id, "year": p.year,
            "url": p.url, "authors": list(p.authors), "origin": p.origin, "venue": p.venue,
            "categories": list(p.categories), "doi": p.doi,
            "external_ids": [{"kind": kind, "value": value} for kind, value in p.external_ids]}


def paper_of(row: dict[str, Any]) -> PaperInput:
    return PaperInput(row["title"], row["abstract"], row["id"], row["year"], row["url"], tuple(row["authors"] or ()),
                      row["origin"] or "", row["venue"], tuple(row["categories"] or ()), row["doi"],
                      tuple((i["kind"], i["value"]) for i in row["external_ids"] or ()))


def texts(table: pa.Table) -> list[tuple[str, str]]:
    """(title, abstract) of each row."""
    return list(zip(table.column("title").to_pylist(), table.column("abstract").to_pylist(), strict=True))


# -- extraction --------------------------------------------------------------------------------------------------


def extracted_table(papers: pa.Table, extractions: Sequence[Extraction], extractor: str, release: str,
                    node: str) -> pa.Table:
    """The rows of `papers` with each paper's extraction and the worker's provenance."""
    pa = arrow()
    target = schema("extracted")
    columns = {name: papers.column(name) for name in PAPER_COLUMNS}
    rows = [_extraction_row(e) for e in extractions]
    for name in ("entities", "relations"):
        columns[name] = pa.array([row[name] for row in rows], type=target.field(name).type)
    for name, value in (("extractor", extractor), ("paperkg", release), ("extract_node", node)):
        columns[name] = pa.array([value] * len(rows), type=pa.string())
    return pa.Table.from_pydict(columns, schema=target)


def _extraction_row(extraction: Extraction) -> dict[str, Any]:
    return {
        "entities": [{"key": e.key, "name": e.name, "type": e.type, "aliases": list(e.aliases),
                      "mentions": [{"field": m.field, "start": m.start, "end": m.end, "text": m.text}
                                   for m in e.mentions],
                      "attrs": json.dumps(e.attrs, sort_keys=True), "confidence": e.confidence}
                     for e in extraction.entities],
        "relations": [{"subject": r.subject, "predicate": r.predicate, "object": r.object,
                       "evidence": {"sentence": r.evidence.sentence, "start": r.evidence.start, "end": r.evidence.end,
                                    "field": r.evidence.field},
                       "confidence": r.confidence, "factor": r.factor, "count": r.count, "metric": r.metric,
                       "hardware": r.hardware}
                      for r in extraction.relations],
    }


def _extraction_of(row: dict[str, Any]) -> Extraction:
    entities = [ExtractedEntity(e["key"], e["name"], e["type"], list(e["aliases"] or ()),
                                [Mention(m["field"], m["start"], m["end"], m["text"]) for m in e["mentions"] or ()],
                                json.loads(e["attrs"]) if e["attrs"] else {}, e["confidence"])
                for e in row["entities"] or ()]
    relations = [ExtractedRelation(r["subject"], r["predicate"], r["object"],
                                   Evidence(r["evidence"]["sentence"], r["evidence"]["start"], r["evidence"]["end"],
                                            r["evidence"]["field"]),
                                   r["confidence"], r["factor"], r["count"], r["metric"], r["hardware"])
                 for r in row["relations"] or ()]
    return Extraction(entities, relations)


# -- embedding ---------------------------------------------------------------------------------------------------


def output_table(extracted: pa.Table, spans: Sequence[Sequence[tuple[int, int]]], vectors: Sequence[np.ndarray],
                 dim: int, node: str) -> pa.Table:
    """The rows of `extracted` with each paper's passage spans and vectors (a (passages, dim) matrix each)."""
    pa = arrow()
    target = schema("output", dim)
    columns = {name: extracted.column(name) for name in EXTRACTED_COLUMNS}
    columns["passages"] = pa.array([[{"start": s, "end": e} for s, e in row] for row in spans],
                                   type=target.field("passages").type)
    flat = np.concatenate([m.reshape(-1, dim) for m in vectors]) if vectors else np.empty((0, dim), np.float32)
    offsets = np.cumsum([0, *(len(m) for m in vectors)]).astype(np.int32)
    per_passage = pa.FixedSizeListArray.from_arrays(pa.array(flat.astype(np.float32, copy=False).ravel()), dim)
    columns["vectors"] = pa.ListArray.from_arrays(pa.array(offsets), per_passage)
    columns["embed_node"] = pa.array([node] * len(spans), type=pa.string())
    return pa.Table.from_pydict(columns, schema=target)


def dimension(table: pa.Table) -> int:
    """The vector dimension of an output table (from its column type, which survives any engine's batching)."""
    kind = table.schema.field("vectors").type.value_type
    return int(kind.list_size)


def conform(table: pa.Table) -> pa.Table:
    """An output table as its schema says (columns in order, the format's metadata), ready to be written."""
    return table.select(list(OUTPUT_COLUMNS)).cast(schema("output", dimension(table)))


# -- loading -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """Who computed a row: the worker's versions (checked against the loading knowledge base) and Ray node ids."""

    extractor: str
    paperkg: str
    extract_node: str
    embed_node: str


@dataclass(frozen=True)
class Loaded:
    """One row of an output shard: what the cluster computed for one record (`KnowledgeBase.add_papers(prepared=)`)."""

    seq: int
    chunk: int
    write: PaperWrite
    provenance: Provenance


def rows(table: pa.Table) -> Iterator[Loaded]:
    """The rows of an output shard, in order."""
    meta = table.schema.metadata or {}
    if meta.get(b"format") != FORMAT.encode() or meta.get(b"kind") != b"output":
        raise CorruptData(f"not a {FORMAT} output shard")
    dim = dimension(table)
    vectors = table.column("vectors").combine_chunks()
    offsets = vectors.offsets.to_numpy()
    flat = vectors.flatten().flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
    for index, row in enumerate(table.drop_columns(["vectors"]).to_pylist()):
        paper = paper_of(row)
        spans = tuple((p["start"], p["end"]) for p in row["passages"] or ())
        matrix = np.array(flat[offsets[index]:offsets[index + 1]], dtype=np.float32)
        if len(matrix) != len(spans) or not spans:
            raise CorruptData(f"shard row {row['seq']}: {len(spans)} passages, {len(matrix)} vectors")
        write = PaperWrite(paper.id or paper_id(paper.title), paper, content_hash(paper.title, paper.abstract),
                           _extraction_of(row), spans, matrix)
        yield Loaded(row["seq"], row["chunk"], write,
                     Provenance(row["extractor"], row["paperkg"], row["extract_node"], row["embed_node"]))


def write(table: pa.Table, path: Path) -> None:
    arrow().parquet.write_table(table, path)


def read(path: Path) -> pa.Table:
    return arrow().parquet.read_table(path)
