"""The shape of a baseline name: whether an unseen phrase after a comparison cue can name one, the name after
its kind ("the scheduler Tiresias"), the noun phrase before a cue."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import is_name_token

SIZE_WORD = re.compile(r"^\d+(?:\.\d+)?\s?[KMBkmb]\b")
"""A size leading a phrase ("7B model")."""
DEVICE_ONLY = re.compile(r"(?:(?:its|their|the|a|an|contemporary|comparable|high-end|commodity|modern|same|"
                         r"server-class|desktop|general-purpose)\s+)*(GPU|CPU|FPGA|TPU|NPU)s?", re.I)
"""A bare kind of device ("its contemporary GPU")."""
APPLIED_CLASS = re.compile(r"\s+([a-z][\w-]*)(?:\s+(?:and|or)\s+[a-z][\w-]*)?\s+([a-z]+)\b")
"""'BERT quantization methods', 'BERT-base distillation and pruning techniques' (methods applied to a model), 'MoE
training systems' (systems for a technique): a class, not the model or technique named in it."""
EXAMPLES = re.compile(r"\s*\(\s*(?:e\.g\.|eg\.|i\.e\.|such\s+as|like|including)\s*,?\s*(?=[A-Z])")
HEAD_EXAMPLES = re.compile(r"(?:\s+[a-z][\w-]*)?\s+([a-z]+)\s*\(\s*(?:e\.g\.|eg\.|i\.e\.|namely)\s*,?\s*(?=[A-Z])")
"""'a state-of-the-art NeRF accelerator (i.e., NeuRex)': the kind's own example names the baseline."""
PAREN_LIST = re.compile(r"\s*\(\s*(?=[A-Z][\w.+-]*\s*(?:,|and\b))")
"""'outperforms SotA libraries (DASP, cuSPARSE, and Magicube)': the class's members in parentheses."""
COLON = re.compile(r"\s*:\s*(?=[A-Z])")
"""'over other mobile-side LLM inference engines: MLC and MNN': the class's members follow the colon."""
CLASS_AFTER = re.compile(r"(?:\s+[a-z][a-z-]*){1,2}?\s+([a-z]+)\b")
QUALIFIED = re.compile(r"\s+(?:of|with|at|in|on|from|across|for)\s+(?:[\w-]+\s+){0,3}?[\w-]+"
                        r"(?=\s*(?:,|\(\s*(?:e\.g\.|eg\.|such\s+as)|such\s+as\b))")
"""'models of equivalent sizes, such as ...': a qualifier between a class of baselines and its list."""
QUALIFIER = re.compile(r"\s+(?:with|from|without(?!\s+(?:(?:any\s+)?\w+ing|any|significant|much|noticeable)\b))\s+"
                       r"(?!(?:respect|regard|regards)\s+to\b)")
"""'training from scratch', 'fine-tuning with backpropagation': a method phrase with its qualifier (not 'AR decoding
without compromising generation quality', 'with minimal loss')."""
SYSTEM_CLASSES = {"systems", "frameworks", "engines", "libraries"}
ACRONYM = re.compile(r"[A-Z][A-Za-z]{0,3}[A-Z][A-Za-z0-9]{0,3}")
"""A technique's acronym ("GNN", "SpC", "DLRM", "MoE"): its systems are systems for it."""
"""Class heads of systems: "MoE training systems, DeepSpeed and FlexMoE" names systems, not MoE."""
STATE_OF_ART = re.compile(r"state of the art\b", re.I)
OF_ART_ALONE = re.compile(r"(?<=state-of-the-art )(?=\(|,)|(?<=SOTA )(?=\(|,)")
"""'with the state-of-the-art (i.e., FedBuff)': the adjective used as a noun, whose example follows."""
SOTA = re.compile(r"\b(?:state-of-the-art|state of the art|SOTA|best-performing|leading)\b", re.I)
BIT_WIDTH = re.compile(r"\d{1,2}-bit\s")
_TITLE_WORD = re.compile(r"[A-Z][a-z][\w.+-]*")
_CAPITALISED = re.compile(r"[A-Z][\w.+-]*[a-zA-Z0-9]")
_PLAIN_NAME = re.compile(r"[A-Z][a-z]{2,}[\w-]*")
_WORDS_AFTER = re.compile(r"\s+([A-Za-z][\w.+-]*)")
_QUALIFIER_WORD = re.compile(r"[A-Za-z0-9][\w.+&\\-]{0,60}")
APPOSED_NAME = re.compile(r",\s+([A-Za-z][\w.+-]*[\w+])(?=\s*(?:,|;|\)|\.(?:\s|$)|$))")


