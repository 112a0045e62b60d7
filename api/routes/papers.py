"""Papers: list, read, add (one or many, idempotent), delete, similar papers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from paperkg.api import schemas
from paperkg.api.deps import KB, GuardedRoute, Writer
from paperkg.api.responses import typed_json
from paperkg.core.records import PaperInput
from paperkg.core.results import Deleted, IngestReport, ScoredPaper

router = APIRouter(prefix="/papers", tags=["papers"], route_class=GuardedRoute)
PaperId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("", response_model=schemas.PaperPage, summary="List papers, optionally filtered by linked entities")
def list_papers(
    kb: KB,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    hardware: Annotated[str | None, Query(max_length=200)] = None,
    technique: Annotated[str | None, Query(max_length=200)] = None,
    dataset: Annotated[str | None, Query(max_length=200)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[int | None, Query(ge=1000, le=3000, description="published in or after")] = None,
    until: Annotated[int | None, Query(ge=1000, le=3000, description="published in or before")] = None,
    category: Annotated[str | None, Query(max_length=200, description="e.g. cs.LG; 'cs' takes cs.*")] = None,
) -> dict[str, object]:
    filters = {"hardware": hardware, "technique": technique, "dataset": dataset, "model": model,
               "since": str(since) if since else None, "until": str(until) if until else None, "category": category}
    results, total = kb.list_papers(filters, limit, offset)
    following = offset + limit if offset + limit < total else None
    return {"results": results, "total": total, "limit": limit, "offset": offset, "next_offset": following}


@router.post("", response_model=schemas.IngestReport, dependencies=[Writer],
             summary="Add or update papers (one object, a list, or {'papers': [...]}); all or nothing")
def add_papers(kb: KB, body: schemas.PaperIn | schemas.PaperList | schemas.PapersIn) -> IngestReport:
    items = body.papers if isinstance(body, schemas.PapersIn) else body if isinstance(body, list) else [body]
    papers = [PaperInput(p.title, p.abstract, None if p.id is None else str(p.id), p.year, p.url,
                         tuple(a if isinstance(a, str) else a.name for a in p.authors), origin=f"papers[{i}]",
                         venue=p.venue, categories=tuple(p.categories), doi=p.doi) for i, p in enumerate(items)]
    return kb.add_papers(papers, run=kb.ingest_run())  # as a file of these records would be ingested


@router.delete("/{paper_id:path}", response_model=schemas.Deleted, dependencies=[Writer], summary="Delete a paper")
def delete_paper(kb: KB, paper_id: PaperId) -> Deleted:
    return kb.remove_paper(paper_id)  # the paper's own id, whichever of its ids the path gave


# Ids may hold slashes (DOIs), so they are path parameters, and ".../similar" is matched before a plain id.
@router.get("/{paper_id:path}/similar", response_model=schemas.SimilarResults,
            summary="Papers most similar to this one")
def similar(
    kb: KB,
    paper_id: PaperId,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    aspect: Annotated[Literal["all", "method", "task", "results"], Query(
        description="compare the whole papers (all), or only what they do (method: the sentences that say how, "
                    "the techniques and models they use or propose), the problem they address (task: the "
                    "problem sentences, the datasets they are evaluated on) or what they found (results: the "
                    "sentences with findings, the baselines they beat and the hardware they ran on)")] = "all",
) -> dict[str, list[ScoredPaper]]:
    return {"results": kb.similar(paper_id, k, aspect)}


@router.get("/{paper_id:path}", response_model=schemas.PaperDetail, summary="A paper with its entities and relations")
def get_paper(kb: KB, paper_id: PaperId) -> Response:
    return typed_json(kb.get_paper(paper_id))
