"""Text to safe HTML for the explorer: query terms and entity mentions highlighted, evidence marked, links built."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

from paperkg.core.results import PaperDetail, RelationView

PAPER_NODE = "paper/"
_WORD = re.compile(r"[\w][\w.+-]*", re.UNICODE)
_STOP = frozenset(("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of", "on",
                   "or", "over", "that", "the", "this", "to", "with", "without"))
VERBS = {"proposes": "proposes", "uses": "uses", "runs-on": "runs on", "evaluated-on": "is evaluated on",
         "outperforms": "outperforms"}


def paper_url(paper_id: str) -> str:
    return "/ui/papers/" + quote(paper_id, safe="/")


def entity_url(entity_id: str) -> str:
    return "/ui/entities/" + quote(entity_id, safe="/")


def related_url(entity_id: str) -> str:
    """The related-techniques section of a technique's page (fetched after the page is shown)."""
    return "/ui/related/" + quote(entity_id, safe="/")


def node_url(node_id: str) -> str:
    """The explorer page of a graph node id (`paper/<id>` or an entity id such as `hardware/nvidia-a100`)."""
    return paper_url(node_id[len(PAPER_NODE):]) if node_id.startswith(PAPER_NODE) else entity_url(node_id)


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting (stop words and single letters dropped), longest first."""
    words = {w.lower().strip(".+-") for w in _WORD.findall(query)}
    return sorted((w for w in words if len(w) > 1 and w not in _STOP), key=lambda w: (-len(w), w))


def highlight_terms(text: str, query: str) -> Markup:
    """`text` with each occurrence of a query word (at a word start, any case) in <mark>."""
    terms = query_terms(query)
    if not terms:
        return escape(text)
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(t) for t in terms) + r")", re.IGNORECASE)
    return _spans(text, [(m.start(), m.end(), Markup('<mark>'), Markup('</mark>')) for m in pattern.finditer(text)])


@dataclass(frozen=True)
class Span:
    """A stretch of a field to decorate: an entity mention (with its type and id) or a relation's evidence."""

    start: int
    end: int
    entity: str | None = None
    type: str | None = None
    evidence: int | None = None


def annotate(text: str, spans: Sequence[Span]) -> Markup:
    """`text` with mentions as typed links and evidence sentences marked; overlapping mentions keep the first."""
    mentions: list[Span] = []
    for span in sorted((s for s in spans if s.entity), key=lambda s: (s.start, -s.end)):
        if not mentions or span.start >= mentions[-1].end:
            mentions.append(span)
    evidence = sorted((s for s in spans if s.evidence is not None), key=lambda s: (s.start, -s.end))
    bounds = sorted({0, len(text)} | {max(0, min(len(text), p)) for s in mentions + evidence for p in (s.start, s.end)})
    groups: list[tuple[str, list[Markup]]] = []  # runs of pieces under the same evidence marks
    for start, end in itertools.pairwise(bounds):
        piece: Markup = escape(text[start:end])
        mention = next((m for m in mentions if m.start <= start and end <= m.end), None)
        if mention is not None and mention.entity is not None:
            piece = Markup('<a class="mention t-{}" href="{}" title="{}">{}</a>').format(
                mention.type or "", entity_url(mention.entity), f"{mention.type}: {mention.entity}", piece)
        marks = " ".join(f"r{e.evidence}" for e in evidence if e.start <= start and end <= e.end)
        if groups and groups[-1][0] == marks:
            groups[-1][1].append(piece)
        else:
            groups.append((marks, [piece]))
    out = [Markup('<span class="evidence" data-relations="{}" title="evidence of relation {}">{}</span>').format(
        marks, marks.replace("r", "#"), Markup("").join(pieces)) if marks else Markup("").join(pieces)
        for marks, pieces in groups]
    return Markup("").join(out)


def paper_spans(paper: PaperDetail, field: str) -> list[Span]:
    """Mentions and evidence sentences of one field (`title` or `abstract`) of a paper."""
    spans = [Span(m.start, m.end, e.id, e.type) for e in paper.entities for m in e.mentions if m.field == field]
    spans += [Span(r.evidence.start, r.evidence.end, evidence=n) for n, r in enumerate(paper.relations)
              if r.evidence.field == field and r.evidence.end > r.evidence.start]
    return spans


def relation_sentence(rel: RelationView, names: dict[str, str] | None = None, this_paper: str | None = None) -> Markup:
    """'TriForce outperforms llama.cpp by 2.31x in throughput on NVIDIA A100', both ends linked; `this_paper`'s node
    reads 'This paper', and `names` names the hardware."""
    def end(node: str, name: str) -> Markup:
        return Markup("This paper") if node == this_paper else _link(node_url(node), name or node)

    words = [end(rel.subject, rel.subject_name), escape(VERBS.get(rel.predicate, rel.predicate.replace("-", " "))),
             end(rel.object, rel.object_name)]
    if rel.factor is not None:
        words.append(escape(f"by {rel.factor:g}x"))
    if rel.count is not None:
        words.append(escape(f"({rel.count} of them)"))
    if rel.metric:
        words.append(escape(f"in {rel.metric}"))
    if rel.hardware:
        name = (names or {}).get(rel.hardware) or rel.hardware.split("/", 1)[-1]
        words.append(Markup("on ") + _link(entity_url(rel.hardware), name))
    return Markup(" ").join(words)


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _spans(text: str, marks: Iterable[tuple[int, int, Markup, Markup]]) -> Markup:
    out: list[str] = []
    at = 0
    for start, end, before, after in marks:
        if start < at:
            continue
        out += [escape(text[at:start]), before, escape(text[start:end]), after]
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)
