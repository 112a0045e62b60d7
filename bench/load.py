"""HTTP load benchmark: p50 / p99 latency and requests/s at 1, 10 and 50 concurrent clients (loopback only).

usage: python bench/load.py [--url URL | --data DIR] [--seconds 5] [--client wrk|python]

Endpoints: /health (the HTTP floor), /search, /papers/{id}, /sparql. Target: /search p99 < 200 ms at 50 clients
on 2 cores with the seed corpus. The load generator runs on the same 2 cores: wrk (Debian package `wrk`, used when
installed) costs little; the fallback asyncio client costs about as much CPU as the server, so its numbers are a
lower bound. The /health row shows the floor either way.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._server import running_server

QUERIES = ["shrink the key-value cache of long-context LLM inference", "4-bit weight quantization",
           "speculative decoding draft model", "training on TPU pods", "LoRA fine-tuning memory",
           "FPGA accelerator for transformers", "mixture of experts routing", "diffusion model sampling speed"]
UNSEEN_PER_RUN = 20_000
"""Distinct queries per unseen-search measurement: more than the server answers in one, so none repeats."""
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


def measure_wrk(url: str, requests: list[tuple[str, dict[str, str]]], clients: int,
                seconds: float) -> dict[str, float]:
    """The same measurement with wrk: a Lua script cycles through the request paths, each wrk thread through its
    own share of them (so a list of distinct requests stays distinct)."""
    paths = [path + ("?" + urllib.parse.urlencode(params) if params else "") for path, params in requests]
    threads = min(2, clients)
    script = "\n".join([
        "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}",
        "local counter = 0",
        "function setup(thread) thread:set('share', counter); counter = counter + 1 end",
        "local i = nil",
        "request = function()",
        f"  if i == nil then i = (share or 0) * math.floor(#paths / {threads}) end",
        "  i = i % #paths + 1",
        "  return wrk.format('GET', paths[i])",
        "end", ""])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency",
                              "-s", handle.name, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)

    def ms(label: str) -> float:
        value = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not value:
            return float("nan")
        return float(value.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[value.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms("50%"), "p99": ms("99%"),
            "errors": float(errors.group(1)) if errors else 0.0}


async def run(url: str, seconds: float, generator: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        ids = [p["id"] for p in (await client.get("/papers", params={"limit": 50})).json()["results"]]
    scenarios: dict[str, list[tuple[str, dict[str, str]]]] = {
        "/health (floor)": [("/health", {})],
        "/search": [("/search", {"q": q, "k": "10"}) for q in QUERIES],
        "/search (unseen)": [],  # filled per run below: never a query seen before
        "/papers/{id}": [(f"/papers/{i}", {}) for i in ids],
        "/sparql": [("/sparql", {"query": SPARQL})],
    }
    print(f"load generator: {generator}")
    print(f"{'endpoint':18s} {'clients':>7s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>6s}")
    run_token = os.urandom(4).hex()
    for name, requests in scenarios.items():
        for clients in (1, 10, 50):
            if name == "/search (unseen)":
                requests = [("/search", {"q": f"{QUERIES[n % len(QUERIES)]} {run_token}-{clients}-{n}", "k": "10"})
                            for n in range(UNSEEN_PER_RUN)]
            r = measure_wrk(url, requests, clients, seconds) if generator == "wrk" else \
                await measure(url, requests, clients, seconds)
            print(f"{name:18s} {clients:7d} {r['rps']:8.1f} {r['p50']:8.1f} {r['p99']:8.1f} {int(r['errors']):6d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; default: start one over --data")
    parser.add_argument("--data", type=Path, help="data directory to serve (built from seeds/ if empty)")
    parser.add_argument("--seconds", type=int, default=5, help="duration of each measurement")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.seconds, args.client))
        return
    data = args.data or Path(tempfile.mkdtemp(prefix="paperkg-load-")) / "data"
    with running_server(data) as url:
        asyncio.run(run(url, args.seconds, args.client))


if __name__ == "__main__":
    main()
