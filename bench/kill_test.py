"""Crash test: ingest through the HTTP API and the CLI, `kill -9` at random moments, restart, and check that every
acknowledged paper is in the store, the graph, the RDF graph and both indexes, with no paper half-present.

usage: python bench/kill_test.py [--trials 20] [--seed 1]
       python bench/kill_test.py --readers [--trials 3] [--papers 30000] [--seed 1]

Prints "N trials, 0 acknowledged papers lost, 0 inconsistencies" when everything holds (exit status 1 otherwise).

Reader mode kills nothing: each trial runs one large ingest (`paperkg ingest`, or every other trial POSTs to
`paperkg serve`) while short-lived reader processes of every kind come and go (`paperkg search`, a `sqlite3` shell
opened read-only, a backup through SQLite's backup API), and fails if the writer dies (a signal such as SIGBUS) or
fails, or a reader is killed by a signal.
(Without a `sqlite3` shell on PATH the same two reads run through Python's sqlite3 module, the same library.)

The hashing encoder is used so that trials are quick; what is tested is the storage path, not the model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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


DB_NAME = "paperkg.sqlite3"
READER_KINDS = ("search", "sqlite3", "backup")
PY_COUNT = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1], uri=True).execute(sys.argv[2]).fetchone()[0])"
PY_BACKUP = "import sqlite3, sys; sqlite3.connect(sys.argv[1], uri=True).backup(sqlite3.connect(sys.argv[2]))"


@dataclass
class Trial:
    mode: str
    acknowledged: set[str] = field(default_factory=set)
    killed_after: float = 0.0
    writer_exit: int = 0
    writer_error: str = ""
    readers: int = 0
    reader_errors: list[str] = field(default_factory=list)
    reader_deaths: list[str] = field(default_factory=list)


def api_trial(data: Path, papers: list[dict[str, str]], rng: random.Random) -> Trial:
    """POST batches to a server until it is killed at a random moment."""
    trial = Trial("api", killed_after=rng.uniform(1.0, 10.0))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--data", str(data), "--port", str(port)],
                              cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killer = threading.Timer(trial.killed_after, server.kill)  # SIGKILL; a no-op once it has exited
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


def reader_command(kind: str, data: Path, scratch: Path) -> list[str]:
    """A short-lived read of `data`: our CLI, a read-only `sqlite3` shell, or a backup via SQLite's backup API."""
    if kind == "search":
        return [sys.executable, "-m", "paperkg", "search", "quantization", "--data", str(data), "-k", "1"]
    uri, backup, shell = f"file:{data / DB_NAME}?mode=ro", scratch / "backup.sqlite3", shutil.which("sqlite3")
    if kind == "sqlite3":
        sql = "SELECT count(*) FROM papers"
        return [shell, uri, sql] if shell else [sys.executable, "-c", PY_COUNT, uri, sql]
    return [shell, uri, f".backup '{backup}'"] if shell else [sys.executable, "-c", PY_BACKUP, uri, str(backup)]


def readers_trial(data: Path, papers: list[dict[str, str]], workdir: Path, writer: str = "cli",
                  concurrency: int = 2) -> Trial:
    """One ingest of all `papers` (`paperkg ingest`, or POSTs to `paperkg serve`), with `concurrency` short-lived
    readers running until it ends."""
    trial = Trial(f"readers/{writer}")
    writer_log = workdir / "writer.err"
    started = time.monotonic()
    if writer == "cli":
        source = workdir / "readers.jsonl"
        source.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
        with open(writer_log, "wb") as log:  # a file, not a pipe: the progress bar would fill a pipe and stall
            process = subprocess.Popen([sys.executable, "-m", "paperkg", "ingest", str(source), "--data", str(data)],
                                       cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=log)
        _readers_while(lambda: process.poll() is None, trial, data, workdir, concurrency)
        trial.writer_exit = process.returncode
        if process.returncode == 0:
            trial.acknowledged.update(p["title"] for p in papers)
    else:
        _api_ingest(data, papers, trial, writer_log, workdir, concurrency)
    trial.killed_after = time.monotonic() - started
    if trial.writer_exit != 0:
        lines = writer_log.read_text(errors="replace").replace("\r", "\n").splitlines()
        trial.writer_error += "\n".join(line for line in lines if "passage/s" not in line)[-2000:]
    (workdir / "backup.sqlite3").unlink(missing_ok=True)
    return trial


