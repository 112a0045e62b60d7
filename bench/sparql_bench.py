"""SPARQL benchmark: endpoint-path latency vs pyoxigraph directly vs rdflib's default store; RDF load throughput.

    .venv/bin/python bench/sparql_bench.py [--papers 100000] [--rdflib-papers 2000] [--repeat 7] [--on-disk]
                                           [--tmp DIR] [--queries NAME,NAME]

One run, ratios only (no assertions on time). Synthetic papers (realistic abstracts naming entities of the seed
vocabulary, 3-6 facts each) are written to a temporary SQLite store through Store.write, then:
  1. load: RDFGraph.rebuild at --papers papers -> triples per paper, triples/s;
  2. latency at --papers: SparqlExecutor.execute (guard, pre-forked worker, row cap, SPARQL JSON) vs the same query
     on the same pyoxigraph store in-process (query + SPARQL JSON serialisation), median of --repeat runs;
  3. the same at --rdflib-papers, with rdflib's default in-memory store (same triples) beside them (--rdflib-papers 0
     skips it).
--on-disk loads the big graph into an on-disk store (what `paperkg serve` keeps under DATA/rdf, bulk-loaded) instead
of memory, so a million papers fit; --tmp puts the temporary files on a disk with room (about 26 GB at 1M papers).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paperkg.core.records import (  # noqa: E402
    EntityInfo,
    Evidence,
    ExtractedEntity,
    ExtractedRelation,
    Extraction,
    Mention,
    PaperInput,
)
from paperkg.graph.rdf.store import RDFGraph  # noqa: E402
from paperkg.graph.sparql.executor import SparqlExecutor  # noqa: E402
from paperkg.graph.vocabulary import Concept, Vocabulary  # noqa: E402
from paperkg.store import PaperWrite, Store  # noqa: E402

QUERIES = {
    "rtx4090-proposes": """
        SELECT ?paper ?title ?technique WHERE {
          ?paper pkg:runsOn hardware:nvidia-rtx-4090 ; dcterms:title ?title ; pkg:proposes ?t .
          ?t skos:prefLabel ?technique } ORDER BY ?title LIMIT 100""",
    "outperforms-llamacpp": """
        SELECT ?subject ?factor ?metric ?hardware ?paper WHERE {
          ?claim a pkg:OutperformsClaim ; pkg:baseline software:llama-cpp ; rdf:subject ?subject ;
                 prov:wasDerivedFrom ?paper .
          OPTIONAL { ?claim pkg:factor ?factor } OPTIONAL { ?claim pkg:metric ?metric }
          OPTIONAL { ?claim pkg:hardware ?hardware } } ORDER BY DESC(?factor) LIMIT 100""",
    "quantization-subtree": """
        SELECT ?technique (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
          ?t skos:broader* technique:quantization ; skos:prefLabel ?technique .
          ?paper pkg:uses|pkg:proposes ?t } GROUP BY ?technique ORDER BY DESC(?papers)""",
    "hardware-by-papers": """
        SELECT ?name ?bandwidth (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
          ?paper pkg:runsOn ?hw . ?hw schema:name ?name . OPTIONAL { ?hw pkg:memoryBandwidthGBs ?bandwidth } }
        GROUP BY ?name ?bandwidth ORDER BY DESC(?papers) LIMIT 20""",
    "paper-claims": """
        SELECT ?predicate ?object ?evidence ?confidence WHERE {
          ?claim prov:wasDerivedFrom paper:s0000042 ; rdf:predicate ?predicate ; rdf:object ?object ;
                 pkg:evidence ?evidence ; pkg:confidence ?confidence }""",
    "title-contains": """
        SELECT ?paper ?title WHERE { ?paper a pkg:Paper ; dcterms:title ?title
          FILTER(CONTAINS(LCASE(?title), "speculative")) } LIMIT 50""",
    "papers-per-hardware": """
        SELECT ?hw (COUNT(DISTINCT ?paper) AS ?papers) WHERE { ?paper pkg:runsOn ?hw }
        GROUP BY ?hw ORDER BY DESC(?papers)""",
    "ask": "ASK { ?p pkg:evaluatedOn ?d }",
}
FILLER = ("Large models are expensive to serve, and memory bandwidth rather than compute bounds decoding. "
          "We study the accuracy and latency trade-offs on standard benchmarks and release our code. ")


def vocabulary() -> Vocabulary:
    seeds = ROOT / "seeds"
    vocab = Vocabulary.load(seeds) if (seeds / "vocab").exists() else Vocabulary({})
    needed = [Concept("technique/quantization", "Technique", "quantization"),
              Concept("hardware/nvidia-rtx-4090", "Hardware", "NVIDIA GeForce RTX 4090",
                      attrs={"memory_bandwidth_gbs": 1008}),
              Concept("software/llama-cpp", "Software", "llama.cpp"), Concept("dataset/mmlu", "Dataset", "MMLU"),
              Concept("model/llama-2-7b", "Model", "LLaMA-2-7B")]
    concepts = dict(vocab.concepts)
    for concept in needed:
        concepts.setdefault(concept.id, concept)
    return Vocabulary(concepts)


def _zipf(items: list[Concept], rng: random.Random) -> Concept:
    return items[min(int(rng.paretovariate(1.2)) - 1, len(items) - 1)]


def synthetic(vocab: Vocabulary, n: int, seed: int = 7, batch: int = 1000) -> Iterator[list[PaperWrite]]:
    """Batches of synthetic PaperWrites: each abstract names a few vocabulary entities and states 3-6 facts."""
    rng = random.Random(seed)
    by_type = {t: sorted(vocab.of_type(t), key=lambda c: c.id) for t in ("Technique", "Hardware", "Dataset",
                                                                         "Software", "Model")}
    for t in by_type.values():
        rng.shuffle(t)
    for key in ("technique/quantization", "hardware/nvidia-rtx-4090", "software/llama-cpp"):
        concept = vocab.get(key)
        if concept:  # popular enough to make the example queries interesting
            by_type[concept.type].remove(concept)
            by_type[concept.type].insert(0, concept)
    writes: list[PaperWrite] = []
    for i in range(n):
        tech, used = _zipf(by_type["Technique"], rng), _zipf(by_type["Technique"], rng)
        hw, data = _zipf(by_type["Hardware"], rng), _zipf(by_type["Dataset"], rng)
        base = _zipf(by_type["Software"] if rng.random() < 0.5 else by_type["Model"], rng)
        factor = round(rng.uniform(1.1, 8.0), 2)
        sentences = [(f"We propose {tech.label} combined with {used.label}. ", [("proposes", tech), ("uses", used)]),
                     (f"On the {hw.label} it is {factor}x faster than {base.label}. ",
                      [("runs-on", hw), ("outperforms", base)]),
                     (f"We evaluate on {data.label}. ", [("evaluated-on", data)] if rng.random() < 0.7 else [])]
        abstract = ""
        entities: dict[str, ExtractedEntity] = {}
        relations: list[ExtractedRelation] = []
        for sentence, facts in sentences:
            start = len(abstract)
            abstract += sentence
            for predicate, concept in facts:
                at = abstract.find(concept.label, start)
                entity = entities.setdefault(concept.id, ExtractedEntity(concept.id, concept.label, concept.type))
                entity.mentions.append(Mention("abstract", at, at + len(concept.label), concept.label))
                extra = {"factor": factor, "metric": "throughput", "hardware": hw.id} \
                    if predicate == "outperforms" else {}
                relations.append(ExtractedRelation("PAPER", predicate, concept.id,  # type: ignore[arg-type]
                                                   Evidence(sentence.strip(), start, start + len(sentence) - 1),
                                                   round(rng.uniform(0.5, 0.99), 3), **extra))  # type: ignore[arg-type]
        abstract += FILLER * rng.randint(2, 5)
        title = f"{tech.label} for efficient {'speculative ' if rng.random() < 0.05 else ''}inference, part {i}"
        pid = f"s{i:07d}"
        entity_list = list(entities.values())
        if hw.id not in entities:
            entity_list.append(ExtractedEntity(hw.id, hw.label, "Hardware"))
        writes.append(PaperWrite(pid, PaperInput(title, abstract, pid, 2018 + i % 7, f"https://arxiv.org/abs/{pid}"),
                                 hashlib.sha1(abstract.encode()).hexdigest(), Extraction(entity_list, relations),
                                 ((0, len(abstract)),), np.zeros((1, 4), np.float32)))
        if len(writes) == batch:
            yield writes
            writes = []
    if writes:
        yield writes


def build_store(path: Path, vocab: Vocabulary, n: int) -> Store:
    store = Store(path)
    for batch in synthetic(vocab, n):
        info = {e.key: EntityInfo(c.label, None, tuple(c.aliases), dict(c.attrs))
                for w in batch for e in w.extraction.entities if (c := vocab.get(e.key)) is not None}
        store.write(batch, info)
    return store


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def direct(graph: RDFGraph, query: str) -> Callable[[], bytes]:
    prefixes = graph.iris.prefixes()

    def run() -> bytes:
        result = graph.store.query(query, use_default_graph_as_union=True, prefixes=prefixes)
        if isinstance(result, ox.QueryTriples):
            return ox.serialize(result, format=ox.RdfFormat.TURTLE) or b""
        return result.serialize(format=ox.QueryResultsFormat.JSON) or b""
    return run


def _rdflib_run(memory: rdflib.Graph, query: str) -> Callable[[], object]:
    return lambda: memory.query(query).serialize(format="json")


def latency_table(graph: RDFGraph, repeat: int, queries: dict[str, str],
                  rdflib_graph: rdflib.Graph | None = None) -> None:
    executor = SparqlExecutor(graph, workers=2, timeout=30)
    header = f"{'query':24s} {'rows':>6s} {'endpoint ms':>12s} {'pyoxigraph ms':>14s} {'ratio':>6s}"
    print(header + (f" {'rdflib ms':>10s} {'rdflib/ox':>9s}" if rdflib_graph is not None else ""))
    ratios = []
    preamble = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in graph.iris.prefixes().items())
    for name, query in queries.items():
        result = executor.execute(query)
        ours = median_time(lambda q=query: executor.execute(q), repeat)  # type: ignore[misc]
        theirs = median_time(direct(graph, query), repeat)
        ratios.append(ours / theirs)
        line = f"{name:24s} {result.rows:6d} {ours * 1e3:12.2f} {theirs * 1e3:14.2f} {ours / theirs:6.2f}"
        if rdflib_graph is not None:
            slow = median_time(_rdflib_run(rdflib_graph, preamble + query), max(1, repeat // 3))
            line += f" {slow * 1e3:10.1f} {slow / theirs:9.0f}"
        print(line)
    print(f"geometric mean endpoint / pyoxigraph: {statistics.geometric_mean(ratios):.2f}")
    after_write = []
    for _ in range(5):
        started = time.perf_counter()
        graph.generation += 1  # what a write does: every worker snapshot is now stale
        executor.invalidate()
        executor.execute(QUERIES["paper-claims"])
        after_write.append(time.perf_counter() - started)
    print(f"first query after a write (fork of a fresh worker at {rss_mb():,.0f} MB peak RSS + query): "
          f"{statistics.median(after_write) * 1e3:.1f} ms median")
    executor.close()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--rdflib-papers", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--on-disk", action="store_true", help="the big graph in an on-disk store")
    parser.add_argument("--tmp", type=Path, default=None, help="where the temporary files go")
    parser.add_argument("--queries", default=",".join(QUERIES), help="which of the queries to time (comma-separated)")
    args = parser.parse_args()
    unknown = set(args.queries.split(",")) - set(QUERIES)
    if unknown:
        parser.error(f"unknown queries: {', '.join(sorted(unknown))} (known: {', '.join(QUERIES)})")
    selected = {name: QUERIES[name] for name in args.queries.split(",")}
    vocab = vocabulary()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        started = time.perf_counter()
        store = build_store(Path(tmp) / "big.sqlite3", vocab, args.papers)
        print(f"synthetic store: {args.papers:,} papers written in {time.perf_counter() - started:.1f} s")
        graph = RDFGraph(vocabulary=vocab, extractor_version="bench", path=Path(tmp) / "rdf" if args.on_disk else None)
        static = graph.triple_count
        graph.rebuild(store)
        per_paper = (graph.triple_count - static) / max(1, graph.paper_count)
        print(f"RDF load: {graph.triple_count:,} triples ({per_paper:.1f} per paper, {static:,} ontology + "
              f"vocabulary) in {graph.load_seconds:.1f} s = {graph.triple_count / graph.load_seconds:,.0f} "
              f"triples/s, {graph.paper_count / graph.load_seconds:,.0f} papers/s; peak RSS {rss_mb():,.0f} MB")
        print(f"\nlatency at {args.papers:,} papers (median of {args.repeat}):")
        latency_table(graph, args.repeat, selected)
        store.close()
        del graph
        if args.rdflib_papers <= 0:
            return

        small = build_store(Path(tmp) / "small.sqlite3", vocab, args.rdflib_papers)
        graph = RDFGraph(vocabulary=vocab, extractor_version="bench")
        graph.rebuild(small)
        started = time.perf_counter()
        memory = rdflib.Graph()
        memory.parse(data=b"".join(graph.export("ntriples")).decode(), format="nt")
        print(f"\nrdflib Memory store: {len(memory):,} triples parsed in {time.perf_counter() - started:.1f} s")
        print(f"latency at {args.rdflib_papers:,} papers (median of {args.repeat}; "
              f"rdflib of {max(1, args.repeat // 3)}):")
        latency_table(graph, args.repeat, selected, memory)
        small.close()


if __name__ == "__main__":
    main()
