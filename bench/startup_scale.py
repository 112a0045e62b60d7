"""Start-up, memory and query cost against corpus size, projected to a million papers from the measured slope.

    .venv/bin/python bench/startup_scale.py [--sizes 20000 100000] [--keep DIR]

For each size: a synthetic corpus written through Store.write (bench/ingest_scale.py's base: synthetic extraction,
random unit vectors, hashing encoder) and opened once so that every derived file exists (the index files, the
on-disk RDF store), then `paperkg serve` is started in a fresh process and timed to its first healthy `/health`
and to its graph built (`graph_ready`, the graph is built on a thread); its resident memory then is read from
/proc, and a one-hop SPARQL aggregate (papers per hardware) and `/search` with new queries are timed over HTTP.
Per-paper figures are slopes between the sizes, so the fixed footprint (Python, libraries, vocabulary, model) drops
out; the 1M column extrapolates linearly. With --keep, corpora are kept in
DIR/base<size> and reused by later runs. Timings only, no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._server import free_port, stop  # noqa: E402
from bench.ingest_scale import build_base  # noqa: E402
from bench.sparql_bench import vocabulary  # noqa: E402
from paperkg.core.settings import Settings  # noqa: E402
from paperkg.kb import KnowledgeBase  # noqa: E402

HARDWARE_QUERY = """SELECT ?hw (COUNT(DISTINCT ?paper) AS ?papers) WHERE { ?paper pkg:runsOn ?hw }
GROUP BY ?hw ORDER BY DESC(?papers)"""
WORDS = ["quantization", "speculative", "decoding", "kv", "cache", "lora", "pruning", "fpga", "a100", "latency",
         "throughput", "distillation", "attention", "sparse", "memory", "bandwidth", "serving", "batching"]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, all its threads (less sensitive to the machine's load than
    wall-clock time)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(url: str, timeout: float = 120) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{url[:80]}: {error.code} {error.read()[:300]!r}") from None


def measure(data: Path, queries: int) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "PAPERKG_MODEL": "hashing", "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--data", str(data), "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server over {data} exited with {process.returncode}")
            try:
                get(url + "/health", timeout=2)
                break
            except OSError:
                time.sleep(0.05)
        result = {"startup": time.perf_counter() - started, "startup_cpu": cpu_seconds(process.pid)}
        while not json.loads(get(url + "/health")).get("graph_ready", True):  # the graph is built on a thread
            time.sleep(0.05)
        result["ready"] = time.perf_counter() - started
        result["ready_cpu"] = cpu_seconds(process.pid)
        result["rss"] = float(rss_bytes(process.pid))
        sparql = url + "/sparql?" + urllib.parse.urlencode({"query": HARDWARE_QUERY})
        get(sparql)  # the first query waits for a worker fork
        times = []
        for _ in range(5):
            begun = time.perf_counter()
            get(sparql)
            times.append(time.perf_counter() - begun)
        result["sparql"] = statistics.median(times)
        times = []
        for n in range(queries):
            q = " ".join(WORDS[(n * 7 + i * 5) % len(WORDS)] for i in range(3)) + f" {n}"
            begun = time.perf_counter()
            get(url + "/search?" + urllib.parse.urlencode({"q": q, "k": 10}))
            times.append(time.perf_counter() - begun)
        result["search"] = statistics.median(times)
        result["rss_after"] = float(rss_bytes(process.pid))
        return result
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the corpora in this directory")
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    vocab = vocabulary()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        results: dict[int, dict[str, float]] = {}
        for size in sorted(args.sizes):
            data = root / f"base{size}"
            if not (data / "paperkg.sqlite3").exists():
                settings = Settings(data=data, model="hashing")
                written = build_base(settings, vocab, size)
                begun = time.perf_counter()
                with KnowledgeBase.open(settings):
                    pass
                print(f"{size:,} papers: written in {written:.0f} s, first open (builds every derived file) "
                      f"{time.perf_counter() - begun:.0f} s")
            results[size] = measure(data, args.queries)
    sizes = sorted(results)
    print(f"\n{'':34s}" + "".join(f"{s:>12,}" for s in sizes) + f"{'per paper':>14s}{'1M (proj.)':>12s}")
    rows = [("start-up to healthy /health, s", "startup", 1.0), ("  CPU time of the server, s", "startup_cpu", 1.0),
            ("  to the graph built, s", "ready", 1.0), ("  CPU time then, s", "ready_cpu", 1.0),
            ("resident memory, MB", "rss", 2.0**-20),
            ("  after the queries, MB", "rss_after", 2.0**-20), ("SPARQL papers per hardware, ms", "sparql", 1e3),
            ("/search p50, new queries, ms", "search", 1e3)]
    for label, key, scale in rows:
        values = [results[s][key] * scale for s in sizes]
        line = f"{label:34s}" + "".join(f"{v:12.1f}" for v in values)
        if len(sizes) > 1:
            slope = (values[-1] - values[0]) / (sizes[-1] - sizes[0])
            per_paper = f"{slope * 2**20:.0f} B" if key.startswith("rss") else f"{slope * 1e3:.3f}/1k"
            line += f"{per_paper:>14s}{values[-1] + slope * (1_000_000 - sizes[-1]):12.1f}"
        print(line)


if __name__ == "__main__":
    main()
