"""Exports are read a chunk at a time from whichever thread serves the response: pyoxigraph's iterators must stay on
the thread that made them (or the process aborts), so a producer thread makes and serialises them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from paperkg.graph.rdf.producer import produced
from paperkg.kb import KnowledgeBase


def test_chunks_are_made_on_one_thread_and_read_from_any() -> None:
    made_on: set[int] = set()
    cleaned: list[bool] = []

    def chunks() -> Iterator[bytes]:
        try:
            for n in range(50):
                made_on.add(threading.get_ident())
                yield b"%d," % n
        finally:
            cleaned.append(True)

    stream = produced(chunks)
    with ThreadPoolExecutor(4) as pool:  # each chunk read from a pool thread, as a streamed response does
        read = [pool.submit(next, stream).result() for _ in range(50)]
    assert b"".join(read) == b"".join(b"%d," % n for n in range(50))
    assert len(made_on) == 1 and threading.get_ident() not in made_on
    assert list(stream) == [] and cleaned == [True]


def test_errors_reach_the_caller_or_the_reader_and_closing_stops_the_producer() -> None:
    def broken_at_start() -> Iterator[bytes]:
        raise ValueError("no snapshot")

    with pytest.raises(ValueError, match="no snapshot"):
        produced(broken_at_start)

    def broken_later() -> Iterator[bytes]:
        yield b"a"
        raise RuntimeError("disk gone")

    stream = produced(broken_later)
    assert next(stream) == b"a"
    with pytest.raises(RuntimeError, match="disk gone"):
        next(stream)

    stopped = threading.Event()

    def endless() -> Iterator[bytes]:
        try:
            while True:
                yield b"x"
        finally:
            stopped.set()

    stream = produced(endless)
    assert next(stream) == b"x"
    stream.close()  # a client that went away
    assert stopped.wait(10)


def test_an_rdf_export_is_read_from_other_threads_than_the_one_that_asked(kb: KnowledgeBase) -> None:
    """Before, the iterator was made in the request's thread: reading it from another one aborted the process."""
    with ThreadPoolExecutor(2) as pool:
        _media, chunks = pool.submit(kb.export, "nquads").result()
        body = b"".join(pool.submit(lambda: list(chunks)).result())
    assert body.count(b"\n") == kb.rdf.triple_count > 0
