"""The RDF graph: an Oxigraph store derived from the SQLite store of record, exposed through rdflib.

With a path it lives on disk (DATA/rdf/, RocksDB) and persists across restarts: `load` opens it and catches it up
from the store of record, or rebuilds it with the bulk loader when it is missing, unreadable or was left mid-write
(graph.rdf.disk keeps its state file). Without a path it is held in memory and rebuilt at every start.

Invariant: no triple is held in two named graphs (paper graphs have their own subjects, entity graphs leave out what
the vocabulary graph states, and facts with an entity subject live once in the facts graph), so the number of quads
is the number of distinct triples of the union graph that SPARQL queries and exports see.

The knowledge base calls `rebuild` and `sync` while holding its write lock; nothing here locks.
"""

from __future__ import annotations

import gc
import logging
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from pyoxigraph import NamedNode, Quad, Triple

from paperkg.core.protocols import RecordSource
from paperkg.core.records import Paper, StoredMention, StoredRelation
from paperkg.graph.rdf.claims import paper_references, still_stated
from paperkg.graph.rdf.disk import DiskState, read_state, replace_dir, state_problem, static_digest, write_state
from paperkg.graph.rdf.mapping import entity_quads, paper_nquads, vocabulary_quads
from paperkg.graph.rdf.namespaces import DEFAULT_BASE, TYPE, Iris
from paperkg.graph.rdf.ontology import ontology_quads
from paperkg.graph.rdf.producer import produced
from paperkg.graph.rdf.records import all_entity_quads, records_by_paper
from paperkg.graph.rdf.serialize import export_media_type, stream
from paperkg.graph.vocabulary import Vocabulary

if TYPE_CHECKING:
    import rdflib

log = logging.getLogger("paperkg.rdf")
BATCH = 200_000
BULK_LINES = 10_000
"""Writes of this many N-Quads lines or more take the bulk loader (a 1,000-paper write at 4,000 papers: 0.32 against
1.1 s). Not transactional: the state file is marked dirty first, so a crash mid-load rebuilds the store. Smaller
writes stay transactional (each bulk load adds files for RocksDB to compact)."""


