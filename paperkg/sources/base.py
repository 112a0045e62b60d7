"""What every reader shares: files opened as streams (gzip transparently), skipped records, text and name cleaning."""

from __future__ import annotations

import gzip
import html
import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

from pylatexenc.latex2text import LatexNodes2Text

from paperkg.core.errors import InvalidInput
from paperkg.core.records import PaperInput

SkipKind = Literal["bad", "no-abstract", "filtered", "empty"]
GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 256 * 1024
"""How much of a file (decompressed) format detection looks at."""
LATEX_CACHE = 4_096
"""Decoded LaTeX strings remembered (author names recur across a corpus); bounded, so memory stays flat."""
_LATEX_HINT = re.compile(r"[\\{}$~]")
PERCENT = re.compile(r"\\?%")
KEPT = "\ue000"
"""A private-use character holding the percent signs of a text while its LaTeX is decoded (where % starts a
comment: "Removing 50% of $k$ heads" would end at "Removing 50")."""
_JSON = json.JSONDecoder()


@dataclass(frozen=True)
class Skipped:
    """A record that is not stored: bad (with the reason), without an abstract, filtered out, or empty (null)."""

    origin: str
    kind: SkipKind
    reason: str = ""

    @property
    def message(self) -> str:
        return f"{self.origin}: {self.reason}"


Record = PaperInput | Skipped


def abstract_of(value: Any, where: str, label: str) -> str | Skipped:
    """A record's abstract, or why it is skipped: bad when it is not a string, no-abstract when it is empty."""
    if value is not None and not isinstance(value, str):
        return Skipped(where, "bad", f"{label}: 'abstract' must be a string")
    if not value or not value.strip():
        return Skipped(where, "no-abstract", f"{label}: no abstract")
    return value


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (by content, not by name)."""
    try:
        handle: IO[bytes] = path.open("rb")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a directory") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read: {error.strerror}") from None
    if not handle.seekable():  # the format is detected from the head, then the file is read from the start
        handle.close()
        raise InvalidInput(f"{path}: not a regular file (a pipe or device is read only once); save it to a file")
    if handle.read(2) == GZIP_MAGIC:
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    handle.seek(0)
    return handle


def raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every line, streamed."""
    with open_binary(path) as handle:
        number = 0
        try:
            for number, raw in enumerate(handle, 1):
                yield number, raw
        except (OSError, EOFError, zlib.error) as error:
            raise InvalidInput(f"{path}:{number + 1}: corrupt or truncated gzip data ({error})") from None


def decode(raw: bytes, path: Path, number: int) -> str:
    """One line as text (a BOM on the first line dropped), or InvalidInput naming the line and the byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path}:{number}: not UTF-8 (byte 0x{raw[error.start]:02x})") from None
    return text.removeprefix("\ufeff") if number == 1 else text


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line, streamed; a line that is not UTF-8 raises InvalidInput."""
    for number, raw in raw_lines(path):
        yield number, decode(raw, path, number)


def read_text(path: Path) -> str:
    """The whole decoded file, for formats that are one document (BibTeX, a JSON array)."""
    with open_binary(path) as handle:
        try:
            data = handle.read()
        except (OSError, EOFError, zlib.error) as error:
            raise InvalidInput(f"{path}: corrupt or truncated gzip data ({error})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: not UTF-8 (byte 0x{data[error.start]:02x})") from None


def head(path: Path) -> str:
    """The first HEAD_BYTES of the decoded file (a broken multi-byte character at the end is dropped)."""
    with open_binary(path) as handle:
        try:
            data = handle.read(HEAD_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise InvalidInput(f"{path}: corrupt or truncated gzip data ({error})") from None
    return data.decode("utf-8", errors="ignore").removeprefix("\ufeff")


def first_json(text: str) -> Any:
    """The first JSON value of `text` (inside a leading '[' when it is an array), or None."""
    text = text.lstrip()
    if text.startswith("["):
        text = text[1:].lstrip()
    try:
        return _raw_decode(text)[0]
    except ValueError:
        return None


def json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """(FILE:LINE, decoded value or Skipped) per non-blank line (not UTF-8 or not JSON: Skipped)."""
    for number, raw in raw_lines(path):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            line = decode(raw, path, number)
        except InvalidInput as error:  # one bad line in a dump is one bad record, not a broken file
            yield where, Skipped(where, "bad", error.detail.removeprefix(f"{where}: "))
            continue
        try:
            yield where, _loads(line)
        except json.JSONDecodeError as error:
            yield where, Skipped(where, "bad", f"not JSON: {error.msg} (column {error.colno})")


def first_line_json(path: Path, start: str = "") -> Any:
    """The first non-blank line of the file as JSON, or None when it is not JSON: taken from `start` (the file's
    head, stripped) when it holds the whole line, else read from the file, however long."""
    line, newline, _ = start.partition("\n")
    if newline:
        try:
            return _loads(line)
        except json.JSONDecodeError:
            return None
    try:
        for number, raw in raw_lines(path):
            if raw.strip():
                return _loads(decode(raw, path, number))
    except (InvalidInput, json.JSONDecodeError):
        return None
    return None


def json_values(path: Path) -> Iterator[tuple[str, Any]]:
    """(FILE:LINE, value) of each line of JSON Lines (streamed), each item of a JSON array, or one JSON object."""
    start = head(path).lstrip()
    # the first line decides; read from the file, since one record (thousands of authors) can outgrow the head
    if not start.startswith("[") and first_line_json(path, start) is not None:
        yield from json_lines(path)
        return
    text = read_text(path)
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        where = f"{path}:{text.count(chr(10), 0, position) + 1}"
        try:
            value, end = _raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield where, Skipped(f"{path}:{error.lineno}", "bad", f"not JSON: {error.msg}")
            return
        if text[end:].strip():
            yield where, Skipped(where, "bad", "not JSON: more than one value, and not one per line")
            return
        yield where, value
        return
    position += 1
    line, counted = 1, 0
    while True:
        position = _skip_space(text, position)
        if position < len(text) and text[position] == "]":
            return
        line, counted = line + text.count("\n", counted, position), position
        where = f"{path}:{line}"
        try:
            value, position = _raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield where, Skipped(where, "bad", f"not JSON: {error.msg} (the rest of the array is not read)")
            return
        yield where, value
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position += 1
        elif position >= len(text) or text[position] != "]":
            yield where, Skipped(where, "bad", "not JSON: expected ',' or ']' after an array item")
            return


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def squash(text: str | None) -> str:
    """Whitespace runs (hard wraps, two-space indents, tabs) as single spaces, trimmed."""
    return " ".join(text.split()) if text else ""


_TAG = r"</?(?:jats:|mml:)?({names})(?:\s+[\w:-]+=(?:\"[^\"]*\"|'[^']*'))*\s*/?>"
_INLINE = re.compile(_TAG.format(names="i|b|em|strong|sub|sup|sc|scp|u|span|italic|bold|inline-formula|math|mi|mo|"
                                       "mn|mrow|msub|msup|mtext"), re.I)
_BLOCK = re.compile(_TAG.format(names="p|br|div|sec|title|list|list-item"), re.I)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.I)


