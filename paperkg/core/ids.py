"""Stable identifiers and the normalisations they are derived from."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
PAPER_ID_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._:/-]{0,126}[A-Za-z0-9._:-])?$"
"""A caller's own paper id: letters, digits and . _ : - / (DOIs, arXiv ids), not ending in a slash; nor, checked by
`valid_paper_id`, in /similar (GET /papers/{id}/similar would take it)."""
_PAPER_ID = re.compile(PAPER_ID_PATTERN)


def normalise_title(title: str) -> str:
    """Case, accents, punctuation and spacing removed: 'PixArt-$α$: Fast...' and 'pixart α fast' agree."""
    text = unicodedata.normalize("NFKD", title).lower()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", text))


def paper_id(title: str) -> str:
    """The id of a paper: a short hash of its normalised title."""
    return "p" + hashlib.sha256(normalise_title(title).encode()).hexdigest()[:15]


def valid_paper_id(value: str) -> bool:
    """PAPER_ID_PATTERN, no '.' or '..' path segment (an IRI would resolve it away), no /similar ending."""
    return (bool(_PAPER_ID.match(value)) and not value.endswith("/similar")
            and not any(part in (".", "..") for part in value.split("/")))


def content_hash(title: str, abstract: str) -> str:
    return hashlib.sha256(f"{title}\x00{abstract}".encode()).hexdigest()[:32]


def slug(text: str) -> str:
    """A lower-case ASCII slug, used inside entity ids. Accents go ('Gödel' -> 'godel'); a letter with no ASCII form
    is spelled out ('ΔLoRA' -> 'delta-lora', not the 'lora' of LoRA; a CJK character by its code point)."""
    if not text.isascii():
        text = "".join(map(_ascii, unicodedata.normalize("NFKC", text)))
    text = text.lower()
    return _NON_ALNUM.sub("-", text).strip("-") or hashlib.sha256(text.encode()).hexdigest()[:8]


def _ascii(char: str) -> str:
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if plain or not char.isalnum():
        return plain or " "
    script, letter, spelled = unicodedata.name(char, "").partition(" LETTER ")  # GREEK SMALL LETTER ALPHA
    if not letter or not spelled.replace(" ", "").isalnum():
        return f" u{ord(char):x} "
    if script.startswith("LATIN"):  # part of a word: LATIN SMALL LETTER L WITH STROKE, SHARP S
        return "ss" if spelled == "SHARP S" else spelled.split(" WITH ")[0].replace(" ", "")
    return f" {spelled} "


_VENDOR = re.compile(r"^(the|nvidia|intel|amd|google|xilinx|amd xilinx|apple|qualcomm|huawei)\s+")
_DEVICE_SUFFIX = re.compile(r"\s+(gpus?|chips?|fpgas?|cpus?|tpus?)$")
_NON_WORD = re.compile(r"[^0-9a-z\u00c0-\uffff]+")


def alias_norm(text: str) -> str:
    """The key names are matched by: 'NVIDIA A100 GPU', 'A100' and 'a-100' all give 'a100'. A '+' is kept (as
    'plus'): 'LoRA+' and 'ZeRO++' are other methods than LoRA and ZeRO."""
    text = unicodedata.normalize("NFKC", text).lower().strip().replace("+", "plus")
    text = _DEVICE_SUFFIX.sub("", _VENDOR.sub("", text))
    return _NON_WORD.sub("", text)


_ARXIV = re.compile(r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)?"
                    r"((?:\d{4}\.\d{4,5})|(?:[a-z-]+(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?(?:\.pdf)?/?$", re.IGNORECASE)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


def identifier_forms(query: str) -> list[str]:
    """The paper ids a pasted arXiv id or DOI may be stored under ("arXiv:2401.01234v2", an arxiv.org or doi.org
    address, "doi:10.1000/X"): the bare id as given, lower-cased, and with its scheme prefix. Empty for other text."""
    text = query.strip()
    if (match := _ARXIV.match(text)) is not None:
        bare = match.group(1)
        return list(dict.fromkeys([bare, f"arXiv:{bare}", f"arxiv:{bare}"]))
    if (match := _DOI.match(text)) is not None:
        bare = match.group(1).rstrip(".")
        return list(dict.fromkeys([bare, bare.lower(), f"doi:{bare}", f"doi:{bare.lower()}"]))
    return []
