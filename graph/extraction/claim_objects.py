"""Baselines of comparison claims that their mentions leave open: "the state-of-the-art system" the abstract names
elsewhere, and unseen names listed beside known models or systems, which are of their kind."""

from __future__ import annotations

import re

from paperkg.graph.extraction.entities import Entity
from paperkg.graph.extraction.names import clean, is_name_token, unseen_key
from paperkg.graph.extraction.text import MAX_CHARS

_SOTA_BEFORE = re.compile(r"\b(?:state-of-the-art|SOTA)\s+(?:[\w-]+\s+){0,3}?(?:system|framework|engine|library|"
                          r"method|approach|implementation|baseline|solution),?\s+$|\b(?:state-of-the-art|SOTA)\s+$",
                          re.I)
_SOTA_LIST = re.compile(r"\b(?:state-of-the-art|SOTA)\s+(?:[\w-]+\s+){0,3}?(?:systems|frameworks|engines|libraries|"
                        r"methods|approaches|implementations|baselines|solutions),?\s+(?:such\s+as|like|including|"
                        r"e\.g\.,?|\()\s*", re.I)
_SOTA_AFTER = re.compile(r"\s*(?:,|\()\s*(?:the|a)\s+(?:current\s+|existing\s+)?(?:state-of-the-art|SOTA)\s+"
                         r"(?:[\w-]+\s+){0,3}?(?:system|framework|engine|library|method|approach|implementation|"
                         r"baseline|solution)\b", re.I)


def sibling_types(keys: list[str], by_key: dict[str, Entity], created: set[str]) -> dict[str, str]:
    """Baselines listed together are of one kind: an unseen name beside known models or systems is one too
    ("Pythia, INCITE and OpenLLaMA", "Sputnik and cuSPARSE"). Returns the renamed keys."""
    kinds = {by_key[k].type for k in keys if k in by_key and by_key[k].concept}
    if len(kinds) != 1 or not kinds <= {"Model", "Software"}:
        return {}
    kind = kinds.pop()
    renamed: dict[str, str] = {}
    for i, key in enumerate(keys):
        entity = by_key.get(key)
        if entity is None or entity.concept or entity.type != "Technique" or entity.proposed or \
                not (key in created or entity.attrs.get("untyped")):
            continue
        name = clean(entity.surfaces[0]) if entity.surfaces else ""
        if " " in name or not (is_name_token(name) or name[:1].isupper()):
            continue
        new_key = unseen_key(kind, name)
        if new_key in by_key:
            continue
        entity.key, entity.type = new_key, kind
        by_key[new_key] = by_key.pop(key)
        keys[i] = renamed[key] = new_key
    return renamed


def state_of_the_art(text: str, entities: list[Entity]) -> str:
    """The one system the abstract calls the state of the art ("vLLM, the state-of-the-art serving system",
    "state-of-the-art systems such as vLLM"), or "" when it names none or several."""
    lists = [(m.end(), m.end() + len(re.split(r"[.;:)]", text[m.end():m.end() + 200], maxsplit=1)[0]))
             for m in _SOTA_LIST.finditer(text, 0, MAX_CHARS)]
    found = {e.key for e in entities if e.type in ("Software", "Technique") and not e.proposed and any(
        f == "abstract" and (_SOTA_BEFORE.search(text, max(0, s - 40), s) or _SOTA_AFTER.match(text, end) or
                             any(a <= s < b for a, b in lists))
        for f, s, end in e.mentions)}
    return found.pop() if len(found) == 1 else ""


def drop_inner_mentions(entities: list[Entity], created: set[str]) -> None:
    """A name read inside a baseline phrase made an entity of its own ("YOLOv2" of "Tiny YOLOv2") is part of that
    baseline: its mentions there go (an entity left with none is dropped later). `created`: the keys of the
    entities made for baseline phrases."""
    spans = [(st, en) for e in entities if e.key in created for f, st, en in e.mentions if f == "abstract"]
    if not spans:
        return
    for entity in entities:
        if entity.key in created or entity.proposed:
            continue
        entity.mentions = [(f, st, en) for f, st, en in entity.mentions if not (
            f == "abstract" and any(a <= st and en <= b and (a, b) != (st, en) for a, b in spans))]