LISTED_ACRONYM = re.compile(r"[A-Z][A-Z0-9-]{1,7}")
"""'than DGL, MGG-UVM, and ROC': an acronym listed among names is a name, generic as it may be elsewhere."""
ASIDE = re.compile(r"\s*\([a-z][a-z\s-]{0,40}\)\s+(?=[A-Z])")
"""'over (transformer-based) SST': the baseline's kind in brackets before its name."""


@dataclass
class Item:
    """A baseline read from a comparison: its span and kind."""

    start: int
    end: int
    kind: str
    """"name" (a baseline), "generic" (skip), or "class" (a class of baselines, kept unless a list follows)"""
    aliases: list[str] = field(default_factory=list)
    stop: int = -1
    """End of the whole phrase ("pruning methods" for the baseline "pruning"); `end` when -1."""

    @property
    def last(self) -> int:
        return self.end if self.stop < 0 else self.stop


def abbreviates(short: str, name: str) -> bool:
    """Whether `short` is the initials of `name` ("DGL" of "Deep Graph Library"; not "CNN" of "MobileNetv3")."""
    initials = "".join(word[0] for word in re.split(r"[\s-]+", name) if word)
    return len(short) >= 2 and short.isalpha() and short.lower() == initials.lower()


def titled(words: list[str]) -> bool:
    """Up to four words in title case: one name ("Ray Serve", "Hamiltonian Monte Carlo")."""
    return len(words) <= 4 and all(_TITLE_WORD.fullmatch(w) for w in words)


