"""Build the search evaluation corpus: the 111 seed papers, the 500 SciERC abstracts and generated distractors.

usage: python bench/search_eval/build_corpus.py [--scierc DIR] [--distractors 1200] [-o bench/search_eval/corpus.jsonl]

- Seed papers keep their titles and abstracts; each gets a synthetic arXiv-style id (`2599.00001`, ...: the seed
  dump carries no identifiers, and the known-item bench needs ids to paste).
- SciERC abstracts are rebuilt from the `ner_*.txt` tokens (one token a line, a blank line between sentences,
  `-DOCSTART-` between documents) and detokenised. SciERC has no titles, so the first sentence stands in as the
  title (cut after 16 words) and the abstract is the remaining sentences. Each gets a synthetic DOI
  (`10.99999/scierc.N`, N its position in train, dev, test order).
- Distractors are generated: a title that keeps about half the words of one real title (in order) and fills the rest
  with words of another real title, and an abstract made of sentences of two unrelated real abstracts. They share
  words with real titles and text, so a known-item search must tell a title from a near miss; they are never
  relevant to any judged query.

Deterministic (seeded); the output is committed, so the judgments in queries_*.json refer to stable titles.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from paperkg.core.ids import normalise_title  # noqa: E402
from paperkg.core.text import sentences  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}",
            "``": '"', "''": '"', "`": "'"}
NO_SPACE_BEFORE = {".", ",", ":", ";", ")", "]", "}", "%", "?", "!", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m"}
NO_SPACE_AFTER = {"(", "[", "{"}
TITLE_WORDS = 16
STOP = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "by", "via", "from", "is", "at", "as", "we"}


def detokenise(tokens: list[str]) -> str:
    """Penn-Treebank tokens back to text: brackets restored, no space before closing punctuation, quotes paired."""
    out: list[str] = []
    quote_open = False
    glue = True
    for raw in tokens:
        token = BRACKETS.get(raw, raw)
        if raw in {"``", "''"}:
            if not quote_open:
                out.append(("" if glue else " ") + '"')
                glue, quote_open = True, True
            else:
                out.append('"')
                glue, quote_open = False, False
            continue
        space = not (glue or token in NO_SPACE_BEFORE or raw == "''")
        out.append((" " if space else "") + token)
        glue = token in NO_SPACE_AFTER
    return "".join(out).strip()


def scierc_documents(directory: Path) -> list[list[str]]:
    """Each document as its list of detokenised sentences, train then dev then test."""
    documents: list[list[str]] = []
    for split in ("train", "dev", "test"):
        current: list[list[str]] = []
        sentence: list[str] = []
        for line in (directory / f"ner_{split}.txt").read_text(encoding="utf-8").splitlines():
            token = line.split(" ")[0] if line.strip() else ""
            if token == "-DOCSTART-":
                if sentence:
                    current.append(sentence)
                if current:
                    documents.append([detokenise(s) for s in current])
                current, sentence = [], []
            elif not token:
                if sentence:
                    current.append(sentence)
                sentence = []
            else:
                sentence.append(token)
        if sentence:
            current.append(sentence)
        if current:
            documents.append([detokenise(s) for s in current])
    return documents


def scierc_paper(index: int, sents: list[str]) -> dict[str, object]:
    first = sents[0].rstrip(" .")
    words = first.split()
    title = " ".join(words[:TITLE_WORDS]).rstrip(",;:")
    rest = " ".join(sents[1:]) or sents[0]
    return {"id": f"10.99999/scierc.{index}", "title": title, "abstract": rest, "source": "scierc"}


def distractor(rng: random.Random, titles: list[str], abstracts: list[str], taken: set[str]) -> dict[str, object]:
    while True:
        base, other = rng.sample(titles, 2)
        words, fill = base.split(), [w for w in other.split() if w.lower() not in STOP]
        content = [i for i, w in enumerate(words) if w.lower() not in STOP]
        if len(content) < 3 or len(fill) < 2:
            continue
        swap = set(rng.sample(content, max(2, len(content) // 2)))
        title = " ".join(rng.choice(fill) if i in swap else w for i, w in enumerate(words))
        if normalise_title(title) in taken:
            continue
        taken.add(normalise_title(title))
        first, second = rng.sample(abstracts, 2)
        sents_a = [s.text for s in sentences(first)]
        sents_b = [s.text for s in sentences(second)]
        body = sents_a[: max(1, len(sents_a) // 2)] + sents_b[len(sents_b) // 2:]
        return {"title": title, "abstract": " ".join(body), "source": "distractor"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scierc", type=Path, default=ROOT.parent / "shared/data/scierc")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds/000_a8d658c6adbf4f3a.txt")
    parser.add_argument("--distractors", type=int, default=1200)
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).with_name("corpus.jsonl"))
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    for i, paper in enumerate(read_papers(args.seeds), start=1):
        rows.append({"id": f"2599.{i:05d}", "title": paper.title, "abstract": paper.abstract, "source": "seed"})
    for i, sents in enumerate(scierc_documents(args.scierc)):
        rows.append(scierc_paper(i, sents))
    taken = {normalise_title(str(r["title"])) for r in rows}
    if len(taken) != len(rows):
        raise SystemExit("duplicate titles among the real papers")
    rng = random.Random(15)
    titles = [str(r["title"]) for r in rows]
    abstracts = [str(r["abstract"]) for r in rows]
    rows += [distractor(rng, titles, abstracts, taken) for _ in range(args.distractors)]
    with args.output.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = {s: sum(r["source"] == s for r in rows) for s in ("seed", "scierc", "distractor")}
    print(f"{len(rows)} papers {counts} -> {args.output}")


if __name__ == "__main__":
    main()
