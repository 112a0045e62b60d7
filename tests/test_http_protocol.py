"""Requests the HTTP parser refuses get problem+json from `paperkg serve`'s protocol, not uvicorn's plain text."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import uvicorn

from bench._server import free_port
from paperkg.cli.query import HTTP_PROTOCOL


async def echo_app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                   send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(len(scope["query_string"])).encode()})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(echo_app, host="127.0.0.1", port=port, http=HTTP_PROTOCOL,
                                           log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


def exchange(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b"content-length" not in data.lower():
                break
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


def test_a_url_over_the_parser_limit_is_a_414_problem_that_says_to_post(port: int) -> None:
    ok_status, _, ok_body = exchange(port, b"GET /sparql?query=" + b"a" * 60_000 + b" HTTP/1.1\r\nHost: x\r\n"
                                     b"Connection: close\r\n\r\n")
    assert " 200 " in ok_status and b"60006" in ok_body  # the whole query string reached the app
    status, headers, body = exchange(port, b"GET /sparql?query=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert " 414 " in status
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 414 and problem["type"].endswith("/uri-too-long")
    assert "POST /sparql" in problem["detail"] and "70,0" in problem["detail"]
    _, _, other = exchange(port, b"GET /papers?x=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert json.loads(other)["detail"].endswith("; shorten it")


def test_a_malformed_request_is_a_400_problem(port: int) -> None:
    status, headers, body = exchange(port, b"NOT HTTP AT ALL\r\n\r\n")
    assert " 400 " in status
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 400 and problem["detail"] == "not a valid HTTP request: Invalid method encountered"
