"""Crash test: ingest through the HTTP API and the CLI, `kill -9` at random moments, restart, and check that every
acknowledged paper is in the store, the graph, the RDF graph and both indexes, with no paper half-present.

usage: python bench/kill_test.py [--trials 20] [--seed 1]

Prints "N trials, 0 acknowledged papers lost, 0 inconsistencies" when everything holds (exit status 1 otherwise).
The hashing encoder is used so that trials are quick; what is tested is the storage path, not the model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._server import ROOT, free_port

ENV = {**os.environ, "PAPERKG_MODEL": "hashing", "HF_HUB_OFFLINE": "1"}
TECHNIQUES = ["4-bit quantization", "LoRA", "speculative decoding", "FlashAttention", "pipeline parallelism",
              "knowledge distillation", "structured pruning", "KV cache compression", "mixture of experts"]
HARDWARE = ["NVIDIA A100 GPUs", "an RTX 4090", "TPUv4 pods", "H100 GPUs", "an Alveo U280 FPGA", "V100 GPUs"]
BASELINES = ["vLLM", "llama.cpp", "DeepSpeed", "FasterTransformer", "TensorRT-LLM"]


def make_papers(count: int, seed: int) -> list[dict[str, str]]:
    """Distinct synthetic papers with extractable entities, relations and factors."""
    rng = random.Random(seed)
    papers = []
    for n in range(count):
        name = f"Crash{seed}x{n}"
        technique, hardware, baseline = rng.choice(TECHNIQUES), rng.choice(HARDWARE), rng.choice(BASELINES)
        abstract = (f"We introduce {name}, a system that applies {technique} to large language model inference. "
                    f"Experiments on {rng.randint(1, 64)} {hardware} show that {name} is {rng.randint(11, 90) / 10}x "
                    f"faster than {baseline} while keeping accuracy on MMLU. " * rng.randint(1, 3))
        papers.append({"title": f"{name}: {technique.title()} for Trial {seed} Paper {n}", "abstract": abstract})
    return papers


@dataclass
class Trial:
    mode: str
    acknowledged: set[str] = field(default_factory=set)
    killed_after: float = 0.0


def api_trial(data: Path, papers: list[dict[str, str]], rng: random.Random) -> Trial:
    """POST batches to a server until it is killed at a random moment."""
    trial = Trial("api", killed_after=rng.uniform(1.0, 10.0))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--data", str(data), "--port", str(port)],
                              cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killer = threading.Timer(trial.killed_after, lambda: os.kill(server.pid, signal.SIGKILL))
    killer.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            position = 0
            while server.poll() is None and position < len(papers):
                batch = papers[position:position + rng.randint(1, 5)]
                try:
                    response = client.post("/papers", json=batch)
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if response.status_code == 200:
                    trial.acknowledged.update(p["title"] for p in batch)
                    position += len(batch)
    finally:
        killer.join()
        server.wait()
    return trial


def cli_trial(data: Path, papers: list[dict[str, str]], rng: random.Random, workdir: Path) -> Trial:
    """Run `paperkg ingest` on successive batch files, killing one of them at a random moment."""
    trial = Trial("cli", killed_after=rng.uniform(1.0, 10.0))
    deadline = time.monotonic() + trial.killed_after
    position = 0
    while position < len(papers):
        batch = papers[position:position + rng.randint(1, 20)]
        path = workdir / f"batch{position}.jsonl"
        path.write_text("".join(json.dumps(p) + "\n" for p in batch), encoding="utf-8")
        process = subprocess.Popen([sys.executable, "-m", "paperkg", "ingest", str(path), "--data", str(data)],
                                   cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return trial
        if process.returncode == 0:
            trial.acknowledged.update(p["title"] for p in batch)
            position += len(batch)
        elif time.monotonic() >= deadline:
            return trial
    return trial


def verify(data: Path, acknowledged: set[str]) -> tuple[int, list[str]]:
    """(acknowledged papers lost, inconsistencies) after reopening the data directory."""
    from paperkg.core.ids import normalise_title
    from paperkg.core.settings import Settings
    from paperkg.kb import KnowledgeBase

    problems: list[str] = []
    import sqlite3

    if (data / "paperkg.sqlite3").exists():
        check = sqlite3.connect(f"file:{data / 'paperkg.sqlite3'}?mode=ro", uri=True)
        status = check.execute("PRAGMA integrity_check").fetchone()[0]
        check.close()
        if status != "ok":
            return 0, [f"store integrity: {status}"]
    with KnowledgeBase.open(Settings(data=data, model="hashing")) as kb:
        stored = {p.id: p for p in kb.store.iter_papers()}
        titles = {normalise_title(p.title) for p in stored.values()}
        lost = sum(1 for title in acknowledged if normalise_title(title) not in titles)
        ids = set(stored)
        views = {
            "graph": {n.id.removeprefix("paper/") for n in kb.graph.nodes("Paper")},
            "dense index": set(kb.indexes.dense.paper_ids()) if kb.indexes.dense else set(),
            "keyword index": set(kb.indexes.keyword.paper_ids()),
            "rdf": kb.rdf.paper_ids(),
        }
        for name, present in views.items():
            if present != ids:
                problems.append(f"{name}: {len(present - ids)} extra, {len(ids - present)} missing")
        for pid in ids:
            if not kb.store.passage_spans(pid):
                problems.append(f"paper {pid} has no passages")
        count = kb.sparql("SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/paperkg/ontology#Paper> }",
                          fmt="csv").body.decode().split()[-1]
        if int(count) != len(ids):
            problems.append(f"SPARQL counts {count} papers, the store {len(ids)}")
        if kb.health().papers != len(ids):
            problems.append("health disagrees with the store")
    return lost, problems


def run(trials: int, seed: int, papers_per_trial: int = 200, verbose: bool = True) -> tuple[int, int, int]:
    """Run trials alternating API and CLI; returns (trials, lost, inconsistencies)."""
    rng = random.Random(seed)
    lost_total = inconsistencies = 0
    with tempfile.TemporaryDirectory(prefix="paperkg-kill-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        acknowledged: set[str] = set()
        for n in range(trials):
            papers = make_papers(papers_per_trial, seed * 1000 + n)
            trial = api_trial(data, papers, rng) if n % 2 == 0 else cli_trial(data, papers, rng, workdir)
            acknowledged |= trial.acknowledged
            lost, problems = verify(data, acknowledged)
            lost_total += lost
            inconsistencies += len(problems)
            if verbose:
                print(f"trial {n + 1:2d} {trial.mode}: killed after {trial.killed_after:.1f} s, "
                      f"{len(trial.acknowledged)} acknowledged this trial, {lost} lost, "
                      f"{len(problems)} inconsistencies {problems[:3] if problems else ''}", flush=True)
    return trials, lost_total, inconsistencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    trials, lost, inconsistencies = run(args.trials, args.seed)
    print(f"{trials} trials, {lost} acknowledged papers lost, {inconsistencies} inconsistencies")
    sys.exit(1 if lost or inconsistencies else 0)


if __name__ == "__main__":
    main()
