"""The query worker: a process forked from the one holding an in-memory RDF store, or spawned on a checkpoint of an
on-disk one (`main`); it never returns.

A forked child only uses modules imported here before the fork. It closes every inherited descriptor except its two
pipes (the parent's copies, sockets included, are unaffected: descriptors are per process), maps /dev/null on 0-2, and
lowers RLIMIT_NOFILE to 5, so it cannot create a socket or open a file: even a query that slipped past the guard could
not connect anywhere. RLIMIT_AS bounds the memory a query may add. It dies with its parent (PR_SET_PDEATHSIG) and on
EOF of its request pipe, and always leaves through os._exit.

Frames on the pipes: 8 bytes (header length, body length, big-endian), a JSON header, the body. No pickle.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import gc
import itertools
import json
import os
import re
import resource
import signal
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from paperkg.core.text import NOT_XML
from paperkg.graph.rdf.serialize import as_bytes
from paperkg.graph.sparql.formats import GRAPH_FORMATS, SOLUTION_FORMATS

_FRAME = struct.Struct(">II")
REQUEST_FD, RESPONSE_FD = 3, 4
_PR_SET_PDEATHSIG = 1
_CLONE_NEWNET, _CLONE_NEWUSER = 0x40000000, 0x10000000
_TSV = ox.QueryResultsFormat.TSV
_XML_FORMATS = ("xml", "rdfxml")
_XML_LOCAL_NAME = re.compile(r"[^\W\d][\w.\-]*$")
"""RDF/XML writes a predicate as an XML element: its IRI must end in a name (a letter or _ first); ".../123" cannot."""
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _LIBC = None
Head = dict[str, Any]


def encode_frame(head: Head, body: bytes = b"") -> bytes:
    data = json.dumps(head).encode()
    return _FRAME.pack(len(data), len(body)) + data + body


def frame_sizes(prefix: bytes) -> tuple[int, int]:
    sizes: tuple[int, int] = _FRAME.unpack(prefix)
    return sizes


FRAME_PREFIX = _FRAME.size


def _read_exact(fd: int, size: int) -> bytes | None:
    parts, missing = [], size
    while missing:
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# -- running one request ---------------------------------------------------------------------------


def _error(kind: str, message: str) -> tuple[Head, bytes]:
    return {"ok": False, "error": kind, "message": message}, b""


class Context:
    """What every query of a worker shares: the store snapshot, the base IRI and the predeclared prefixes."""

    def __init__(self, store: ox.Store, base: str, prefixes: dict[str, str]) -> None:
        self.store, self.base, self.prefixes = store, base, prefixes

    def query(self, text: str, union: bool = True,
              store: ox.Store | None = None) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        return (store or self.store).query(text, use_default_graph_as_union=union, base_iri=self.base,
                                           prefixes=self.prefixes)


def _parse_error(context: Context, query: str) -> str | None:
    """The parser's message for `query`, or None if it parses (checked on an empty store)."""
    try:
        context.query(query, store=ox.Store())
    except SyntaxError as error:
        return str(error)
    except Exception:  # evaluation on an empty store: it parsed
        return None
    return None


def run_request(context: Context, head: Head, body: bytes) -> tuple[Head, bytes]:
    """Run one query; the response header says what came out (kind, format, rows, truncated) or what failed."""
    text = body.decode()
    query, original = text[:head["split"]], text[head["split"]:]
    if head.get("check"):
        message = _parse_error(context, query)
        return _error("syntax", message) if message else _error("unchecked", "")
    capped = bool(head.get("capped"))
    try:
        result = context.query(query, head["union"])
    except SyntaxError as error:
        message = _parse_error(context, original) if original else str(error)
        if message is not None:
            return _error("syntax", message)
        capped = False  # the rewrite broke a query that parses: run it as written, capped here
        result = context.query(original, head["union"])
    return serialise(result, head, capped, context.prefixes)


class Unwritable(Exception):
    """The chosen format cannot carry these results; the message says why."""


