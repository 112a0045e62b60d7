"""Distributed ingest on Ray Data (`paperkg build/ingest --ray [ADDRESS]`).

1. The driver (this process, which holds the knowledge base) checks every file as the single-process ingest does,
   then reads and normalises the papers batch by batch, works out which records each batch writes last to a paper
   (`Store.plan`: not the ones it supersedes, nor those stored unchanged), and writes those as typed input shards
   (`paperkg.kb.shards`) into a staging directory under the data directory.
2. A Ray Data pipeline reads the shards (on the driver's node, so the files need not be on a shared file system),
   extracts entities and relations in CPU map tasks anywhere on the cluster, and splits and embeds the passages in a
   pool of actors that each hold the encoder (one GPU each where the cluster has GPUs). The driver receives the
   blocks in input order and writes them as output shards.
3. The driver reads the input again, batch by batch, and stores each batch through `KnowledgeBase.add_papers` with
   what the cluster computed for it: the store, the indexes, the graph and the RDF store take it through the
   single-process ingest's write path, so what is stored is the same (a record the staging did not process, because
   an earlier batch of the run changed what it writes to, is processed on the driver). The dense index switches to
   HNSW past `ann_threshold` passages, as always. The staging directory is removed at the end.

Every node needs the same paperkg release installed (the driver checks the extractor version and release each
worker reports); a checkout's source tree is put first on the workers' PYTHONPATH so that workers on the driver's
machine run the driver's code.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import paperkg
from paperkg import __version__
from paperkg.core.errors import InvalidInput, InvalidParameter, Unavailable
from paperkg.core.ids import content_hash
from paperkg.core.records import IngestRun, PaperInput
from paperkg.core.settings import bundled_seeds, default_model
from paperkg.embeddings.loading import EncoderParams, RuntimeParams, load_encoder
from paperkg.embeddings.passages import passage_text, split_passages
from paperkg.graph.extraction import Extractor, seeded_extractor
from paperkg.kb import shards
from paperkg.kb.ingest import IngestOptions, IngestSummary, batches, check, commit, papers
from paperkg.kb.prepare import paper_key
from paperkg.sources import Tally, expand
from paperkg.store import PaperWrite

if TYPE_CHECKING:
    import pyarrow as pa

    from paperkg.kb.base import KnowledgeBase

log = logging.getLogger("paperkg")
STAGING_DIR = "staging"
"""Under the data directory: one directory per run, removed when the run ends."""
LOCAL = "local"
"""`--ray` without an address: start a Ray instance on this machine for the run."""
READ_CPUS = 0
"""CPUs a task reading input shards reserves (on the driver's node): none, reading is light, and a full node must
still feed the pipeline."""
Phase = Callable[[str, int, int], None]
"""Progress: (phase, papers done, papers in all) for the phases `staging`, `processing` and `loading`."""


@dataclass(frozen=True)
class RayParams:
    """How the distributed ingest uses Ray."""

    address: str = LOCAL
    """`local` starts Ray on this machine for the run; `auto`, HOST:PORT (a head node's GCS port) or
    ray://HOST:PORT connect to a running cluster."""
    block_papers: int = 256
    """Papers per block: per input shard, per extraction task and per call of an embedding actor."""
    embed_actors: int = 0
    """The most embedding actors; 0: one per GPU of the cluster, else one per CPU. The pool starts with one and
    grows while blocks wait and resources are free."""
    actor_cpus: float = 0.8
    """CPUs each embedding actor reserves (Ray's accounting; its encoder runs one thread per whole CPU, at least one,
    unless PAPERKG_ENCODER_THREADS): a little under one, so that an extraction task fits beside each actor."""
    extract_cpus: float = 0.2
    """CPUs each extraction task reserves (extraction takes about a tenth of the time embedding does)."""
    actor_memory: int = 512 * 2**20
    """Bytes of memory each embedding actor reserves (the model and its runtime take 200-400 MB)."""
    object_store_memory: int | None = None
    """Bytes of object store of a local Ray (default: Ray's, 30% of memory)."""
    connect_timeout: float = 5.0
    """Seconds to wait for a HOST:PORT address to accept a connection before saying it is unreachable."""

    def __post_init__(self) -> None:
        if self.block_papers < 1 or self.embed_actors < 0 or min(self.actor_cpus, self.extract_cpus) <= 0:
            raise InvalidParameter("block_papers must be >= 1, embed_actors >= 0, actor_cpus and extract_cpus > 0")


@dataclass(frozen=True)
class WorkerConfig:
    """What extraction tasks and embedding actors need to build their extractor and encoder (sent in memory)."""

    seeds: str | None
    """None: the seeds shipped in the worker's own paperkg."""
    min_confidence: float
    model: str
    """'' for the bundled model (resolved on each worker: the path differs between installations)."""
    encoder: EncoderParams
    passage_tokens: int
    batch_size: int


@dataclass
class RayReport:
    """Where the work ran and how long each phase took."""

    address: str
    nodes: dict[str, Counter[str]] = field(default_factory=dict)
    """Ray node id -> papers it extracted (`extracted`) and embedded (`embedded`)."""
    staged: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "staged": self.staged, "seconds": self.seconds,
                "nodes": {node: dict(counts) for node, counts in self.nodes.items()}}


def ingest_files(kb: KnowledgeBase, sources: Iterable[Path], options: IngestOptions, params: RayParams,
                 checked: Tally | None = None, on_start: Callable[[Tally], None] | None = None,
                 progress: Phase | None = None) -> tuple[IngestSummary, RayReport]:
    """`paperkg.kb.ingest.ingest_files` on a Ray cluster: check (unless `checked`), stage, process, load."""
    files = expand(sources)
    limits = (kb.settings.max_title_chars, kb.settings.max_abstract_chars)
    summary = IngestSummary(checked or check(files, options, *limits), started=kb.store.version)
    ray = _ray()
    shards.arrow()
    report = RayReport(params.address)
    if on_start:
        on_start(summary.tally)
    root = kb.settings.data / STAGING_DIR
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="run-", dir=root))
    try:
        _connect(ray, params)
        try:
            clock = time.monotonic()
            block = min(params.block_papers, options.batch_size)  # a batch of a few papers still spreads out
            inputs = _stage(kb, files, options, limits, staging / "input", block, summary, report, progress)
            report.seconds["staging"] = round(time.monotonic() - clock, 3)
            outputs: list[Path] = []
            if inputs:
                clock = time.monotonic()
                outputs = _process(ray, _worker_config(kb), inputs, staging / "output", params, report.staged,
                                   progress)
                report.seconds["processing"] = round(time.monotonic() - clock, 3)
            clock = time.monotonic()  # also with nothing to process: the loading reports each record
            _load(kb, files, outputs, options, summary, report, progress)
            report.seconds["loading"] = round(time.monotonic() - clock, 3)
        finally:
            ray.shutdown()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.stored = summary.tally.papers
    summary.version = summary.version or kb.store.version
    return summary, report