def unmarkup(text: str) -> str:
    """The text of HTML, JATS or MathML markup that OpenAlex, Crossref and Semantic Scholar records carry
    ('Fast <i>LoRA</i> &amp; H<sub>2</sub>O', '<jats:p>...'), whitespace squashed; anything else is left as it is
    ('x < y', 'R&D')."""
    if "<" in text:
        text = _INLINE.sub("", _BLOCK.sub(" ", text))
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    return squash(text)


@lru_cache(maxsize=1)
def _latex() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "c": "\u0327", "v": "\u030c", "H": "\u030b", "u": "\u0306", "k": "\u0328",
            "r": "\u030a"}
_LETTERS = {"i": "i", "j": "j", "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ",
            "OE": "Œ", "aa": "å", "AA": "Å"}
_ACCENTED = re.compile(r"""\\(["'`^~=.])\s*(?:\{\s*(\\[a-zA-Z]+|[A-Za-z])\s*\}|(\\[a-zA-Z]+|[A-Za-z]))"""
                       r"|\\([cvHukr])(?:\s*\{\s*(\\[a-zA-Z]+|[A-Za-z])\s*\}|\s+([A-Za-z]))")
_LETTER = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|[ijlLoO])(?![A-Za-z])\s*")


def _accent(found: re.Match[str]) -> str:
    mark = _ACCENTS[found.group(1) or found.group(4)]
    base = found.group(2) or found.group(3) or found.group(5) or found.group(6)
    if base.startswith("\\"):
        base = _LETTERS.get(base[1:], "")
    return unicodedata.normalize("NFC", base + mark) if base else found.group(0)


def _fast_delatex(text: str) -> str | None:
    """The common cases (accents such as {\\'e}, \\"u, \\c{c}; letters such as \\l, \\ss; protecting braces) at a
    fraction of pylatexenc's cost, or None when anything else is left for pylatexenc."""
    out = _LETTER.sub(lambda m: _LETTERS[m.group(1)], _ACCENTED.sub(_accent, text)).replace("{", "").replace("}", "")
    return None if _LATEX_HINT.search(out) else squash(out)


def delatex(text: str) -> str:
    """LaTeX accents, escapes and protecting braces decoded: '{LoRA}' -> 'LoRA', 'G{\\"o}del' -> 'Gödel'."""
    return _decode_latex(text) if _LATEX_HINT.search(text) else text


@lru_cache(maxsize=LATEX_CACHE)
def _decode_latex(text: str) -> str:
    kept = PERCENT.sub(KEPT, text)
    fast = _fast_delatex(kept)
    if fast is not None:
        return fast.replace(KEPT, "%")
    try:
        return squash(_latex().latex_to_text(kept)).replace(KEPT, "%")
    except Exception:  # pylatexenc gives up on some malformed input; the raw text is better than nothing
        return text


def person(given: str | None, family: str | None, suffix: str | None = None) -> str:
    """'Edward J.', 'Hu' -> 'Edward J. Hu' (LaTeX decoded, spacing squashed)."""
    name = squash(" ".join(part for part in (given, family, suffix) if part))
    return delatex(name)


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def as_year(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip()[:4].isdigit():
        return int(value.strip()[:4])
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _loads(text: str) -> Any:
    """json.loads, with a value nested too deeply for the parser (a RecursionError) or a number too long for Python
    to read (a ValueError past 4,300 digits) reported as not JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError("a number too long to read", text, 0) from None


def _raw_decode(text: str, position: int = 0) -> tuple[Any, int]:
    try:
        return _JSON.raw_decode(text, position)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, position) from None
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError("a number too long to read", text, position) from None
