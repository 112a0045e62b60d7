"""What a paper proposes in its abstract: the objects of "we propose/introduce/present ...", names it calls its own.

Returns spans (field, start, end) of proposed names with a confidence; typing and keys happen in `entities`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperkg.graph.extraction.appositions import new_names
from paperkg.graph.extraction.lexicon import Lexicon, alternation
from paperkg.graph.extraction.names import clean, is_name_token, only_devices, versioned
from paperkg.graph.extraction.proposal_params import PARAMS
from paperkg.graph.extraction.text import WE, Sentence, find_all
from paperkg.graph.extraction.unnamed_phrases import DISCOURSE, FILLER, STOP, UnnamedPhrases

_OF_NAME = re.compile(r" [A-Z][a-z]+(?![\w-])")
"""A capitalised word after "of" in a name ("Mixture of Attentions")."""
_WORD = re.compile(r"(?:[^\W_]|[$\\])(?:[\w$\\.+&]|-(?!-)|[:/](?=\w))*#?(?:\s*\([^()]{1,40}\))?|[,;:()\"\u2014]|-{2,}")
"""A word of a proposal's object, or a mark that parts words (a dash: "—", "---")."""
_WE_OUR = re.compile(r"\b(?:[Ww]e|WE)\b|\b[Oo]ur\s+(?:[\w-]+\s+){0,2}?(?:method|approach|model|system|framework|"
                     r"technique|algorithm|scheme|engine|library|architecture|design)s?\b|"
                     r"\b[Ii]n\s+this\s+(?:paper|work|study|article)\b.*\b(?:is|are)\s+(?:proposed|introduced|presented)\b|"
                     r"\b[Tt]he\s+resulting\s+(?:[\w-]+\s+){0,3}?(?:is|are)\s+(?:termed|called|named|dubbed)\b|"
                     r"\b[Tt]he\s+proposed\s+[\w-]+\s*,\s*(?:termed|called|named|dubbed)\b")
"""'Our algorithm, called AQLM, ...', 'In this paper, a new serving engine called FooNet is proposed': the paper
names its own method without a 'we'."""
_NOVEL_APPOSITION = re.compile(r"\s*an?\s+(?:[\w-]+\s+)?(?:new|novel)\b")
"""', a new way to ...', ', a novel technique that ...': the phrase before it is the paper's own."""
_METHOD_VERB = re.compile(r"\b(?:[Tt]he|[Oo]ur|[Tt]his)\s+(?:proposed\s+)?(?:method|approach|system|framework|"
                          r"technique|algorithm)\s+(?:also\s+|further\s+)?(?:introduces|proposes|presents)\b")
"""'The method introduces two core techniques: affinity mimicking and weight inheritance.'"""
_QUOTED = re.compile(r'"([A-Za-z][\w-]{2,}(?:\s[\w-]+){0,3})"(?![\w-])')
"""'a "divide-and-share" paradigm', not 'a "Co"nsistency "Mo"del-based' (letters of a word)."""
_TITLED_WORD = re.compile(r"[A-Z][a-z]{2,}")
_TITLED_COMPOUND = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)+")
_HEAD_AFTER = re.compile(r"\s+([a-z]+)\b")
_A_NEW = re.compile(r"\b(?:(?:a|an)\s+(?:[\w-]+\s+)?(?:new|novel)|the\s+resulting)(?:\s+[\w-]+){0,3},?\s*$", re.I)
"""'leads to a new architecture family called NViT', 'The resulting implementation, dubbed FlashLinearAttention':
the paper names what it made."""
_OURS_HAS = re.compile(r"\b[Oo]ur\s+(?:[\w-]+\s+)?(?:method|approach|system|framework|design|solution)\s+"
                       r"(?:employs|uses|consists\s+of|comprises|involves|features|has)\b")
