"""Tokenizer-level safety check of a SPARQL query, before any parser or store sees it.

Refuses UPDATE operations, SERVICE (also `SERVICE ?var`) and FROM / FROM NAMED of graphs outside {base}graph/.
The tokenizer follows the SPARQL 1.1 terminals, so `?service`, `"SERVICE"`, `<http://x/service>` and comments are not
false positives, and it is built against Oxigraph's parser, which matches keywords without a word boundary: in
`trueSERVICE<x>{}`, `1SERVICE<x>{}` or `PREFIX s: <x> ... SERVICEs:x{}` it reads SERVICE, so any code token whose
keyword part contains SERVICE is refused. `<` is an IRI or a comparison depending on context (as in the parser); the
rare spellings where the two readings could disagree in a way that hides code are refused rather than guessed.
Queries that do not tokenize are passed on (flagged) so the parser can report the syntax error; the query workers
cannot open sockets in any case (see graph.sparql.worker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

from paperkg.core.errors import QueryRefused, QuerySyntaxError
from paperkg.graph.rdf.namespaces import Iris

Kind = Literal["select", "ask", "construct", "describe"]
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
QUERY_FORMS: tuple[Kind, ...] = ("select", "construct", "describe", "ask")

_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
         "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_U = _BASE + "_"
_CHARS = _U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_TOKEN = re.compile("|".join([
    r"(?P<ws>[ \t\r\n]+)",
    r"(?P<comment>#[^\r\n]*)",
    r"(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\.))*\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")",
    f"(?P<var>[?$][{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
    f"(?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
    r"(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
    f"(?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)",
    r"(?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)",
    f"(?P<word>[{_U}][{_CHARS}]*)",
    r"(?P<lt><)",
    r"(?P<punct>\^\^|&&|\|\||!=|>=|[{}()\[\];,.*+\-/!=>&|^?$@])",
]))
_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_OPERANDS = frozenset({"var", "string", "number", "iri", "pname", "bnode", "lang"})
MAX_DEPTH = 100
"""Brackets nested deeper than this are refused before any parser sees them: the parsers recurse per level, and a
query of thousands of nested parentheses overflowed the query worker's stack."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    root: bool
    """Outside every bracket (the query's top level)."""


@dataclass(frozen=True)
class Analysis:
    """What the guard learned about a query it let through."""

    kind: Kind | None
    """None when the query did not tokenize or has no query form: the parser will say why."""
    has_dataset: bool
    """The query has FROM / FROM NAMED clauses (its own dataset instead of the union of all graphs)."""
    limit: int | None = None
    """Its top-level LIMIT, if any."""
    limit_span: tuple[int, int] | None = None
    insert_at: int | None = None
    """Where a top-level LIMIT can be inserted (before a trailing VALUES, else the end); None: do not rewrite."""

    def capped(self, query: str, rows: int) -> str | None:
        """The SELECT query rewritten to return at most `rows` rows, or None when it cannot be rewritten."""
        if self.kind != "select":
            return None
        if self.limit is not None and self.limit_span is not None:
            if self.limit <= rows:
                return query
            start, end = self.limit_span
            return f"{query[:start]}{rows}{query[end:]}"
        if self.insert_at is None:
            return None
        return f"{query[:self.insert_at]}\nLIMIT {rows}\n{query[self.insert_at:]}"


def _refuse(detail: str) -> QueryRefused:
    return QueryRefused(detail)


def tokenize(query: str) -> tuple[list[Token], bool]:
    """Significant tokens (no whitespace or comments) and whether the whole text tokenized."""
    tokens: list[Token] = []
    stack: list[list[str]] = [["root", "prologue"]]
    pos, size = 0, len(query)
    while pos < size:
        match = _TOKEN.match(query, pos)
        if match is None:
            return tokens, False
        kind, text = match.lastgroup or "", match.group()
        if kind in ("ws", "comment"):
            pos = match.end()
            continue
        prev = tokens[-1] if tokens else None
        top = stack[-1]
        if kind == "lt":
            kind, text = _less_than(query, pos, prev, top)
        root = len(stack) == 1
        tokens.append(Token(kind, text, pos, root))
        pos += len(text)
        _track(stack, kind, text, prev, tokens[-3] if len(tokens) > 2 else None)
        if len(stack) > MAX_DEPTH:
            raise QuerySyntaxError(f"brackets nested more than {MAX_DEPTH} deep (at offset {pos}); this endpoint does "
                                   "not parse such queries")
    return tokens, True


