"""The controlled vocabulary in seeds/vocab/: SKOS techniques plus CSV tables of hardware, models, datasets, software.

Every concept has an entity id "<type>/<slug>" (e.g. "technique/lora", "hardware/nvidia-a100"); the same id names
the entity in the store, the graphs and the API. CSV tables have the columns `id`, `name`, `aliases`
("|"-separated); every other non-empty column becomes an attribute (numbers parsed). `lexicon.json` holds the
extractor's word lists (trigger words, stop lists), kept as data beside the vocabulary.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from paperkg.core.ids import alias_norm
from paperkg.core.records import EntityType

VOCAB_DIR = "vocab"
TECHNIQUE_NS = "https://w3id.org/paperkg/vocab/technique/"
TABLES: dict[str, EntityType] = {
    "hardware.csv": "Hardware",
    "models.csv": "Model",
    "datasets.csv": "Dataset",
    "software.csv": "Software",
}


_NAME_LIKE = re.compile(r"\d|.[A-Z]")
"""A name, not a plain word: a digit, or a capital after the first character."""
_WORD = re.compile(r"[^\W_]+")


def _word_key(text: str) -> str:
    """Lower-case words, separators dropped but word breaks kept: "Llama-2" and "llama 2" meet, "FastSpeech" and
    "fast speech" or "Shap-E" and "shape" do not; "LoRA+" is "lora plus", not "lora"."""
    return " ".join(_WORD.findall(text.lower().replace("+", " plus ")))


@dataclass(frozen=True)
class Concept:
    id: str
    type: EntityType
    label: str
    aliases: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    """Associative links (skos:related) as stated in the file; `Vocabulary.related` makes them symmetric."""
    attrs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class Vocabulary:
    """All concepts by id, with the technique taxonomy (broader / narrower, and associative links)."""

    def __init__(self, concepts: dict[str, Concept], lexicon: dict[str, Any] | None = None) -> None:
        self.concepts = concepts
        self.lexicon: dict[str, Any] = lexicon or {}
        owners: dict[str, set[str]] = {}
        for concept in concepts.values():
            for label in (concept.label, *concept.aliases):
                owners.setdefault(alias_norm(label), set()).add(concept.id)
        self._owners = {key: next(iter(ids)) for key, ids in owners.items() if len(ids) == 1}
        labels: dict[str, set[str]] = {}
        for concept in concepts.values():
            labels.setdefault(alias_norm(concept.label), set()).add(concept.id)
        self._cased: dict[str, str] = {}
        """Normalised names spelled with digits or inner capitals (LoRA, GPTQ, A100, Llama 2): typed in lower case
        they still name the concept, where a lower-case capitalised word (Adam, Ray, Spark) may be just a word."""
        for concept in concepts.values():
            for label in (concept.label, *concept.aliases):
                key = alias_norm(label)
                # an alias two concepts share names the one it labels
                owned = self._owners.get(key) == concept.id or labels.get(key) == {concept.id}
                if owned and _NAME_LIKE.search(label):
                    self._cased[_word_key(label)] = concept.id
        self._narrower: dict[str, list[str]] = {}
        self._related: dict[str, list[str]] = {}
        for concept in concepts.values():
            for parent in concept.broader:
                self._narrower.setdefault(parent, []).append(concept.id)
            for other in concept.related:
                if other in concepts and other != concept.id:
                    for a, b in ((concept.id, other), (other, concept.id)):
                        if b not in self._related.setdefault(a, []):
                            self._related[a].append(b)
        for linked in self._related.values():
            linked.sort()  # the same order however the file lists the links

    @classmethod
    def load(cls, seeds: Path) -> Vocabulary:
        """The vocabulary under `seeds`; read once per process while its files are unchanged (it is never modified,
        and parsing the SKOS file takes most of a knowledge base's opening)."""
        directory = seeds / VOCAB_DIR
        files = [directory / name for name in ("techniques.ttl", *TABLES, "lexicon.json")]
        key = tuple((str(f.resolve()), st.st_mtime_ns, st.st_size) if (st := _stat(f)) else (str(f), 0, -1)
                    for f in files)
        if (loaded := _LOADED.get(key)) is None:
            if len(_LOADED) >= 8:
                _LOADED.clear()
            loaded = _LOADED[key] = cls._read(directory)
        return loaded

    @classmethod
    def _read(cls, directory: Path) -> Vocabulary:
        concepts: dict[str, Concept] = {}
        skos = directory / "techniques.ttl"
        if skos.exists():
            concepts.update({c.id: c for c in _read_skos(skos)})
        for name, entity_type in TABLES.items():
            table = directory / name
            if table.exists():
                concepts.update({c.id: c for c in _read_table(table, entity_type)})
        lexicon_file = directory / "lexicon.json"
        lexicon = json.loads(lexicon_file.read_text(encoding="utf-8")) if lexicon_file.exists() else {}
        return cls(concepts, lexicon)

    def owner(self, name: str) -> str | None:
        """The concept whose label or alias is `name` (compared by normalised form), if exactly one has it."""
        return self._owners.get(alias_norm(name))

    def named_in_lowercase(self, text: str, longest: int = 3) -> list[str]:
        """Concepts that runs of up to `longest` lower-case words of `text` name by a name spelled with digits or
        inner capitals ("lora on a100" names LoRA and the A100), left to right, each once."""
        words = text.split()
        found: dict[str, None] = {}
        for start in range(len(words)):
            for end in range(min(len(words), start + longest), start, -1):
                run = " ".join(words[start:end])
                concept = self._cased.get(_word_key(run)) if run == run.lower() else None
                if concept is not None:
                    found.setdefault(concept)
                    break
        return list(found)

    def __len__(self) -> int:
        return len(self.concepts)

    def get(self, concept_id: str) -> Concept | None:
        return self.concepts.get(concept_id)

    def of_type(self, entity_type: EntityType) -> Iterator[Concept]:
        return (c for c in self.concepts.values() if c.type == entity_type)

    def broader(self, concept_id: str) -> list[str]:
        concept = self.concepts.get(concept_id)
        return list(concept.broader) if concept else []

    def narrower(self, concept_id: str) -> list[str]:
        return list(self._narrower.get(concept_id, []))

    def related(self, concept_id: str) -> list[str]:
        """Concepts associated with this one outside the hierarchy (skos:related, either direction)."""
        return list(self._related.get(concept_id, []))

    def ancestors(self, concept_id: str) -> list[str]:
        """All transitive broader concepts, nearest first."""
        return transitive(concept_id, self.broader)

    def path(self, concept_id: str) -> list[str]:
        """The chain of broader concepts from a root down to the concept's parent, following each concept's first
        broader one (the taxonomy is a poly-hierarchy; `broader` lists them all)."""
        chain: list[str] = []
        current = concept_id
        while (parents := [b for b in self.broader(current) if b != concept_id and b not in chain]):
            current = parents[0]
            chain.append(current)
        return chain[::-1]

    def descendants(self, concept_id: str) -> list[str]:
        """All transitive narrower concepts, nearest first."""
        return transitive(concept_id, self.narrower)


_LOADED: dict[tuple[tuple[str, int, int], ...], Vocabulary] = {}


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _read_skos(path: Path) -> Iterator[Concept]:
    graph = Graph()
    graph.parse(path, format="turtle")

    def local(node: URIRef) -> str:
        return "technique/" + str(node).removeprefix(TECHNIQUE_NS)

    for node in graph.subjects(RDF.type, SKOS.Concept):
        if not isinstance(node, URIRef):
            continue
        label = graph.value(node, SKOS.prefLabel)
        if label is None:
            continue
        yield Concept(
            id=local(node),
            type="Technique",
            label=str(label),
            aliases=tuple(sorted(str(a) for a in graph.objects(node, SKOS.altLabel))),
            broader=tuple(sorted(local(b) for b in graph.objects(node, SKOS.broader) if isinstance(b, URIRef))),
            related=tuple(sorted(local(r) for r in graph.objects(node, SKOS.related) if isinstance(r, URIRef))),
        )


def _read_table(path: Path, entity_type: EntityType) -> Iterator[Concept]:
    prefix = entity_type.lower() + "/"
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row.get("id") or not row.get("name"):
                continue
            attrs = {k: _value(v) for k, v in row.items() if k not in ("id", "name", "aliases") and v not in ("", None)}
            yield Concept(
                id=prefix + row["id"].strip(),
                type=entity_type,
                label=row["name"].strip(),
                aliases=tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()),
                attrs=attrs,
            )


def _value(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text.strip()
    return int(number) if number.is_integer() and "." not in text else number


def transitive(start: str, step: Callable[[str], list[str]], depth: int | None = None) -> list[str]:
    """Everything reachable from `start` by repeated `step` (at most `depth` steps), nearest first, `start` excluded."""
    seen: list[str] = []
    frontier = step(start)
    while frontier and (depth is None or depth > 0):
        following: list[str] = []
        for item in frontier:
            if item not in seen and item != start:
                seen.append(item)
                following.extend(step(item))
        frontier = following
        depth = None if depth is None else depth - 1
    return seen