"""'Our approach employs two key techniques: (1) ..., and (2) ...': the items are the paper's contributions."""
_CLOSED = {"which", "that", "we", "it", "its", "this", "these", "the", "a", "an", "our"}
_DEFINITE = re.compile(r"\b(?:the|our)\s+$")
_THE_PROPOSED = re.compile(r"\b(?:[Tt]he|[Oo]ur)\s+(?:newly\s+)?proposed\s+")
"""'The proposed FooNet is 2x faster than ...': the paper's own, named without a verb of its own."""
_KIND_NAMED = re.compile(r"(?:[\w-]+\s+){0,2}?(?:model|method|approach|system|framework|architecture|network|"
                         r"algorithm|technique|scheme|engine|library|accelerator)s?\s*,\s+(?:(?:called|named|dubbed|"
                         r"termed)\s+)?([A-Z][\w.+-]*)")
"""After "the proposed": 'models, EfficientFormerV2, ...' names them."""
_THE_NEW = re.compile(r"\b(?:[Tt]he|[Oo]ur)\s+(?:improved|resulting|new|final)\s+")
_EXISTING = re.compile(r"\b(?:recent|recently|existing|previous|previously|prior|popular|known|well-known|"
                       r"standard|classic|classical|conventional|so-|state-of-the[- ]art|SOTA)\b[^.;]*$", re.I)
_NAME_IN_APPOSITION = r"\s+(?:(?:called|named|dubbed|termed)\s+)?([A-Z][\w.+-]*)"
_NAMED_AFTER = re.compile(rf",{_NAME_IN_APPOSITION}")
_APPOSED = re.compile(rf"[,:]{_NAME_IN_APPOSITION}(?=[\s,.;(]|$)")
"""'a new SSM layer, H3, that ...', 'an efficient DNAS variant: DMaskingNAS.': the name of an unnamed-looking head."""
_CALLED_METHOD = re.compile(r"(?:our|this|the|the\s+resulting|this\s+new)\s+(?:[\w-]+\s+){0,2}?(?:method|approach|"
                            r"technique|system|framework|model|algorithm|scheme|architecture|engine|design|library|"
                            r"tool|variant)s?\s+(?:as\s+)?", re.I)
_CALLED_NEXT = re.compile(r",?\s+(?:called|named|dubbed|termed|coined)\b")
_NAME_AFTER = re.compile(r"\s+([A-Za-z][\w.+-]*)(?=[\s,.;:])")
"""'our method FooNet': a name right after the head, without a comma (a name token only)."""
_KNOWN_APPOSED = re.compile(r"\s*(?!(?:a|an|the|our|its|which|that)\b)([a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}?)"
                            r"(?=\s*(?:,|;|\.(?:\s|$)|\s(?:for|which|that)\b))")
"""A lower-case phrase in apposition ("..., self-speculative decoding, for ..."): a name if the vocabulary knows it."""
_STUDY_OBJECT = re.compile(r"\s*(?:[Tt]he\s+|[Aa]n?\s+)?(?:[a-z][\w-]*,?\s+){0,6}?(?:results?|findings|analys[ie]s|"
                           r"study|evaluation|characterization|comparison|overview|survey|benchmark|investigation|"
                           r"assessment|examination|exploration|review)\s+(?:of|on)\b")
"""'We present a unified, cross-library evaluation of post-training quantization (PTQ)': what is studied is no
contribution."""
_SHORT_AFTER = re.compile(r"\s*\(([A-Z][\w-]{0,10})\)")
_LOWER_MODEL = re.compile(r"[a-z]{2,}-\d+(?:\.\d+)?(?:-[a-z]+)?(?=,\s+(?:a|an)\s)")
"""'we introduce phi-1, a new ...': a model named in lower case, a name where a description follows it."""
_PARTICIPLE = re.compile(r",\s+(?:thus\s+|thereby\s+)?(?:introducing|proposing|presenting)\s+(?=[A-Z])")
"""'We further adapt this approach to speculative decoding, introducing Dynamic Self-Speculative Decoding (DSSD)'."""
_BY_VERB = re.compile(r"\bby\s+(?:introducing|proposing|presenting|developing|designing)\b")
_MODIFIES = re.compile(r"(?:\s*\([A-Z][\w-]{0,10}\))?\s+(?!(?:and|or|to|that|which|for|in|on|with|by|as|is|are|was|"
                       r"were|can|from|inspired|based\s+on|via|using|across|at|into|of|achieves|enables|outperforms|"
                       r"significantly)\b)"
                       r"(?:[a-z][a-z-]+\s+){0,2}(?:manager|module|kernels?|engine|scheme|system|method|framework|"
                       r"mechanism|library|pipeline|layer|layers|architecture|implementation|algorithm|approach|"
                       r"technique|strategy|paradigm|recipe|procedure|variant|structure)\b")
