"""Generic techniques the vocabulary does not know, named as something the paper does, uses or introduces.

The annotation guide keeps a generic technique only when the abstract names it as something done, used, proposed or
compared. So a lower-case noun phrase becomes a Technique candidate only in the part of the abstract where the paper
speaks of itself, and only
(1) after a usage cue ("we apply", "we leverage", "based on", "via", "using", "through", "such as") or before a
    passive one ("... is applied"), with a method word as its head ("quantization", "scheduling", "decomposition",
    or "strategy" / "mechanism" after a method word);
(2) after a cue of the paper's own contribution ("we propose", "a novel", "<proposed name> employs"): these are also
    returned as the paper's own (the gold annotates "decode-maximal batching" as proposed), with a wider set of heads;
(3) anywhere, when its head is a strong method word ("group-wise weight quantization", "tile-level operator fusion").
Phrases of one word, phrases that continue past their head, and phrases of evaluative adjectives plus a head
("efficient scheduling") are left out: precision matters more than recall for generic techniques.
"""

from __future__ import annotations

import re

from paperkg.graph.extraction.finders import Cand
from paperkg.graph.extraction.lexicon import Lexicon, alternation, cased_alternation
from paperkg.graph.extraction.names import clean, unseen_key
from paperkg.graph.extraction.text import MAX_CHARS, SpanIndex

MAX_PHRASES = 60
_WORD = re.compile(r"(?<![A-Za-z0-9'’])(?<!\d\.)[a-z0-9](?:[a-z0-9/]|:(?=\d))*(?:-[a-zA-Z0-9]+)*|"
                   r"(?<![A-Za-z0-9])[A-Z]{2,5}(?:-[a-z]+)?(?=[\s,.;)])")
_NOT_MODIFIER = re.compile(r"^[a-z]+(?:ly|ing|ed|[^su]s)$")
"""Adverbs, verbs and plurals cannot modify a method head ("efficiently pruning", "performs ... quantization")."""
_LIST_LEAD = re.compile(r"(?:(?:two|three|four|several|multiple|a\s+set\s+of|a\s+few)\s+)?(?:(?:key|novel|new|simple|"
                        r"effective|complementary|main|core)\s+){0,3}(?:techniques|methods|strategies|components|"
                        r"mechanisms|optimizations|ideas|designs|innovations)\s*(?::|,?\s*(?:namely|including|i\.e\.,?))"
                        r"\s*")
_ADVERB = re.compile(r"[a-z]{3,}ly")
"""'the proposed banded attention effectively enables ...': an adverb after the head ends the phrase."""
_CLASS_NOUNS = {"mechanism", "algorithm", "scheduler", "optimizer", "kernel", "operator", "operators", "estimator",
                "solver", "protocol", "extension", "stack", "plug-in", "techniques", "representation"}
"""Heads that name a kind of component: a phrase is a technique only when a method word precedes them."""
_DOING = {"performs", "applies", "uses", "adopts", "employs", "leverages", "utilizes", "exploits", "incorporates",
          "conducts", "combines", "integrates", "introduces", "adds"}
_SUBJECT = re.compile(r"(?<![\w-])(?:[Ww]e|[Tt]hey|[Ii]t)\s+$")
"""A subject pronoun right before a word: that word is a verb, never a modifier of a method head."""
_NAME_NEXT = re.compile(r"(?:,?\s+(?:called|named|dubbed|termed|coined)\s+|,\s*)(?:as\s+)?(?:[A-Z][\w.+-]*[A-Z0-9]|"
                        r"[A-Z][a-z]+[A-Z0-9][\w.+-]*|[a-z]+\d[\w-]*)")
"""'a novel cross-modal distillation method, called TinyCLIP', 'a novel dynamic inference scheme, DynaTran', '...
algorithm, called im2win': the phrase describes the name that follows."""
_NAMED_SUBJECT = re.compile(r"(?:,?\s+(?:which|that))?\s+(?:also\s+|further\s+)?(?:employs|introduces|proposes|"
                            r"features|incorporates|adopts|uses|leverages|designs|develops|comprises|contains|includes|"
                            r"consists of|relies on|utilizes|exploits)\s+(?:(?:a|an|the)\s+)?")
"""What follows a proposed name used as a subject ("FooNet, which also employs a ...")."""
_JOIN = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)(?:the\s+|a\s+|an\s+)?")


