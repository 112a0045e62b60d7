"""External identifiers of papers: DOI, arXiv, OpenAlex, Semantic Scholar, normalised so every spelling agrees."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from paperkg.core.ids import normalise_title, paper_id
from paperkg.core.records import PaperInput

IdPair = tuple[str, str]
"""(kind, value): ("doi", "10.48550/arxiv.2106.09685"), ("arxiv", "2106.09685"), ("openalex", "W3168867926")."""

KINDS = ("doi", "arxiv", "openalex", "s2", "own", "key")
"""Id kinds with a meaning of their own: own is the caller's id, key a reference manager's citation key. Sources
add others under their own names (mag, dblp, corpusid, pmid)."""
LOCAL_KINDS = ("key",)
"""Ids that name a paper only inside one file (citation keys): kept and resolvable, never grounds for a merge."""
IRI_PREFIXES = {"doi": "https://doi.org/", "arxiv": "https://arxiv.org/abs/", "openalex": "https://openalex.org/",
                "s2": "https://www.semanticscholar.org/paper/"}
"""The public IRI of each kind of id, stated as owl:sameAs in RDF."""

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)
_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)
_ARXIV_OLD = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?$", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")
_OPENALEX = re.compile(r"^(?:https?://openalex\.org/)?(W\d+)$", re.IGNORECASE)
_S2 = re.compile(r"^(?:https?://(?:www\.|api\.)?semanticscholar\.org/(?:paper/|graph/v1/paper/)?)?([0-9a-f]{40})$",
                 re.IGNORECASE)


def normalise_doi(text: str | None) -> str | None:
    """'https://doi.org/10.1145/ABC' and 'doi:10.1145/abc' give '10.1145/abc'; None when it is no DOI."""
    if not text:
        return None
    value = _DOI_PREFIX.sub("", text.strip()).strip().lower()
    return value if _DOI.match(value) else None


def normalise_arxiv(text: str | None) -> str | None:
    """'arXiv:2106.09685v2', 'https://arxiv.org/abs/2106.09685' give '2106.09685'; old ids keep their archive."""
    if not text:
        return None
    value = _ARXIV_PREFIX.sub("", text.strip()).strip()
    found = _ARXIV_NEW.match(value)
    if found:
        return found.group(1)
    found = _ARXIV_OLD.match(value)
    if found:
        archive, number = found.group(1).split("/")
        return f"{archive.lower()}/{number}"
    return None


def normalise_openalex(text: str | None) -> str | None:
    found = _OPENALEX.match(text.strip()) if text else None
    return found.group(1).upper() if found else None


def normalise_s2(text: str | None) -> str | None:
    found = _S2.match(text.strip()) if text else None
    return found.group(1).lower() if found else None


NORMALISERS = {"doi": normalise_doi, "arxiv": normalise_arxiv, "openalex": normalise_openalex, "s2": normalise_s2}


def arxiv_from_doi(doi: str | None) -> str | None:
    """The arXiv id inside an arXiv DOI (10.48550/arXiv.2106.09685), which OpenAlex and Crossref give."""
    found = _ARXIV_DOI.match(doi) if doi else None
    return normalise_arxiv(found.group(1)) if found else None


def is_publisher_doi(doi: str | None) -> bool:
    """A DOI a publisher gave one work (not an arXiv DOI, which only restates the preprint's id)."""
    return bool(doi) and arxiv_from_doi(doi) is None


def id_pairs(own: str | None, doi: str | None, external: Iterable[IdPair]) -> list[IdPair]:
    """Every id of a paper, deduplicated: its own id, its DOI, the arXiv id an arXiv DOI implies, the others."""
    pairs: list[IdPair] = []
    if own:
        pairs.append(("own", own))
    if doi:
        pairs.append(("doi", doi))
        arxiv = arxiv_from_doi(doi)
        if arxiv:
            pairs.append(("arxiv", arxiv))
    pairs += external
    return list(dict.fromkeys(pairs))


def shared_ids(paper: PaperInput) -> list[IdPair]:
    """The ids that make two records one work: all of a paper's ids but the file-local ones."""
    return [p for p in id_pairs(paper.id, paper.doi, paper.external_ids) if p[0] not in LOCAL_KINDS]


SINGLE_KINDS = ("arxiv", "openalex", "s2")
"""Id kinds a work has one of: two records that hold different ones are two works, whatever their titles."""


def other_work(ours: Iterable[IdPair], theirs: Iterable[IdPair]) -> str | None:
    """Why two records are provably different works despite one title ("Editorial" of two volumes): an id of a kind
    a work has one of, or a DOI that is not an arXiv DOI, held by both and different. None when nothing tells them
    apart (an arXiv record and its journal version share a title and differ only in DOI kinds)."""
    def by_kind(pairs: Iterable[IdPair]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for kind, value in pairs:
            if kind in SINGLE_KINDS or (kind == "doi" and is_publisher_doi(value)):
                out.setdefault(kind, set()).add(value)
        return out

    mine, other = by_kind(ours), by_kind(theirs)
    for kind in sorted(mine.keys() & other.keys()):
        if not mine[kind] & other[kind]:
            return f"{kind} {sorted(mine[kind])[0]} against {sorted(other[kind])[0]}"
    return None


def other_work_id(paper: PaperInput) -> str:
    """The id of a paper whose title another work already holds: its title's id, made unique by the first of its
    ids that tell works apart (the same id whenever the same record comes again)."""
    telling = sorted(pair for pair in shared_ids(paper) if pair[0] in SINGLE_KINDS or pair[0] == "doi")
    kind, value = telling[0] if telling else ("title", "")
    return paper_id(f"{paper.title}\n{kind}:{value}")


def candidates(text: str) -> list[IdPair]:
    """The (kind, value) pairs an id typed by a user may stand for, most specific first."""
    text = text.strip()
    found = [(kind, value) for kind, normalise in NORMALISERS.items() if (value := normalise(text))]
    return [*found, ("own", text)]


def id_iri(kind: str, value: str) -> str | None:
    prefix = IRI_PREFIXES.get(kind)
    return prefix + value if prefix else None


def fold_duplicates(papers: Sequence[PaperInput]) -> tuple[list[PaperInput], list[PaperInput]]:
    """(kept, superseded): records of one work (a shared id of any kind, else the same normalised title) folded
    into the last of them, which gains every id of the others and the metadata it lacks; kept in input order.

    Read in order, as the store reads batches of one: a title names the work whose latest record has it (a record
    that retitles a work frees its old title) unless another work holds it; a DOI the work gave up for another
    publisher's names it no more; an own id is also the id another record gives as its arXiv id or DOI."""
    parent = list(range(len(papers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_id: dict[IdPair, int] = {}
    by_title: dict[str, int] = {}
    title_of: dict[int, str] = {}  # a group's root -> the normalised title of its latest record
    doi_of: dict[int, str | None] = {}  # a group's root -> the publisher DOI its records give now
    group_ids: dict[int, list[IdPair]] = {}
    for index, paper in enumerate(papers):
        ids, title = shared_ids(paper), normalise_title(paper.title)
        # an own id that another record gives as its arXiv id or DOI names that record's work, as in the store
        keys = [*ids, *(("own", value) for kind, value in ids if kind != "own")]
        joined = dict.fromkeys(root(by_id[key]) for key in keys if key in by_id)
        named = by_title.get(title)
        if named is not None and root(named) not in joined and other_work(ids, group_ids[root(named)]) is None:
            joined[root(named)] = None  # same title; a provably other work ("Editorial") is left to the store
        group = [*ids]
        dois = []
        for other in joined:
            parent[other] = index
            group += group_ids.pop(other)
            dois.append(doi_of.pop(other))
            old = title_of.pop(other)
            if by_title.get(old) is not None and root(by_title[old]) == index:
                del by_title[old]  # retitled: the old title names this work no more
        group_ids[index] = list(dict.fromkeys(group))
        for pair in ids:
            by_id[pair] = index
        doi = paper.doi if is_publisher_doi(paper.doi) else None
        for given_up in dois if doi else ():
            pair = ("doi", given_up or "")
            if given_up != doi and pair not in ids and pair in by_id and root(by_id[pair]) == index:
                del by_id[pair]  # a DOI the work gave up for another publisher's names it no more, as in the store
        doi_of[index] = doi or next((d for d in reversed(dois) if d), None)
        holder = by_title.get(title)
        if holder is None or root(holder) == index:
            by_title[title] = index  # a title another work holds stays that work's, as in the store
        title_of[index] = title
    groups: dict[int, list[int]] = {}
    for index in range(len(papers)):
        groups.setdefault(root(index), []).append(index)
    if len(groups) == len(papers):
        return list(papers), []
    kept: dict[int, PaperInput] = {}
    superseded: list[PaperInput] = []
    for members in groups.values():
        winner, others = papers[members[-1]], [papers[i] for i in members[:-1]]
        superseded += others
        kept[members[-1]] = _fold(winner, others) if others else winner
    return [kept[i] for i in sorted(kept)], superseded


def _fold(winner: PaperInput, others: list[PaperInput]) -> PaperInput:
    own = id_pairs(winner.id, winner.doi, ())
    extra = [pair for p in others for pair in id_pairs(p.id, p.doi, p.external_ids)]
    external = [pair for pair in dict.fromkeys([*winner.external_ids, *extra]) if pair not in own]
    earlier = list(reversed(others))  # the most recent other record first
    return replace(
        winner, external_ids=tuple(external),
        doi=winner.doi or next((p.doi for p in earlier if p.doi), None),
        venue=winner.venue or next((p.venue for p in earlier if p.venue), None),
        year=winner.year if winner.year is not None else next((p.year for p in earlier if p.year is not None), None),
        url=winner.url or next((p.url for p in earlier if p.url), None),
        authors=winner.authors or next((p.authors for p in earlier if p.authors), ()),
        categories=tuple(dict.fromkeys([*winner.categories, *(c for p in earlier for c in p.categories)])))


SOURCE_KINDS = ("own", "openalex", "s2", "arxiv", "key")
"""The ids that say which record a record is a version of, most telling first: each source format gives its records
one (an own id, an OpenAlex W-id, an S2 paperId, an arXiv id, a citation key); other ids, the DOI, then the title
come after."""


def telling(pair: IdPair) -> tuple[int, IdPair]:
    """Sort key of ids, most telling first (SOURCE_KINDS, other kinds, DOIs last: a work may give a DOI up)."""
    kind = pair[0]
    return (SOURCE_KINDS.index(kind) if kind in SOURCE_KINDS else len(SOURCE_KINDS) + (kind == "doi"), pair)


def record_source(paper: PaperInput) -> str:
    """What a record is a version of: its most telling id (SOURCE_KINDS), else its normalised title. The arXiv and
    the OpenAlex record of one work are two sources; a record edited in its file, even given another DOI, or read
    from a file moved or renamed, is the same source. Only ids the record gives count: the arXiv id an arXiv DOI
    implies would make a record carrying that DOI the arXiv record's source."""
    given = [*id_pairs(paper.id, None, paper.external_ids), *([("doi", paper.doi)] if paper.doi else [])]
    best = min(given, key=telling, default=None)
    key = f"{best[0]}:{best[1]}" if best else f"title:{normalise_title(paper.title)}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def record_digest(paper: PaperInput) -> str:
    """A fingerprint of everything a record gives (not where it came from): the same record read again has it."""
    fields = [paper.title, paper.abstract, paper.id, paper.year, paper.url, list(paper.authors), paper.venue,
              list(paper.categories), paper.doi, [list(pair) for pair in paper.external_ids]]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:32]
