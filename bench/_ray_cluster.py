"""A real Ray cluster of several nodes on this machine, for tests and benchmarks: `ray start --head`, then
`ray start --address=...` per extra node, each `--block`ed in a process group of its own so that it can be stopped
by that group's id (never by name: other Ray processes on the machine are left alone).

Sessions, logs and spilled objects go to a temporary directory; each node gets its own ports and a small object
store; the cluster has a random authentication token, which a driver needs in its environment (`env`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._server import free_port

RAY = Path(sys.executable).with_name("ray")


class RayCluster:
    """Nodes of one cluster; `close` stops every node it started."""

    def __init__(self, cpus_per_node: int = 1, object_store_bytes: int = 200 * 2**20) -> None:
        self.cpus = cpus_per_node
        self.object_store = object_store_bytes
        self.temp = Path(tempfile.mkdtemp(prefix="pkray", dir="/tmp"))  # short: Ray's socket paths are limited
        self.env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
        """What a driver needs in its environment."""
        self.nodes: list[subprocess.Popen[bytes]] = []
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"

    def start(self) -> RayCluster:
        """The head node; returns once its GCS accepts connections."""
        self._node("--head", "--port", str(self.port), "--temp-dir", str(self.temp), "--include-dashboard", "false")
        self._wait(lambda: _accepts(self.port), "the head node accepts connections")
        return self

    def add_node(self) -> None:
        """One more node; returns once the cluster counts it alive."""
        self._node("--address", self.address)
        expected = len(self.nodes)
        self._wait(lambda: self.alive() == expected, f"node {expected} joins")

    def stop_node(self, index: int) -> None:
        """Stop one node (not the head) and forget it."""
        node = self.nodes.pop(index)
        _stop([node])

    def alive(self) -> int:
        """Nodes the cluster counts alive (asked by a short-lived driver)."""
        script = (f"import ray; ray.init(address={self.address!r}, logging_level='ERROR', log_to_driver=False); "
                  "print(sum(n['Alive'] for n in ray.nodes()))")
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                                env={**os.environ, **self.env})
        words = result.stdout.split()
        return int(words[-1]) if result.returncode == 0 and words and words[-1].isdigit() else 0

    def close(self) -> None:
        _stop(self.nodes)
        self.nodes = []
        deadline = time.monotonic() + 10
        while _under(self.temp) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in _under(self.temp):  # a worker that outlived its node: ours, by its session directory
            _signal(pid, signal.SIGKILL, group=False)
        shutil.rmtree(self.temp, ignore_errors=True)

    def _node(self, *args: str) -> None:
        name = f"node{len(self.nodes)}"
        common = ["--block", "--num-cpus", str(self.cpus), "--object-store-memory", str(self.object_store),
                  "--object-spilling-directory", str(self.temp / f"spill-{name}"), "--node-ip-address", "127.0.0.1",
                  "--dashboard-agent-listen-port", str(free_port()), "--dashboard-agent-grpc-port", str(free_port()),
                  "--metrics-export-port", str(free_port()), "--runtime-env-agent-port", str(free_port()),
                  "--disable-usage-stats"]
        env = {**os.environ, **self.env, "RAY_USAGE_STATS_ENABLED": "0", "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
        with (self.temp / f"{name}.log").open("wb") as log:
            self.nodes.append(subprocess.Popen([str(RAY), "start", *args, *common], env=env, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True))

    def _wait(self, condition: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
        """Until `condition()`; a node that exits meanwhile fails at once, with the end of its log."""
        deadline = time.monotonic() + timeout
        while not condition():
            for number, node in enumerate(self.nodes):
                if node.poll() is not None:
                    log = (self.temp / f"node{number}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"Ray node {number} exited with status {node.returncode}:\n{log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"Ray cluster: {what} within {timeout:.0f} s")
            time.sleep(0.5)


@contextmanager
def ray_cluster(nodes: int = 2, cpus_per_node: int = 1, object_store_bytes: int = 200 * 2**20) -> Iterator[RayCluster]:
    """A started cluster of `nodes` nodes, stopped on the way out whatever happens."""
    cluster = RayCluster(cpus_per_node, object_store_bytes)
    try:
        cluster.start()
        for _ in range(nodes - 1):
            cluster.add_node()
        yield cluster
    finally:
        cluster.close()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _stop(nodes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each node's process group (`ray start --block` then stops its node's processes); SIGKILL a group
    still there after a minute."""
    for node in reversed(nodes):
        _signal(node.pid, signal.SIGTERM)
    for node in reversed(nodes):
        try:
            node.wait(timeout=60)
        except subprocess.TimeoutExpired:
            _signal(node.pid, signal.SIGKILL)
            node.wait(timeout=10)


def _under(temp: Path) -> list[int]:
    """Pids of processes whose command line names `temp` (every Ray process names its session directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(temp).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _signal(pid: int, sig: int, group: bool = True) -> None:
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
