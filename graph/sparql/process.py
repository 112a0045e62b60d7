"""SPARQL worker processes: starting one (a fresh interpreter on a store checkpoint, or a fork that keeps an in-memory
store), and the framed requests and answers on its pipes."""

from __future__ import annotations

import fcntl
import json
import os
import select
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperkg.graph.sparql import worker as child

_SPAWN = "from paperkg.graph.sparql.worker import main; main()"


class Timeout(Exception):
    pass


class Died(Exception):
    pass


@dataclass(eq=False)
class Worker:
    pid: int
    version: int
    generation: int
    send: int
    recv: int
    queries: int = 0
    reaped: bool = False
    checkpoint: Path | None = None
    """The store checkpoint this worker reads (removed once it is reaped)."""


def send(worker: Worker, frame: bytes) -> None:
    """Write a request frame (OSError if the worker is gone)."""
    view = memoryview(frame)
    while view:
        view = view[os.write(worker.send, view):]


def receive(worker: Worker, deadline: float) -> tuple[dict[str, Any], bytes]:
    """Read a response frame until `deadline` (Timeout), or Died if the worker exits first."""
    poller = select.poll()
    poller.register(worker.recv, select.POLLIN | select.POLLHUP | select.POLLERR)
    buffer = bytearray()
    total = -1
    head_size = 0
    while total < 0 or len(buffer) < total:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(max(1, int(remaining * 1000 + 0.999))):
            raise Timeout()
        chunk = os.read(worker.recv, 1 << 20)
        if not chunk:
            raise Died()
        buffer += chunk
        if total < 0 and len(buffer) >= child.FRAME_PREFIX:
            head_size, body_size = child.frame_sizes(bytes(buffer[:child.FRAME_PREFIX]))
            total = child.FRAME_PREFIX + head_size + body_size
    start = child.FRAME_PREFIX
    answer: dict[str, Any] = json.loads(buffer[start:start + head_size])
    return answer, bytes(buffer[start + head_size:total])


def fork_in_memory(store: Any, base: str, prefixes: dict[str, str], memory_limit: int, version: int,
                   generation: int) -> Worker:
    """Fork a child that keeps the parent's in-memory store as it is now (copy on write)."""
    request_r, request_w = os.pipe()
    response_r, response_w = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        for fd in (request_r, request_w, response_r, response_w):
            os.close(fd)
        raise
    if pid == 0:  # the child: never returns
        context = child.Context(store, base, prefixes)
        child.child_main(context, request_r, response_w, memory_limit, parent)
    os.close(request_r)
    os.close(response_w)
    return Worker(pid, version, generation, request_w, response_r)

def spawn(checkpoint: Path, base: str, prefixes: dict[str, str], memory_limit: int, version: int,
          generation: int) -> Worker:
    """Start a fresh interpreter that opens `checkpoint` read-only, its pipes on descriptors 3 and 4."""
    request_r, request_w = os.pipe()
    response_r, response_w = os.pipe()
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (request_r, response_w)]
    spec = {"store": str(checkpoint.resolve()), "base": base, "prefixes": prefixes,
            "memory": memory_limit, "parent": os.getpid()}
    try:
        # the child finds paperkg where this process did, installed or not
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
        pid = os.posix_spawn(sys.executable, [sys.executable, "-c", _SPAWN, json.dumps(spec)], env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, high[0], child.REQUEST_FD),
                                           (os.POSIX_SPAWN_DUP2, high[1], child.RESPONSE_FD)])
    except OSError:
        for fd in (request_w, response_r):
            os.close(fd)
        raise
    finally:
        for fd in (request_r, response_w, *high):
            os.close(fd)
    return Worker(pid, version, generation, request_w, response_r)