class NameShapes:
    """The lexicon's word lists that decide whether a phrase names a baseline."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.stop = lexicon.stop_words
        self.class_heads = lexicon.words("class_heads")
        self.baseline_heads = lexicon.words("baseline_heads")
        self.naming_heads = lexicon.words("naming_heads")
        self.blockers = lexicon.words("qualifier_blockers")
        """Nouns a name may follow as its kind: "the state-of-the-art scheduler Tiresias"."""

    def named(self, word: str) -> bool:
        """A word that names: capitalised or name-shaped, not a function word, a generic acronym or a device."""
        return bool(_CAPITALISED.fullmatch(word)) and word.lower() not in self.stop and \
            word not in self.lex.generic_acronyms and DEVICE_ONLY.fullmatch(word) is None and self.acceptable(word)

    def acceptable(self, phrase: str) -> bool:
        """An unseen baseline: a name, or a specific noun phrase with a method-like head ("decode-only batch")."""
        words = phrase.split()
        if SIZE_WORD.match(phrase):
            return False
        head = words[-1].lower()
        if head in self.class_heads:
            return False
        if len(words) == 1 and _PLAIN_NAME.fullmatch(words[0]) and words[0].lower() not in self.stop:
            return True  # "Rerender" in "than FlowVid, CoDeF, Rerender, and TokenFlow"
        if any(is_name_token(w) for w in words):
            return not all(self._generic(w) for w in words if is_name_token(w))
        if len(words) >= 2 and titled(words):
            return True  # "Ray Serve", "Text Generation Inference", "Hamiltonian Monte Carlo": a name in title case
        return len(words) >= 2 and (head in self.lex.technique_heads or head in self.baseline_heads)

    def _generic(self, word: str) -> bool:
        """A generic acronym, alone or "-only" ("GPU-only schedulers"; "FPGA-based accelerators" still name a kind)."""
        head, _, rest = word.partition("-")
        return word in self.lex.generic_acronyms or (head in self.lex.generic_acronyms and rest == "only")

    def name_after_kind(self, text: str, pos: int, end: int, mention_at: dict[int, int]) -> tuple[int, int] | None:
        """The name after up to three lower-case words that end in its kind ("model training system FasterMoE")."""
        words: list[re.Match[str]] = []
        for w in _WORDS_AFTER.finditer(text, pos, min(end, pos + 80)):
            if w.start() != (words[-1].end() if words else pos) or len(words) > 3:
                break  # only the words right after, no comma between
            words.append(w)
        for i, w in enumerate(words[:3]):
            if not w.group(1).islower() or w.group(1) in self.stop:
                return None  # "TVM equipped with scheduler AutoTVM": TVM is the baseline
            if w.group(1) in self.naming_heads and i + 1 < len(words):
                at, word = words[i + 1].start(1), words[i + 1].group(1).rstrip(".")
                if at in mention_at or self.named(word):
                    return at, mention_at.get(at, at + len(word))
            apposed = APPOSED_NAME.match(text, w.end(), end) if w.group(1) in self.naming_heads else None
            if apposed and (apposed.start(1) in mention_at or self.named(apposed.group(1).rstrip("."))):
                at = apposed.start(1)  # "the recent open-source BNN inference framework, BMXNet, ..."
                return at, mention_at.get(at, at + len(apposed.group(1).rstrip(".")))
        return None

    def qualifier(self, text: str, stop: int, end: int, mention_at: dict[int, int], weak: set[int],
                  names: bool = False) -> int | None:
        """End of "with backpropagation" / "from scratch" after a method phrase: 1-3 plain words, then a break (a
        known mention, unless it starts in `weak` or `names` lets names in)."""
        m = QUALIFIER.match(text, stop, end)
        if not m:
            return None
        last, count = None, 0
        for w in _QUALIFIER_WORD.finditer(text, m.end(), min(end, m.end() + 80)):
            low = w.group().lower()
            if low in self.stop or low in self.blockers or low[0].isdigit() or (
                    not names and w.start() in mention_at and w.start() not in weak):
                break
            if last is not None and text[last:w.start()].strip():
                break
            last, count = w.end(), count + 1
        while last is not None and text[last - 1] == ".":
            last -= 1
        return last if last is not None and count <= 3 else None

    def phrase_before(self, text: str, s: int, end: int, mention_at: dict[int, int]) -> tuple[int, int] | None:
        """The noun phrase right before `end` ("HyperLoom" in "HyperLoom is 3x slower than ..."); none when the
        words there are function words ("..., which is 8 times longer than ...")."""
        for start, stop in mention_at.items():
            if s <= start and stop <= end and not text[stop:end].strip():
                return start, stop
        m = re.search(r"([A-Za-z][\w.+-]*(?:\s+[A-Za-z][\w.+-]*){0,3})\s*$", text[s:end])
        if not m:
            return None
        words = [w for w in re.finditer(r"\S+", m.group(1)) if w.group().lower() not in self.stop]
        if not words or words[-1].end() != len(m.group(1)):
            return None
        return s + m.start(1) + words[0].start(), s + m.end(1)


# Shapes around a baseline phrase, read by Baselines.objects and its helpers.
PAREN_NAME = re.compile(r"\s*\(\s*([A-Z][\w.+-]*[\w+])\s*\)(?=\s*(?:[,;]|\.(?:\s|$)|and\b|or\b|$))")
"""A name in parentheses after a generic phrase: the baseline it stands for."""
PAREN_AMOUNT = re.compile(r"\s*\(\s*(?:by\s+)?(?:up\s+to\s+|about\s+|~|\+)?[\d.,]+\s*(?:\\?%|x|×|times)?[^()]{0,40}\)")
"""A baseline's own factor in parentheses: "outperforms A (2.5x) and B (3.1x faster)"."""
DEVICE_HEAD = re.compile(r"\s+(?:GPUs?|CPUs?|FPGAs?|TPUs?|NPUs?|accelerators?|chips?|processors?|cards?|library|"
                         r"framework|engine|implementation|kernels?)(?=\s*(?:,|;|\)|\.|$|\band\b|\bor\b))")
