"""Turn bench/heldout/ml_systems_memory.txt into the gold JSONL format (held-out and blind halves).

usage: python bench/memory_set.py [--check]

Even-numbered abstracts go to bench/heldout/extraction_memory_heldout.jsonl, odd-numbered ones to
bench/heldout/extraction_memory_blind.jsonl. --check only validates: every relation names an entity of its record or
PAPER, and every entity's name or one of its aliases occurs in the title or abstract.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "bench" / "heldout" / "ml_systems_memory.txt"
TYPES = {"Technique", "Model", "Hardware", "Dataset", "Software"}
PREDICATES = {"proposes", "uses", "runs-on", "evaluated-on", "outperforms"}


def parse(text: str) -> list[dict]:
    records: list[dict] = []
    for block in text.split("\n## ")[1:]:
        lines = [line for line in block.strip().splitlines() if line.strip()]
        record: dict = {"title": lines[0].strip(), "abstract": "", "source": "", "entities": [], "relations": []}
        body = []
        for line in lines[1:]:
            if line.startswith("source:"):
                record["source"] = line[len("source:"):].strip()
            elif line.startswith("E:"):
                kind, name, aliases = (part.strip() for part in line[2:].split("|"))
                assert kind in TYPES, line
                record["entities"].append({"name": name, "type": kind,
                                           "aliases": [a.strip() for a in aliases.split(";") if a.strip()]})
            elif line.startswith("R:"):
                parts = [part.strip() for part in line[2:].split("|")]
                assert parts[0] in PREDICATES, line
                relation: dict = {"subject": parts[1], "predicate": parts[0], "object": parts[2]}
                for extra in parts[3:]:
                    key, value = extra.split("=")
                    relation[key] = float(value) if key == "factor" else int(value)
                record["relations"].append(relation)
            else:
                body.append(line.strip())
        record["abstract"] = " ".join(body)
        records.append(record)
    return records


def problems(record: dict) -> list[str]:
    names = {e["name"] for e in record["entities"]}
    text = (record["title"] + " " + record["abstract"]).lower()
    out = [f"{record['title']}: relation {r} names no entity" for r in record["relations"]
           if r["object"] not in names or (r["subject"] != "PAPER" and r["subject"] not in names)]
    out += [f"{record['title']}: {e['name']!r} not in the text" for e in record["entities"]
            if not any(form.lower() in text for form in [e["name"], *e["aliases"]])]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    records = parse(SOURCE.read_text(encoding="utf-8"))
    found = [p for r in records for p in problems(r)]
    print("\n".join(found) or f"{len(records)} abstracts, no problems", file=sys.stderr)
    if args.check:
        sys.exit(1 if found else 0)
    for name, part in (("heldout", records[0::2]), ("blind", records[1::2])):
        out = ROOT / "bench" / "heldout" / f"extraction_memory_{name}.jsonl"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
        print(f"{out.relative_to(ROOT)}: {len(part)} abstracts, {sum(len(r['entities']) for r in part)} entities, "
              f"{sum(len(r['relations']) for r in part)} relations")


if __name__ == "__main__":
    main()
