"""Encoder backends side by side: torch vs ONNX Runtime fp32/int8 vs OpenVINO bf16/fp32, in-process, CLI, server.

usage: python bench/encoder_speed.py [--papers 2000] [--rounds 3] [--skip-in-process] [--skip-cli] [--skip-serve]
                                     [--cli-backends torch,openvino bf16,onnx int8] [--model-cache DIR] [--data DIR]

1. In-process, interleaved rounds: abstracts/s at batch 32 over the seed abstracts (title. abstract), one-query p50
   over the dev queries (query cache off, so every query is encoded), cosine of each backend's vectors to torch's.
2. CLI, one process each, process start included: `paperkg ingest` of PAPERS real-length abstracts (seed abstracts
   recombined sentence-wise under new titles) with each backend, against raw torch `model.encode` of the same texts
   in a fresh process (target: onnx ingest >= 2.5x raw torch); then cold `paperkg search` on each result.
3. `paperkg serve` with each backend: resident memory after the queries and /search p50 over loopback, against a raw
   query encode + a flat FAISS search of the same number of vectors, each query's raw calls interleaved with its
   request (targets: <= 0.6x raw torch, <= 1.3x the fastest raw encode). `--data DIR` serves an existing data
   directory (with the `auto` backend's vectors) instead of the command-line phase.
The exported models are built first into --model-cache (default: a temp dir); build time is reported separately.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import faiss
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import free_port  # noqa: E402
from paperkg.core.settings import default_model  # noqa: E402
from paperkg.embeddings.encoder import Encoder  # noqa: E402
from paperkg.embeddings.loading import EncoderParams, RuntimeParams, load_encoder, preferred  # noqa: E402
from paperkg.embeddings.onnx_encoder import OnnxEncoder  # noqa: E402
from paperkg.embeddings.passages import sentence_spans  # noqa: E402
from paperkg.sources import read_papers  # noqa: E402

SEEDS = ROOT / "seeds/000_a8d658c6adbf4f3a.txt"
QUERIES = ROOT.parent / "shared/eval/search_queries_dev.json"
BACKENDS = {"torch": EncoderParams("torch"), "onnx fp32": EncoderParams("onnx", "fp32"),
            "onnx int8": EncoderParams("onnx", "int8"), "onnx int8-7bit": EncoderParams("onnx", "int8-7bit"),
            "openvino fp32": EncoderParams("openvino", "fp32"),
            "openvino bf16": EncoderParams("openvino", "bf16"),
            "openvino bf16 dyn": EncoderParams("openvino", "bf16", runtime=RuntimeParams(query_widths=()))}
"""`openvino bf16 dyn`: queries on the dynamic-shape model only (RuntimeParams.query_widths off)."""
CLI_BACKENDS = ["torch", "openvino bf16", "onnx int8"]
PAUSE = 0.002
"""Seconds between the timed calls of the server phase (a thread pool spins for a while after its work)."""
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "true"}
RAW_TORCH = """
import json, sys
from sentence_transformers import SentenceTransformer
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
model = SentenceTransformer(sys.argv[2], device="cpu", local_files_only=True)
model.encode([r["title"] + ". " + r["abstract"] for r in rows], batch_size=32, normalize_embeddings=True)
"""


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def in_process(model: str, cache: Path, texts: list[str], queries: list[str], rounds: int,
               ) -> tuple[dict[str, float], dict[str, Callable[[str], object]], list[Encoder]]:
    """Throughput, query latency and cosine to torch for each backend; returns the one-query p50s (ms), the raw
    one-query calls (`raw torch`, `raw <backend>`: the model run alone) for the server phase to interleave, and the
    encoders to close after it."""
    encoders: dict[str, Encoder] = {}
    for name, params in BACKENDS.items():
        started = time.perf_counter()
        encoders[name] = load_encoder(model, 0, replace(params, cache_dir=cache))
        print(f"  load {name:<10} {time.perf_counter() - started:6.1f} s")
    raw: Encoder = encoders["torch"]
    st_model = raw.model  # type: ignore[attr-defined]
    calls: dict[str, Callable[[str], object]] = {name: e.encode_query for name, e in encoders.items()}
    calls["raw torch"] = lambda q: st_model.encode([q], normalize_embeddings=True, show_progress_bar=False)
    for name in [n for n in BACKENDS if n != "torch"]:  # the graph run alone: no cache, no hand-over to a thread
        calls[f"raw {name}"] = session_call(encoders[name])
    for call in calls.values():
        call("warm up")
        call(" ".join(["warm up"] * 10))  # one query of each fixed width (RuntimeParams.query_widths)
    for encoder in encoders.values():
        if isinstance(encoder, OnnxEncoder):
            encoder.settle()
    throughput: dict[str, list[float]] = {name: [] for name in encoders}
    latency: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.encode(texts, 32)
            throughput[name].append(len(texts) / (time.perf_counter() - started))
        for number, query in enumerate(queries):
            for name, call in calls.items():
                # a raw call runs the same model as its backend's call just before; give it another query, since a
                # model run on the input it has just seen skips some set-up and would flatter the raw figure
                text = queries[(number + 7) % len(queries)] if name.startswith("raw ") else query
                started = time.perf_counter()
                call(text)
                latency[name].append(time.perf_counter() - started)
    reference_docs = encoders["torch"].encode(texts, 32)
    reference_queries = np.stack([encoders["torch"].encode_query(q) for q in queries])
    base_rate = statistics.median(throughput["torch"])
    base_query = p50_ms(latency["raw torch"])
    print(f"\n  {len(texts)} seed abstracts at batch 32, {len(queries)} dev queries, {rounds} interleaved rounds")
    print(f"  {'backend':<18} {'abstracts/s':>11} {'x torch':>8} {'query p50':>10} {'x raw':>6}"
          f" {'cos docs mean/min':>18} {'cos queries mean/min':>21}")
    for name in calls:
        rate = statistics.median(throughput[name]) if name in throughput else float("nan")
        query_ms = p50_ms(latency[name])
        cosines = ""
        if name in encoders and name != "torch":
            docs = (encoders[name].encode(texts, 32) * reference_docs).sum(axis=1)
            qs = (np.stack([encoders[name].encode_query(q) for q in queries]) * reference_queries).sum(axis=1)
            cosines = f"{docs.mean():>9.5f}/{docs.min():.5f} {qs.mean():>12.5f}/{qs.min():.5f}"
        print(f"  {name:<18} {rate:>11.1f} {rate / base_rate:>8.2f} {query_ms:>8.2f}ms {query_ms / base_query:>6.2f}"
              f" {cosines}")
    p50s = {name: p50_ms(samples) for name, samples in latency.items()}
    return p50s, {name: call for name, call in calls.items() if name.startswith("raw ")}, list(encoders.values())


def session_call(encoder: Encoder) -> Callable[[str], object]:
    run: Callable[[list[str]], np.ndarray] = encoder._encode_batch  # type: ignore[attr-defined]
    return lambda text: run([text])


def make_abstracts(count: int, path: Path) -> list[dict[str, str]]:
    """`count` papers of real length: each seed abstract's sentences, some swapped with another's, new titles."""
    papers = read_papers(SEEDS)
    rng = random.Random(0)
    rows = []
    for i in range(count):
        base, other = papers[i % len(papers)], papers[rng.randrange(len(papers))]
        own = [base.abstract[a:b] for a, b in sentence_spans(base.abstract)]
        donor = [other.abstract[a:b] for a, b in sentence_spans(other.abstract)]
        mixed = [rng.choice(donor) if donor and rng.random() < 0.3 else s for s in own]
        rows.append({"title": f"{base.title} (variant {i})", "abstract": " ".join(mixed)})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env={**os.environ, **ENV, **env}, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def backend_env(name: str, cache: Path) -> dict[str, str]:
    params = BACKENDS[name]
    return {"PAPERKG_ENCODER_BACKEND": params.backend, "PAPERKG_ENCODER_PRECISION": params.precision,
            "PAPERKG_MODEL_CACHE": str(cache),
            "PAPERKG_ENCODER_QUERY_WIDTHS": json.dumps(list(params.runtime.query_widths))}


def cli(model: str, cache: Path, work: Path, count: int, names: list[str]) -> dict[str, Path]:
    jsonl = work / "papers.jsonl"
    make_abstracts(count, jsonl)
    py = sys.executable
    times: dict[str, float] = {"raw torch model.encode": timed([py, "-c", RAW_TORCH, str(jsonl), model], {})}
    data: dict[str, Path] = {}
    for name in names:
        data[name] = work / f"data-{name.replace(' ', '-')}"
        command = [py, "-m", "paperkg", "ingest", str(jsonl), "--data", str(data[name])]
        times[f"paperkg ingest ({name})"] = timed(command, backend_env(name, cache))
    base = times["raw torch model.encode"]
    print(f"\n  {count} abstracts, one process each, process start included")
    for what, seconds in times.items():
        print(f"  {what:<32} {seconds:7.1f} s  {count / seconds:6.1f} abstracts/s  {base / seconds:5.2f}x raw torch")
    print("\n  cold `paperkg search` (median of 3 processes)")
    for name in names:
        runs = [timed([py, "-m", "paperkg", "search", "speculative decoding on consumer GPUs", "--data",
                       str(data[name])], backend_env(name, cache)) for _ in range(3)]
        print(f"  {name:<14} {statistics.median(runs):6.2f} s")
    return data


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(data: dict[str, Path], cache: Path, queries: list[str],
          raw_calls: dict[str, Callable[[str], object]], raw_p50: dict[str, float]) -> None:
    """RSS and /search p50 of `paperkg serve` per backend (each on the data directory its own ingest built), against
    raw query encodes plus a flat FAISS search, measured side by side: per query, the raw torch call, the backend's
    own raw call and the fastest backend's (by the in-process p50s), then the request, each after a short pause so
    that no thread pool left spinning by one call takes a core from the next."""
    print("\n  paperkg serve: resident memory after the queries; /search p50 over loopback, each query's raw "
          "encodes + FAISS interleaved with it")
    fastest = min((n for n in raw_calls if n in raw_p50), key=raw_p50.__getitem__)
    for name, directory in data.items():
        calls = {n: raw_calls[n] for n in dict.fromkeys(["raw torch", f"raw {name}", fastest]) if n in raw_calls}
        port = free_port()
        command = [sys.executable, "-m", "paperkg", "serve", "--data", str(directory), "--port", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **ENV, **backend_env(name, cache)},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    with urllib.request.urlopen(url + "/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"server for {name} did not start") from None
                    time.sleep(0.2)
            flat = flat_search(directory)
            samples: list[float] = []
            lean: list[float] = []
            floor: list[float] = []
            raw: dict[str, list[float]] = {raw_name: [] for raw_name in calls}
            # two keep-alive clients, as real client tools would use: httpx, and the standard library's http.client,
            # whose own cost per request is about half a millisecond less (the server's share is the same)
            plain = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with httpx.Client(base_url=url, timeout=30) as client:
                for query in queries:  # warm-up: the first queries of each width build the fixed-width models
                    client.get("/search", params={"q": f"{query} warm", "k": 10}).raise_for_status()
                for round_ in range(3):
                    for number, query in enumerate(queries):
                        other = queries[(number + 7) % len(queries)]  # as in the in-process phase
                        for raw_name, call in calls.items():
                            started = time.perf_counter()
                            call(f"{other} {round_}")
                            flat()
                            raw[raw_name].append(time.perf_counter() - started)
                            time.sleep(PAUSE)
                        started = time.perf_counter()
                        client.get("/health").raise_for_status()
                        floor.append(time.perf_counter() - started)
                        started = time.perf_counter()  # a new text each round: no result cache hit
                        client.get("/search", params={"q": f"{query} {round_}", "k": 10}).raise_for_status()
                        samples.append(time.perf_counter() - started)
                        time.sleep(PAUSE)
                        target = "/search?" + urllib.parse.urlencode({"q": f"{query} {round_} again", "k": 10})
                        started = time.perf_counter()
                        plain.request("GET", target)
                        answer = plain.getresponse()
                        answer.read()
                        lean.append(time.perf_counter() - started)
                        if answer.status != 200:
                            raise RuntimeError(f"/search answered {answer.status}")
                        time.sleep(PAUSE)
            plain.close()
            measured = {raw_name: p50_ms(values) for raw_name, values in raw.items()}
            own = measured.get(f"raw {name}", float("nan"))
            best_name = min(measured, key=measured.__getitem__)
            best, torch_raw = measured[best_name], measured["raw torch"]
            p50, lean_p50 = p50_ms(samples), p50_ms(lean)
            print(f"  {name:<14} RSS {rss_mb(process.pid):6.0f} MB   /search p50 {p50:6.2f} ms (httpx), "
                  f"{lean_p50:6.2f} ms (http.client)   "
                  f"x(fastest raw encode + FAISS, {best_name}, {best:.2f} ms) "
                  f"{p50 / best:.2f} / {lean_p50 / best:.2f}   "
                  f"x(raw torch encode + FAISS {torch_raw:.2f} ms) "
                  f"{p50 / torch_raw:.2f} / {lean_p50 / torch_raw:.2f}   "
                  f"(own raw encode + FAISS {own:.2f} ms; /health p50 {p50_ms(floor):.2f} ms)")
        finally:
            process.terminate()
            process.wait(timeout=30)


def flat_search(directory: Path) -> Callable[[], object]:
    """One flat inner-product search (top 100) over as many random 384-d vectors as the knowledge base holds
    passages: the FAISS half of a raw query."""
    import sqlite3

    with sqlite3.connect(directory / "paperkg.sqlite3") as db:
        count = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    vectors = np.random.default_rng(0).standard_normal((count, 384)).astype(np.float32)
    faiss.normalize_L2(vectors)
    index = faiss.IndexFlatIP(384)
    index.add(vectors)
    query = vectors[:1]
    return lambda: index.search(query, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--cli-backends", default=",".join(CLI_BACKENDS), help="comma-separated, of: " +
                        ", ".join(BACKENDS))
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--data", type=Path, default=None, help="serve this data directory (built with the `auto` "
                        "backend) with that backend instead of running the command-line phase")
    args = parser.parse_args()
    os.environ.update(ENV)
    model = default_model()
    papers = read_papers(SEEDS)
    texts = [f"{p.title}. {p.abstract}" for p in papers]
    queries = [item["query"] for item in json.loads(QUERIES.read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory(prefix="paperkg-encoder-speed-") as tmp:
        cache = args.model_cache or Path(tmp) / "models"
        raw_p50: dict[str, float] = {}
        raw_calls: dict[str, Callable[[str], object]] = {}
        encoders: list[Encoder] = []
        try:
            if not args.skip_in_process:
                print("1. in-process encoders (2 intra-op threads on this machine)")
                raw_p50, raw_calls, encoders = in_process(model, cache, texts, queries, args.rounds)
            if args.data is not None:
                data = {" ".join(preferred()): args.data}  # the `auto` backend's vectors
            elif args.skip_cli:
                return
            else:
                print("\n2. command line")
                data = cli(model, cache, Path(tmp), args.papers, args.cli_backends.split(","))
            if "openvino bf16" in data:  # the same vectors: its servers share the data directory
                data["openvino bf16 dyn"] = data["openvino bf16"]
            if not args.skip_serve and raw_calls:
                print("\n3. server")
                serve(data, cache, queries, raw_calls, raw_p50)
        finally:
            for encoder in encoders:
                encoder.close()


if __name__ == "__main__":
    main()
