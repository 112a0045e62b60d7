"""Name shapes, canonical keys for unseen names, and acronym definitions ("Long Form (LF)")."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from paperkg.core.ids import slug
from paperkg.graph.extraction.lexicon import Lexicon

GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "θ": "theta", "λ": "lambda",
         "μ": "mu", "π": "pi", "σ": "sigma", "Σ": "sigma", "τ": "tau", "φ": "phi", "ω": "omega", "Ω": "omega"}
_LATEX_GREEK = re.compile(r"\\(alpha|beta|gamma|delta|epsilon|theta|lambda|mu|pi|sigma|tau|phi|omega)\b", re.I)
_NOISE = re.compile(r"[$\\{}]")
_DEVICE_TAIL = re.compile(r"(?:[\s-]+(?:gpus?|fpgas?|tpus?|npus?|chips?|cards?|accelerators?))+$", re.I)
_MEMORY = re.compile(r"(?:[\s-]*\(?\s*\d+\s*g(?:b|i?b)?\s*\)?|[\s-]+(?:sxm\d?|pcie|nvlink|hbm\d?e?))+$", re.I)
_VENDOR = re.compile(r"^(?:nvidia|amd xilinx|amd|intel habana|intel|google|xilinx|apple|qualcomm|huawei|habana|"
                     r"samsung|arm|aws|amazon|microsoft|meta)\s+", re.I)

# A token that is clearly a name: CamelCase, internal capitals, letters mixed with digits, or all capitals.
NAME_TOKEN = re.compile(
    r"^(?:[A-Za-z][a-z]*[A-Z][\w.+]*|[A-Z][A-Z0-9]+[a-z]*[\w.+]*|[A-Za-z]+\d[\w.+]*|\d+[A-Za-z]*[A-Z][\w.+]*|"
    r"[a-z][a-z0-9_]*\.(?:cpp|js|rs|jl))#?$")  # "bitnet.cpp", like "llama.cpp"
_SHORT_UNIT = re.compile(r"^\d+(?:\.\d+)?(?:[KMBGTDkmbgtdxX]|GB|MB|TB|px|ms|fps|FPS|bit|bits|nm|Hz|kHz|GHz|W)?$|"
                         r"^\d+[KMBkmb]?[-/]\w*$")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+]*(?:-[A-Za-z0-9][A-Za-z0-9.+]*)*#?")
_PARTS = re.compile(r"[\s-]+")
_ARTICLES = {"a", "an", "the"}


@lru_cache(maxsize=8192)
def clean(name: str) -> str:
    """Greek letters and LaTeX spelled out, `$`, braces and backslashes dropped, spaces collapsed."""
    if name.isascii() and not _NOISE.search(name):
        return " ".join(name.split()).strip(" -,;:~")
    text = _LATEX_GREEK.sub(lambda m: m.group(1).lower(), name)
    text = "".join(GREEK.get(ch, ch) for ch in text)
    text = _NOISE.sub("", text)
    return " ".join(text.split()).strip(" -,;:~")


@lru_cache(maxsize=8192)
def is_name_token(token: str) -> bool:
    """'PowerInfer', 'GPTQ', 'LLaMA2', 'A100', 'S&S'-free shapes; not 'Model' or 'the'."""
    core = token.rstrip(".")
    if not core.isascii():  # the shape of a name with letters outside ASCII: 'ÜberQuant', 'ΔLoRA', 'αFlash'
        core = "".join(c if c.isascii() or not c.isalpha() else "A" if c.isupper() else "a" for c in core)
    if len(core) < 2 or _SHORT_UNIT.match(core):
        return False
    parts = core.split("-")
    return any(NAME_TOKEN.match(p) for p in parts if p)


def is_capitalised(token: str) -> bool:
    return bool(token) and token[0].isupper()


def unseen_key(entity_type: str, name: str) -> str:
    """A stable id for a name the vocabulary does not know: same name, same key, in any paper."""
    text = clean(name)
    if entity_type == "Hardware":
        text = _VENDOR.sub("", _MEMORY.sub("", _DEVICE_TAIL.sub("", text)))
    text = unicodedata.normalize("NFKC", text).replace("+", " plus ")  # ZeRO++ is not ZeRO, nor LoRA+ LoRA
    return f"{entity_type.lower()}/{slug(text)}"


def strip_device(name: str) -> str:
    """'NVIDIA A100 GPUs' -> 'NVIDIA A100'."""
    return _DEVICE_TAIL.sub("", name).strip() or name


def strip_memory(name: str) -> str:
    """'A100-80GB' -> 'A100', 'A100 (40GB)' -> 'A100'."""
    return _MEMORY.sub("", name).strip() or name


def tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text))


_MINOR = {"and", "of", "for", "the", "with", "to", "in", "on", "a", "an", "via", "by", "at", "from", "after"}


def _initials(short: str, before: str) -> int | None:
    """Long forms whose word initials spell the acronym ("Easy and Efficient Transformer (EET)")."""
    capitals = [c for c in short if c.isupper()]
    letters = capitals if len(capitals) >= 2 else [c for c in short if c.isalpha()]
    wanted = [c.lower() for c in letters]
    parts = list(re.finditer(r"[A-Za-z0-9]+", before))
    i = len(wanted) - 1
    start = None
    for part in reversed(parts):
        word = part.group()
        if i < 0:
            break
        if word.lower() in _MINOR and i < len(wanted) - 1:
            continue
        if word[0].lower() != wanted[i]:
            return None
        i -= 1
        start = part.start()
    return start if i < 0 else None


def acronym_long_form(short: str, before: str) -> int | None:
    """Schwartz & Hearst: where the long form of `short` starts in `before` (the text right before "(SHORT)").

    Word initials that spell the acronym are preferred. Returns an offset into `before`, or None when the letters
    of `short` cannot be found in order.
    """
    found = _initials(short, before)
    if found is not None:
        while found > 0 and before[found - 1] not in " \t\n([{\"'":
            found -= 1
        return found
    letters = [c.lower() for c in short if c.isalnum()]
    if len(letters) < 2 or not short[0].isalnum():
        return None
    words = list(re.finditer(r"\S+", before))
    if not words:
        return None
    budget = min(len(letters) + 5, len(letters) * 2)
    first_allowed = max(0, len(words) - budget)
    window_start = words[first_allowed].start()
    s_index = len(letters) - 1
    l_index = len(before) - 1
    while s_index >= 0:
        char = letters[s_index]
        while l_index >= window_start and (
            before[l_index].lower() != char
            or (s_index == 0 and l_index > window_start and before[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < window_start:
            return None
        s_index -= 1
        l_index -= 1
    start = l_index + 1
    while start > 0 and before[start - 1].isalnum():
        start -= 1
    return start


ACRONYM_DEF = re.compile(r"\(\s*([A-Za-z][\w&+.-]{0,14}?)\s*\)")


def valid_acronym(short: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", short)
    return 2 <= len(short) <= 15 and sum(c.isupper() for c in short) >= 1 and len(letters) >= 2 \
        and not short.islower() and " " not in short

_AMOUNT_LEAD = re.compile(r"\d[\d.,]*\s*(?:times|x|×|%|\\%)(?=\s|$)|\d[\d.]*[KMBT]\+$")
"""An amount at the start of a phrase: "32times sparsity" ("at 32times sparsity", the rendered sign); a size with a
plus ("1B+ LLM inference"; "13B" of "OPT-6.7B and 13B" is a model)."""


def names_something(name: str, lex: Lexicon) -> bool:
    """Whether a name the vocabulary does not know can name an entity at all. Not: generic device words joined
    ("GPU-CPU" of "asymmetric GPU-CPU pipelining"), a function word in capitals ("AND"), a lower-case phrase
    with an article inside ("those employing a traditional generative phonological approach"; a name may hold
    one: "Needle in a Video Haystack"), a language alone ("Arabic"), a vendor alone ("IBM" of "IBM Model 3"), an
    organisation ("Computing Research Laboratory"), a modifier whose noun was cut ("adaptive bottom-up" of "a
    novel adaptive bottom-up approach"), or a lower-case phrase led by a comparative ("faster inference" of
    "competitive results with faster inference")."""
    words = name.split()  # nor an amount ("32times sparsity")
    if not words:
        return False
    last = words[-1].lower()
    return not (only_devices(name, lex)
                or (len(words) == 1 and (last in lex.stop_words or last in lex.words("languages")))
                or (name.islower() and any(w in _ARTICLES for w in words[1:]))
                or name in lex.vendors
                or last in lex.words("organisation_heads")
                or last in lex.words("dangling_modifiers")
                or (name.islower() and words[0] in lex.words("comparative_words"))
                or _AMOUNT_LEAD.match(name) is not None
                or sum(ch.isalnum() for ch in name) < 2)  # "S$" of "S$^{2}$FT"


def only_devices(text: str, lex: Lexicon) -> bool:
    """Only generic device words ("GPU-CPU", "CPU-GPU-I/O"): they modify what follows, never name."""
    return all(part in lex.generic_acronyms for part in _PARTS.split(text) if part)


VERSION_AFTER = re.compile(r"\s+(?:[vV]\d+(?:\.\d+)*|\d+\.\d+(?:\.\d+)*)(?!\w|\.\d)")
"""A version after a name ("UDPipe 2.0", "SpConv v2", also where it ends a sentence); see AMOUNT_AFTER."""
AMOUNT_AFTER = re.compile(r"\s*(?:[x×%]|times|fold|points?|pp|ms|s\b|GB|MB|TB|[KMB]\b|hours?|days?)", re.I)
"""After a number: an amount, so the number is no version ("HyperLoom 2.5 times", "HyperLoom 2.0 points")."""
_BARE_VERSION_AFTER = re.compile(r"\s\d+(?=\.?(?:\s*(?:[,;:()]|$)|\s+(?:(?:a|an|the|is|are|was|that|which|to|for|with|"
                                 r"and|as|on|in|by|achieves|outperforms|improves|reduces)\b|[A-Z])))")
"""A whole number as a version ("We present FooNet 2, a ...", "FooNet 2. It ..."), not a count ("FooNet 2 layers")."""


def versioned(text: str, end: int, limit: int | None = None, bare: bool = False) -> int:
    """The end of the name ending at `end` with the version after it, if one follows ("SpConv 1.2", not "HyperLoom
    2.5 times"); `bare`: a whole number counts too where what follows ends the name."""
    limit = len(text) if limit is None else limit
    version = VERSION_AFTER.match(text, end, limit)
    if version and not AMOUNT_AFTER.match(text, version.end()):
        return version.end()
    number = _BARE_VERSION_AFTER.match(text, end, limit) if bare else None
    return number.end() if number else end
