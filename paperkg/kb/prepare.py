"""A batch of papers made ready to store, before any lock is taken: extraction, the passage split and embedding
(vectors of unchanged papers reused), and the entity facts the store records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from paperkg.core.ids import content_hash, paper_id
from paperkg.core.records import EntityInfo, Extraction, PaperInput, PaperMatch, StoredPassage
from paperkg.core.settings import Settings
from paperkg.embeddings.encoder import Encoder
from paperkg.embeddings.passages import passage_text, split_passages
from paperkg.graph.vocabulary import Vocabulary
from paperkg.store import PaperWrite, Store

Extract = Callable[[Sequence[PaperInput]], list[Extraction]]
"""Extraction of a batch (on the calling thread or in worker processes: kb/extracting.py)."""
Progress = Callable[[int, int], None]
"""Told (done, total) as a batch's passages are embedded."""


def paper_key(paper: PaperInput) -> str:
    """The id a paper is stored under when the store knows it by no other."""
    return paper.id or paper_id(paper.title)


def prepare(batch: Sequence[PaperInput], existing: Sequence[PaperMatch], store: Store, extract: Extract,
            vocabulary: Vocabulary, encoder: Encoder, settings: Settings, progress: Progress | None,
            reuse_vectors: bool) -> list[PaperWrite]:
    """Extraction, passage split and embedding of each paper, to be stored as the paper `existing` names (with
    its content hash as stored); with `reuse_vectors`, a paper stored with the same content keeps its passages and
    vectors."""
    digests = [content_hash(paper.title, paper.abstract) for paper in batch]
    reusable = [found.id for found, digest in zip(existing, digests, strict=True)
                if reuse_vectors and found.content_hash == digest]
    stored_passages: dict[str, list[StoredPassage]] = {}
    for row in store.passages(reusable):
        stored_passages.setdefault(row.paper_id, []).append(row)
    ids: list[str] = []
    passages: list[tuple[list[tuple[int, int]], np.ndarray | None]] = []  # spans, and the stored vectors if reused
    texts: list[str] = []
    for paper, found, digest in zip(batch, existing, digests, strict=True):
        pid = found.id
        ids.append(pid)
        stored = stored_passages.get(pid, []) if reuse_vectors and found.content_hash == digest else []
        if stored:
            passages.append(([(row.start, row.end) for row in stored],
                             np.stack([np.frombuffer(row.vector, dtype=np.float32) for row in stored])))
        else:
            spans = split_passages(paper.title, paper.abstract, encoder.token_spans, encoder.max_tokens,
                                   settings.passage_tokens)
            passages.append((spans, None))
            texts += [passage_text(paper.title, paper.abstract, span) for span in spans]
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress(done[0], len(texts))

    # The forward passes run on a thread (the runtimes release the GIL) while this one extracts: 2 cores do both.
    with ThreadPoolExecutor(1, thread_name_prefix="paperkg-embed") as pool:
        embedded = pool.submit(encoder.encode, texts, settings.batch_size, step) if texts else None
        extractions = [own_aliases(extraction, vocabulary) for extraction in extract(batch)]
        matrix = embedded.result() if embedded is not None else np.empty((0, 0), dtype=np.float32)
    writes: list[PaperWrite] = []
    offset = 0
    for paper, pid, digest, extraction, (spans, vectors) in zip(batch, ids, digests, extractions, passages,
                                                                strict=True):
        if vectors is None:
            vectors = matrix[offset:offset + len(spans)]
            offset += len(spans)
        writes.append(PaperWrite(pid, paper, digest, extraction, tuple(spans), vectors))
    return writes


def own_aliases(extraction: Extraction, vocabulary: Vocabulary) -> Extraction:
    """An alias that names another known concept is a mention folded into this entity in this paper, not a name of
    the entity itself: drop it (in place)."""
    for entity in extraction.entities:
        entity.aliases = [a for a in entity.aliases if vocabulary.owner(a) in (None, entity.key)]
    return extraction


def entity_info(writes: Sequence[PaperWrite], vocabulary: Vocabulary) -> dict[str, EntityInfo]:
    """Canonical name, vocabulary aliases and attributes of every entity in the batch."""
    info: dict[str, EntityInfo] = {}
    for write in writes:
        for entity in write.extraction.entities:
            concept = vocabulary.get(entity.key)
            if concept is not None:
                info[entity.key] = EntityInfo(concept.label, concept.type, tuple(concept.aliases), dict(concept.attrs))
            else:
                info.setdefault(entity.key, EntityInfo(entity.name, None, (), dict(entity.attrs)))
    return info
