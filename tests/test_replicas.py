"""Published snapshots and read-only replicas: in process, and as real `paperkg serve` processes beside a writer."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench._server import free_port, stop
from paperkg.core.records import PaperInput
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.kb.replica import Publisher, Replica
from paperkg.kb.snapshots import CURRENT, current, read_snapshot
from tests.conftest import ROOT

FIRST = PaperInput("LoRA: Low-Rank Adaptation of Large Language Models",
                   "We propose LoRA, which freezes the pretrained model weights and injects trainable rank "
                   "decomposition matrices. LoRA is evaluated on an NVIDIA A100.")
SECOND = PaperInput("Quokkaformer: Marsupial Attention for Long Documents",
                    "We propose Quokkaformer, a sparse attention scheme. Quokkaformer runs on an NVIDIA A100 and "
                    "outperforms FlashAttention by 2x.")


def _titles_sparql(kb: KnowledgeBase) -> set[str]:
    body = json.loads(kb.sparql("SELECT ?t WHERE { ?p a pkg:Paper ; dcterms:title ?t }").body)
    return {row["t"]["value"] for row in body["results"]["bindings"]}


def test_publish_then_replicas_follow(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "writer", model="hashing", replica_poll=0.05, replica_grace=0)
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([FIRST])
        first = kb.publish()
        assert kb.publish() == first  # nothing changed: nothing new published
        replicas = [Replica(settings, settings.data) for _ in range(2)]  # two at once over one snapshot
        try:
            for replica in replicas:
                served = replica.wait_for_first()
                assert served.read_only and served.store.immutable and served.rdf.path == first.path / "rdf"
                assert _titles_sparql(served) == {FIRST.title}
            assert sorted(p.name for p in first.path.iterdir() if p.name.startswith("rdf")) == ["rdf", "rdf.json"]
            kb.add_papers([SECOND])
            second = kb.publish()
            assert (second.generation, second.papers) == (first.generation + 1, 2)
            for replica in replicas:
                assert replica.switch_if_newer() and not replica.switch_if_newer()
                assert replica.kb is not None
                assert replica.kb.search("marsupial attention", k=1).results[0].title == SECOND.title
                assert _titles_sparql(replica.kb) == {FIRST.title, SECOND.title}
        finally:
            for replica in replicas:
                replica.close()


def test_old_generations_are_pruned_after_retain(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "writer", model="hashing")
    with KnowledgeBase.open(settings) as kb:
        for n in range(4):
            kb.add_papers([PaperInput(f"Paper number {n} on pruning", f"We study pruning, case {n}, on an A100.")])
            kb.publish(keep=2, retain=3600)
        root = settings.data / "snapshots"
        assert sorted(p.name for p in root.iterdir() if p.name.isdigit()) == [f"{n:08d}" for n in (1, 2, 3, 4)]
        kb.add_papers([PaperInput("Paper number 5 on pruning", "We study pruning, case 5, on an A100.")])
        latest = kb.publish(keep=2, retain=0)
    assert sorted(p.name for p in root.iterdir() if p.name.isdigit()) == ["00000004", "00000005"]
    assert current(root) == latest.path and (root / CURRENT).read_text().strip() == "00000005"
    assert read_snapshot(latest.path).papers == 5


def test_publisher_publishes_changes_and_at_stop(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "writer", model="hashing")
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers([FIRST])
        publisher = Publisher(kb, interval=3600, keep=3, retain=600).start()
        kb.add_papers([SECOND])
        publisher.stop()
        assert publisher.published is not None and publisher.published.version == kb.store.version
        assert publisher.published.papers == 2


# -- real processes ------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _serve(args: list[str], log: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--port", str(port), *args], cwd=ROOT,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1", "PAPERKG_MODEL": "hashing", **env},
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _get(url + "/health") is not None, process, log)
        yield url, process
    finally:
        stop(process)


def _get(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _until(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, limit: float = 180) -> None:
    """Wait for `condition` (not a timing assertion: the limit only stops a hung test)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None, f"server exited:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"gave up waiting:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def _send(url: str, method: str, body: object | None = None) -> tuple[int, str, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["content-type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], json.loads(error.read())


def _search_titles(url: str, query: str) -> set[str]:
    found = _get(f"{url}/search?q={urllib.parse.quote(query)}&k=5")
    return {hit["title"] for hit in found["results"]} if found else set()


def _sparql_titles(url: str) -> set[str]:
    query = urllib.parse.quote("SELECT ?t WHERE { ?p a pkg:Paper ; dcterms:title ?t }")
    found = _get(f"{url}/sparql?query={query}")
    return {row["t"]["value"] for row in found["results"]["bindings"]} if found else set()


@contextlib.contextmanager
def _proxy(tmp_path: Path, writer: str, replicas: list[str]) -> Iterator[str]:
    """deploy/nginx.conf (the compose deployment's proxy) in front of these processes instead of containers."""
    nginx = shutil.which("nginx")
    if nginx is None:
        yield ""
        return
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    conf = conf.replace("server writer:8000;", f"server {writer.removeprefix('http://')};")
    conf = re.sub(r"server replica:8000([^;]*);",
                  lambda m: "".join(f"server {r.removeprefix('http://')}{m.group(1)}; " for r in replicas), conf)
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    assert str(port) in conf and "replica:8000" not in conf and "writer:8000" not in conf
    (tmp_path / "nginx").mkdir()
    main = tmp_path / "nginx" / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx/nginx.pid;\nerror_log {tmp_path}/nginx/error.log;\nevents {{}}\n"
                    f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path}/nginx;\n"
                    f"proxy_temp_path {tmp_path}/nginx;\n{conf}\n}}\n")
    process = subprocess.Popen([nginx, "-p", str(tmp_path / "nginx"), "-c", str(main), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _get(url + "/health") is not None, process, tmp_path / "nginx" / "error.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _pool(url: str, method: str = "GET") -> str:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(response.headers["x-paperkg-pool"])
    except urllib.error.HTTPError as error:
        return str(error.headers["x-paperkg-pool"])


def test_writer_and_two_replica_processes(tmp_path: Path) -> None:
    data = tmp_path / "writer"
    with KnowledgeBase.open(Settings(data=data, model="hashing")) as kb:
        kb.add_papers([FIRST])
    replica_env = {"PAPERKG_REPLICA_POLL": "0.2", "PAPERKG_REPLICA_GRACE": "1"}
    with contextlib.ExitStack() as stack:
        writer, _ = stack.enter_context(_serve(["--data", str(data), "--publish-every", "0.3"],
                                               tmp_path / "writer.log", {}))
        replicas = [stack.enter_context(_serve(["--data", str(tmp_path / f"unused{n}"), "--replica", str(data)],
                                               tmp_path / f"replica{n}.log", replica_env)) for n in range(2)]
        for url, _ in replicas:
            assert _get(url + "/health")["read_only"] is True
            assert _sparql_titles(url) == {FIRST.title}

        proxy = stack.enter_context(_proxy(tmp_path, writer, [url for url, _ in replicas]))
        if proxy:  # writes through the proxy reach the writer, reads a replica
            assert [_pool(proxy + "/health"), _pool(proxy + "/sparql?query=ASK%7B%7D", "POST")] == \
                ["paperkg_replicas"] * 2
            assert _pool(proxy + "/papers/nothing", "DELETE") == "paperkg_writer"
        status, _, report = _send((proxy or writer) + "/papers", "POST",
                                  {"title": SECOND.title, "abstract": SECOND.abstract})
        assert status == 200, report
        new_id = report["papers"][0]["id"]
        for n, (url, process) in enumerate(replicas):  # the same processes answer it once the writer published it
            def arrived(url: str = url) -> bool:
                return SECOND.title in _search_titles(url, "marsupial attention")

            _until(arrived, process, tmp_path / f"replica{n}.log")
            assert _sparql_titles(url) == {FIRST.title, SECOND.title}
            assert _get(f"{url}/papers/{new_id}")["title"] == SECOND.title

        url, process = replicas[0]
        for method, path, body in (("POST", "/papers", {"title": "A new one", "abstract": "Something new."}),
                                   ("DELETE", f"/papers/{new_id}", None)):
            status, media_type, problem = _send(url + path, method, body)
            assert (status, media_type) == (503, "application/problem+json")
            assert problem["type"].endswith("/read-only") and "read-only replica" in problem["detail"]
        assert _get(f"{url}/papers/{new_id}")["title"] == SECOND.title
        assert all(process.poll() is None for _, process in replicas)
        if proxy:
            assert SECOND.title in _search_titles(proxy, "marsupial attention")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_a_replica_waiting_for_its_first_snapshot_stops_on_sigterm(tmp_path: Path) -> None:
    """It waited inside the server's start-up, where SIGTERM and Ctrl-C are only noted: `docker stop` ended in
    SIGKILL. It now waits before the server starts."""
    log = tmp_path / "replica.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--port", str(free_port()),
                                    "--replica", str(tmp_path / "nothing-yet")], cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT,
                                   env={**os.environ, "PAPERKG_MODEL": "hashing", "PAPERKG_REPLICA_POLL": "0.2"})
    try:
        _until(lambda: "waiting for the writer to publish" in log.read_text(), process, log)
        process.terminate()
        assert process.wait(timeout=60) != 0  # the limit only stops a hung test
    finally:
        stop(process)


