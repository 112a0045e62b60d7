"""External identifiers of papers: DOI, arXiv, OpenAlex, Semantic Scholar, normalised so every spelling agrees."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

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
