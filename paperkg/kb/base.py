"""The knowledge base: the one object that owns the store, extractor, indexes and graphs.

Writes are staged first (one SQLite transaction per batch, left pending while the on-disk RDF store takes it in),
then committed and applied to the in-memory structures while holding the write side of a readers-writer lock, so a
reader sees a paper everywhere or nowhere (`_commit`). Derived structures are rebuilt or caught up from the store at
start-up.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, replace

import numpy as np

from paperkg.core.errors import InvalidInput, NotFound, ReadOnly
from paperkg.core.files import WriterLock
from paperkg.core.ids import content_hash
from paperkg.core.lru import LRUCache
from paperkg.core.records import IngestRun, PaperInput, PaperMatch
from paperkg.core.results import (
    Deleted,
    IngestReport,
    SearchResults,
)
from paperkg.core.rwlock import RWLock
from paperkg.core.settings import Settings
from paperkg.embeddings.encoder import Encoder
from paperkg.embeddings.loading import EncoderParams, RuntimeParams, backend_tag, load_encoder, resolve
from paperkg.graph.extraction import learned_extractor
from paperkg.graph.lookup import EntityIndex
from paperkg.graph.network import KnowledgeGraph
from paperkg.graph.rdf.aside import ExportAside
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.related_model import RelatedModel
from paperkg.graph.sparql.executor import SparqlExecutor
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import snapshots
from paperkg.kb.extracting import ExtractionParams, ExtractionPool
from paperkg.kb.indexes import RDF_DIR, Indexes, IndexParams
from paperkg.kb.manifest import Manifest
from paperkg.kb.prefetch import Prefetched
from paperkg.kb.prepare import Progress, entity_info, own_aliases, paper_key, prepare
from paperkg.kb.queries import Queries
from paperkg.kb.reading import Reading, SearchKey
from paperkg.kb.reports import ingest_report
from paperkg.kb.snapshots import Snapshot, is_snapshot
from paperkg.kb.tuned import META_KEY as TUNED_KEY
from paperkg.kb.tuned import TunedModel
from paperkg.kb.tuned import active as active_tuned
from paperkg.sources import validate
from paperkg.store import SCHEMA_VERSION, PaperWrite, Store, WriteOutcome, interim_write

log = logging.getLogger("paperkg")
DB_NAME = "paperkg.sqlite3"
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class KnowledgeBase(Reading):
    """Papers in, graph + search + SPARQL out. Construct with `KnowledgeBase.open(settings)`."""

    def __init__(self, settings: Settings, store: Store, vocabulary: Vocabulary, read_only: bool,
                 writer_lock: WriterLock | None) -> None:
        self.settings = settings
        self.store = store
        self.vocabulary = vocabulary
        self.extractor = learned_extractor(vocabulary, settings.seeds, settings.min_confidence)
        self.extraction = ExtractionPool(self.extractor, settings.seeds,
                                         ExtractionParams.configured(settings.extract_processes))
        self.read_only = read_only
        self.lock = RWLock()
        self._writer_lock = writer_lock
        self._write_mutex = threading.Lock()
        self._rdf_mutex = threading.Lock()
        """Held while a write is staged into the RDF store and swapped in (see `_commit`)."""
        self._encoder: Encoder | None = None
        self._owns_encoder = True
        self._encoder_mutex = threading.Lock()
        # keyed by data version: a write makes older entries unreachable, and they age out
        self._search_cache: LRUCache[SearchKey, SearchResults] = LRUCache(settings.query_cache_size)
        self.graph = KnowledgeGraph()
        self.entities = EntityIndex()
        ontology = settings.seeds / "ontology.ttl"
        snapshot = read_only and is_snapshot(settings.data)  # a published snapshot keeps its RDF store on disk
        self.tuned = active_tuned(TunedModel.from_json(store.meta(TUNED_KEY)), self.base_model_id, settings.data,
                                  snapshot)
        """The tuned model served over the configured one and its directory (kb/tuned.py), if `paperkg tune` kept
        one."""
        self.backend = resolve(settings.encoder_backend, settings.encoder_precision,
                               store.meta("model") if store.has_papers() else None)
        """The encoder backend and precision, `auto` resolved once at open (embeddings.loading.resolve)."""
        self.rdf = RDFGraph(settings.base_iri, vocabulary, self.extractor.version, ontology,
                            path=settings.data / RDF_DIR if snapshot or not read_only else None, read_only=read_only)
        self.indexes = Indexes(settings.data, store, self.graph, self.entities, self.rdf,
                               IndexParams(ann_threshold=settings.ann_threshold,
                                           save_every=settings.index_save_every,
                                           save_sync_vectors=settings.index_save_sync_vectors,
                                           save_ratio=settings.index_save_ratio,
                                           graph_in_background=settings.graph_background), read_only,
                               self.lock)
        device_classes = json.loads((settings.seeds / "vocab" / "device_classes.json").read_text(encoding="utf-8"))
        self.queries = Queries(store, self.graph, self.entities, vocabulary, self.extractor, self.indexes, self.rdf,
                               lambda: self.encoder, {k: v for k, v in device_classes.items() if not k.startswith("_")},
                               settings.base_iri, ontology,
                               generic_techniques=settings.seeds / "vocab" / "generic_techniques.txt",
                               sentence_roles=settings.seeds / "vocab" / "sentence_roles.json",
                               related_model=RelatedModel.load(settings.seeds / "scorer"))
        self.sparql_executor = SparqlExecutor.from_settings(self.rdf, settings, snapshot=self.snapshot_read)
        self.export_aside = ExportAside(self.rdf)

    # -- lifecycle ----------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, read_only: bool = False, progress: Progress | None = None) -> KnowledgeBase:
        """Open (creating if needed) the knowledge base in settings.data and bring derived views up to date."""
        data = settings.data
        db = data / DB_NAME
        writer_lock: WriterLock | None = None
        if read_only and not db.exists():
            raise NotFound(f"no knowledge base in {data}: run `paperkg build` first")
        if not read_only:
            try:
                data.mkdir(parents=True, exist_ok=True)
                writer_lock = WriterLock(data)
                writer_lock.acquire()
            except ReadOnly:
                if not db.exists():
                    raise
                log.warning("data directory %s is not writable: serving it read-only", data)
                read_only, writer_lock = True, None
            except OSError as error:
                raise InvalidInput(f"cannot use data directory {data}: {error.strerror}") from error
        try:
            store = Store(db, read_only=read_only, immutable=read_only and is_snapshot(data))
            kb = cls(settings, store, Vocabulary.load(settings.seeds), read_only, writer_lock)
            kb._bring_up_to_date(progress)
        except BaseException:
            if writer_lock:
                writer_lock.release()
            raise
        return kb

    def close(self) -> None:
        self.extraction.close()
        self.indexes.close()
        self.sparql_executor.close()
        self.export_aside.close()
        self.store.close()
        if self._encoder is not None and self._owns_encoder:
            self._encoder.close()
        if self._writer_lock:
            self._writer_lock.release()
            self._writer_lock = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_model_id(self) -> str:
        """The configured model: PAPERKG_MODEL, or the bundled one."""
        return self.settings.model or BUNDLED_MODEL

    @property
    def model_id(self) -> str:
        """Identity of the embedding set-up (a tuned model's id and base included); a change re-embeds every
        passage."""
        tag = backend_tag(self.base_model_id, self.encoder_params)
        model = self.tuned[0].model_id() if self.tuned else self.base_model_id
        return f"{model}{tag}#passage={self.settings.passage_tokens}"

    @property
    def model_name(self) -> str:
        """What the encoder loads: the tuned model's directory when one is served, else the configured model."""
        return str(self.tuned[1]) if self.tuned else self.settings.model_name

    @property
    def encoder_params(self) -> EncoderParams:
        settings = self.settings
        return EncoderParams(*self.backend, settings.model_cache or settings.data / "models",
                             RuntimeParams(settings.encoder_threads, query_widths=settings.encoder_query_widths))

    @property
    def encoder(self) -> Encoder:
        """The embedding model, loaded on first use (commands that never embed never pay for it)."""
        if self._encoder is None:
            with self._encoder_mutex:
                if self._encoder is None:
                    self._encoder = load_encoder(self.model_name, self.settings.query_cache_size,
                                                 self.encoder_params)
        return self._encoder

    def warm_up(self) -> None:
        """Load and vet the model and run one query through it, so the first request pays for neither."""
        self.encoder.encode_query("warm up")

    def share_encoder_with(self, successor: KnowledgeBase) -> None:
        """Let `successor` (same model) use this one's loaded model; from now on only `successor` closes it."""
        if self._encoder is not None and successor._encoder is None and successor.model_id == self.model_id:
            successor._encoder, self._owns_encoder = self._encoder, False

    def manifest(self) -> Manifest:
        return Manifest(SCHEMA_VERSION, self.store.meta("model") or self.model_id,
                        self.store.meta("extractor_version") or self.extractor.version,
                        asdict(self.tuned[0]) if self.tuned else None)

    def _bring_up_to_date(self, progress: Progress | None) -> None:
        """Re-extract or re-embed what an older extractor or another model produced, then load derived views."""
        if not self.read_only:
            has_papers = self.store.has_papers()
            stale_model = has_papers and self.store.meta("model") != self.model_id
            stale_extractor = has_papers and self.store.meta("extractor_version") != self.extractor.version
            if stale_model or stale_extractor:
                log.info("re-processing %d papers (model changed: %s, extractor changed: %s)",
                         self.store.count_papers(), stale_model, stale_extractor)
                self._reprocess(reembed=stale_model, progress=progress)
            self._record_manifest()
        self.indexes.load()
        self.sparql_executor.invalidate(self.store.version)

    def _record_manifest(self) -> None:
        if self.store.meta("model") != self.model_id:
            self.store.set_meta("model", self.model_id)
        if self.store.meta("extractor_version") != self.extractor.version:
            self.store.set_meta("extractor_version", self.extractor.version)
        current = self.manifest()
        if Manifest.read(self.settings.data) != current:
            current.write(self.settings.data)

    def _reprocess(self, reembed: bool, progress: Progress | None, chunk: int = 256) -> None:
        papers = list(self.store.iter_papers())
        for start in range(0, len(papers), chunk):
            inputs = [PaperInput(p.title, p.abstract, p.id, p.year, p.url, p.authors, origin=f"paper {p.id}")
                      for p in papers[start:start + chunk]]
            matches = [PaperMatch(p.id, content_hash(p.title, p.abstract)) for p in papers[start:start + chunk]]
            writes = self._prepare(inputs, progress, reuse_vectors=not reembed, matches=matches)
            self.store.write(writes, entity_info(writes, self.vocabulary), rewrite=True)

    # -- writes -------------------------------------------------------------------------------------

    def add_papers(self, papers: Iterable[PaperInput], progress: Progress | None = None, run: IngestRun | None = None,
                   prepared: Mapping[str, PaperWrite] | None = None) -> IngestReport:
        """Validate, extract, embed and store a batch atomically, each record matched to a paper after the ones
        before it, as batches of one would be (`Store.plan`); the report says what happened to each. A record a
        later one of the batch writes over is "superseded": it leaves its ids and metadata, and is neither
        extracted nor embedded. `run` (an ingest of files, which may be a re-run) leaves out a record applied before
        (`store.matching.applied`). `prepared`: extraction, passages and vectors computed elsewhere (the distributed
        ingest), by content hash; what it lacks is computed here."""
        self._require_writable()
        checked = [validate(p, self.settings.max_title_chars, self.settings.max_abstract_chars) for p in papers]
        if not checked:
            raise InvalidInput("no papers given")
        given = prepared or {}
        with self._write_mutex:
            plans = self.store.plan([(p, paper_key(p)) for p in checked], run)
            kept = [(paper, plan) for paper, plan in zip(checked, plans, strict=True) if plan.action == "write"]
            missing = [(paper, plan) for paper, plan in kept if content_hash(paper.title, paper.abstract) not in given]
            computed = iter(self._prepare([paper for paper, _ in missing], progress, reuse_vectors=True,
                                          matches=[PaperMatch(plan.id, plan.stored_hash) for _, plan in missing]))
            writes = []
            for paper, plan in zip(checked, plans, strict=True):
                if plan.action == "superseded":
                    writes.append(interim_write(plan.id, paper))
                elif plan.action == "write":
                    found = given.get(content_hash(paper.title, paper.abstract))
                    writes.append(next(computed) if found is None else replace(
                        found, id=plan.id, paper=paper, extraction=own_aliases(found.extraction, self.vocabulary)))
            version, outcomes = self._store_writes(writes)
        return ingest_report(version, checked, plans, writes, outcomes, self.vocabulary)

    def ingest_run(self) -> IngestRun:
        """An ingest from the current version, as of a file (`add_papers(run=)`): a record stored before, still its
        source's last, is left out."""
        return IngestRun(self.store.version)

    def _store_writes(self, writes: list[PaperWrite]) -> tuple[int, list[WriteOutcome]]:
        """Store a prepared batch through the staged commit (caller holds the write mutex); the new version and
        what happened to each write."""
        outcomes: list[WriteOutcome] = []
        if not writes:
            return self.store.version, outcomes

        def store_batch() -> tuple[int, list[str], list[str]]:
            version, done = self.store.write(writes, entity_info(writes, self.vocabulary))
            outcomes.extend(done)
            return version, list(dict.fromkeys(o.id for o in done if o.status != "unchanged")), []

        version = self._commit(store_batch, {w.id: w.vectors for w in writes if w.content})
        self.indexes.save_if_due()  # outside the write lock: searches go on while the files are written
        return version, outcomes

    def remove_paper(self, pid: str) -> Deleted:
        """Delete a paper (named by any of its ids) and what only it supported."""
        self._require_writable()
        removed: list[str] = []
        with self._write_mutex:
            def delete() -> tuple[int, list[str], list[str]]:
                found = self.store.resolve(pid) or pid
                version = self.store.delete(found)
                if version is None:
                    raise NotFound(f"no paper with id {found!r}")
                removed.append(found)
                return version, [], [found]

            version = self._commit(delete, {})
            self.indexes.save_if_due()
        return Deleted(removed[0], version)

    def publish(self, keep: int = 3, retain: float = 600.0) -> Snapshot:
        """Publish a read-only snapshot of the current version for replica servers (`paperkg.kb.snapshots`)."""
        self._require_writable()
        with self._write_mutex:
            return snapshots.publish(self.settings.data, self.store, self.indexes, self.manifest(), keep, retain)

    def _commit(self, write: Callable[[], tuple[int, list[str], list[str]]], vectors: dict[str, np.ndarray]) -> int:
        """Run `write` (it stores rows and returns the new version, the changed and the removed papers) in a store
        transaction kept pending while the derived structures read it back and the on-disk RDF store takes the rows
        in; searches, and SPARQL workers started before, answer from the previous version meanwhile. Then commit and
        apply the rest under the write lock, whose hold is what readers wait for (`bench/lock_hold.py`)."""
        staged: Prefetched | None = None
        rdf_staged = False
        try:
            with self.store.pending() as pending:
                version, changed, removed = write()
                if changed or removed:
                    staged = self.indexes.stage(changed, removed, vectors)
                try:
                    if staged is not None:  # the RDF store as committed, for SPARQL workers and RDF exports
                        large = len(changed) + len(removed) >= self.indexes.params.aside_papers
                        self.sparql_executor.put_aside_checkpoint(large)  # that start while it is staged
                        self.export_aside.put_aside(large)
                    with self._rdf_mutex:  # from here to the commit, no snapshot is taken (`snapshot_read`)
                        if staged is not None:
                            rdf_staged = True
                            self.indexes.stage_rdf(staged, changed, removed)
                        with self.lock.write(), _collector_paused():
                            pending.commit()
                            if staged is not None:
                                self._apply(version, changed, removed, vectors, staged)
                        self.sparql_executor.push_remote()  # after the lock: an external server takes its time
                finally:
                    self.export_aside.done()
        except BaseException:
            if staged is not None and not pending.committed:
                with self._rdf_mutex:
                    self.indexes.unstage(rdf_staged)
            raise
        return version

    def _apply(self, version: int, changed: list[str], removed: list[str], vectors: dict[str, np.ndarray],
               staged: Prefetched | None = None) -> None:
        """Bring the derived structures to a committed version (caller holds the write lock)."""
        self.indexes.apply(version, changed, removed, vectors, staged)
        self.sparql_executor.invalidate(version, push=False)
        self.queries.related_ranker.invalidate()

    def _require_writable(self) -> None:
        if self.read_only:
            raise ReadOnly(f"the knowledge base in {self.settings.data} is open read-only")

    def _prepare(self, batch: Sequence[PaperInput], progress: Progress | None, reuse_vectors: bool,
                 matches: Sequence[PaperMatch]) -> list[PaperWrite]:
        """Extraction, passage split and embedding, all before the write transaction."""
        return prepare(batch, matches, self.store, self.extraction.extract, self.vocabulary, self.encoder,
                       self.settings, progress, reuse_vectors)

    # -- reads: each holds the read lock, so it sees a write entirely or not at all --------------------


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while readers wait: a full pass over a large heap, triggered by whichever
    allocation crosses the threshold, took 80 ms inside a 1,000-paper write's lock hold; it runs after instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