def _api_ingest(data: Path, papers: list[dict[str, str]], trial: Trial, writer_log: Path, workdir: Path,
                concurrency: int, batch: int = 500) -> None:
    """POST `papers` in batches to a server over `data` while readers come and go; the server must survive."""
    port = free_port()
    with open(writer_log, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--data", str(data), "--port", str(port)],
                                  cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=log)

    def post_all() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            while server.poll() is None:  # the first start builds the seed corpus before it answers
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            for start in range(0, len(papers), batch):
                chunk = papers[start:start + batch]
                try:
                    response = client.post("/papers", json=chunk)
                except httpx.TransportError as error:
                    trial.writer_error += f"POST failed: {error!r}\n"
                    return
                if response.status_code != 200:
                    trial.writer_error += f"POST answered {response.status_code}: {response.text[:300]}\n"
                    return
                trial.acknowledged.update(p["title"] for p in chunk)

    poster = threading.Thread(target=post_all)
    poster.start()
    _readers_while(poster.is_alive, trial, data, workdir, concurrency)
    poster.join()
    if server.poll() is None:
        trial.writer_exit = 1 if trial.writer_error else 0
        server.terminate()
        server.wait()
    else:
        trial.writer_exit = server.returncode or 1


def _readers_while(writing: Callable[[], bool], trial: Trial, data: Path, workdir: Path, concurrency: int) -> None:
    """Keep `concurrency` readers of every kind in turn running while `writing()`; reap them all."""
    running: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    while writing() or running:
        for reader in [r for r in running if r[2].poll() is not None]:
            running.remove(reader)
            _reap(trial, *reader)
        if writing() and len(running) < concurrency and (data / DB_NAME).exists():
            kind = READER_KINDS[trial.readers % len(READER_KINDS)]
            err = workdir / f"reader{trial.readers}.err"
            with open(err, "wb") as log:
                running.append((kind, err, subprocess.Popen(reader_command(kind, data, workdir), cwd=ROOT, env=ENV,
                                                            stdout=subprocess.DEVNULL, stderr=log)))
            trial.readers += 1
        time.sleep(0.05)


def _reap(trial: Trial, kind: str, err: Path, process: subprocess.Popen[bytes]) -> None:
    code = process.returncode
    last = (err.read_text(errors="replace").strip().splitlines() or [""])[-1][:200]
    err.unlink()
    if code < 0:
        trial.reader_deaths.append(f"{kind}: signal {-code}")
    elif code > 0:
        trial.reader_errors.append(f"{kind}: exit {code}: {last}")


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


@dataclass(frozen=True)
class ReaderRun:
    trials: int
    writer_deaths: int
    """Ingests that ended other than with exit status 0 (a signal, such as SIGBUS, or an error)."""
    readers: int
    reader_deaths: int
    reader_errors: int
    lost: int
    inconsistencies: int

    @property
    def ok(self) -> bool:
        return not (self.writer_deaths or self.reader_deaths or self.lost or self.inconsistencies)


def run_readers(trials: int, seed: int, papers: int = 30000, verbose: bool = True) -> ReaderRun:
    """Reader mode: `trials` large ingests into one data directory (the first creates it), readers throughout;
    even trials ingest with the CLI, odd ones through the HTTP API of a server."""
    deaths = readers = reader_deaths = reader_errors = lost_total = inconsistencies = 0
    with tempfile.TemporaryDirectory(prefix="paperkg-readers-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        acknowledged: set[str] = set()
        for n in range(trials):
            writer = "cli" if n % 2 == 0 else "api"
            trial = readers_trial(data, make_papers(papers, seed * 1000 + n), workdir, writer)
            acknowledged |= trial.acknowledged
            lost, problems = verify(data, acknowledged)
            deaths += trial.writer_exit != 0
            readers += trial.readers
            reader_deaths += len(trial.reader_deaths)
            reader_errors += len(trial.reader_errors)
            lost_total += lost
            inconsistencies += len(problems)
            if verbose:
                print(f"trial {n + 1:2d} {trial.mode}: ingest of {papers} exit {trial.writer_exit} after "
                      f"{trial.killed_after:.1f} s, {trial.readers} readers "
                      f"({len(trial.reader_deaths)} killed by a signal {trial.reader_deaths[:3]}, "
                      f"{len(trial.reader_errors)} errors {trial.reader_errors[:3]}), {lost} lost, "
                      f"{len(problems)} inconsistencies {problems[:3] if problems else ''}", flush=True)
                if trial.writer_error:
                    print(trial.writer_error, flush=True)
    return ReaderRun(trials, deaths, readers, reader_deaths, reader_errors, lost_total, inconsistencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None, help="default 20, or 3 with --readers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--readers", action="store_true", help="readers come and go during large ingests")
    parser.add_argument("--papers", type=int, default=30000, help="papers per ingest in reader mode")
    args = parser.parse_args()
    if args.readers:
        result = run_readers(args.trials or 3, args.seed, args.papers)
        print(f"{result.trials} ingests of {args.papers} papers, {result.writer_deaths} died, {result.readers} "
              f"readers ({result.reader_deaths} killed by a signal, {result.reader_errors} errors), "
              f"{result.lost} acknowledged papers lost, {result.inconsistencies} inconsistencies")
        sys.exit(0 if result.ok else 1)
    trials, lost, inconsistencies = run(args.trials or 20, args.seed)
    print(f"{trials} trials, {lost} acknowledged papers lost, {inconsistencies} inconsistencies")
    sys.exit(1 if lost or inconsistencies else 0)


if __name__ == "__main__":
    main()