_SUBJECT_VERB = re.compile(r"(?<![\w-])([A-Za-z0-9][\w.+-]{0,40})\s+(?:that\s+|which\s+)?"
                           r"(?:also\s+|further\s+|first\s+)?"
                           r"(?:introduces|proposes|presents|designs|develops|devises|features|comprises|contains|"
                           r"includes|adds|incorporates)\b")
_ANY_CUE = re.compile(r"\b(?:we|our|this|by|to|is|are|was|were|called|named|dubbed|termed|namely|coined|denoted|"
                      r"proposed|improved|resulting|introduces|proposes|presents|designs|develops|devises|features|"
                      r"comprises|contains|includes|adds|incorporates)\b|\((?:i|1|a)\)", re.I)
_MODIFIER_AFTER = re.compile(r"(?:\s*\([^()\s]{1,12}\))?\)?(?:-[a-z]|\s+(?:based|driven|inspired)\s+[a-z])")
"""'grouped-query attention (GQA)-aware KV cache compression', 'a Gated Recurrent Unit (GRU) based recurrent neural
network accelerator': the acronym's long form modifies what is proposed."""


@dataclass(frozen=True)
class Proposal:
    field: str
    start: int
    end: int
    score: float
    direct: bool
    """Named right after the verb (or in the title): vocabulary names count as proposed only then."""
    known_only: bool = False
    """A plain phrase that counts only where the vocabulary or another reading already has a name there."""
    kind: bool = False
    """Named as the kind of what is proposed ("a knowledge distillation method"): a family of the vocabulary so named
    is not what the paper proposes, a narrow technique is ("a block pruning approach")."""


_KIND_BEFORE = re.compile(r"\b(?:system|framework|scheduler|engine|library|compiler|runtime|accelerator|architecture|"
                          r"algorithm|method|approach|model|optimizer|toolkit|platform|pipeline|technique|mechanism)"
                          r"\s+$")
"""'an efficient LLM inference scheduler Sarathi-Serve': the name right after the kind of what is introduced."""


