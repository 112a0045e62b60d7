"""SciERC abstracts in the gold format of shared/eval/ANNOTATION_GUIDE.md (entities only).

usage: python bench/scierc.py [--scierc DIR] [--split test] [--out-heldout F] [--out-blind F] [--docs N]

SciERC (Luan et al., EMNLP 2018; files as shipped in allenai/scibert, Apache-2.0; see ../shared/data/scierc/README.md)
annotates 500 AI abstracts with Method/Task/Material/Metric/OtherScientificTerm/Generic spans. The text is rebuilt
from its tokens; its human labels are mapped to the guide's types by `entities` below (Method -> Technique unless a
bare generic head; Material -> Dataset only when it names a resource); Task, Metric, OtherScientificTerm and Generic
spans are not entities. Relations are left empty: SciERC's relation labels have no counterpart in the guide.
With --out-*, the first N documents of the split are written, even-numbered ones to the held-out file and odd-numbered
ones to the blind file. `documents` is also used by the scorer's training script (bench/train_scorer.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = Path(os.environ.get("PAPERKG_SHARED", ROOT.parent / "shared")) / "data" / "scierc"
_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}
_NO_SPACE_BEFORE = {".", ",", ";", ":", ")", "]", "}", "%", "'s", "?", "!", "n't", "'"}
_NO_SPACE_AFTER = {"(", "[", "{"}
_GENERIC_HEADS = {"method", "methods", "approach", "approaches", "model", "models", "system", "systems", "algorithm",
                  "algorithms", "technique", "techniques", "framework", "frameworks", "scheme", "procedure",
                  "it", "they", "this", "these", "tool", "tools", "strategy", "strategies", "mechanism",
                  "classifier", "classifiers", "kernel", "kernels", "parser", "parsers", "tagger", "taggers",
                  "solution", "solutions", "architecture", "architectures", "network", "networks", "module",
                  "modules", "component", "components", "pipeline", "process", "formalism"}
_PARENTHESIS = re.compile(r"^(.*?\S)\s*\(\s*([^()]+?)\s*\)\s*(.*)$")
"""'conditional random field (CRF)', 'robust principal component analysis (robust PCA) problem'."""
_LANGUAGES = {"english", "chinese", "arabic", "japanese", "french", "german", "turkish", "czech", "dutch", "thai",
              "bulgarian", "estonian", "hungarian", "spanish", "italian", "korean", "russian", "hindi", "web"}
_RESOURCE = re.compile(r"\b(?:corpus|corpora|data\s?sets?|treebank|benchmarks?|database|collection|test\s+set|"
                       r"lexicon|wordnet)\b", re.I)


def documents(path: Path) -> Iterator[list[tuple[str, str]]]:
    """(token, label) lists, one per SciERC document; labels without the I- prefix ("O" outside)."""
    doc: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "-DOCSTART-":
            if doc:
                yield doc
            doc = []
            continue
        label = parts[-1]
        doc.append((_BRACKETS.get(parts[0], parts[0]), label[2:] if label.startswith("I-") else label))
    if doc:
        yield doc


def detokenize(doc: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """The text and the (start, end, label) character spans of its labelled runs."""
    text, spans, run_start, run_label = "", [], 0, "O"
    previous, quotes = "", 0
    for index, (token, label) in enumerate([*doc, ("", "O")]):
        if label != run_label and run_label != "O":
            spans.append((run_start, len(text), run_label))
        if index == len(doc):
            break
        space = bool(text) and token not in _NO_SPACE_BEFORE and previous not in _NO_SPACE_AFTER
        if token == '"':
            quotes += 1
            space = space and quotes % 2 == 1  # a closing quote hugs the word before it
        elif previous == '"' and quotes % 2 == 1:
            space = False  # nor does an opening one leave a gap
        if space and not (token.startswith("'") and len(token) <= 3):
            text += " "
        if label != run_label and label != "O":
            run_start = len(text)
        text += token
        previous, run_label = token, label
    return text, spans


_HEADS = {"Technique": re.compile(r"^(.+?)\s+(?:algorithms?|methods?|approach(?:es)?|techniques?|models?|systems?|"
                                  r"procedures?|strateg(?:y|ies))$", re.I),
          "Dataset": re.compile(r"^(.+?)\s+(?:data\s?sets?|datasets?|corpus|corpora|benchmarks?|test\s+sets?|"
                                r"collections?)$", re.I)}
"""A name with a generic head word ("KITTI2012 dataset", "stochastic gradient descent algorithm"): the guide's
names carry every surface form a system could reasonably output as aliases, so the name without its head is one."""


def _forms(name: str) -> list[str]:
    out = [name]
    out.append(name[:-1] if name.endswith("s") and len(name) > 3 else name + "s")
    return out


_MODIFIER_ENDINGS = ("ed", "ble", "ive", "ous", "ful", "ical", "istic")


def _headless(name: str, kind: str) -> list[str]:
    """The name without a trailing generic head word, when what is left still names something."""
    match = _HEADS[kind].match(name)
    rest = match.group(1) if match else ""
    last = rest.split()[-1] if rest else ""
    acronym = sum(ch.isupper() for ch in rest) >= 2 or any(ch.isdigit() for ch in rest)
    if not rest or rest.lower() in _GENERIC_HEADS or (" " not in rest and not acronym) or \
            (last.islower() and last.endswith(_MODIFIER_ENDINGS)):
        return []  # "search algorithm" gives no "search", "fully supervised model" no "fully supervised"
    return [rest]


def entities(text: str, spans: list[tuple[int, int, str]]) -> list[dict]:
    """The guide's entities for SciERC's labelled spans (see the module docstring for the mapping)."""
    found: dict[str, dict] = {}
    for start, end, label in spans:
        name = text[start:end].strip().strip('"').strip()
        words = name.split()
        if label == "Method":
            if name.lower() in _GENERIC_HEADS or (len(words) == 1 and name.lower() in _GENERIC_HEADS):
                continue
            kind = "Technique"
        elif label == "Material":
            capital = [w for w in words if any(ch.isupper() for ch in w) and w.lower() not in _LANGUAGES]
            named = any(any(ch.isdigit() for ch in w) for w in capital) or any(w.isupper() and len(w) > 1
                                                                               for w in capital)
            if not capital or not (_RESOURCE.search(name) or named):
                continue
            kind = "Dataset"
        else:
            continue
        inner = _PARENTHESIS.match(name)
        extra: list[str] = []
        if inner:  # a span that takes its abbreviation along: the name is the long form, the abbreviation an alias
            name = f"{inner.group(1)} {inner.group(3)}".strip()
            extra = [inner.group(2), inner.group(1)] if inner.group(3) else [inner.group(2)]
        key = name.lower()
        acronym = re.match(r"\s*\(\s*([A-Za-z][\w-]*)\s*\)", text[end:end + 20])
        if key in found:
            continue
        if acronym and acronym.group(1).lower() != key:
            extra.append(acronym.group(1))
        aliases = [f for f in _forms(name) if f != name] + [f for x in extra for f in _forms(x)]
        stripped = [h for x in (name, *extra) for h in _headless(x, kind)]
        stripped += [h for x in stripped for h in _headless(x, kind)]  # "VIVID benchmark datasets" -> "VIVID"
        headless = [f for h in stripped for f in _forms(h)]
        found[key] = {"name": name, "type": kind, "aliases": aliases, "headless": headless}
    merged: dict[str, dict] = {}
    for key, entry in found.items():  # an acronym labelled on its own belongs to its long form
        owner = next((e for e in found.values() if e is not entry and key in {a.lower() for a in e["aliases"]}), None)
        if owner is None:
            merged[key] = entry
    # the forms without a head are aliases unless SciERC labelled that form on its own ("machine learning" beside
    # "machine learning approach" stays a second entity; "action proposal", labelled a term, is no alias)
    taken = {f.lower() for e in merged.values() for f in (e["name"], *e["aliases"])} | {
        " ".join(text[start:end].strip().strip('"').lower().split()) for start, end, _ in spans}
    return [{"name": e["name"], "type": e["type"], "aliases": e["aliases"] + [
        f for f in dict.fromkeys(e["headless"]) if f.lower() not in taken and f not in e["aliases"]]}
        for e in merged.values()]


def records(path: Path, count: int) -> list[dict]:
    out = []
    for number, doc in enumerate(documents(path)):
        if number >= count:
            break
        text, spans = detokenize(doc)
        out.append({"title": f"SciERC {path.stem.split('_')[-1]} abstract {number}", "abstract": text,
                    "source": f"SciERC {path.name}, document {number} (Luan et al. 2018, via allenai/scibert)",
                    "entities": entities(text, spans), "relations": []})
    return out


LEXICON_MIN_DOCS = 1
"""A phrase enters the type lexicon when SciERC's annotators labelled it in at least this many documents."""


