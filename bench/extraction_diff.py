"""What a change to the extractor changes: the entities and relations it reads from every paper of a corpus, this
checkout against another tree (a `git worktree` of an earlier commit), paper by paper.

    git worktree add /tmp/before <commit>
    .venv/bin/python bench/extraction_diff.py /tmp/before bench/heldout/extraction_read_s39.jsonl
    .venv/bin/python bench/extraction_diff.py /tmp/before bench/search_eval/corpus.jsonl --relations-only

Each tree extracts in its own process (its own rules, scorer and vocabulary, the product's minimum confidence). Prints
the papers that differ with the lines removed (-) and added (+), then how many differ. Never run it on the blind
sets: they are read as totals only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_READER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from paperkg.core.settings import Settings
from paperkg.graph.extraction import annotation, learned_extractor
from paperkg.graph.vocabulary import Vocabulary
seeds = Path(sys.argv[1]) / "seeds"
vocabulary = Vocabulary.load(seeds)
extractor = learned_extractor(vocabulary, seeds, Settings().min_confidence)
out = []
for line in open(sys.argv[2], encoding="utf-8"):
    paper = json.loads(line)
    if not line.strip() or "abstract" not in paper:
        continue
    found = annotation(paper["title"], paper["abstract"], extractor.extract(paper["title"], paper["abstract"]),
                       vocabulary)
    out.append([paper["title"], sorted(f"ent {e['name']} | {e['type']}" for e in found["entities"]),
                sorted(f"rel {r['subject']} | {r['predicate']} | {r['object']} | {r.get('factor')}"
                       for r in found["relations"])])
print(json.dumps(out))
"""


def read(tree: Path, corpus: Path) -> list[list]:
    done = subprocess.run([sys.executable, "-c", _READER, str(tree), str(corpus)], capture_output=True, text=True,
                          cwd=tree, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("before", type=Path, help="the other tree (a git worktree of an earlier commit)")
    parser.add_argument("corpus", type=Path, help="JSON Lines with title and abstract")
    parser.add_argument("--relations-only", action="store_true", help="show only the relations that differ")
    args = parser.parse_args()
    before, after = read(args.before.resolve(), args.corpus.resolve()), read(ROOT, args.corpus.resolve())
    differ = 0
    for (title, ents_a, rels_a), (_, ents_b, rels_b) in zip(before, after, strict=True):
        old = set(rels_a) | (set() if args.relations_only else set(ents_a))
        new = set(rels_b) | (set() if args.relations_only else set(ents_b))
        if old == new:
            continue
        differ += 1
        print(f"## {title[:100]}")
        for line in sorted(old - new):
            print(f"   - {line}")
        for line in sorted(new - old):
            print(f"   + {line}")
    print(f"{differ} of {len(after)} papers differ")


if __name__ == "__main__":
    main()
