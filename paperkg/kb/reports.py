"""What an ingest reports of each record it was given."""

from __future__ import annotations

from collections.abc import Sequence

from paperkg.core.records import Extraction, PaperInput, RecordPlan
from paperkg.core.results import EntityRef, IngestedPaper, IngestReport
from paperkg.graph.vocabulary import Vocabulary
from paperkg.store import PaperWrite, WriteOutcome


def ingest_report(version: int, papers: Sequence[PaperInput], plans: Sequence[RecordPlan],
                  writes: Sequence[PaperWrite], outcomes: Sequence[WriteOutcome],
                  vocabulary: Vocabulary) -> IngestReport:
    """One entry per record given, in the order given: `plans` says what became of each, and each record that was
    not left unchanged has its write and outcome, in order."""
    written = iter(zip(writes, outcomes, strict=True))
    report = []
    for paper, plan in zip(papers, plans, strict=True):
        if plan.action == "unchanged":
            report.append(IngestedPaper(plan.id, paper.title, "unchanged", [], 0))
            continue
        write, outcome = next(written)
        if plan.action == "superseded":
            report.append(IngestedPaper(plan.id, paper.title, "superseded", [], 0))
            continue
        report.append(IngestedPaper(outcome.id, outcome.title, outcome.status,
                                    entity_refs(write.extraction, vocabulary), len(write.extraction.relations)))
    return IngestReport(version, report)


def entity_refs(extraction: Extraction, vocabulary: Vocabulary) -> list[EntityRef]:
    """The entities as stored: a vocabulary concept under its own name and type ("LoRA-X" is the software LoRAX)."""
    refs = []
    for e in extraction.entities:
        concept = vocabulary.get(e.key)
        refs.append(EntityRef(e.key, concept.label, concept.type) if concept else EntityRef(e.key, e.name, e.type))
    return refs