def serialise(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterator[ox.Triple], head: Head,
              capped: bool, prefixes: dict[str, str]) -> tuple[Head, bytes]:
    """A query result in the format the header asks for, cut at its row cap.

    Only writing the result in the chosen format is checked here (Unwritable: "unrepresentable"); the query runs
    while the rows are read, so what it raises (an OSError for a connection or file) goes on to the caller."""
    cap, name = int(head["cap"]), str(head["fmt"])
    truncated = False
    try:
        if isinstance(result, ox.QueryBoolean):
            kind, rows = "ask", 1
            name = name if name in SOLUTION_FORMATS else "json"
            body = as_bytes(result.serialize(format=SOLUTION_FORMATS[name][1]))
        elif isinstance(result, ox.QuerySolutions):
            kind = "select"
            name = name if name in SOLUTION_FORMATS else "json"
            tsv = as_bytes(result.serialize(format=_TSV)) if capped else _tsv(result, cap)
            rows = tsv.count(b"\n") - 1
            if rows > cap:
                tsv = b"\n".join(tsv.split(b"\n", cap + 1)[:cap + 1]) + b"\n"
                rows, truncated = cap, True
            body = _written(functools.partial(_solutions_body, tsv), name, SOLUTION_FORMATS)
        else:
            kind = "describe" if head.get("kind") == "describe" else "construct"
            name = name if name in GRAPH_FORMATS else "turtle"
            triples = list(itertools.islice(result, cap + 1))
            truncated = len(triples) > cap
            triples = triples[:cap]
            rows = len(triples)
            body = _written(functools.partial(_graph_body, triples, prefixes), name, GRAPH_FORMATS)
    except Unwritable as error:
        return _error("unrepresentable", str(error))
    if truncated:
        body = _note_truncation(body, name, cap)
    return {"ok": True, "kind": kind, "fmt": name, "rows": rows, "truncated": truncated}, body


def _written(write: Callable[[str], bytes], name: str, formats: Iterable[str]) -> bytes:
    """`write(name)`; if that format cannot carry the results, Unwritable also names the formats that can."""
    try:
        return write(name)
    except Unwritable as error:
        reason = str(error)
    able = []
    for other in formats:
        if other != name:
            try:
                write(other)
            except Unwritable:
                continue
            able.append(other)
    advice = f"ask for {', '.join(able[:-1])} or {able[-1]}" if len(able) > 1 else (
        f"ask for {able[0]}" if able else "no format offered here can carry them")
    raise Unwritable(f"{reason}; {advice}")


def _solutions_body(tsv: bytes, name: str) -> bytes:
    """SELECT results (as SPARQL TSV) in the format `name`."""
    if name == "tsv":
        return tsv
    try:
        body = as_bytes(ox.parse_query_results(tsv, _TSV).serialize(format=SOLUTION_FORMATS[name][1]))
    except (OSError, ValueError) as error:  # pyoxigraph's writers raise OSError for content a format lacks
        raise Unwritable(f"these results cannot be given as {name} ({error})") from None
    return _xml_checked(body, name)


def _graph_body(triples: list[ox.Triple], prefixes: dict[str, str], name: str) -> bytes:
    """CONSTRUCT or DESCRIBE results in the format `name`."""
    if name == "rdfxml":
        unnamed = next((t.predicate.value for t in triples if not _XML_LOCAL_NAME.search(t.predicate.value)), None)
        if unnamed is not None:
            raise Unwritable(f"the predicate <{unnamed[:200]}> does not end in an XML name, so RDF/XML cannot write "
                             "it")
    items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if name == "nquads" else triples
    try:
        body = as_bytes(ox.serialize(items, format=GRAPH_FORMATS[name][1],
                                     prefixes=prefixes if name == "turtle" else None))
    except (OSError, ValueError) as error:  # e.g. "JSON-LD does not support RDF 1.2 yet": not a connection
        if any(isinstance(t.subject, ox.Triple) or isinstance(t.object, ox.Triple) for t in triples):
            raise Unwritable(f"these results hold an RDF 1.2 triple term, which {name} cannot carry "
                             f"({error})") from None
        raise Unwritable(f"these results cannot be given as {name} ({error})") from None
    return _xml_checked(body, name)


def _xml_checked(body: bytes, name: str) -> bytes:
    """`body`, unless it is XML holding a character XML 1.0 cannot carry."""
    if name in _XML_FORMATS and NOT_XML.search(body.decode("utf-8", "replace")):
        raise Unwritable("the results hold a character XML 1.0 cannot carry (a control character or U+FFFE/U+FFFF), "
                         f"so they cannot be given as {name}")
    return body


def _tsv(result: ox.QuerySolutions, cap: int) -> bytes:
    """At most cap + 1 solutions as SPARQL TSV, read one by one (when the query could not be given a LIMIT)."""
    variables = result.variables
    lines = ["\t".join(str(v) for v in variables)]
    for solution in itertools.islice(result, cap + 1):
        lines.append("\t".join(_term(solution[v]) for v in variables))
    return ("\n".join(lines) + "\n").encode()


