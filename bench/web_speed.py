"""Server-side latency of the explorer's HTML pages, side by side with GET /health (the floor: HTTP + routing).

usage: python bench/web_speed.py [--rounds 60] [--model hashing] [--data DIR] [--papers N]

Starts `paperkg serve` on 127.0.0.1 over the seed corpus (built on first run), then requests, interleaved in each
round: /health, the search page (a different query each time, so the search cache does not answer), the browse page,
a paper page (each paper in turn), an entity page (the most linked entities in turn, NVIDIA A100 with all 111
papers among them), the related techniques a technique's page fetches after it is shown, the SPARQL editor and a
SPARQL results page (the README's example 4). Times are loopback round trips with keep-alive, so they are the
server's time plus well under a millisecond. Target (issue 16): p50 < 50 ms
per page on the seed corpus, < 150 ms at 100k papers (`--papers 100000 --data DIR` tops the seed corpus up with
synthetic papers from bench/kill_test.py, about 130 papers/s with the hashing encoder, kept in DIR for the next run).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import running_server  # noqa: E402
from bench.kill_test import make_papers  # noqa: E402
from paperkg.core.records import PaperInput  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402
from paperkg.sources import expand, read_papers  # noqa: E402

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HW = """SELECT ?hardware ?bandwidthGBs (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?paper pkg:runsOn ?hw . ?hw a pkg:Hardware ; schema:name ?hardware .
  OPTIONAL { ?hw pkg:memoryBandwidthGBs ?bandwidthGBs } }
GROUP BY ?hardware ?bandwidthGBs ORDER BY DESC(?papers) DESC(?bandwidthGBs)"""


def timed(client: httpx.Client, path: str, params: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> float:
    """Milliseconds for one page; infinity when it did not answer within the client's timeout."""
    start = time.perf_counter()
    try:
        response = client.get(path, params=params, headers=headers or BROWSER)
    except httpx.TimeoutException:
        return math.inf
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed


def top_up(data: Path, model: str, papers: int, batch: int) -> None:
    """Build `data` from the seeds and add synthetic papers until it holds `papers`."""
    settings = Settings(data=data, model=model)
    with KnowledgeBase.open(settings) as kb:
        if kb.paper_count() == 0:
            kb.add_papers([p for path in expand([settings.seeds]) for p in read_papers(path)])
        round_ = 0
        while (missing := papers - kb.paper_count()) > 0:
            round_ += 1
            made = make_papers(min(batch, missing), seed=1000 + kb.paper_count())
            kb.add_papers([PaperInput(p["title"], p["abstract"]) for p in made])
            if round_ % 2 == 0:
                print(f"{kb.paper_count()} papers", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--model", default="hashing", help="PAPERKG_MODEL of the server ('' for the real model)")
    parser.add_argument("--data", type=Path, default=None, help="data directory (default: a fresh temporary one)")
    parser.add_argument("--papers", type=int, default=0, help="top the corpus up to this many papers first")
    parser.add_argument("--batch", type=int, default=5000, help="synthetic papers per write when topping up")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a page counts as not answered")
    parser.add_argument("--skip", nargs="*", default=[], help="pages not to request (e.g. entity)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or Path(scratch) / "data"
        if args.papers:
            top_up(data, args.model, args.papers, args.batch)
        with (running_server(data, env={"PAPERKG_MODEL": args.model}) as url,
              httpx.Client(base_url=url, timeout=args.timeout) as client):
            total = client.get("/health").json()["papers"]
            papers = client.get("/papers", params={"limit": 1000}).json()["results"]
            entities = [e["id"] for e in client.get("/entities", params={"limit": 30}).json()["results"]]
            words = sorted({w.strip(":,.()").lower() for p in papers for w in p["title"].split() if len(w) > 4})
            samples: dict[str, list[float]] = {name: [] for name in
                                               ("/health", "search", "browse", "paper", "entity", "related",
                                                "sparql editor", "sparql results", "(its query, JSON)")}
            techniques = [e for e in entities if e.startswith("technique/")]
            for warm in range(2):  # templates compiled, pools warm
                timed(client, "/", {"q": f"warm up {warm}"})
                timed(client, "/sparql", {"query": HW})
            for i in range(args.rounds):
                skip = set(args.skip)
                samples["/health"].append(timed(client, "/health"))
                if "search" not in skip:
                    samples["search"].append(timed(client, "/", {"q": f"{words[i % len(words)]} inference"}))
                if "browse" not in skip:
                    samples["browse"].append(timed(client, "/", {"page": str(1 + i % 5)}))
                if "paper" not in skip:
                    samples["paper"].append(timed(client, "/ui/papers/" + quote(papers[i % len(papers)]["id"])))
                if "entity" not in skip:
                    samples["entity"].append(timed(client, "/ui/entities/" + entities[i % len(entities)]))
                if "related" not in skip and techniques:  # what a technique's page fetches after it is shown
                    samples["related"].append(timed(client, "/ui/related/" + techniques[i % len(techniques)],
                                                    {"fragment": "1"}))
                if "sparql editor" not in skip:
                    samples["sparql editor"].append(timed(client, "/sparql"))
                if "sparql results" not in skip:
                    samples["sparql results"].append(timed(client, "/sparql", {"query": HW}))
                    # the same query as a SPARQL client asks it: what of the page is the query itself
                    samples["(its query, JSON)"].append(timed(client, "/sparql", {"query": HW},
                                                              {"Accept": "application/sparql-results+json"}))
    floor = statistics.median(samples["/health"])
    print(f"{total} papers, {args.rounds} rounds, model {args.model or 'bundled'}; loopback round trips in ms")
    target = 150 if total >= 100_000 else 50
    print(f"{'page':<16}{'p50':>8}{'p95':>8}{'max':>8}{'p50 / health':>14}  target p50 < {target} ms")
    for name, values in samples.items():
        if not values:
            continue
        ordered = sorted(values)
        p50, p95 = statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]
        verdict = "" if name in ("/health", "(its query, JSON)") else ("ok" if p50 < target else "OVER")
        print(f"{name:<16}{p50:>8.1f}{p95:>8.1f}{ordered[-1]:>8.1f}{p50 / floor:>13.1f}x  {verdict}")
    if total < 100_000:
        print("100k papers: not measured in this run (use --papers 100000 --data DIR)")


if __name__ == "__main__":
    main()
