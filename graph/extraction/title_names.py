"""The name a title gives before its colon ("PowerInfer: Fast Large Language Model Serving ..."): the paper's own
when the abstract names it again, or when it is one name-like word or a titled technique, model or dataset name."""

from __future__ import annotations

import re

from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import clean, is_name_token
from paperkg.graph.extraction.proposals import PARAMS, Proposal
from paperkg.graph.extraction.text import alnum_key, find_all

_TITLE_NAME = re.compile(r"^\s*([^:]{1,80}?)\s*:\s+\S")
_PAREN = re.compile(r"\s*\(([^()]{1,40})\)\s*$")
_VERSION = re.compile(r"\s+(?:v?\d+(?:\.\d+)*|Dataset|Benchmark|Benchmarks)$", re.I)
_OPENERS = {"towards", "toward", "on", "a", "an", "the", "rethinking", "beyond", "when", "how", "what", "why", "is",
            "are", "do", "does", "can", "looking", "train", "challenges", "bag", "revisiting", "understanding",
            "learning", "scaling", "efficient", "fast", "improving", "exploring", "making", "accelerating"}


def title_proposals(title: str, abstract: str, lexicon: Lexicon, abstract_key: str | None = None) -> list[Proposal]:
    """The title's proposed name, if any; `abstract_key` is the abstract's alnum_key when already computed."""
    m = _TITLE_NAME.match(title)
    if not m:
        return []
    name = m.group(1)
    start = m.start(1)
    paren = _PAREN.search(name)
    if paren:
        name = name[:paren.start()]
    stripped = _VERSION.sub("", name).strip()
    if stripped != name and any(not re.match(r"\s+(?:Dataset|Benchmark)", abstract[e:e + 12], re.I)
                                for _, e in find_all(abstract, stripped, ignore_case=True)):
        name = stripped
    words = name.split()
    if not words or len(words) > 6 or "," in name or (words[0].lower() in _OPENERS and len(words) > 1):
        return []
    haystack = abstract_key if abstract_key is not None else alnum_key(abstract)
    key = alnum_key(clean(name))
    in_abstract = key in haystack or (key.endswith("s") and key[:-1] in haystack)
    named = len(words) == 1 and (is_name_token(words[0]) or words[0][:1].isupper())
    titled = all(w[:1].isupper() or w.lower() in {"of", "and", "-"} for w in words)
    if not (in_abstract or named or (titled and lexicon.head_type(name) in {"Technique", "Dataset", "Model"})):
        return []
    return [Proposal("title", start, start + len(name),
                     PARAMS.title_named_in_abstract if in_abstract else PARAMS.title_only, True)]