def _term(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        return f"<< {_term(term.subject)} {_term(term.predicate)} {_term(term.object)} >>"
    return str(term)


def _note_truncation(body: bytes, name: str, cap: int) -> bytes:
    """State the truncation in the body where the format has room for it (clients ignore it)."""
    if name == "json":
        stripped = body.rstrip()
        if stripped.endswith(b"}"):
            return stripped[:-1] + b',"truncated":true,"rowLimit":' + str(cap).encode() + b"}"
    elif name in ("xml", "rdfxml"):
        note = f"<!-- paperkg: results truncated at the row limit ({cap}) -->".encode()
        end = body.find(b"?>") + 2 if body.startswith(b"<?xml") else 0
        return body[:end] + note + body[end:]
    elif name in ("turtle", "ntriples", "nquads"):
        return f"# paperkg: results truncated at the row limit ({cap} triples)\n".encode() + body
    return body


# -- the child process -----------------------------------------------------------------------------


def _open_under(directory: str) -> set[int]:
    """Descriptors open on `directory` or files in it (an on-disk store the child must keep reading)."""
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target == directory or target.startswith(directory + "/"):
            found.add(int(name))
    return found


def _sandbox(request_fd: int, response_fd: int, memory_limit: int, parent: int,
             keep_under: str | None = None) -> tuple[int, int]:
    """Returns the request and response descriptors. Every other descriptor is closed, and RLIMIT_NOFILE is set
    just above the last one kept, so that no new descriptor can be created.

    With `keep_under` (the checkpoint a spawned worker reads), the descriptors open on it are kept too, but RocksDB
    opens table files as it needs them, so files stay openable: the child is moved to a network namespace of its own
    instead (no interface, so no connection can be made) where the system allows it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)
    gc.freeze()  # the inherited heap is never collected here, so the parent's pages stay shared
    if memory_limit > 0:
        with open("/proc/self/statm", "rb") as handle:
            size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = size + memory_limit
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    kept = _open_under(keep_under) if keep_under else set()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd not in kept:
            os.dup2(null, fd)
    if not kept & {REQUEST_FD, RESPONSE_FD}:
        high_request = fcntl.fcntl(request_fd, fcntl.F_DUPFD, 16)
        high_response = fcntl.fcntl(response_fd, fcntl.F_DUPFD, 16)
        os.dup2(high_request, REQUEST_FD)
        os.dup2(high_response, RESPONSE_FD)
        request_fd, response_fd = REQUEST_FD, RESPONSE_FD
    keep = sorted({0, 1, 2, request_fd, response_fd, *kept})
    for low, high in itertools.pairwise([*keep, resource.getrlimit(resource.RLIMIT_NOFILE)[0]]):
        if high > low + 1:
            os.closerange(low + 1, high)
    if keep_under:
        _isolate_network()  # where namespaces are refused (some container profiles), the guard is the barrier
        return request_fd, response_fd
    resource.setrlimit(resource.RLIMIT_NOFILE, (keep[-1] + 1, keep[-1] + 1))
    return request_fd, response_fd


def _isolate_network() -> bool:
    """Move this (single-threaded) process into a new, empty network namespace."""
    if _LIBC is None:
        return False
    return any(_LIBC.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET))


def child_main(context: Context, request_fd: int, response_fd: int, memory_limit: int, parent: int,
               keep_under: str | None = None) -> None:
    """Entry point right after os.fork() in the child: sandbox, then answer requests until EOF. Never returns."""
    code = 0
    try:
        requests, responses = _sandbox(request_fd, response_fd, memory_limit, parent, keep_under)
        while True:
            prefix = _read_exact(requests, FRAME_PREFIX)
            if prefix is None:
                break
            head_size, body_size = _FRAME.unpack(prefix)
            head_bytes, body = _read_exact(requests, head_size), _read_exact(requests, body_size)
            if head_bytes is None or body is None:
                break
            try:
                out = run_request(context, json.loads(head_bytes), body)
            except MemoryError:
                out = _error("memory", "the query needed more memory than a query may use")
            except OSError as error:
                out = _error("network", f"the query tried to open a connection or file, which is never allowed "
                                        f"({error})")
            except Exception as error:
                out = _error("query", f"{type(error).__name__}: {error}")
            _write_all(responses, encode_frame(*out))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def main() -> None:
    """Entry point of a spawned worker: argv[1] is a JSON spec (store, base, prefixes, memory, parent); the request
    and response pipes are descriptors 3 and 4. Opens the checkpoint read-only, then serves like a forked child."""
    try:
        spec = json.loads(sys.argv[1])
        store = ox.Store.read_only(spec["store"])
    except BaseException:
        os._exit(1)
    context = Context(store, spec["base"], spec["prefixes"])
    child_main(context, REQUEST_FD, RESPONSE_FD, int(spec["memory"]), int(spec["parent"]), spec["store"])