# -- the cluster -------------------------------------------------------------------------------------------------


def _ray() -> Any:
    """The ray module with Ray Data, or Unavailable naming the extra that installs it."""
    try:
        import ray  # noqa: PLC0415 (optional, the [ray] extra)
        import ray.data  # noqa: PLC0415 (optional, the [ray] extra)
    except ImportError as error:
        raise Unavailable("--ray needs Ray: pip install 'paperkg[ray]'") from error
    return ray


def _connect(ray: Any, params: RayParams) -> None:
    """Start a local Ray, or connect to a cluster; Unavailable with one line if it cannot be reached."""
    # workers on this machine import the driver's paperkg (a checkout's source tree comes first)
    env = {"env_vars": {"PYTHONPATH": os.pathsep.join([str(Path(paperkg.__file__).parents[1]), "${PYTHONPATH}"])}}
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING, "runtime_env": env}
    if params.address == LOCAL:
        ray.init(include_dashboard=False, object_store_memory=params.object_store_memory, **quiet)
    else:
        _reachable(params.address, params.connect_timeout)
        try:
            ray.init(address=params.address, **quiet)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise Unavailable(f"cannot connect to the Ray cluster at {params.address}: {reason}") from error
    logging.getLogger("ray").setLevel(logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _reachable(address: str, timeout: float) -> None:
    """Fail fast, in one line, when a HOST:PORT address does not accept connections (Ray itself would retry for a
    long while and print a screenful)."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if target == "auto" or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise Unavailable(f"cannot reach the Ray cluster at {address}: {error.strerror or error}") from error


def _worker_config(kb: KnowledgeBase) -> WorkerConfig:
    settings = kb.settings
    seeds = None if settings.seeds.resolve() == bundled_seeds().resolve() else str(settings.seeds)
    model = str(kb.tuned[1].resolve()) if kb.tuned else settings.model  # a tuned model: its directory, on every node
    return WorkerConfig(seeds, settings.min_confidence, model, kb.encoder_params, settings.passage_tokens,
                        settings.batch_size)


# -- 1. staging --------------------------------------------------------------------------------------------------


def _stage(kb: KnowledgeBase, files: Sequence[Path], options: IngestOptions, limits: tuple[int, int],
           directory: Path, block: int, summary: IngestSummary, report: RayReport,
           progress: Phase | None) -> list[Path]:
    """Input shards of `block` papers each: the records to process, with their place in the input and their batch.
    Each batch is worked out on the store as it is before the run (`Store.plan`); what the loading finds otherwise
    (an earlier batch of the run wrote the paper) is processed on the driver then."""
    directory.mkdir(parents=True)
    written: list[Path] = []
    pending: list[tuple[int, int, PaperInput]] = []
    read = 0

    def flush(rows: list[tuple[int, int, PaperInput]]) -> None:
        path = directory / f"{len(written):08d}.parquet"
        shards.write(shards.papers_table(rows), path)
        written.append(path)

    for number, chunk in enumerate(batches(papers(files, options, *limits), options.batch_size)):
        for paper in _to_process(kb, chunk, summary.run):
            pending.append((report.staged, number, paper))
            report.staged += 1
            if len(pending) == block:
                flush(pending)
                pending = []
        read += len(chunk)
        if progress:
            progress("staging", read, summary.tally.papers)
    if pending:
        flush(pending)
    return written


def _to_process(kb: KnowledgeBase, chunk: list[PaperInput], run: IngestRun) -> list[PaperInput]:
    """The records of a batch to extract and embed: those it writes last to a paper, each text once (all of them
    when the batch contradicts the store: the loading stops at that record, as a single-process ingest does)."""
    try:
        plans = kb.store.plan([(paper, paper_key(paper)) for paper in chunk], run)
    except InvalidInput:
        kept = chunk
    else:
        kept = [paper for paper, plan in zip(chunk, plans, strict=True) if plan.action == "write"]
    return list({content_hash(paper.title, paper.abstract): paper for paper in kept}.values())


# -- 2. processing on the cluster --------------------------------------------------------------------------------


def _process(ray: Any, config: WorkerConfig, inputs: list[Path], directory: Path, params: RayParams, total: int,
             progress: Phase | None) -> list[Path]:
    """Run the pipeline over the input shards; the output shards, in input order."""
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # a later record of a paper must still win
    context.enable_progress_bars = False
    context.use_datasource_v2 = False  # V2 first starts 32 actors to read Parquet footers: minutes on small nodes
    driver_node = {"ray.io/node-id": ray.get_runtime_context().get_node_id()}
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    actors = params.embed_actors or max(1, gpus or int(resources.get("CPU", 1)))
    dataset = ray.data.read_parquet([str(p) for p in inputs], override_num_blocks=len(inputs), num_cpus=READ_CPUS,
                                    label_selector=driver_node)
    dataset = dataset.map_batches(_extract, batch_format="pyarrow", batch_size=None, fn_kwargs={"config": config},
                                  num_cpus=params.extract_cpus)
    # the actors' own memory reservation also keeps Ray Data from fusing extraction into them: extraction stays
    # in tasks of its own, in parallel with the embedding
    embed_resources: dict[str, Any] = {"num_gpus": 1} if gpus else {"num_cpus": params.actor_cpus}
    dataset = dataset.map_batches(_Embedder, batch_format="pyarrow", batch_size=None,
                                  fn_constructor_kwargs={"config": config, "threads": _threads(params, gpus)},
                                  compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
                                  memory=params.actor_memory, **embed_resources)
    directory.mkdir(parents=True)
    written: list[Path] = []
    done = 0
    if progress:
        progress("processing", 0, total)
    for table in _blocks(dataset):
        path = directory / f"{len(written):08d}.parquet"
        shards.write(shards.conform(table), path)
        written.append(path)
        done += table.num_rows
        if progress:
            progress("processing", done, total)
    return written


def _blocks(dataset: Any) -> Iterator[pa.Table]:
    for table in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
        if table.num_rows:
            yield table


def _threads(params: RayParams, gpus: int) -> int:
    return 1 if gpus else max(1, int(params.actor_cpus))


@functools.cache
def _extractor(seeds: str | None, min_confidence: float) -> Extractor:
    """One extractor per worker process (Ray reuses processes across tasks, so most tasks skip the loading)."""
    path = Path(seeds) if seeds else bundled_seeds()
    return seeded_extractor(path, min_confidence)


def _extract(table: pa.Table, config: WorkerConfig) -> pa.Table:
    """A Ray map task: entities and relations of each paper of a block."""
    extractor = _extractor(config.seeds, config.min_confidence)
    extractions = [extractor.extract(title, abstract) for title, abstract in shards.texts(table)]
    node = _ray().get_runtime_context().get_node_id()
    return shards.extracted_table(table, extractions, extractor.version, __version__, node)


class _Embedder:
    """A Ray actor: holds the encoder; splits each paper into passages and embeds them, a block at a time."""

    def __init__(self, config: WorkerConfig, threads: int) -> None:
        encoder = config.encoder
        cache = encoder.cache_dir
        if cache is not None and not _writable(cache):
            cache = Path(tempfile.gettempdir()) / "paperkg-models"  # the driver's path is not on this node
        runtime = RuntimeParams(encoder.runtime.threads or threads, encoder.runtime.spin, encoder.runtime.pin)
        params = EncoderParams(encoder.backend, encoder.precision, cache, runtime, encoder.quant)
        self.encoder = load_encoder(config.model or default_model(), 0, params)
        self.config = config
        self.node = _ray().get_runtime_context().get_node_id()

    def __call__(self, table: pa.Table) -> pa.Table:
        encoder, config = self.encoder, self.config
        spans = [split_passages(title, abstract, encoder.token_spans, encoder.max_tokens, config.passage_tokens)
                 for title, abstract in shards.texts(table)]
        passages = [passage_text(title, abstract, span)
                    for (title, abstract), paper in zip(shards.texts(table), spans, strict=True) for span in paper]
        matrix = encoder.encode(passages, config.batch_size) if passages else np.empty((0, encoder.dim), np.float32)
        bounds = np.cumsum([0, *(len(paper) for paper in spans)])
        vectors = [matrix[bounds[i]:bounds[i + 1]] for i in range(len(spans))]
        return shards.output_table(table, spans, vectors, encoder.dim, self.node)


def _writable(directory: Path) -> bool:
    """Whether `directory` exists writable, or can be made (the model cache of another machine cannot)."""
    probe = directory
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return os.access(probe, os.W_OK)


# -- 3. loading --------------------------------------------------------------------------------------------------


def _load(kb: KnowledgeBase, files: Sequence[Path], outputs: list[Path], options: IngestOptions,
          summary: IngestSummary, report: RayReport, progress: Phase | None) -> None:
    """Each batch of the input, read again, into the knowledge base with what the cluster computed for it, in
    input order, through the write path of the single-process ingest (`KnowledgeBase.add_papers`)."""
    limits = (kb.settings.max_title_chars, kb.settings.max_abstract_chars)
    loaded = _loaded(kb, outputs, report)
    row = next(loaded, None)
    done = 0
    for number, chunk in enumerate(batches(papers(files, options, *limits), options.batch_size)):
        prepared: dict[str, PaperWrite] = {}
        while row is not None and row.chunk == number:
            prepared[row.write.content_hash] = row.write
            row = next(loaded, None)
        add = functools.partial(kb.add_papers, progress=None, run=summary.run, prepared=prepared)
        commit(add, chunk, [paper.origin for paper in chunk], options, summary)
        done += len(chunk)
        if progress:
            progress("loading", done, summary.tally.papers)


def _loaded(kb: KnowledgeBase, outputs: list[Path], report: RayReport) -> Iterator[shards.Loaded]:
    """The rows of the output shards, in input order, each checked and counted to the nodes that processed it."""
    for path in outputs:
        for row in shards.rows(shards.read(path)):
            _check(kb, row)
            counts = report.nodes.setdefault(row.provenance.extract_node, Counter())
            counts["extracted"] += 1
            report.nodes.setdefault(row.provenance.embed_node, Counter())["embedded"] += 1
            yield row


def _check(kb: KnowledgeBase, row: shards.Loaded) -> None:
    found = row.provenance
    if found.extractor != kb.extractor.version or found.paperkg != __version__:
        raise Unavailable(f"Ray node {found.extract_node} runs paperkg {found.paperkg} (extractor "
                          f"{found.extractor}), this knowledge base paperkg {__version__} (extractor "
                          f"{kb.extractor.version}): install the same paperkg on every node")
