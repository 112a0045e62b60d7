"""Passages: overlapping sentence windows over an abstract, each prefixed with the title, each within the window."""

from __future__ import annotations

from collections.abc import Callable

from paperkg.core.text import sentences

Span = tuple[int, int]

TITLE_MAX_CHARS = 200
"""Titles are cut to this length in passage text, so the title never crowds the abstract out of the window."""
MIN_BUDGET = 8
"""Floor of the abstract share of a passage. With titles capped at 200 characters a 256-token WordPiece window always
leaves 50 or more, so the floor only matters for tiny windows (where a passage may then exceed the window)."""
SPECIAL_TOKENS = 2
"""[CLS] and [SEP] (or the model's equivalents) take two positions of the window."""
SAFETY_TOKENS = 2
"""Joining title and passage can tokenise one or two tokens differently from the parts."""

def sentence_spans(text: str) -> list[Span]:
    """Sentences of `text` as character spans, whitespace trimmed (the one splitter of paperkg.core.text)."""
    return [(s.start, s.end) for s in sentences(text)]


def passage_title(title: str) -> str:
    """The title as it prefixes every passage: cut at a word boundary past TITLE_MAX_CHARS."""
    title = " ".join(title.split())
    if len(title) <= TITLE_MAX_CHARS:
        return title
    cut = title.rfind(" ", 0, TITLE_MAX_CHARS)
    return title[: cut if cut > TITLE_MAX_CHARS // 2 else TITLE_MAX_CHARS]


def passage_text(title: str, abstract: str, span: Span) -> str:
    """'title. passage' for one span of the abstract."""
    head = passage_title(title).rstrip()
    body = abstract[span[0] : span[1]].strip()
    if not head:
        return body
    return f"{head} {body}" if head.endswith((".", "?", "!", ":")) else f"{head}. {body}"


def passage_texts(title: str, abstract: str, spans: list[Span]) -> list[str]:
    return [passage_text(title, abstract, span) for span in spans]


TokenSpans = Callable[[str], list[Span]]
"""The model tokenizer's token offsets of a text."""


def split_passages(title: str, abstract: str, token_spans: TokenSpans, max_tokens: int,
                   passage_tokens: int = 160) -> list[Span]:
    """Spans of the abstract, one per passage, that together cover all of it.

    Sentences are packed greedily into windows of about `passage_tokens` model tokens; consecutive windows share
    one sentence; a sentence longer than a window is cut at token boundaries. With the title prefixed, every
    passage fits the model window. An abstract of at most `passage_tokens` tokens gives one passage.
    """
    tokens = token_spans(abstract)
    if not tokens:
        return [(0, len(abstract))] if abstract.strip() else []
    title_tokens = len(token_spans(passage_title(title) + "."))
    room = max_tokens - SPECIAL_TOKENS - SAFETY_TOKENS - title_tokens
    budget = max(MIN_BUDGET, min(passage_tokens, room))
    if len(tokens) <= budget:
        return [(tokens[0][0], tokens[-1][1])]
    units = _units(abstract, tokens, budget)
    windows = _windows([count for _, _, count in units], budget)
    return [(units[a][0], units[b][1]) for a, b in windows]


def _units(text: str, tokens: list[Span], budget: int) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, token count); a sentence over budget becomes overlapping token-cut pieces."""
    starts = [start for start, _ in tokens]
    units: list[tuple[int, int, int]] = []
    position = 0
    for start, end in sentence_spans(text):
        first = position
        while position < len(tokens) and starts[position] < end:
            position += 1
        inside = tokens[first:position]
        if not inside:
            continue
        if len(inside) <= budget:
            units.append((min(start, inside[0][0]), max(end, inside[-1][1]), len(inside)))
            continue
        overlap = budget // 8
        piece = 0
        while True:
            chunk = inside[piece : piece + budget]
            units.append((chunk[0][0], chunk[-1][1], len(chunk)))
            if piece + budget >= len(inside):
                break
            piece += budget - overlap
    # Sentence spans cover every non-space character; this only guards the ends against an odd tokenizer offset.
    if units:
        first_start, first_end, first_count = units[0]
        units[0] = (min(first_start, tokens[0][0]), first_end, first_count)
        last_start, last_end, last_count = units[-1]
        units[-1] = (last_start, max(last_end, tokens[-1][1]), last_count)
    return units


def _windows(counts: list[int], budget: int) -> list[tuple[int, int]]:
    """Inclusive unit ranges: greedy packing, one unit of overlap, the last window filled backwards."""
    windows: list[tuple[int, int]] = []
    first = 0
    total = len(counts)
    while True:
        last, used = first, counts[first]
        while last + 1 < total and used + counts[last + 1] <= budget:
            last += 1
            used += counts[last]
        if last == total - 1:
            floor = windows[-1][0] + 1 if windows else 0
            while first > floor and used + counts[first - 1] <= budget:
                first -= 1
                used += counts[first]
            windows.append((first, last))
            return windows
        windows.append((first, last))
        first = last if last > first else last + 1