def test_serve_says_in_one_line_why_it_cannot_start(tmp_path: Path) -> None:
    """A store of another schema version, or a snapshot an older writer published: one `paperkg: error:` line
    instead of a traceback from the server's start-up, and for a snapshot the advice that fits it."""
    from click.testing import CliRunner

    from paperkg.cli import main

    with KnowledgeBase.open(Settings(data=tmp_path / "data", model="hashing")) as kb:
        kb.add_papers([FIRST])
        kb.publish()
    snapshot = current(tmp_path / "data" / "snapshots")
    assert snapshot is not None
    for db in (tmp_path / "data" / "paperkg.sqlite3", snapshot / "paperkg.sqlite3"):
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:
            conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    runner = CliRunner()
    # serve sets these in the environment for the server it starts: named here, so that each run restores them
    env: dict[str, str | None] = {"PAPERKG_MODEL": "hashing", "PAPERKG_REPLICA_POLL": "0.2", "PAPERKG_REPLICA": None,
                                  "PAPERKG_DATA": None}
    served = runner.invoke(main, ["serve", "--replica", str(tmp_path / "data"), "--port", "1"], env=env)
    assert served.exit_code != 0 and "schema version 1" in served.output, served.output
    assert "publish a new snapshot with a writer of this paperkg release" in served.output
    assert "Traceback" not in served.output and "writable" not in served.output
    with contextlib.closing(sqlite3.connect(tmp_path / "data" / "paperkg.sqlite3")) as conn, conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    served = runner.invoke(main, ["serve", "--data", str(tmp_path / "data"), "--port", "1"], env=env)
    assert served.exit_code != 0 and "schema version 99, this paperkg reads" in served.output, served.output
    assert "Traceback" not in served.output