def _less_than(query: str, pos: int, prev: Token | None, top: list[str]) -> tuple[str, str]:
    """An IRI or the `<` / `<=` operator, as the parser would read it here."""
    operand_before = prev is not None and (prev.kind in _OPERANDS or prev.text in (")", "]")
                                           or prev.text.upper() in ("TRUE", "FALSE"))
    iri = _IRI.match(query, pos)
    operator = "<=" if query.startswith("<=", pos) else "<"
    if iri and operand_before and top[0] in ("e(", "d(") and top[1] != "values" \
            and any(c in iri.group(1) for c in "'#"):
        raise _refuse(f"ambiguous '<' at offset {pos}: {iri.group()!r} could be an IRI or a comparison; put a space "
                      "after '<' when comparing, or write the IRI with a prefixed name")
    if top[0] == "e(" and operand_before:
        return "punct", operator
    return ("iri", iri.group()) if iri else ("punct", operator)


def _track(stack: list[list[str]], kind: str, text: str, prev: Token | None, before: Token | None) -> None:
    """Follow brackets, and what a '(' opens (an expression or data: collections, paths, VALUES rows)."""
    top = stack[-1]
    if kind == "word":
        word = text.upper()
        if top[0] in ("root", "{"):
            if word == "SELECT":
                top[1] = "select"
            elif word in ("GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET"):
                top[1] = "modifier"
            elif word == "VALUES":
                top[1] = "values"
            elif word in ("CONSTRUCT", "DESCRIBE", "ASK", "WHERE"):
                top[1] = "pattern"
        return
    if kind != "punct":
        return
    if text == "{":
        stack.append(["{", "values" if top[1] == "values" else "pattern"])
    elif text == "[":
        stack.append(["[", "pattern"])
    elif text == "(":
        stack.append([_paren(top, prev, before), "values" if top[1] == "values" else ""])
    elif text in ("}", "]", ")") and len(stack) > 1:
        opening = {"}": "{", "]": "[", ")": "("}[text]
        while len(stack) > 1:
            frame = stack.pop()
            if frame[0].startswith(opening) or frame[0].endswith(opening):
                break
        if text == "}" and frame[1] == "values" and stack[-1][1] == "values":
            stack[-1][1] = "pattern" if stack[-1][0] == "{" else "end"


def _raw_depth(query: str) -> int:
    """The deepest nesting of brackets in the text, strings and comments included (for text that does not tokenize)."""
    depth = deepest = 0
    for ch in query:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth = max(depth - 1, 0)
    return deepest


def _paren(top: list[str], prev: Token | None, before: Token | None) -> str:
    if top[0] in ("e(", "d("):
        return top[0]
    if top[1] == "values":
        return "d("
    if top[1] in ("select", "modifier") or (top[0] == "root" and top[1] != "values"):
        return "e("
    if prev is not None and prev.kind == "word" and prev.text.upper() not in ("A", "VALUES"):
        return "e("
    if prev is not None and prev.kind in ("iri", "pname") and before is not None and before.text.upper() == "FILTER":
        return "e("
    return "d("


def _check_token(token: Token, after_prefix: bool) -> None:
    upper = token.text.upper()
    if token.kind == "word":
        if "SERVICE" in upper:
            raise _refuse("SERVICE (federated query) is not allowed: this endpoint never contacts other servers")
        if upper in UPDATE_KEYWORDS:
            raise _refuse(f"this SPARQL endpoint is read-only: {token.text} is an update operation")
        if token.root and "FROM" in upper and upper != "FROM":
            raise _refuse(f"{token.text!r}: write FROM <graph IRI> with a space after FROM")
    elif token.kind in ("pname", "bnode") and not after_prefix:
        prefix, _, local = token.text.partition(":")
        if "SERVICE" in prefix.upper() or ".SERVICE" in local.upper():
            raise _refuse(f"{token.text!r}: prefixed names starting with or containing 'service' are refused, since "
                          "the parser could read a SERVICE keyword; rename the prefix")
        if token.root and token.kind == "pname" and "FROM" in prefix.upper():
            raise _refuse(f"{token.text!r}: write FROM <graph IRI> with a space after FROM")
    elif token.kind == "lang" and "SERVICE" in upper:
        raise _refuse(f"{token.text!r}: language tags containing 'service' are refused")


