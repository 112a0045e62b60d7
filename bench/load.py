"""HTTP load benchmark: p50 / p99 latency and requests/s at 1, 10 and 50 concurrent clients (loopback only).

usage: python bench/load.py [--url URL | --data DIR] [--seconds 5]

Endpoints: /health (the HTTP floor), /search, /papers/{id}, /sparql. Target: /search p99 < 200 ms at 50 clients
on 2 cores with the seed corpus. The client runs on the same 2 cores, so absolute numbers include its cost;
the /health row shows that floor.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._server import running_server

QUERIES = ["shrink the key-value cache of long-context LLM inference", "4-bit weight quantization",
           "speculative decoding draft model", "training on TPU pods", "LoRA fine-tuning memory",
           "FPGA accelerator for transformers", "mixture of experts routing", "diffusion model sampling speed"]
SPARQL = ("PREFIX pkg: <https://w3id.org/paperkg/ontology#> SELECT ?hw (COUNT(DISTINCT ?p) AS ?n) "
          "WHERE { ?p pkg:runsOn ?hw } GROUP BY ?hw ORDER BY DESC(?n) LIMIT 10")


async def _worker(client: httpx.AsyncClient, paths: itertools.cycle[tuple[str, dict[str, str]]], deadline: float,
                  latencies: list[float], errors: list[int]) -> None:
    while time.perf_counter() < deadline:
        path, params = next(paths)
        start = time.perf_counter()
        response = await client.get(path, params=params)
        latencies.append(time.perf_counter() - start)
        if response.status_code != 200:
            errors.append(response.status_code)


async def measure(url: str, requests: list[tuple[str, dict[str, str]]], clients: int,
                  seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        for path, params in requests[:2]:
            await client.get(path, params=params)  # warm-up
        paths = itertools.cycle(requests)
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_worker(client, paths, deadline, latencies, errors) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return {"n": len(ordered), "rps": len(ordered) / elapsed, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, "errors": len(errors)}


async def run(url: str, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        ids = [p["id"] for p in (await client.get("/papers", params={"limit": 50})).json()["results"]]
    scenarios: dict[str, list[tuple[str, dict[str, str]]]] = {
        "/health (floor)": [("/health", {})],
        "/search": [("/search", {"q": q, "k": "10"}) for q in QUERIES],
        "/papers/{id}": [(f"/papers/{i}", {}) for i in ids],
        "/sparql": [("/sparql", {"query": SPARQL})],
    }
    print(f"{'endpoint':18s} {'clients':>7s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>6s}")
    for name, requests in scenarios.items():
        for clients in (1, 10, 50):
            r = await measure(url, requests, clients, seconds)
            print(f"{name:18s} {clients:7d} {r['rps']:8.1f} {r['p50']:8.1f} {r['p99']:8.1f} {int(r['errors']):6d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; default: start one over --data")
    parser.add_argument("--data", type=Path, help="data directory to serve (built from seeds/ if empty)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.seconds))
        return
    data = args.data or Path(tempfile.mkdtemp(prefix="paperkg-load-")) / "data"
    with running_server(data) as url:
        asyncio.run(run(url, args.seconds))


if __name__ == "__main__":
    main()
