"""The name a title gives its system: before its colon or dash ("PowerInfer: Fast Large Language Model Serving ...",
"FooServe — Fast ..."), the paper's own when the abstract names it again, or when it is one name-like word or a
titled technique, model or dataset name; at its end ("... LLM Inference with Sarathi-Serve") or as the whole title
("GShard"), a name-like word the abstract names again. And the parts of a title that are only part of a longer name
the abstract gives."""

from __future__ import annotations

import re

from paperkg.graph.extraction.entities import Entity
from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import clean, is_name_token
from paperkg.graph.extraction.proposal_params import PARAMS
from paperkg.graph.extraction.proposals import Proposal
from paperkg.graph.extraction.text import alnum_key, find_all

_TITLE_NAME = re.compile(r"^\s*([^:]{1,80}?)\s*(?::|\s[—–-])\s+\S")
_TITLE_TAIL = re.compile(r"\s(?:with|via|using|through|by)\s+((?:The\s+)?[A-Z][\w.+-]*)\s*$")
"""'... in LLM Inference with Sarathi-Serve', '... via FooServe': the system the title ends on."""
_PAREN = re.compile(r"\s*\(([^()]{1,40})\)\s*$")
_VERSION = re.compile(r"\s+(?:v?\d+(?:\.\d+)*|Dataset|Benchmark|Benchmarks)$", re.I)
_GERUND = re.compile(r"[A-Z][a-z]{3,}ing")
_OPENERS = {"towards", "toward", "on", "a", "an", "the", "rethinking", "beyond", "when", "how", "what", "why", "is",
            "are", "do", "does", "can", "looking", "train", "challenges", "bag", "revisiting", "understanding",
            "learning", "scaling", "efficient", "fast", "improving", "exploring", "making", "accelerating"}


def title_proposals(title: str, abstract: str, lexicon: Lexicon, abstract_key: str | None = None) -> list[Proposal]:
    """The title's proposed name, if any; `abstract_key` is the abstract's alnum_key when already computed."""
    m = _TITLE_NAME.match(title)
    if not m:
        return _named_system(title, abstract, abstract_key)
    name = m.group(1)
    start = m.start(1)
    paren = _PAREN.search(name)
    if paren:
        name = name[:paren.start()]
    stripped = _VERSION.sub("", name).strip()
    versioned = bool(find_all(abstract, name, ignore_case=True))  # "Eyeriss v2 is 12.6x faster than Eyeriss"
    if stripped != name and not versioned and any(not re.match(r"\s+(?:Dataset|Benchmark)", abstract[e:e + 12], re.I)
                                                  for _, e in find_all(abstract, stripped, ignore_case=True)):
        name = stripped
    words = name.split()
    if not words or len(words) > 6 or "," in name or (words[0].lower() in _OPENERS and len(words) > 1):
        return []
    if len(words) > 1 and _GERUND.fullmatch(words[0]) and not any(is_name_token(w) for w in words):
        return []  # "Bridging Draft Policy Misalignment: ...": what the paper does, no name
    haystack = abstract_key if abstract_key is not None else alnum_key(abstract)
    key = alnum_key(clean(name))
    in_abstract = key in haystack or (key.endswith("s") and key[:-1] in haystack)
    named = len(words) == 1 and (is_name_token(words[0]) or words[0][:1].isupper())
    titled = all(w[:1].isupper() or w.lower() in {"of", "and", "-"} for w in words)
    variant = 2 <= len(words) <= 3 and is_name_token(words[-1]) and all(
        "-" in w or w.isupper() or is_name_token(w) for w in words[:-1])  # "Two-Step SPLADE: ...", "SEED RL: ..."
    if not (in_abstract or named or variant or (titled and lexicon.head_type(name) in {"Technique", "Dataset",
                                                                                       "Model"})):
        return []
    return [Proposal("title", start, start + len(name),
                     PARAMS.title_named_in_abstract if in_abstract else PARAMS.title_only, True)]


def _named_system(title: str, abstract: str, abstract_key: str | None) -> list[Proposal]:
    """A title without a colon that ends on a name ("... with Sarathi-Serve") or is one ("GShard"), when the abstract
    names it again and the vocabulary does not know it."""
    tail = _TITLE_TAIL.search(title)
    whole = re.fullmatch(r"\s*([\w.+-]+)\s*", title)
    found = tail or whole
    if found is None:
        return []
    name = re.sub(r"^The\s+", "", found.group(1))
    start = found.end(1) - len(name)
    haystack = abstract_key if abstract_key is not None else alnum_key(abstract)
    if not is_name_token(name) or alnum_key(clean(name)) not in haystack:
        return []
    # not direct: a vocabulary name stays what it is ("Fine-Tuning LLaMA with LoRA" uses LoRA)
    return [Proposal("title", start, start + len(name), PARAMS.title_named_in_abstract, False)]


def title_parts(entities: list[Entity], title: str) -> list[Entity]:
    """A name only in the title, inside a longer name the abstract gives ("Pruning" of "Structural Pruning"
    when the abstract adopts "structural pruning"), is part of that name, not a technique of its own."""
    low = title.lower()
    out = []
    for entity in entities:
        spans = [(s, e) for f, s, e in entity.mentions if f == "title"]
        if entity.proposed or not spans or len(spans) != len(entity.mentions):
            out.append(entity)
            continue
        longer = {x.lower() for other in entities if other is not entity for x in other.surfaces}
        if not all(any(len(x) > e - s and 0 <= (i := low.find(x, max(0, e - len(x)), s + len(x))) <= s
                       and e <= i + len(x) for x in longer) for s, e in spans):
            out.append(entity)
    return out
