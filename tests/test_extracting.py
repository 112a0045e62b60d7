"""Large batches are extracted in worker processes, with the same result as on the writing thread."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from paperkg.core.errors import InvalidParameter
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings, bundled_seeds
from paperkg.graph.extraction import Extractor, learned_extractor
from paperkg.graph.vocabulary import Vocabulary
from paperkg.kb import KnowledgeBase
from paperkg.kb.extracting import ExtractionParams, ExtractionPool

SEEDS = bundled_seeds()


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return learned_extractor(Vocabulary.load(SEEDS), SEEDS, 0.4)


@pytest.fixture
def pool(extractor: Extractor) -> Iterator[ExtractionPool]:
    with_workers = ExtractionPool(extractor, SEEDS, ExtractionParams(processes=1, min_papers=4, chunk_papers=3))
    yield with_workers
    with_workers.close()


def test_workers_extract_what_the_writing_thread_does(pool: ExtractionPool, extractor: Extractor,
                                                      seed_papers: list[PaperInput]) -> None:
    papers = seed_papers[:10]
    here = [extractor.extract(p.title, p.abstract) for p in papers]
    assert pool.extract(papers[:3]) == here[:3]
    assert not pool.started  # under min_papers: no worker started for it
    assert pool.extract(papers) == here
    assert pool.started
    assert sum(len(e.entities) for e in here) > 20


def test_a_dead_worker_leaves_the_batch_to_the_writing_thread(pool: ExtractionPool, extractor: Extractor,
                                                             seed_papers: list[PaperInput],
                                                             caplog: pytest.LogCaptureFixture) -> None:
    papers = seed_papers[:8]
    here = [extractor.extract(p.title, p.abstract) for p in papers]
    assert pool.extract(papers) == here
    for worker in multiprocessing.active_children():
        os.kill(worker.pid or 0, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="paperkg"):
        assert pool.extract(papers) == here
    assert "extraction workers failed" in caplog.text
    assert not pool.started
    assert pool.extract(papers) == here  # a new worker
    assert pool.started


def test_a_worker_with_another_extractor_is_not_trusted(extractor: Extractor, seed_papers: list[PaperInput],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    class Renamed(Extractor):
        @property
        def version(self) -> str:
            return "another"

    other = Renamed(extractor.vocabulary, extractor.scorer, 0.4)
    pool = ExtractionPool(other, SEEDS, ExtractionParams(processes=1, min_papers=2))
    try:
        with caplog.at_level(logging.WARNING, logger="paperkg"):
            result = pool.extract(seed_papers[:2])
        assert pool.extract(seed_papers[:2]) == result
        assert not pool.started  # no second worker to read other seeds again
    finally:
        pool.close()
    assert caplog.text.count("runs extractor") == 1
    assert result == [extractor.extract(p.title, p.abstract) for p in seed_papers[:2]]


def test_a_knowledge_base_extracts_large_batches_in_workers(tmp_path: Path, seed_papers: list[PaperInput]) -> None:
    stored = {}
    for processes in (0, 1):
        settings = Settings(data=tmp_path / str(processes), model="hashing", extract_processes=processes)
        with KnowledgeBase.open(settings) as kb:
            kb.extraction = ExtractionPool(kb.extractor, settings.seeds, replace(kb.extraction.params, min_papers=50))
            kb.add_papers(seed_papers[:60])
            assert kb.extraction.started == bool(processes)
            stored[processes] = [kb.get_paper(p.id) for p in kb.store.iter_papers()]
        assert not kb.extraction.started  # closed with the knowledge base
    assert stored[0] == stored[1]
    assert sum(len(paper.entities) for paper in stored[1]) > 100


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidParameter):
        ExtractionParams(processes=-1)
    with pytest.raises(InvalidParameter):
        ExtractionParams(chunk_papers=0)


def test_one_worker_per_eight_cpus_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExtractionParams.configured(0).processes == 0
    assert ExtractionParams.configured(3).processes == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(2)))
    assert ExtractionParams.configured(None).processes == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(32)))
    assert ExtractionParams.configured(None).processes == 4
