"""The JSON object the scorer (and `paperkg extract`) reads for one paper."""

from __future__ import annotations

from typing import Any

from paperkg.core.records import PAPER, Extraction
from paperkg.graph.vocabulary import Vocabulary


def annotation(paper_title: str, abstract: str, extraction: Extraction, vocabulary: Vocabulary) -> dict[str, Any]:
    """Entities with name, type, aliases, id and mentions; relations by entity name (PAPER for the paper itself)."""
    names = {e.key: e.name for e in extraction.entities}
    entities = [{
        "name": e.name,
        "type": e.type,
        "aliases": list(e.aliases),
        "id": e.key,
        "confidence": e.confidence,
        "mentions": [{"field": m.field, "start": m.start, "end": m.end, "text": m.text} for m in e.mentions],
    } for e in extraction.entities]
    relations = []
    for r in extraction.relations:
        if r.object not in names or (r.subject != PAPER and r.subject not in names):
            continue
        item: dict[str, Any] = {
            "subject": PAPER if r.subject == PAPER else names[r.subject],
            "predicate": r.predicate,
            "object": names[r.object],
        }
        for attr in ("factor", "count", "metric"):
            value = getattr(r, attr)
            if value is not None:
                item[attr] = value
        if r.hardware is not None and r.hardware in names:
            item["hardware"] = names[r.hardware]
            item["hardware_id"] = r.hardware
        item["confidence"] = r.confidence
        item["evidence"] = {"sentence": r.evidence.sentence, "start": r.evidence.start, "end": r.evidence.end,
                            "field": r.evidence.field}
        relations.append(item)
    return {"title": paper_title, "entities": entities, "relations": relations}
