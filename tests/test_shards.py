"""The Parquet shards of the distributed ingest carry every paper, extraction, passage and vector exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperkg.core.errors import CorruptData
from paperkg.core.ids import paper_id
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.embeddings.encoder import HashingEncoder
from paperkg.embeddings.passages import passage_text, split_passages
from paperkg.graph.extraction import learned_extractor
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import shards

pytest.importorskip("pyarrow")


def test_papers_extraction_and_vectors_survive_a_round_trip(seed_papers: list[PaperInput], tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data")
    extractor = learned_extractor(Vocabulary.load(settings.seeds), settings.seeds, settings.min_confidence)
    encoder = HashingEncoder(64)
    papers = [*seed_papers[:12], PaperInput("A title", "An abstract. Two sentences.", "own-1", 2024, "https://x.org",
                                            ("A. Author",), "f.jsonl:3", "Venue", ("cs.LG",), "10.1/x",
                                            (("arxiv", "2401.00001"),))]
    rows = [(seq, seq // 5, paper) for seq, paper in enumerate(papers)]
    extractions = [extractor.extract(p.title, p.abstract) for p in papers]
    extracted = shards.extracted_table(shards.papers_table(rows), extractions, extractor.version, "9.9", "node-a")
    spans = [split_passages(p.title, p.abstract, encoder.token_spans, encoder.max_tokens, 40) for p in papers]
    vectors = [encoder.encode([passage_text(p.title, p.abstract, s) for s in paper_spans], 8)
               for p, paper_spans in zip(papers, spans, strict=True)]
    table = shards.output_table(extracted, spans, vectors, encoder.dim, "node-b")
    path = tmp_path / "shard.parquet"
    shards.write(shards.conform(table), path)

    loaded = list(shards.rows(shards.read(path)))
    assert [(row.seq, row.chunk) for row in loaded] == [(seq, chunk) for seq, chunk, _ in rows]
    for row, paper, extraction, paper_spans, matrix in zip(loaded, papers, extractions, spans, vectors, strict=True):
        assert row.write.paper == paper
        assert row.write.id == (paper.id or paper_id(paper.title))
        assert row.write.extraction == extraction
        assert row.write.passages == tuple(paper_spans)
        assert np.array_equal(row.write.vectors, matrix)
        assert row.provenance == shards.Provenance(extractor.version, "9.9", "node-a", "node-b")
    assert any(e.entities and e.relations for e in extractions)  # the round trip carried real extractions


def test_a_table_of_another_kind_is_refused(seed_papers: list[PaperInput]) -> None:
    table = shards.papers_table([(0, 0, seed_papers[0])])
    with pytest.raises(CorruptData, match="not a paperkg-shard/1 output shard"):
        list(shards.rows(table))
