"""Start `paperkg serve` in a subprocess on a free loopback port for benchmarks, and stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(data: Path, env: dict[str, str] | None = None, startup_timeout: float = 600.0,
                   log: Path | None = None) -> Iterator[str]:
    """Yield the base URL of a server over `data` (built from seeds/ on first run). Its standard error goes to `log`
    (a temporary file by default; never a pipe nobody reads, which would stall a server that logs a lot)."""
    port = free_port()
    command = [sys.executable, "-m", "paperkg", "serve", "--data", str(data), "--port", str(port)]
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="paperkg-server-"))) / "server.log"
        errors = stack.enter_context(log.open("wb"))
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
                                   stdout=subprocess.DEVNULL, stderr=errors)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited: {tail(log)}")
                try:
                    with urllib.request.urlopen(url + "/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("server did not start in time") from None
                    time.sleep(0.3)
            yield url
        finally:
            stop(process, timeout=20)


def tail(log: Path, size: int = 4000) -> str:
    """The end of a server's log."""
    try:
        return log.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return ""


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM a server and wait for it; SIGKILL it if it is still there after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