def check(query: str, iris: Iris, prefixes: dict[str, str] | None = None) -> Analysis:
    """Refuse what this endpoint never runs (QueryRefused); otherwise what the executor needs to know.

    `prefixes` are the ones the executor declares for every query (a query may redeclare them).
    """
    tokens, complete = tokenize(query)
    if not complete and _raw_depth(query) > MAX_DEPTH:  # the parser gets it: it must not recurse that deep either
        raise QuerySyntaxError(f"brackets nested more than {MAX_DEPTH} deep; this endpoint does not parse such queries")
    prefixes = dict(prefixes or {})
    base: str | None = None
    kind: Kind | None = None
    has_dataset = False
    limit: int | None = None
    limit_span: tuple[int, int] | None = None
    insert_at: int | None = None
    rewritable = complete
    for i, token in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        declares = prev is not None and prev.kind == "word" and prev.text.upper() == "PREFIX"
        glued = not declares and token.kind == "pname" and token.text.upper().startswith("PREFIX") and token.root \
            and kind is None
        _check_token(token, declares or glued)
        if not token.root:
            continue
        upper = token.text.upper() if token.kind in ("word", "pname") else ""
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if kind is None:
            if (declares or glued) and token.kind == "pname" and nxt is not None and nxt.kind == "iri":
                name = token.text[6:] if glued else token.text
                prefixes[name[:-1]] = _resolve(nxt.text[1:-1], base)
            elif upper == "BASE" and nxt is not None and nxt.kind == "iri":
                base = _resolve(nxt.text[1:-1], base)
            elif token.kind == "word" and upper not in ("PREFIX", "BASE"):
                if upper.startswith(tuple(k.upper() for k in QUERY_FORMS)):
                    kind = next(k for k in QUERY_FORMS if upper.startswith(k.upper()))
                else:
                    if upper.startswith(UPDATE_KEYWORDS):
                        raise _refuse(f"this SPARQL endpoint is read-only: {token.text} is an update operation")
                    rewritable = False
            continue
        if upper == "FROM":
            has_dataset = True
            _check_from(tokens, i + 1, prefixes, base, iris)
        elif token.kind == "word" and upper in ("LIMIT", "VALUES"):
            if upper == "VALUES":
                insert_at = token.start if insert_at is None else insert_at
            elif nxt is not None and nxt.kind == "number" and nxt.text.isdigit():
                limit, limit_span = int(nxt.text), (nxt.start, nxt.start + len(nxt.text))
            else:
                rewritable = False
        elif token.kind == "word" and (upper.startswith(("LIMIT", "OFFSET", "VALUES")) and upper not in (
                "LIMIT", "OFFSET", "VALUES")):
            rewritable = False
    if not complete:
        kind = None
    if not rewritable:
        return Analysis(kind, has_dataset)
    return Analysis(kind, has_dataset, limit, limit_span, insert_at if insert_at is not None else len(query))


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri) else iri


def _check_from(tokens: list[Token], i: int, prefixes: dict[str, str], base: str | None, iris: Iris) -> None:
    """FROM [NAMED] <iri>: only the local graphs ({base}graph/...) may be named."""
    if i < len(tokens) and tokens[i].kind == "word" and tokens[i].text.upper() == "NAMED":
        i += 1
    if i >= len(tokens):
        return
    token = tokens[i]
    if token.kind == "iri":
        iri = _resolve(token.text[1:-1], base or iris.base)
    elif token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix.upper().startswith("NAMED"):
            raise _refuse(f"FROM {token.text}: write FROM NAMED <graph IRI> with a space after NAMED")
        if prefix not in prefixes:
            return  # undeclared prefix: the parser reports it
        iri = prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    else:
        return  # not a graph name: a syntax error the parser reports
    if not iris.is_local_graph(iri):
        raise _refuse(f"FROM <{iri}> names a graph outside this knowledge base; only its own graphs "
                      f"(<{iris.graph_prefix}...>) can be named, and nothing is ever fetched")