class Phrases:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.heads = lexicon.method_heads
        self.fillers = lexicon.np_fillers
        usage = cased_alternation(lexicon.usage_cues)
        self.cue = re.compile(rf"(?<![\w-])(?:{usage})\s+(?:(?:the|a|an|our|its|their)\s+)?")
        verbs = r"propose|introduce|present|design|develop|devise|adopt|employ|build|create|contribute"
        self.ours = re.compile(rf"\b(?:[Ww]e|[Tt]his\s+(?:paper|work|study))\s+(?:\w+ly\s+|also\s+|further\s+|"
                               rf"then\s+|first\s+|additionally\s+)?(?:{verbs})s?\s+(?!(?:upon|on)\s)(?:(?:a|an|the|our)\s+)?|"
                               r"\b(?:a|an|our)\s+(?:novel|new)\s+|"
                               r"\b(?:[Tt]he|[Oo]ur)\s+proposed\s+|"
                               r"\bby\s+(?:introducing|proposing|designing|developing|devising)\s+(?:(?:a|an)\s+)?")
        self.strong = re.compile(rf"(?<![\w-])(?:{alternation(sorted(lexicon.strong_heads))})(?![\w-])")
        self.self_ref = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Tt]his (?:paper|work|study))\b")
        generic = lexicon.words("description_heads")
        self.generic_heads = lexicon.words("generic_method_heads")
        self.evaluative = lexicon.words("evaluative_modifiers")
        self.own_heads = self.heads | {w for w in lexicon.technique_heads if w not in generic} | \
            {w for w in lexicon.type_heads.get("Technique", set()) if w not in generic}
        self.passive = re.compile(r"\s+(?:is|are|was|were)\s+(?:\w+ly\s+)?(?:then\s+)?(?:applied|used|employed|"
                                  r"adopted|leveraged|utilized|exploited|introduced|incorporated|performed)\b")

    def find(self, text: str, cands: list[Cand], names: list[str] | None = None) -> tuple[list[Cand], set[str]]:
        """Technique candidates for method phrases after usage cues, and the keys of those the paper introduces
        itself ("we propose a stall-free scheduling", "SARATHI employs decode-maximal batching");
        `cands` are the field's other candidates, `names` the names the paper proposes."""
        limit = min(len(text), MAX_CHARS)
        inner = {(c.start, c.end): c for c in cands}
        taken = SpanIndex.of(list(inner))
        out: list[Cand] = []
        own: set[str] = set()
        own_part = self.self_ref.search(text, 0, limit)
        first = text.rfind(".", 0, own_part.start()) + 1 if own_part else 0
        # the scene-setting sentences before the paper first speaks of itself name what others did
        cues = [(m, False) for m in self.cue.finditer(text, first, limit)]
        cues += [(m, True) for m in self.ours.finditer(text, first, limit) if not (
            m.group().startswith(("a ", "an ")) and text[max(0, m.start() - 3):m.start()].rstrip().endswith(","))]
        # "SliceGPT, a new post-training sparsification scheme": a description of the name, not a contribution
        proposed = {n.lower() for n in names or []}
        names = [n for n in names or [] if len(n) >= 3][:5]
        for name in names:  # "SARATHI employs decode-maximal batching": found by str.find, no regex per paper
            at = text.find(name, first, limit)
            while at >= 0:
                tail = _NAMED_SUBJECT.match(text, at + len(name), limit)
                if tail and not (at and (text[at - 1].isalnum() or text[at - 1] in "_-")):
                    cues.append((tail, True))
                at = text.find(name, at + 1, limit)
        for m, ours in sorted(cues, key=lambda c: (c[0].end(), not c[1])):
            pos = m.end()
            lead = _LIST_LEAD.match(text, pos, limit) if ours else None
            pos = lead.end() if lead else pos  # "we propose two key techniques, namely ..."
            for _ in range(4):
                span = self._phrase(text, pos, limit, self.own_heads if ours else self.heads)
                if span is None:
                    break
                start, end = span
                cand = self._cand(text, start, end, taken, inner)
                if cand is not None and (any(a.lower() in proposed for a in cand.aliases) or (ours and (
                        _NAME_NEXT.match(text, end, limit) or text[start:end].split()[0].lower() in self.evaluative))):
                    cand = None  # "a block pruning approach" (proposed already), "a novel X method, called TinyCLIP",
                    # "a high-performance im2win-based convolution algorithm" (how good it is, no name)
                if cand is not None:
                    out.append(cand)
                    taken.add(start, end)
                    if ours:
                        own.add(cand.key)
                joined = _JOIN.match(text, end, limit)
                if not joined:
                    break
                pos = joined.end()
            if len(out) >= MAX_PHRASES:
                break
        for m in self.strong.finditer(text, first, limit):
            if re.match(r"\s+[a-z][\w-]*", text[m.end():m.end() + 30]) and \
                    not re.match(r"\s+(?:and|or|to|for|in|on|of|with|is|are|was|were|that|which|by|as|at|from|"
                                 r"can|via|using|while|into|across|over|under|than)\b", text[m.end():m.end() + 30]):
                continue  # "quantization methods", "attention heads": the phrase goes on
            span = self._phrase_before(text, m.end())
            if span is not None and span[1] - span[0] > m.end() - m.start():
                cand = self._cand(text, span[0], span[1], taken, inner)
                if cand is not None:
                    out.append(cand)
                    taken.add(*span)
            if len(out) >= MAX_PHRASES:
                break
        for m in self.passive.finditer(text, first, limit):
            span = self._phrase_before(text, m.start())
            if span is not None:
                cand = self._cand(text, span[0], span[1], taken, inner)
                if cand is not None:
                    out.append(cand)
                    taken.add(*span)
            if len(out) >= MAX_PHRASES:
                break
        return out, own

    def _cand(self, text: str, start: int, end: int, taken: SpanIndex,
              inner: dict[tuple[int, int], Cand]) -> Cand | None:
        """A candidate unless it cuts through, or only repeats, a name found otherwise, or starts inside a
        hyphenated word ("aware KV cache compression" of "(GQA)-aware KV cache compression")."""
        if start and text[start - 1] == "-":
            return None
        aliases = []
        for s, e in taken.overlapping(start, end):
            other = inner.get((s, e))
            if other is None or s < start or e > end or other.type != "Technique" or other.source != "vocab":
                return None
            if (s, e) == (start, end):
                return None
            if e == end and other.concept:
                aliases.append(text[s:e])  # "dynamic sparse KV cache" is also "KV cache"
        name = clean(text[start:end])
        attrs = {"inner": "1"} if aliases else {}
        head = name.rsplit(" ", 1)
        if len(head) == 2 and head[1].lower() in self.generic_heads:
            aliases.append(head[0])  # "hash grid encoding scheme" is the "hash grid encoding"
        return Cand(start, end, "Technique", unseen_key("Technique", name), "np", 0.55, aliases=aliases, attrs=attrs)

    def _phrase(self, text: str, pos: int, limit: int, heads: set[str]) -> tuple[int, int] | None:
        """The method phrase starting at `pos`: 2-5 words ending in a method head, fillers stripped."""
        words: list[re.Match[str]] = []
        cursor = pos
        for w in _WORD.finditer(text, pos, min(limit, pos + 120)):
            if text[cursor:w.start()].strip() or len(words) >= 6:
                break
            words.append(w)
            cursor = w.end()
        return self._trim(words, heads=heads)

    def _phrase_before(self, text: str, end: int) -> tuple[int, int] | None:
        """The method phrase ending at `end` ("... low-rank decomposition is applied")."""
        window = text[max(0, end - 80):end]
        found = list(_WORD.finditer(window))
        if found and end > 80 and found[0].start() == 0 and text[end - 81].isalnum():
            found = found[1:]  # the window cut a word
        words: list[re.Match[str]] = []
        cursor = len(window)
        for w in reversed(found):
            if window[w.end():cursor].strip() or len(words) >= 5:
                break
            words.insert(0, w)
            cursor = w.start()
        span = self._trim(words, anchored_end=True)
        if span is None:
            return None
        offset = max(0, end - 80)
        return span[0] + offset, span[1] + offset

    def _trim(self, words: list[re.Match[str]], anchored_end: bool = False,
              heads: set[str] | None = None) -> tuple[int, int] | None:
        """The longest prefix that ends in a method head; leading fillers and stop words are dropped."""
        lows = [w.group().lower() for w in words]
        heads = self.heads if heads is None else heads
        best = None
        for i, low in enumerate(lows):
            if low in self.lex.stop_words and not anchored_end:
                break
            if low in heads or (low in self.generic_heads and i and lows[i - 1] in heads):
                best = i
        if anchored_end:
            best = len(lows) - 1 if lows and (lows[-1] in self.heads or (
                lows[-1] in self.generic_heads and len(lows) > 1 and lows[-2] in self.heads)) else None
            stops = [i for i, low in enumerate(lows) if low in self.lex.stop_words or low in self.fillers]
            first = stops[-1] + 1 if stops else 0
            if first and lows[first - 1] in {"to", "can", "cannot", "will", "may", "must", "should", "could", "would",
                                             "that", "which", "who"}:
                first += 1  # "to predict contextual sparsity", "features that dominate attention": a verb
            elif first < len(lows) and _SUBJECT.search(words[first].string, 0, words[first].start()):
                first += 1  # "we reconsider speculative sampling": the verb after a subject pronoun goes
        else:
            first = 0
            while first < len(lows) and lows[first] in self.fillers:
                first += 1
        if best is None or best - first < 1:
            return None
        bad = [i for i in range(first, best) if _NOT_MODIFIER.match(lows[i]) and lows[i] not in heads
               and (anchored_end or not lows[i].endswith("ed"))]  # "learned rotation smoothing" after a cue
        if bad and anchored_end:
            if bad != [first] or lows[first] not in _DOING:
                return None  # "faster structured output decoding" is no "output decoding"; "enables X" no use of X
            first += 1  # "then performs group-wise weight quantization": the verb goes
        elif bad:
            return None
        if best - first < 1:
            return None
        if not anchored_end and best + 1 < len(lows) and lows[best + 1] not in self.lex.stop_words and \
                not _ADVERB.fullmatch(lows[best + 1]):
            return None  # "a single diffusion sampling step": the phrase goes on past its head
        if lows[best] in self.generic_heads and best - first < 2:
            return None
        if lows[best] in _CLASS_NOUNS and lows[best - 1] not in self.heads:
            return None  # "a memory management mechanism", "a dynamic programming algorithm": a description
        if all(low in heads or low in self.generic_heads for low in lows[first:best + 1]):
            return None  # "quantization and pruning" is two vocabulary names, not a phrase
        return words[first].start(), words[best].end()