def lexicon(docs: list[tuple[str, list[tuple[int, int, str]]]]) -> dict[str, list[str]]:
    """SciERC's labels as a type lexicon: lowercased phrase -> [SciERC label, our type or "none", how often the
    phrase is labelled where it occurs: "low" / "mid" / "high"]. Counts are per document."""
    labels: dict[str, Counter[str]] = {}
    kinds: dict[str, Counter[str]] = {}
    for text, spans in docs:
        ours = {f.lower(): e["type"] for e in entities(text, spans) for f in [e["name"], *e["aliases"]]}
        seen: set[str] = set()
        for start, end, label in spans:
            phrase = " ".join(text[start:end].strip().strip('"').lower().split())
            if not phrase or phrase in seen or len(phrase.split()) > 6:
                continue
            seen.add(phrase)
            labels.setdefault(phrase, Counter())[label.removeprefix("B-")] += 1
            kinds.setdefault(phrase, Counter())[ours.get(phrase, "none")] += 1
    kept = {p: c for p, c in labels.items() if sum(c.values()) >= LEXICON_MIN_DOCS}
    lowered = [" " + " ".join(re.findall(r"\w[\w.+-]*|[^\w\s]", text.lower())) + " " for text, _ in docs]
    out: dict[str, list[str]] = {}
    for phrase, counts in sorted(kept.items()):
        needle = " " + " ".join(re.findall(r"\w[\w.+-]*|[^\w\s]", phrase)) + " "
        occurs = max(sum(needle in t for t in lowered), 1)
        share = sum(counts.values()) / occurs
        out[phrase] = [counts.most_common(1)[0][0], kinds[phrase].most_common(1)[0][0],
                       "high" if share >= 0.67 else "mid" if share >= 0.34 else "low"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scierc", type=Path, default=DEFAULT)
    parser.add_argument("--split", default="test")
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--out-heldout", type=Path, default=ROOT / "bench/heldout/extraction_othercs_heldout.jsonl")
    parser.add_argument("--out-blind", type=Path, default=ROOT / "bench/heldout/extraction_othercs_blind.jsonl")
    parser.add_argument("--extra", type=int, default=60, help="documents after the first --docs, for --out-extra")
    parser.add_argument("--out-extra", type=Path, default=ROOT / "bench/heldout/extraction_othercs_extra.jsonl")
    args = parser.parse_args()
    rows = records(args.scierc / f"ner_{args.split}.txt", args.docs + args.extra)
    for out, part in ((args.out_heldout, rows[:args.docs:2]), (args.out_blind, rows[1:args.docs:2]),
                      (args.out_extra, rows[args.docs:])):
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
        print(f"{out}: {len(part)} abstracts, {sum(len(r['entities']) for r in part)} entities")


if __name__ == "__main__":
    main()