class RDFGraph:
    """Papers, entities, claims, the technique taxonomy and the ontology, one named graph per paper and entity."""

    def __init__(self, base_iri: str = DEFAULT_BASE, vocabulary: Vocabulary | None = None,
                 extractor_version: str = "", ontology: Path | None = None, path: Path | None = None,
                 read_only: bool = False) -> None:
        self.iris = Iris(base_iri)
        self.path = path
        """Directory of the on-disk store (None: in memory)."""
        self.read_only = read_only
        """Open the on-disk store read-only (a published snapshot); if it does not match the store of record, the
        graph is rebuilt in memory instead."""
        self.vocabulary = vocabulary
        self.extractor_version = extractor_version
        self._ontology = ontology
        self.version = 0
        """Data version of the store of record this graph reflects (set by rebuild and sync)."""
        self.generation = 0
        """Bumped when a rebuild or sync starts: snapshots (query workers) taken before are stale."""
        self.load_seconds = 0.0
        self._store = ox.Store()
        self._rdflib: rdflib.Dataset | None = None
        self._viewed = False  # an rdflib view was made of the current store: it may hold it in a reference cycle
        self._count = self._paper_count = 0
        self._committed: tuple[int, int] | None = None  # (triples, papers) committed, while a write is staged
        self._vocabulary_triples: frozenset[Triple] = frozenset()
        self._paper_type = self.iris.term("Paper")
        self._state: DiskState | None = None
        self._changes: set[NamedNode] | None = None
        self._changes_since = 0
        self._staged_version: int | None = None
        self._load_static()

    # -- access ------------------------------------------------------------------------------------

    @property
    def store(self) -> ox.Store:
        """The pyoxigraph store (read it; change it only through rebuild / sync)."""
        return self._store

    @property
    def rdflib(self) -> rdflib.Dataset:
        """The graph through rdflib's API (oxrdflib store; the default graph is the union of all graphs).

        For code only: user SPARQL must go through graph.sparql (guard, sandboxed workers, timeout).
        """
        if self._rdflib is None:
            import rdflib  # noqa: PLC0415 (heavy, loaded only when used)
            from oxrdflib import OxigraphStore  # noqa: PLC0415 (heavy, loaded only when used)

            self._rdflib = rdflib.Dataset(store=OxigraphStore(store=self._store), default_union=True)
            self._viewed = True
        return self._rdflib

    @property
    def triple_count(self) -> int:
        """Distinct triples of the union graph (equal to the number of quads, by the invariant above), as committed."""
        return self._committed[0] if self._committed else self._count

    @property
    def paper_count(self) -> int:
        return self._committed[1] if self._committed else self._paper_count

    def has_paper(self, paper_id: str) -> bool:
        return Quad(self.iris.paper(paper_id), TYPE, self._paper_type, self.iris.paper_graph(paper_id)) in self._store

    def paper_ids(self) -> set[str]:
        found = set()
        for quad in self._store.quads_for_pattern(None, TYPE, self._paper_type, None):
            if isinstance(quad.subject, NamedNode) and (pid := self.iris.paper_id(quad.subject.value)) is not None:
                found.add(pid)
        return found

    # -- building ----------------------------------------------------------------------------------

    def _static(self) -> list[Quad]:
        return ontology_quads(self.iris, self._ontology) + vocabulary_quads(self.iris, self.vocabulary)

    def _load_static(self) -> None:
        static = self._static()
        self._vocabulary_triples = frozenset(q.triple for q in static if q.graph_name == self.iris.vocabulary_graph)
        self._add(static, bulk=True)

    # -- persistence -------------------------------------------------------------------------------

    def load(self, store: RecordSource, paper_revs: Mapping[str, int]) -> None:
        """Bring the graph up to date at start-up: in memory, rebuild it; on disk, open it and catch it up from the
        store of record (`paper_revs`: each stored paper's last-written data version), rebuilding it when missing,
        unreadable, left mid-write, ahead of the store, or made from another mapping."""
        self._staged_version = None
        if self.path is None:
            self.rebuild(store)
            return
        started = time.perf_counter()
        self.close()
        expected = self._expected_state()
        state = read_state(self.path)
        problem = state_problem(state, expected, store.version)
        if self.read_only:
            self._open_read_only(store, state, problem)
            return
        if state is None or problem is not None or not self.path.is_dir():
            log.info("rebuilding the RDF store in %s (%s)", self.path, problem or "missing")
            self.rebuild(store)
            return
        try:
            self._store = ox.Store(str(self.path))
        except (OSError, RuntimeError) as error:  # RocksDB reports corruption as RuntimeError
            log.warning("rebuilding the RDF store in %s: %s", self.path, error)
            self.rebuild(store)
            return
        self._state, self.version = state, state.version
        self._changes, self._changes_since = set(), state.version
        self._count, self._paper_count = state.triples, state.papers
        self.generation += 1
        if state.version < store.version:
            indexed = self.paper_ids()
            changed = sorted(pid for pid, rev in paper_revs.items() if rev > state.version or pid not in indexed)
            removed = sorted(indexed - paper_revs.keys())
            log.info("RDF store: catching up %d changed and %d removed papers", len(changed), len(removed))
            self.sync(store, changed, removed)
        self.load_seconds = time.perf_counter() - started

    def _open_read_only(self, store: RecordSource, state: DiskState | None, problem: str | None) -> None:
        if state is not None and problem is None and state.version == store.version and self.path is not None:
            try:
                self._store = ox.Store.read_only(str(self.path))
                self._state, self.version = state, state.version
                self._count, self._paper_count = state.triples, state.papers
                self.generation += 1
                return
            except (OSError, RuntimeError) as error:
                problem = str(error)
        log.warning("RDF store in %s cannot be used read-only (%s): rebuilding it in memory", self.path,
                    problem or "behind the store")
        self.path = None
        self.rebuild(store)

    def backup(self, target: Path) -> None:
        """A consistent copy of the on-disk store at `target` (a RocksDB checkpoint: hard links where it can) with
        its state file, for a read-only snapshot."""
        if self.path is None or self._state is None or self._state.dirty:
            raise RuntimeError("only a clean on-disk RDF store can be backed up")
        self._store.flush()
        self._store.backup(str(target))
        write_state(target, self._state)

    def checkpoint(self, target: Path) -> Path:
        """A RocksDB checkpoint (hard links) of the on-disk store at `target`: its current content, which no later
        write changes, for a query process to open read-only."""
        if self.path is None or self.read_only:
            raise RuntimeError("only a writable on-disk RDF store is checkpointed")
        self._store.backup(str(target))
        return target

    def take_changes(self) -> tuple[int, set[NamedNode] | None]:
        """(version, graphs): the named graphs changed since `version` (None: everything, after a rebuild); the
        record starts afresh at the current version."""
        changes = (self._changes_since, self._changes)
        self._changes, self._changes_since = set(), self.version
        return changes

    def close(self) -> None:
        """Release the on-disk store (an empty in-memory one stands in until the next load)."""
        if self.path is not None:
            self._store = ox.Store()
            self._rdflib = None
            self._release()

    def _release(self) -> None:
        """Let go of the on-disk store just replaced: RocksDB closes when the last reference goes, and an rdflib view
        may hold it in a reference cycle that only the collector frees (a full collection costs 0.1-0.5 s, so only
        then)."""
        if self._viewed:
            self._viewed = False
            gc.collect()

    def _expected_state(self) -> DiskState:
        return DiskState(self.iris.base, self.extractor_version, static_digest(self._static()))

    def _mark(self, dirty: bool, version: int | None = None) -> None:
        """Record in the state file that a change starts (dirty) or is complete (and the version it reached)."""
        if self.path is None:
            return
        version = self.version if version is None else version
        state = self._state or self._expected_state()
        if state.dirty == dirty and (dirty or state.version == version):
            return
        self._state = state.marked(dirty, version, self._count, self._paper_count)
        write_state(self.path, self._state)

    def _add(self, quads: list[Quad], bulk: bool = False) -> None:
        """Add quads none of which is in the store yet (callers guarantee it: fresh graphs, deduplicated)."""
        if bulk:
            self._store.bulk_extend(quads)
        else:
            self._store.extend(quads)
        self._count += len(quads)

    def _clear(self, graph: NamedNode) -> int:
        n = sum(1 for _ in self._store.quads_for_pattern(None, None, None, graph))
        if n:
            self._store.clear_graph(graph)
            self._count -= n
        return n

    def rebuild(self, store: RecordSource) -> None:
        """Replace everything with what the store of record holds (bulk load)."""
        started = time.perf_counter()
        self.generation += 1
        self._changes = None
        building: Path | None = None
        if self.path is not None:
            self.close()
            self._state = None
            self._mark(dirty=True)
            building = self.path.with_name(self.path.name + ".new")
            shutil.rmtree(building, ignore_errors=True)
        self._store = ox.Store(str(building)) if building else ox.Store()
        self._rdflib, self._committed = None, None
        self._count = self._paper_count = 0
        self._load_static()
        self._add(all_entity_quads(self.iris, store, self._vocabulary_triples), bulk=True)
        mentions, relations = records_by_paper(store)
        facts: dict[Triple, None] = {}
        lines: list[str] = []
        for paper in store.iter_papers():
            paper_lines, paper_facts, _ = self._paper(paper, mentions.pop(paper.id, []), relations.pop(paper.id, []))
            lines += paper_lines
            facts.update(dict.fromkeys(paper_facts))
            if len(lines) >= BATCH:
                self._load(lines, bulk=building is not None)
                lines = []
        self._load(lines, bulk=building is not None)
        facts_graph = self.iris.facts_graph
        self._add([Quad(t.subject, t.predicate, t.object, facts_graph) for t in facts], bulk=True)
        self.version = store.version
        if building is not None and self.path is not None:
            self._swap_in(building, self.path)
            self._mark(dirty=False)
        self.load_seconds = time.perf_counter() - started
        log.info("RDF graph: %d papers, %d triples in %.1f s", self._paper_count, self._count, self.load_seconds)

    def _swap_in(self, built: Path, target: Path) -> None:
        """Close the freshly built store, move it to `target` (replacing what was there) and open it there."""
        # Finish the bulk load's compactions now: SPARQL workers are forked from this process, and a fork taken
        # while a RocksDB background job holds its mutex leaves the child waiting on it for ever.
        self._store.optimize()
        self._store = ox.Store()
        self._release()
        replace_dir(built, target)
        self._store = ox.Store(str(target))

    def _load(self, lines: list[str], bulk: bool = False) -> None:
        """Add N-Quads lines none of which is in the store yet (lenient: the mapping only writes valid IRIs)."""
        if lines:
            data = "".join(lines).encode()
            if bulk or len(lines) >= BULK_LINES:
                self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
            else:
                self._store.load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
            self._count += len(lines)

    def _paper(self, paper: Paper, mentions: Iterable[StoredMention],
               relations: list[StoredRelation]) -> tuple[list[str], list[Triple], set[str]]:
        self._paper_count += 1
        return paper_nquads(self.iris, paper, mentions, relations, self.extractor_version)

    def sync(self, store: RecordSource, changed_paper_ids: Iterable[str], removed_paper_ids: Iterable[str],
             staged: bool = False) -> None:
        """Bring the given papers (and the entities they referred to, before and after) up to date with the store.

        `staged`: the store's write is not committed yet, and the caller lets no snapshot be taken until it is; the
        graph keeps announcing its previous version (`version`, `generation`) until `commit_staged`, so query
        workers forked before go on answering from that version meanwhile."""
        if not staged:
            self.generation += 1
        self._committed = (self._count, self._paper_count) if staged else None
        self._mark(dirty=True)
        changed = list(dict.fromkeys(changed_paper_ids))
        removed = list(dict.fromkeys(removed_paper_ids))
        touched: set[str] = set()
        stated: set[Triple] = set()
        for paper_id in dict.fromkeys([*changed, *removed]):
            entities, facts = self._drop_paper(paper_id)
            touched |= entities
            stated |= facts
        papers = store.papers(changed)
        mentions = store.mentions_of([p.id for p in papers])
        relations = store.relations_of([p.id for p in papers])
        lines: list[str] = []
        new_facts: dict[Quad, None] = {}
        for paper in papers:
            paper_lines, paper_facts, entities = self._paper(paper, mentions[paper.id], relations[paper.id])
            lines += paper_lines
            touched |= entities
            new_facts.update((Quad(f.subject, f.predicate, f.object, self.iris.facts_graph), None)
                             for f in paper_facts)
            if len(lines) >= BATCH:
                self._load(lines)
                lines = []
        self._load(lines)
        self._add([quad for quad in new_facts if quad not in self._store])
        for fact in stated:
            if not still_stated(self._store, fact):
                self._store.remove(Quad(fact.subject, fact.predicate, fact.object, self.iris.facts_graph))
                self._count -= 1
        self._refresh_entities(store, sorted(touched))
        if self._changes is not None:
            self._changes |= {self.iris.paper_graph(p) for p in [*changed, *removed]}
            self._changes |= {self.iris.entity_graph(e) for e in touched} | {self.iris.facts_graph}
        if staged:
            self._staged_version = store.version
            self._mark(dirty=False, version=store.version)
        else:
            self.version = store.version
            self._mark(dirty=False)

    def commit_staged(self) -> None:
        """The staged write was committed: announce its version (snapshots taken before are now stale)."""
        if self._staged_version is not None:
            self.version, self._staged_version, self._committed = self._staged_version, None, None
            self.generation += 1

    def _drop_paper(self, paper_id: str) -> tuple[set[str], set[Triple]]:
        """Remove a paper's graph; the entity ids it referred to and the shared facts its claims stated."""
        if not self.has_paper(paper_id):
            return set(), set()
        self._paper_count -= 1
        graph = self.iris.paper_graph(paper_id)
        entities, facts = paper_references(self._store, self.iris, graph)
        self._clear(graph)
        return entities, facts

    def _refresh_entities(self, store: RecordSource, entity_ids: list[str]) -> None:
        """Rewrite the given entities' graphs from the store (two bulk reads)."""
        stored = store.entities_by_id(entity_ids)
        aliases = store.aliases_of(sorted(stored))
        quads: list[Quad] = []
        for entity_id in entity_ids:
            graph = self.iris.entity_graph(entity_id)
            self._clear(graph)
            entity = stored.get(entity_id)
            if entity is not None:
                quads += entity_quads(self.iris, entity, aliases[entity_id], graph, self._vocabulary_triples)
        self._add(quads)

    # -- export ------------------------------------------------------------------------------------

    def export(self, fmt: str) -> Iterator[bytes]:
        """The union graph as turtle, ntriples or jsonld (nquads keeps the named graphs), in chunks.

        The snapshot is taken when this is called (Oxigraph iterators are isolated from later writes), so call it
        under the read lock and stream the chunks after releasing it, from any thread (`graph.rdf.producer`)."""
        export_media_type(fmt)
        store, prefixes = self._store, self.iris.prefixes()
        return produced(lambda: stream(store.quads_for_pattern(None, None, None, None), fmt, prefixes))

    @staticmethod
    def export_media_type(fmt: str) -> str:
        return export_media_type(fmt)