class Proposals:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        verbs = alternation(sorted(lexicon.proposal_verbs))
        subject = r"(?:\b[Ww]e|\b[Tt]his (?:paper|work|report|study|article|note)|\b[Oo]ur (?:work|paper)|\bI)"
        self.trigger = re.compile(rf"{subject}\s+(?:(?:\w+ly|also|further|then|first|additionally|hence|now|"
                                  rf"therefore|thus|here|finally|next|subsequently)\s+)*(?:{verbs})\b(?!\s+(?:to|upon|on)\b)")
        """'we propose X' (not 'we propose to ...'; 'we build upon X' uses X)."""
        base = alternation(sorted(w for w in lexicon.proposal_verbs if w + "s" in lexicon.proposal_verbs))
        self.coordinated = re.compile(rf"\b[Ww]e\s+(?:(?!\b(?:that|which|while|when|where|whether|if|because|but|"
                                      rf"and)\b)[^.;:()?!]){{1,100}}?\s(?:,\s*)?and\s+(?:(?:\w+ly|also|further|then|"
                                      rf"thus|hence|therefore)\s+)*(?:{base})\b(?!\s+to\b)")
        """'we observe X and propose Y': a proposal verb sharing its 'we' with an earlier verb (base form only)."""
        self.passive = re.compile(r"\b(?:is|are|was|were)\s+(?:\w+ly\s+)?(?:proposed|introduced|presented|developed)\b")
        self.verbs = {w.lower() for w in (*lexicon.compare_verbs, *lexicon.usage_verbs, *lexicon.proposal_verbs)
                      if " " not in w} | {"is", "are", "was", "were", "achieves", "reduces", "improves", "enables"}
        self.phrases = UnnamedPhrases(lexicon, self.verbs)
        heads = alternation(sorted(lexicon.words("eponym_heads")))
        self.eponym_heads = re.compile(rf"\s+(?:[a-z][a-z-]+\s+){{0,2}}(?:{heads})\b")
        """'a Gibbs sampler', 'a Bayesian model': a plain capitalised word before such a head (lexicon.json
        "eponym_heads") is an eponym or adjective, not the name of what is proposed."""
        self.naming = re.compile(rf"\b(?:{alternation(lexicon.naming_words)})\s*:?\s*", re.I)
        self.construct = re.compile(r"\bto\s+(?:construct|build|create|curate|collect|develop|release)\s+(?=our\b)")
        self.ours = re.compile(r"\b[Oo]ur\s+(?:[\w-]+\s+){0,2}?(?:method|approach|model|system|framework|technique|"
                               r"algorithm|stack|toolkit|suite|library|pipeline|platform|implementation|prototype|"
                               r"engine|compiler|tool)\s*,\s*")

    def abstract(self, text: str, spans: list[Sentence], acronyms: dict[int, int], title: str = "",
                 names: tuple[str, ...] = ()) -> list[Proposal]:
        """Proposed names in the abstract. `acronyms` maps long-form starts to their ends (from "LF (ACR)");
        `names` are names already known to be proposed (the title's), which may also act as subjects."""
        found: list[Proposal] = []
        subject = bool(names)
        for sentence in spans:
            found += [Proposal("abstract", n.start, n.end, PARAMS.we_propose, True, not n.named)
                      for n in new_names(text, sentence.start, sentence.end, self.phrases.generic)]
            if not _ANY_CUE.search(text, sentence.start, sentence.end):
                continue
            seen_trigger = False
            triggers = list(self.trigger.finditer(text, sentence.start, sentence.end))
            triggers += list(self.construct.finditer(text, sentence.start, sentence.end))
            triggers += list(self.coordinated.finditer(text, sentence.start, sentence.end))
            triggers += list(_METHOD_VERB.finditer(text, sentence.start, sentence.end))
            triggers += list(_BY_VERB.finditer(text, sentence.start, sentence.end))
            triggers += [m for m in _PARTICIPLE.finditer(text, sentence.start, sentence.end)
                         if WE.search(text, sentence.start, m.start())]
            if subject:
                triggers += [m for m in _SUBJECT_VERB.finditer(text, sentence.start, sentence.end)
                             if clean(m.group(1)) in names or (m.group(1) in {"It", "it"} and self._named_before(
                                 text, names, sentence.start))]
            for m in triggers:
                seen_trigger = True
                if _STUDY_OBJECT.match(text, m.end(), sentence.end):
                    continue  # "We present the results of multi-node, multi-GPU inference": a study, no contribution
                found.extend(self._object(text, m.end(), sentence.end, acronyms, PARAMS.we_propose, title=title))
            for m in self.ours.finditer(text, sentence.start, sentence.end):
                found.extend(self._object(text, m.end(), sentence.end, acronyms, PARAMS.passive))
            for pattern in (_THE_NEW, _THE_PROPOSED):  # "The improved model, MobileViTv2, ...", "The proposed ..."
                for m in pattern.finditer(text, sentence.start, sentence.end):
                    kind = self._apposed(text, _KIND_NAMED.match(text, m.end(), sentence.end), sentence.end,
                                         PARAMS.we_propose, True)
                    if kind:
                        found.append(kind)
                    elif pattern is _THE_PROPOSED:  # "the proposed FooNet", without a kind before the name
                        found.extend(p for p in self._object(text, m.end(), sentence.end, acronyms, PARAMS.we_propose,
                                                             limit=3) if p.direct)
            for m in self.passive.finditer(text, sentence.start, sentence.end):
                found.extend(Proposal("abstract", a, b, PARAMS.operation, False)
                             for a, b in self.phrases.passive(text, sentence.start, m.start()))
            ours = seen_trigger or _WE_OUR.search(text, sentence.start, sentence.end) is not None
            for m in self.naming.finditer(text, sentence.start, sentence.end):
                window = max(sentence.start, m.start() - PARAMS.existing_window)
                if not ours and not _A_NEW.search(text, window, m.start()):
                    continue  # named by the paper: "we", "our", or "a new family called NViT"
                if _EXISTING.search(text, window, m.start()):
                    continue  # "a recent method called Rectified Flow" is not the paper's
                what = _CALLED_METHOD.match(text, m.end()) if m.group().lower().startswith(("we ", "which")) \
                    else None  # "we call our method X", not "we call these tokens Heavy Hitters"
                found.extend(self._object(text, what.end() if what else m.end(), sentence.end, acronyms,
                                          PARAMS.ours, limit=2))
            ours_has = _OURS_HAS.search(text, sentence.start, sentence.end) is not None
            if seen_trigger or ours_has or (found and found[-1].start >= sentence.start) or (subject is not None and \
                    any(n in text[sentence.start:sentence.end] for n in names)):
                found.extend(Proposal("abstract", a, b, PARAMS.operation, False)
                             for a, b in self.phrases.enumeration(text, sentence, seen_trigger or ours_has))
        return found

    def _object(self, text: str, start: int, end: int, acronyms: dict[int, int], score: float,
                direct: bool = True, limit: int = PARAMS.max_objects, title: str = "") -> list[Proposal]:
        out: list[Proposal] = []
        content = 0
        after_name = False
        phrase_start: int | None = None
        novel = article = False
        for w in _WORD.finditer(text, start, end):
            word = w.group()
            core = word.split("(")[0].strip().rstrip(".")
            low = core.lower()
            if limit <= 0:
                break
            limit -= 1
            if w.start() in acronyms:
                if _MODIFIER_AFTER.match(text, acronyms[w.start()]):
                    break  # "grouped-query attention (GQA)-aware KV cache compression": it modifies the object
                modifies = _MODIFIES.match(text, acronyms[w.start()])
                if modifies and len(modifies.group().split(")")[-1].split()) >= 2:
                    # "the first Tensor Core (TC) based computing framework, QGTC": it modifies what is named after
                    # its head; "a mobile neural architecture search (MNAS) approach" is its own name
                    apposed = self._apposed(text, _APPOSED.match(text, modifies.end(), end), end, score, direct)
                    return [*out, apposed] if apposed else out
                out.append(Proposal("abstract", w.start(), acronyms[w.start()], score, direct and content == 0))
                after_name = True
                continue
            if out and w.start() < out[-1].end:
                continue
            if word in {",", ".", ";"} and content and direct and not out:
                np = self.phrases.titled(text, phrase_start, w.start(), title)
                if np:  # "we present speculative sampling, an algorithm ...", the title's name: the paper's own
                    return [Proposal("abstract", *np, score, True)]
                described = _NOVEL_APPOSITION.match(text, w.end()) is not None
                np = self.phrases.novel(text, phrase_start, w.start()) if described else None
                if np:  # "the attention bias, a new way to ...": the paper's own, unless the vocabulary knows it
                    return [Proposal("abstract", *np, score, False)]
            if word in {",", "and"} or low == "and":
                if after_name:
                    continue
                if word == "," and content and self._apposition(text, w.end(), end):
                    continue
            if word in {";", ":"} and not out:
                items = self.phrases.listed(text, w.end(), end, named_only=True)
                if items:
                    # "two novel yet very simple techniques: sequence parallelism and ...": new, known names too
                    return out + [Proposal("abstract", a, b, score - PARAMS.listed, novel and direct) for a, b in items]
                continue
            quoted = _QUOTED.match(text, w.start(), end) if word == '"' and not content and not out else None
            if quoted:  # 'we introduce a "divide-and-share" paradigm': the quotes name it
                return [Proposal("abstract", quoted.start(1), quoted.end(1), score, False)]
            if word in {".", ";", ")", '"', ":"}:
                if not after_name:
                    nps = self.phrases.operations(text, phrase_start, w.start())
                    out += [Proposal("abstract", a, b, score - PARAMS.noun_phrase, False) for a, b in nps]
                break
            if low == "including" and not out:
                items = self.phrases.listed(text, w.end(), end)
                return out + [Proposal("abstract", a, b, score - PARAMS.listed, False) for a, b in items]
            if low in DISCOURSE and core[:1].isupper():
                break  # "three new optimizations: First, we propose ...": the next sentence part, no name
            lower = content == 0 and not out and _LOWER_MODEL.match(text, w.start()) is not None
            capital = lower or (core[:1].isupper() and (content == 0 or text[w.start() - 2:w.start()] == ", " or
                                                        phrase_start is not None))
            if (is_name_token(core) or capital) and not self.phrases.generic(core) and not only_devices(core, self.lex):
                name_end = self._extend_name(text, w.start(), w.end(), end)
                short = _SHORT_AFTER.match(text, name_end)
                if short and short.group(1) in self.lex.device_kinds:
                    break  # "a Field-Programmable Gate Array (FPGA) accelerator": a kind of device, no name
                modifies = _MODIFIES.match(text, name_end)
                if modifies or (not is_name_token(core) and name_end == w.end() and
                                self.eponym_heads.match(text, name_end)):
                    apposed = self._apposed(text, _APPOSED.match(text, modifies.end(), end), end, score, direct) \
                        if modifies else None
                    if apposed:  # "a new SSM layer, H3"
                        return [*out, apposed]
                    words = text[w.start():name_end].split()
                    if (is_name_token(core) and _DEFINITE.search(text, max(start, w.start() - 5), w.start())) or \
                            (len(words) >= 2 and all(_TITLED_WORD.fullmatch(x) for x in words)):
                        # "the FooNet framework", "a Dependency Proxy mechanism": a name of what the head is
                        out.append(Proposal("abstract", w.start(), name_end, score, False))
                    break  # "a flexible CUDA memory manager": the name only modifies an unnamed object
                trailing = _HEAD_AFTER.match(text, name_end, end) if _TITLED_COMPOUND.fullmatch(core) else None
                if trailing and trailing.group(1).lower() in self.lex.method_heads and not article:
                    name_end = trailing.end()  # "we propose Micro-Factorized convolution": the head is of the name
                lead = text[phrase_start:w.start()].split() if phrase_start is not None else []
                at = phrase_start if lead and all(x[:1].isupper() for x in lead) else None  # "Quantization-Aware X"
                written = text[w.start():name_end].strip()  # "scheduler Sarathi-Serve", "... with Sarathi-Serve"
                titled_name = bool(title) and len(written) >= 3 and _KIND_BEFORE.search(
                    text, max(start, w.start() - 16), w.start()) is not None and bool(find_all(title, written))
                out.append(Proposal("abstract", w.start() if at is None else at, name_end, score,
                                    direct and (content == 0 or at is not None or titled_name)))
                after_name = True
                continue
            if after_name:
                break
            if low in FILLER or word == "(":
                novel = novel or low in {"novel", "new"}
                article = article or low in {"a", "an", "the"}
                continue
            if low in STOP:
                np = self.phrases.titled(text, phrase_start, w.start(), title)
                if np and direct and not out:  # the verb's own object, named by the title too: the paper's
                    return [Proposal("abstract", *np, score, True)]
                nps = [np] if np else self.phrases.operations(text, phrase_start, w.start())
                out += [Proposal("abstract", a, b, score - PARAMS.noun_phrase, False) for a, b in nps]
                break
            if phrase_start is None:
                phrase_start = w.start()
            content += 1
            if low.rstrip(",") in {"technique", "techniques", "strategy", "strategies", "mechanism", "method",
                                   "scheme", "algorithm", "approach"}:
                named = _NAMED_AFTER.match(text, w.end(), end) or _NAME_AFTER.match(text, w.end(), end)
                head = named.group(1) if named else ""
                if named and head and (is_name_token(head.split()[0]) or (named.re is _NAMED_AFTER and
                             head[:1].isupper() and not self.phrases.generic(head.split()[0]))):
                    name_end = self._extend_name(text, named.start(1), named.end(1), end)
                    return [*out, Proposal("abstract", named.start(1), name_end, score, direct)]  # "an approach, X"
                comma = w.end() if word.endswith(",") else w.end() + 1 if text[w.end():w.end() + 1] == "," else -1
                known = _KNOWN_APPOSED.match(text, comma, end) if novel and direct and not out and comma > 0 else None
                if known:  # "we present a novel inference scheme, self-speculative decoding, for ...": its name
                    out.append(Proposal("abstract", known.start(1), known.end(1), score, True, known_only=True))
                nxt = re.match(r"\s*(?:,?\s*including\s+|:\s*)", text[w.end():end])
                if nxt:
                    items = self.phrases.listed(text, w.end() + nxt.end(), end)
                    # "two novel yet very simple techniques: sequence parallelism and ...": new, known names too
                    return out + [Proposal("abstract", a, b, score - PARAMS.listed, novel and direct) for a, b in items]
                titled = self.phrases.titled(text, phrase_start, w.start(), title) if direct and not out else None
                if titled:  # "we introduce a block pruning approach" under "Block Pruning For Faster Transformers"
                    return [Proposal("abstract", *titled, score, True, kind=True)]
                if _CALLED_NEXT.match(text, w.end(), end):
                    return out  # "a new memory-efficient data transformation algorithm, called im2win": its name
                before = self.phrases.before_head(text, phrase_start, w.start(), plural=low.endswith("s"), novel=novel)
                out += [Proposal("abstract", a, b, score - PARAMS.noun_phrase, False) for a, b in before]
                break
        return out

    @staticmethod
    def _named_before(text: str, names: tuple[str, ...], start: int) -> bool:
        """The sentence before `start` names the paper's own system: a following "it introduces" speaks of it."""
        before = text[max(0, start - 400):start].rstrip()
        previous = re.split(r"[.!?]\s+", before)[-1]
        return any(len(n) >= 3 and n in previous for n in names)

    def _apposed(self, text: str, named: re.Match[str] | None, limit: int, score: float,
                 direct: bool) -> Proposal | None:
        """The name a pattern found after a head ("a new SSM layer, H3", "The proposed models, EfficientFormerV2"),
        unless it is a closed-class or generic word."""
        if named is None or named.group(1).lower() in _CLOSED or self.phrases.generic(named.group(1)):
            return None
        return Proposal("abstract", named.start(1), self._extend_name(text, named.start(1), named.end(1), limit), score,
                        direct)

    def _extend_name(self, text: str, start: int, end: int, limit: int) -> int:
        """Grow a name over following capitalised words ("Sub-path Linear Approximation Model")."""
        pos = gap = end
        for w in _WORD.finditer(text, end, limit):
            # "Eyeriss v2", "... v2.", "FooNet 2.0", "FooNet 2, a ..."
            version = w.start() - gap <= 1 and versioned(text, gap, limit, bare=True) >= w.start() + len(
                w.group().rstrip("."))
            if w.group() == "of" and gap == pos and w.start() - pos == 1 and _OF_NAME.match(text, w.end(), limit):
                gap = w.end()  # "a Mixture of Attentions", "Tree of Thoughts": one name
                continue
            if w.start() - gap > 1 or not (w.group()[:1].isupper() or version) or w.group() in {",", ";"} or \
                    text[pos - 1] == ".":
                break
            if w.group().split("(")[0].strip() in self.lex.generic_acronyms:
                break
            pos = gap = w.end()
        name = text[start:pos]
        if "(" in name:
            pos = start + name.index("(")
        return len(text[:pos].rstrip(" .,")) if pos > start else end

    def _apposition(self, text: str, start: int, end: int) -> bool:
        nxt = re.match(r"\s*([A-Za-z][\w.+-]*)", text[start:end])
        return bool(nxt and is_name_token(nxt.group(1)))