DESCRIBED = re.compile(r"\s*,\s*(?:a|an)\s+[^,;.()]{1,80}?(?=\s*[,;.)]|$)")
VARIANT_OF = re.compile(r"\s+(?:variants?|versions?|implementations?|ports?)\s+(?:of|in)\s+")
"""'the PagedAttention variants of FlashAttention and FlashInfer': a name qualifying the systems it was built into."""
OF_OWNER = re.compile(r"\s+(?:of|in|from|(?:generated|produced|found|chosen|selected|designed)\s+by)\s+")
"""'existing kernels of AutoAWQ', 'strategies generated by PipeDream's planner': the system they belong to."""
DESCRIBED_THE = re.compile(r"\s*,\s*the\s+([^,;.()]{1,80}?)(?=\s*[,;.)]|$)")
RESUME = re.compile(r"\s+(?:across|on|in|for|at|under|over)\s+[^,;.()]{1,60}?,\s*(?:and\s+|or\s+)?(?=\S)")
CLAUSE_VERB = re.compile(r"\s+(?:(?:also|further|still|consistently|significantly)\s+)?(?:is|are|was|were|has|have|"
                         r"had|can|could|achieves?|outperforms?|shows?|obtains?|reaches|improves?|requires?|uses?|"
                         r"runs?|reduces|lowers|cuts|delivers|accelerates|speeds|attains|yields|provides|offers|"
                         r"enables|boosts|increases|decreases|supports|maintains|preserves|surpasses|beats|exceeds)\b")
NAME_THEN_HEAD = re.compile(r"\s+([A-Za-z][\w.+-]*[\w+])\s+([a-z]+)\b")
COUNT_WORD = re.compile(r"\d+-(?:steps?|bits?|layers?|shots?|stages?|passes?)")
"""A setting before a name ("the 4-step UFOGen", "the 8-bit LLM.int8")."""
CLAUSE_START = re.compile(r"(?:our|we|it|this|these|they|(?:boost|reduc|achiev|improv|deliver|yield|provid|enabl|cutt|"
                          r"lower|increas|speed|accelerat|sav|attain|reach|obtain|result|advanc|mak|bring|allow|"
                          r"demonstrat|show|offer|outperform|surpass|indicat|suggest|highlight|confirm|validat|"
                          r"reveal)\w*ing)\b", re.I)
"""After a list separator, the start of a clause, not another baseline ("..., our approach reduces ...",
"outperforms heuristic schedulers, boosting serving capacity by 16.7%")."""
LEAD = re.compile(r"\s*(?:with|using|when using|by using|that\s+of|those\s+of|on|when\s+run\s+on|"
                  r"one\s+of(?:\s+the)?)\s+(?=\S)", re.I)
"""'2x faster than with vLLM', '3x lower than that of vLLM', '10X faster than on an NVIDIA Jetson Orin Nano',
'compared to one of state-of-the-art accelerators, PRIME': the words before a baseline."""
METRIC_OF = re.compile(r"\s*(?:the\s+)?(?:[\w-]+\s+)?(?:speed|performance|accuracy|throughput|latency|quality|"
                       r"efficiency|results?|memory(?:\s+footprint)?|cost|runtime)\s+of\s+(?:that\s+of\s+)?(?=\S)",
                       re.I)
