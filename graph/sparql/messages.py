"""SPARQL syntax errors in words: Oxigraph's parser lists what it expected as quoted tokens, keywords and character
classes (`['A' ..= 'Z' | 'a' ..= 'z' | ...]`, over several lines); `syntax_message` makes that one readable line."""

from __future__ import annotations

import re

_EXPECTED = re.compile(r"(?P<where>error at \d+:\d+: )expected (?:one of )?(?P<items>.*)", re.S)
_QUOTED_CHAR = re.compile(r"'((?:\\.|[^'\\])+)'")
_FUNCTION_NAMES = """ABS ADJUST AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY ENCODE_FOR_URI EXISTS
FLOOR GROUP_CONCAT HASLANG HASLANGDIR HOURS IF IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI LANG LANGDIR
LANGMATCHES LCASE MAX MD5 MIN MINUTES MONTH NOT NOW OBJECT PREDICATE RAND REGEX REPLACE ROUND SAMETERM SAMPLE SECONDS
SHA1 SHA256 SHA384 SHA512 STR STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT
SUBSTR SUM TIMEZONE TRIPLE TZ UCASE URI UUID YEAR"""
_FUNCTIONS = frozenset(_FUNCTION_NAMES.split())
"""SPARQL's built-in functions and aggregates: where the parser lists some of them, it wants an expression."""
_TERM_STARTS = frozenset(('$', '?', '<', '<<', '<<(', "'", "'''", '"', '"""', '_:', '[', '(', '+', '-', '.', ':',
                          'true', 'false'))
"""Tokens that begin an RDF term (variable, IRI, prefixed name, literal, blank node, collection, triple term)."""
NAME, NUMBER, OTHER = "a name", "a number", "something else"
EXPRESSION = "an expression (a variable, a value or a function call such as STR(?x))"
TERM = "a term (a variable, IRI, prefixed name, literal or blank node)"
ANY_KEYWORD = "a SPARQL keyword or term (a query begins with PREFIX, BASE, SELECT, CONSTRUCT, ASK or DESCRIBE)"
MAX_ITEMS = 10


def syntax_message(message: str) -> str:
    """The parser's `message` on one line, its list of expected tokens said in words."""
    found = _EXPECTED.fullmatch(message.strip())
    if found is None:
        return _one_line(_CLASS.sub(_class_phrase, message))
    where, items = found["where"], _split(found["items"])
    if items == ["[_]"]:  # "[_]" is the parser's placeholder for any other character ("SELEC": "expected [_]")
        return f"{where}expected {ANY_KEYWORD}"
    if "Prefix not found" in items:
        return f"{where}a prefix used here is not declared; declare it (PREFIX name: <iri>) or use a predeclared one"
    sentences = [item for item in items if " " in item and item[0] not in "\"'["]
    if sentences:  # the parser's own words for what is wrong ("Duplicated variable name in SELECT")
        return where + "; ".join(_one_line(text[:1].lower() + text[1:]) for text in sentences)
    return f"{where}expected {_listed(_phrases(items))}"


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _split(text: str) -> list[str]:
    """The entries of the expected list: split at the commas outside quotes and brackets."""
    items: list[str] = []
    depth, quote, start, index = 0, "", 0, 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:index].strip())
            start = index + 1
        index += 1
    items.append(text[start:].strip())
    return [item for item in items if item]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _quoted(token: str) -> str:
    return f'"{token}"' if "'" in token else f"'{token}'"


def _class_phrase(match: re.Match[str]) -> str:
    return _class(match[0])


_CLASS = re.compile(r"\[(?:'(?:\\.|[^'\\])+'|[^\]'])*\]")
"""A character class of the parser: brackets around quoted characters, ranges (..=) and |."""


def _class(item: str) -> str:
    """A character class in words: one character quoted, the digits "a number", any other set "a name"."""
    if item == "[_]":
        return OTHER
    chars = [_unescape(c) for c in _QUOTED_CHAR.findall(item)]
    if len(chars) == 1 and "..=" not in item:
        return _quoted(chars[0])
    return NUMBER if chars == ["0", "9"] else NAME


def _phrases(items: list[str]) -> list[str]:
    """Each expected entry in words; the tokens that begin a term, or function names, collapsed into one entry."""
    tokens = {_unescape(item[1:-1]) for item in items if len(item) > 1 and item[0] == item[-1] == '"'}
    term = "?" in tokens and "<" in tokens
    phrases: list[str] = []
    name_chars: set[str] = set()  # one-character classes: with a name class, characters of that name
    for item in items:
        if item.startswith("["):
            phrase = _class(item)
            if term and phrase in (NAME, NUMBER):
                phrase = TERM
            elif phrase not in (NAME, NUMBER, OTHER):
                name_chars.add(phrase)
        elif len(item) > 1 and item[0] == item[-1] == '"':
            token = _unescape(item[1:-1])
            phrase = TERM if term and token in _TERM_STARTS else _quoted(token)
            name_chars.discard(phrase)
        elif item.upper() in _FUNCTIONS:
            phrase = EXPRESSION
        else:
            phrase = item
        if phrase not in phrases:
            phrases.append(phrase)
    if EXPRESSION in phrases:  # what begins a term or a name begins an expression too
        absorbed = {EXPRESSION, TERM, NAME, NUMBER, OTHER, "'!'", *name_chars, *(_quoted(t) for t in _TERM_STARTS)}
        return [EXPRESSION, *(p for p in phrases if p not in absorbed)]
    if NAME in phrases or TERM in phrases:
        phrases = [p for p in phrases if p not in name_chars]
    if TERM in phrases:  # the first thing to say; it is more than "something else"
        return [TERM, *(p for p in phrases if p not in (TERM, OTHER))]
    return phrases


def _listed(phrases: list[str]) -> str:
    """"A", "A or B", "A, B or C"; a long list is cut ("... or 4 more")."""
    if len(phrases) > MAX_ITEMS:
        phrases = [*phrases[:MAX_ITEMS - 1], f"{len(phrases) - MAX_ITEMS + 1} more"]
    if len(phrases) == 1:
        return phrases[0]
    return f"{', '.join(phrases[:-1])} or {phrases[-1]}"
