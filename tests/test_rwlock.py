"""The knowledge base's readers-writer lock: exclusion, writer preference, and readers let in between writes."""

from __future__ import annotations

import threading
import time

from paperkg.core.rwlock import RWLock


def test_a_write_excludes_reads_and_waits_for_them() -> None:
    lock, events = RWLock(), []
    reading = threading.Event()

    def reader() -> None:
        with lock.read():
            reading.set()
            time.sleep(0.1)
            events.append("read done")

    thread = threading.Thread(target=reader)
    thread.start()
    reading.wait(5)
    with lock.write():
        events.append("write")
    thread.join()
    assert events == ["read done", "write"]


def test_a_waiting_writer_keeps_new_readers_out() -> None:
    lock, events = RWLock(), []
    with lock.read():
        def write() -> None:
            with lock.write():
                events.append("write")

        writer = threading.Thread(target=write)
        writer.start()
        while not lock._waiting_writers:
            time.sleep(0.001)

        def read() -> None:
            with lock.read():
                events.append("read")

        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.05)
        assert events == []  # neither: the writer waits for us, the new reader for the writer
    writer.join(5)
    reader.join(5)
    assert events == ["write", "read"]


def test_readers_waiting_when_a_write_ends_go_before_the_next_write() -> None:
    """A writer taking the lock again and again (a write staged in short holds) lets waiting readers in between."""
    lock = RWLock()
    holds, done, seen = 20, [0], []
    started = threading.Event()

    def writer() -> None:
        for _ in range(holds):
            with lock.write():
                started.set()
                time.sleep(0.01)
            done[0] += 1

    def reader() -> None:
        started.wait(5)
        with lock.read():
            seen.append(done[0])

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen and seen[0] <= 2  # after the hold it waited for (and at most one more), not after all twenty
