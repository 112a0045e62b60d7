"""The RDF graph: ontology, mapping of papers / claims / entities, SKOS taxonomy, sync without orphans, exports."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest
import rdflib

from paperkg.core.errors import InvalidInput
from paperkg.core.records import (
    EntityInfo,
    Evidence,
    ExtractedEntity,
    ExtractedRelation,
    Extraction,
    Mention,
    PaperInput,
)
from paperkg.graph.rdf import serialize
from paperkg.graph.rdf.namespaces import DCTERMS, PROV, RDF, SCHEMA, SKOS, Iris
from paperkg.graph.rdf.ontology import ontology_document, ontology_turtle
from paperkg.graph.rdf.store import RDFGraph
from paperkg.graph.vocabulary import Concept, Vocabulary
from paperkg.store import PaperWrite, Store

BASE = "https://w3id.org/paperkg/"
PKG = BASE + "ontology#"
ENT = BASE + "entity/"
EPOCH = "Epoch AI, Machine Learning Hardware (CC BY 4.0): NVIDIA GeForce RTX 4090"


def vocabulary() -> Vocabulary:
    """A small vocabulary: a quantization taxonomy, two GPUs, two inference engines."""
    def technique(slug: str, label: str, *broader: str, aliases: tuple[str, ...] = (),
                  related: tuple[str, ...] = ()) -> Concept:
        return Concept(f"technique/{slug}", "Technique", label, aliases, tuple(f"technique/{b}" for b in broader),
                       tuple(f"technique/{r}" for r in related))

    concepts = [
        technique("model-compression", "model compression"),
        technique("quantization", "quantization", "model-compression", aliases=("quantisation",)),
        technique("post-training-quantization", "post-training quantization", "quantization", aliases=("PTQ",)),
        technique("gptq", "GPTQ", "post-training-quantization"),
        technique("awq", "AWQ", "post-training-quantization"),
        technique("lora", "LoRA", aliases=("low-rank adaptation",)),
        technique("adapters", "adapters", related=("lora",)),
        Concept("hardware/nvidia-rtx-4090", "Hardware", "NVIDIA GeForce RTX 4090", ("RTX 4090",),
                attrs={"memory_gb": 24, "memory_bandwidth_gbs": 1008, "fp16_tensor_tflops": 165.2,
                       "release_date": "2022-10-12", "vendor": "NVIDIA", "source": EPOCH}),
        Concept("hardware/nvidia-a100", "Hardware", "NVIDIA A100", ("A100",),
                attrs={"memory_gb": 80, "memory_bandwidth_gbs": 2039, "source": "Epoch AI"}),
        Concept("software/llama-cpp", "Software", "llama.cpp", ("llamacpp",)),
        Concept("software/vllm", "Software", "vLLM"),
        Concept("dataset/mmlu", "Dataset", "MMLU"),
    ]
    return Vocabulary({c.id: c for c in concepts})


def _paper(vocab: Vocabulary, pid: str, title: str, abstract: str,
           facts: list[tuple[str, str, str, dict[str, object]]]) -> PaperWrite:
    """A PaperWrite whose entities are mentioned where their names occur; facts are (subject, predicate, object,
    extra) with the evidence sentence being the whole abstract."""
    keys = {k for s, _, o, extra in facts for k in (s, o, extra.get("hardware")) if isinstance(k, str) and "/" in k}
    entities = []
    for key in sorted(keys):
        concept = vocab.get(key)
        name = concept.label if concept else key.split("/")[1]
        start = abstract.find(name)
        mentions = [Mention("abstract", start, start + len(name), name)] if start >= 0 else []
        entities.append(ExtractedEntity(key, name, concept.type if concept else "Technique", mentions=mentions))
    relations = [ExtractedRelation(s, p, o, Evidence(abstract, 0, len(abstract)), 0.9,  # type: ignore[arg-type]
                                   **extra) for s, p, o, extra in facts]  # type: ignore[arg-type]
    return PaperWrite(pid, PaperInput(title, abstract, pid, 2024, f"https://arxiv.org/abs/{pid}", ("A. Author",)),
                      f"hash-{pid}-{len(abstract)}", Extraction(entities, relations), ((0, len(abstract)),),
                      np.zeros((1, 4), np.float32))


def entity_info(vocab: Vocabulary, writes: list[PaperWrite]) -> dict[str, EntityInfo]:
    info: dict[str, EntityInfo] = {}
    for write in writes:
        for entity in write.extraction.entities:
            concept = vocab.get(entity.key)
            info[entity.key] = (EntityInfo(concept.label, None, tuple(concept.aliases), dict(concept.attrs))
                                if concept else EntityInfo(entity.name))
    return info


def papers(vocab: Vocabulary) -> list[PaperWrite]:
    return [
        _paper(vocab, "p1", "Fast GPTQ kernels",
               "We propose GPTQ kernels on the NVIDIA GeForce RTX 4090 that are 2.5x faster than llama.cpp.",
               [("PAPER", "proposes", "technique/gptq", {}),
                ("PAPER", "runs-on", "hardware/nvidia-rtx-4090", {}),
                ("PAPER", "outperforms", "software/llama-cpp",
                 {"factor": 2.5, "metric": "throughput", "hardware": "hardware/nvidia-rtx-4090"})]),
        _paper(vocab, "p2", "AWQ serving with vLLM",
               "We serve AWQ models with vLLM on the NVIDIA A100; vLLM is 3x faster than llama.cpp.",
               [("PAPER", "uses", "technique/awq", {}),
                ("PAPER", "runs-on", "hardware/nvidia-a100", {}),
                ("software/vllm", "outperforms", "software/llama-cpp", {"factor": 3.0, "metric": "latency"})]),
        _paper(vocab, "p3", "LoRA for everyone", "We propose a LoRA variant evaluated on MMLU.",
               [("PAPER", "proposes", "technique/lora", {}), ("PAPER", "evaluated-on", "dataset/mmlu", {})]),
        _paper(vocab, "p4", "vLLM again", "Again vLLM outperforms llama.cpp, this time with LoRA adapters.",
               [("software/vllm", "outperforms", "software/llama-cpp", {}), ("PAPER", "uses", "technique/lora", {})]),
    ]


def make_store(path: Path, vocab: Vocabulary) -> Store:
    store = Store(path)
    writes = papers(vocab)
    store.write(writes, entity_info(vocab, writes))
    return store


def make_graph(tmp_path: Path, base: str = BASE) -> tuple[Store, RDFGraph]:
    vocab = vocabulary()
    store = make_store(tmp_path / "kb.sqlite3", vocab)
    graph = RDFGraph(base, vocab, extractor_version="test-1")
    graph.rebuild(store)
    return store, graph


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[Store, RDFGraph]]:
    store, graph = make_graph(tmp_path)
    yield store, graph
    store.close()


def select(graph: RDFGraph, query: str) -> list[dict[str, str]]:
    result = graph.store.query(query, use_default_graph_as_union=True, prefixes=graph.iris.prefixes())
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]


def value(term: object) -> str:
    assert isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode)
    return term.value


def triples_about(graph: RDFGraph, subject: str) -> set[tuple[str, str]]:
    return {(q.predicate.value, value(q.object))
            for q in graph.store.quads_for_pattern(ox.NamedNode(subject), None, None, None)}


def distinct_triples(graph: RDFGraph) -> int:
    return len({q.triple for q in graph.store.quads_for_pattern(None, None, None, None)})


def count_parsed(data: bytes, rdflib_format: str) -> int:
    """Statements in an RDF document (quads of every graph for N-Quads)."""
    if rdflib_format == "nquads":
        dataset = rdflib.Dataset()
        dataset.parse(io.BytesIO(data), format="nquads")
        return len(list(dataset.quads((None, None, None, None))))
    return len(rdflib.Graph().parse(io.BytesIO(data), format=rdflib_format))


# -- ontology ------------------------------------------------------------------------------------------


def test_ontology_declares_the_classes_and_properties_and_rebases() -> None:
    parsed = rdflib.Graph().parse(data=ontology_turtle(), format="turtle")
    owl = "http://www.w3.org/2002/07/owl#"
    classes = {str(s) for s in parsed.subjects(rdflib.RDF.type, rdflib.URIRef(owl + "Class"))}
    for name in ("Paper", "Technique", "Model", "Hardware", "Dataset", "Software", "Claim", "OutperformsClaim"):
        assert PKG + name in classes
    props = {str(s) for s in parsed.subjects(rdflib.RDF.type, rdflib.URIRef(owl + "ObjectProperty"))}
    assert {PKG + p for p in ("proposes", "uses", "runsOn", "evaluatedOn", "outperforms")} <= props
    assert (rdflib.URIRef(PKG + "Paper"), rdflib.RDFS.subClassOf, rdflib.URIRef(SCHEMA + "ScholarlyArticle")) in parsed
    assert (rdflib.URIRef(PKG + "Claim"), rdflib.RDFS.subClassOf, rdflib.URIRef(RDF + "Statement")) in parsed
    other = rdflib.Graph().parse(data=ontology_turtle("http://example.org/kg/"), format="turtle")
    terms = {str(t) for triple in other for t in triple}
    assert "http://example.org/kg/ontology#OutperformsClaim" in terms
    assert not [t for t in terms if "w3id.org/paperkg" in t]
    for fmt, rdflib_format in (("jsonld", "json-ld"), ("rdfxml", "xml"), ("ntriples", "nt")):
        media_type, data = ontology_document(BASE, fmt)
        assert "/" in media_type and count_parsed(data, rdflib_format) == len(parsed)


# -- mapping -------------------------------------------------------------------------------------------


def test_paper_triples_and_reified_claims(built: tuple[Store, RDFGraph]) -> None:
    _, graph = built
    paper = BASE + "paper/p1"
    about = triples_about(graph, paper)
    assert (RDF + "type", PKG + "Paper") in about
    assert (DCTERMS + "title", "Fast GPTQ kernels") in about
    assert (DCTERMS + "date", "2024") in about
    assert (SCHEMA + "url", "https://arxiv.org/abs/p1") in about
    assert (PKG + "proposes", ENT + "technique/gptq") in about
    assert (PKG + "runsOn", ENT + "hardware/nvidia-rtx-4090") in about
    assert (PKG + "outperforms", ENT + "software/llama-cpp") in about
    assert (SCHEMA + "mentions", ENT + "technique/gptq") in about
    claim = dict(triples_about(graph, BASE + "claim/p1/0"))
    abstract = graph.store.quads_for_pattern(ox.NamedNode(paper), ox.NamedNode(SCHEMA + "abstract"), None, None)
    sentence = value(next(abstract).object)
    assert claim[RDF + "type"] == PKG + "Claim"
    assert claim[RDF + "subject"] == paper and claim[RDF + "predicate"] == PKG + "proposes"
    assert claim[RDF + "object"] == ENT + "technique/gptq"
    assert claim[PROV + "wasDerivedFrom"] == paper
    assert claim[PKG + "evidence"] == sentence
    assert (claim[PKG + "evidenceStart"], claim[PKG + "evidenceEnd"]) == ("0", str(len(sentence)))
    assert claim[PKG + "confidence"] == "0.9" and claim[PKG + "extractorVersion"] == "test-1"
    every_claim = select(graph, "SELECT ?c WHERE { ?c prov:wasDerivedFrom paper:p1 }")
    assert len(every_claim) == 3  # one per fact, all in the paper's named graph
    in_graph = {value(q.subject) for q in graph.store.quads_for_pattern(None, None, None,
                                                                         graph.iris.paper_graph("p1"))}
    assert {c["c"] for c in every_claim} <= in_graph


def test_outperforms_claim_node(built: tuple[Store, RDFGraph]) -> None:
    _, graph = built
    rows = select(graph, """
        SELECT ?claim ?factor ?metric ?hardware ?subject ?baseline WHERE {
          ?claim a pkg:OutperformsClaim ; rdf:subject ?subject ; pkg:baseline ?baseline ; pkg:factor ?factor ;
                 pkg:metric ?metric . OPTIONAL { ?claim pkg:hardware ?hardware } } ORDER BY ?factor""")
    assert rows == [
        {"claim": BASE + "claim/p1/2", "factor": "2.5", "metric": "throughput", "subject": BASE + "paper/p1",
         "baseline": ENT + "software/llama-cpp", "hardware": ENT + "hardware/nvidia-rtx-4090"},
        {"claim": BASE + "claim/p2/2", "factor": "3", "metric": "latency", "subject": ENT + "software/vllm",
         "baseline": ENT + "software/llama-cpp"},
    ]
    # an entity-subject fact is also asserted directly, once, although two papers state it
    facts = list(graph.store.quads_for_pattern(ox.NamedNode(ENT + "software/vllm"), ox.NamedNode(PKG + "outperforms"),
                                               None, None))
    assert [q.graph_name for q in facts] == [graph.iris.facts_graph]


def test_entities_with_labels_aliases_and_epoch_attributes(built: tuple[Store, RDFGraph]) -> None:
    _, graph = built
    gpu = triples_about(graph, ENT + "hardware/nvidia-rtx-4090")
    assert (RDF + "type", PKG + "Hardware") in gpu
    assert (SCHEMA + "name", "NVIDIA GeForce RTX 4090") in gpu and (SKOS + "altLabel", "RTX 4090") in gpu
    assert (PKG + "memoryBandwidthGBs", "1008") in gpu and (PKG + "memoryGB", "24") in gpu
    assert (PKG + "fp16TensorTFLOPS", "165.2") in gpu and (PKG + "vendor", "NVIDIA") in gpu
    assert (DCTERMS + "issued", "2022-10-12") in gpu and (DCTERMS + "source", EPOCH) in gpu
    date = next(graph.store.quads_for_pattern(ox.NamedNode(ENT + "hardware/nvidia-rtx-4090"),
                                              ox.NamedNode(DCTERMS + "issued"), None, None)).object
    assert isinstance(date, ox.Literal) and date.datatype.value.endswith("#date")


def test_skos_broader_star_reaches_through_unmentioned_concepts(built: tuple[Store, RDFGraph]) -> None:
    _, graph = built
    rows = select(graph, """
        SELECT ?technique ?paper WHERE {
          ?technique skos:broader* technique:quantization .
          OPTIONAL { ?paper pkg:proposes|pkg:uses ?technique } } ORDER BY ?technique""")
    found = {(r["technique"].removeprefix(ENT), r.get("paper", "").removeprefix(BASE)) for r in rows}
    # post-training-quantization and quantization itself are in no paper: the path still runs through them
    assert found == {("technique/quantization", ""), ("technique/post-training-quantization", ""),
                     ("technique/gptq", "paper/p1"), ("technique/awq", "paper/p2")}
    top = select(graph, "SELECT ?t WHERE { technique:gptq skos:broader+ ?t }")
    assert {r["t"] for r in top} == {ENT + "technique/post-training-quantization", ENT + "technique/quantization",
                                     ENT + "technique/model-compression"}


def test_skos_related_is_stated_both_ways(built: tuple[Store, RDFGraph]) -> None:
    """The vocabulary states an associative link once; the graph answers it from either side."""
    _, graph = built
    rows = select(graph, "SELECT ?a ?b WHERE { ?a skos:related ?b }")
    assert {(r["a"].removeprefix(ENT), r["b"].removeprefix(ENT)) for r in rows} == {
        ("technique/lora", "technique/adapters"), ("technique/adapters", "technique/lora")}


def test_no_triple_in_two_graphs_and_counts(built: tuple[Store, RDFGraph]) -> None:
    store, graph = built
    assert graph.paper_count == 4 == store.count_papers()
    assert graph.triple_count == len(graph.store) == distinct_triples(graph)
    assert graph.version == store.version


def test_iris_are_percent_encoded(tmp_path: Path) -> None:
    iris = Iris("http://example.org/kg")
    assert iris.base == "http://example.org/kg/"
    assert iris.paper("a b#c").value == "http://example.org/kg/paper/a%20b%23c"
    assert iris.entity_id(iris.entity("technique/x y").value) == "technique/x y"
    assert iris.is_local_graph("http://example.org/kg/graph/paper/p1")
    assert not iris.is_local_graph("http://example.org/kg/graph/../etc")


def test_configured_base_is_used_everywhere(tmp_path: Path) -> None:
    store, graph = make_graph(tmp_path, "http://example.org/kg/")
    iris = {q.subject.value for q in graph.store.quads_for_pattern(None, None, None, None)
            if isinstance(q.subject, ox.NamedNode)}
    assert all(not i.startswith(BASE) for i in iris)
    assert "http://example.org/kg/paper/p1" in iris and "http://example.org/kg/ontology#Paper" in iris
    store.close()


# -- sync ------------------------------------------------------------------------------------------------


def test_sync_on_change_and_removal_leaves_no_orphans(tmp_path: Path) -> None:
    vocab = vocabulary()
    store = make_store(tmp_path / "kb.sqlite3", vocab)
    graph = RDFGraph(BASE, vocab, "test-1")
    graph.rebuild(store)
    fresh = RDFGraph(BASE, vocab, "test-1")

    def same_as_rebuild() -> None:
        fresh.rebuild(store)
        assert set(graph.store) == set(fresh.store)
        assert graph.triple_count == fresh.triple_count == len(graph.store) == distinct_triples(graph)
        assert graph.paper_count == fresh.paper_count == store.count_papers()
        assert graph.version == store.version

    # p2 changes: no longer about AWQ or vLLM
    changed = _paper(vocab, "p2", "AWQ serving with vLLM", "Now only LoRA on the NVIDIA A100.",
                     [("PAPER", "uses", "technique/lora", {}), ("PAPER", "runs-on", "hardware/nvidia-a100", {})])
    store.write([changed], entity_info(vocab, [changed]))
    graph.sync(store, ["p2"], [])
    same_as_rebuild()
    assert not list(graph.store.quads_for_pattern(None, None, None, graph.iris.entity_graph("technique/awq")))
    still = graph.store.query("ASK { software:vllm pkg:outperforms software:llama-cpp }",
                              use_default_graph_as_union=True, prefixes=graph.iris.prefixes())
    assert bool(still)  # p4 still states it

    store.delete("p4")
    graph.sync(store, [], ["p4"])
    same_as_rebuild()
    gone = graph.store.query("ASK { software:vllm ?p ?o }", use_default_graph_as_union=True,
                             prefixes=graph.iris.prefixes())
    assert not bool(gone)  # no paper mentions vLLM any more: its entity graph and the shared fact are gone
    assert not list(graph.store.quads_for_pattern(ox.NamedNode(BASE + "paper/p4"), None, None, None))
    assert not list(graph.store.quads_for_pattern(ox.NamedNode(BASE + "claim/p4/0"), None, None, None))

    for pid in ("p1", "p2", "p3"):
        store.delete(pid)
    graph.sync(store, [], ["p1", "p2", "p3"])
    same_as_rebuild()
    assert graph.paper_count == 0 and graph.triple_count == fresh.triple_count
    assert {q.graph_name for q in graph.store} == {graph.iris.ontology_graph, graph.iris.vocabulary_graph}
    store.close()


def test_rdflib_view_reads_the_same_graph(built: tuple[Store, RDFGraph]) -> None:
    _, graph = built
    view = graph.rdflib
    title = view.value(rdflib.URIRef(BASE + "paper/p3"), rdflib.URIRef(DCTERMS + "title"))
    assert str(title) == "LoRA for everyone"
    assert len(view) == graph.triple_count


# -- exports ---------------------------------------------------------------------------------------------


def test_export_turtle_reparses_to_the_same_triple_count(built: tuple[Store, RDFGraph]) -> None:
    _, graph = built
    chunks = list(serialize.stream(graph.store.quads_for_pattern(None, None, None, None), "turtle",
                                       graph.iris.prefixes(), chunk=50))
    assert len(chunks) > 3
    parsed = rdflib.Graph().parse(data=b"".join(chunks).decode(), format="turtle")
    assert len(parsed) == graph.triple_count
    whole = rdflib.Graph().parse(data=b"".join(graph.export("turtle")).decode(), format="turtle")
    assert len(whole) == graph.triple_count


@pytest.mark.parametrize("fmt,rdflib_format", [("ntriples", "nt"), ("jsonld", "json-ld"), ("nquads", "nquads")])
def test_other_exports_reparse(built: tuple[Store, RDFGraph], fmt: str, rdflib_format: str) -> None:
    _, graph = built
    data = b"".join(serialize.stream(graph.store.quads_for_pattern(None, None, None, None), fmt,
                                         graph.iris.prefixes(), chunk=40))
    if fmt == "jsonld":
        assert isinstance(json.loads(data), list)
    assert count_parsed(data, rdflib_format) == graph.triple_count


def test_export_is_a_snapshot_and_refuses_unknown_formats(built: tuple[Store, RDFGraph]) -> None:
    store, graph = built
    before = graph.triple_count
    chunks = graph.export("ntriples")
    store.delete("p1")
    graph.sync(store, [], ["p1"])
    lines = b"".join(chunks).decode().splitlines()
    assert len([line for line in lines if line.strip()]) == before
    with pytest.raises(InvalidInput):
        graph.export("graphml")
    with pytest.raises(InvalidInput):
        graph.export("../etc/passwd")
