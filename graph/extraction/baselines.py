"""The baselines of a comparison: the noun phrases after "than", "over", "compared to", "outperforms" ...

A baseline is a known mention ("vLLM"), an unseen name ("HyperLoom"), a specific method phrase ("decode-only batch",
"training from scratch", "standard attention", "baseline FP8 attention"), or a class of systems named by what they
do ("state-of-the-art serving systems", "naive loading approaches"). Purely generic phrases ("existing methods",
"the baselines") are skipped, and a generic phrase that introduces a list ("systems such as X and Y") yields the list.
"""

from __future__ import annotations

import re

from paperkg.graph.extraction import baseline_names
from paperkg.graph.extraction.baseline_names import DEVICE_ONLY, SIZE_WORD, Item, NameShapes, titled
from paperkg.graph.extraction.factors import AMOUNT, BY
from paperkg.graph.extraction.lexicon import Lexicon
from paperkg.graph.extraction.names import is_name_token, only_devices, versioned
from paperkg.graph.extraction.text import NUMBER, POSSESSIVE

_APPOS = re.compile(r"^\s*,\s*(?!and\b|or\b|which\b|while\b|with\b)")
_NEXT_WORD = re.compile(r"\s+([A-Za-z][\w-]*)\b")
_PAREN_ITEM = re.compile(r"\s*\(\s*(\S)")
_BY_AMOUNT = re.compile(rf",?\s+{BY}{AMOUNT}(?:\s+(?:on\s+average|in\s+\w+))?")
_ITEM_SEP = re.compile(r"\s*(?:,?\s+as\s+well\s+as\s+|,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|\s*/\s*)")
_WORD = re.compile(r"[A-Za-z0-9][\w.+&\\-]{0,60}")
_BREAK = re.compile(r"[,;:]")
_PLAIN = re.compile(r"[a-z][\w-]*(?:\s+[a-z][\w-]*)?")


class Baselines:
    """Finds baseline phrases; per-paper state (known mentions) is set by the caller before `objects`."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.stop = lexicon.stop_words
        self.result_verbs = lexicon.words("result_verbs")
        self.techniques: set[int] = set()
        """Starts of known technique mentions."""
        self.specific: set[int] = set()
        """Starts of mentions of specific (deep in the taxonomy) concepts."""
        self.weak: set[int] = set()
        """Starts of mentions of concepts too generic to be a baseline alone ("attention", "FP8")."""
        self.determiners = {d.lower() for d in lexicon.determiners}
        self.baseline_heads = lexicon.words("baseline_heads")
        self.shapes = NameShapes(lexicon)
        self.class_heads = lexicon.words("class_heads")
        self.example_heads = self.shapes.naming_heads | self.class_heads
        """Kinds whose example names the baseline: "a state-of-the-art NeRF accelerator (i.e., NeuRex)"."""
        """Head nouns of a class of baselines ("offloading systems"): named by the words before them, if any."""
        self.model_classes = lexicon.words("model_class_heads")
        self.quality = lexicon.words("baseline_quality_words")
        """Adjectives that, before a generic technique ("standard attention"), name the baseline variant."""
        self.weak_heads = lexicon.words("weak_baseline_heads")
        self.sota_heads = lexicon.words("state_of_the_art_heads")
        self.devices: dict[int, str] = {}
        """Starts of baselines that are a bare kind of device ("the GPU"), with the kind (resolved by the caller)."""
        self.kinds: dict[int, str] = {}
        """Types of the known mentions, by start (set by the caller)."""
        self.sota: set[int] = set()
        """Starts of baselines that only say "the state-of-the-art system" (resolved by the caller)."""
        self.aliases: dict[int, list[str]] = {}
        """Extra surface forms of the baselines found, by start ("state-of-the-art offloading systems")."""

    def objects(self, text: str, start: int, end: int, mention_at: dict[int, int]) -> list[tuple[int, int]]:
        pos = start
        items: list[tuple[int, int]] = []
        lead = baseline_names.LEAD.match(text, pos, end) or baseline_names.METRIC_OF.match(text, pos, end)
        if lead:
            pos = lead.end()  # "surpassing the speed of X by 37%": X is the baseline
        appositive = False
        for _ in range(12):
            item = self._item(text, pos, end, mention_at)
            if item is None:
                break
            caps = baseline_names.LISTED_ACRONYM.fullmatch(text, item.start, item.last)
            if item.kind == "generic" and items and caps:
                item.kind = "name"  # "than DGL, MGG-UVM, and ROC": an acronym listed among names is one too
            i_start, i_end = item.start, item.last
            examples = baseline_names.EXAMPLES.match(text, i_end, end) if item.kind == "name" else None
            headed = baseline_names.HEAD_EXAMPLES.match(text, i_end, end) if item.kind == "name" and not examples \
                else None
            if headed and headed.group(1) in self.example_heads:
                examples = headed
            if examples and not items:
                pos = examples.end()  # "than previous proposals for synchronous FL (e.g., FedAvgM)": the example
                continue
            variant = baseline_names.VARIANT_OF.match(text, i_end, end) if item.kind == "name" and not items else None
            if variant and variant.end() in mention_at:
                pos = variant.end()  # "the PagedAttention variants of FlashAttention": the systems so varied
                continue
            kind = baseline_names.CLASS_AFTER.match(text, i_end, end) if item.kind == "name" and not items else None
            after_kind = text[kind.end():end] if kind else ""
            members = (self.lex.intro_re.match(after_kind) or baseline_names.PAREN_LIST.match(after_kind)) \
                if kind and kind.group(1).lower() in self.class_heads else None
            if kind and members:
                pos = kind.end() + members.end()  # "GNN computing frameworks, such as Deep Graph Library"
                continue
            space = text.find(" ", i_start, i_end)
            if (items or appositive) and ((space > 0 and baseline_names.CLAUSE_VERB.match(text, space, i_end)) or
                                          baseline_names.CLAUSE_VERB.match(text, i_end, end)):
                break  # "Compared to X, Helix reduces TTL ...", "..., HAP-based inference achieves": the next clause
            words = text[i_start:i_end].split()
            head = words[-1].lower() if words else ""
            owner = baseline_names.OF_OWNER.match(text, i_end, end) if item.kind != "name" and not items else None
            if owner and owner.end() in mention_at:
                pos = owner.end()  # "over existing kernels of AutoAWQ": the system they belong to
                continue
            qualified = baseline_names.QUALIFIED.match(text, i_end, end) if item.kind != "name" else None
            if qualified and self.lex.intro_re.match(text[qualified.end():end]):
                i_end = qualified.end()  # "open-source models of equivalent sizes, such as X and Y"
            rest = text[i_end:end]
            appos = _APPOS.match(rest)
            if appos and baseline_names.CLAUSE_START.match(rest, appos.end()):
                appos = None  # "outperforms heuristic schedulers, boosting serving capacity ...": no apposition
            direct = re.match(r"\s+", rest)
            listed = bool(direct and i_end + direct.end() in mention_at)
            intro = self.lex.intro_re.match(rest) or ((baseline_names.COLON.match(rest) or
                                                       baseline_names.PAREN_LIST.match(rest))
                                                      if item.kind != "name" else None)
            if item.kind == "sota" and not intro:
                self.sota.add(i_start)
            plural = item.kind == "name" and i_start not in mention_at and head.endswith("s") and not items
            member = baseline_names.APPOSED_NAME.match(text, i_end, end) if appos and (
                item.kind in ("class", "sota") or plural) else None
            member = member if member and is_name_token(member.group(1)) else None
            # ("one of state-of-the-art ReRAM-based NN accelerators, PRIME, ...": a member, even unseen)
            apposed = i_end + appos.end() if appos else -1  # "the DNN framework, ONNX Runtime": that framework
            named = bool(member) or bool(apposed in mention_at and
                                         not baseline_names.CLAUSE_VERB.match(text, mention_at[apposed], end))
            generic = item.kind == "generic" or bool(plural and member) or (item.kind in ("class", "sota") and bool(
                intro or named or (listed and not items)))
            if generic and not items and listed:
                pos = i_end + direct.end()  # type: ignore[union-attr]
                continue
            if generic or (appos and head in self.baseline_heads and i_start not in mention_at):
                intro = intro or appos
                if intro and (not items or (item.kind == "class" and intro is not appos)):
                    # (also "CPUs, GPUs, and prior-art GCN accelerators including HyGCN and AWB-GCN": the members)
                    pos = i_end + intro.end()
                    appositive = intro is appos  # "compared to the baseline design, Spatial-STAR achieves ..."
                    continue
                by = _BY_AMOUNT.match(text, i_end, end)
                if by and _ITEM_SEP.match(text, by.end(), end):
                    pos = _ITEM_SEP.match(text, by.end(), end).end()  # type: ignore[union-attr]
                    continue
            else:
                unseen_name = item.kind == "name" and i_start not in mention_at
                items.append((i_start, versioned(text, item.end, end) if unseen_name else item.end))
                if item.aliases:
                    self.aliases[i_start] = item.aliases
            paren = _PAREN_ITEM.match(text, i_end, end)
            known = bool(paren and paren.start(1) in mention_at)
            unseen = baseline_names.PAREN_NAME.match(text, i_end, end) if generic and not known else None
            if paren and known:
                acronym = (paren.start(1), mention_at[paren.start(1)])  # "Deep Graph Library (DGL)": one baseline
                same = items and items[-1][0] == i_start and not generic and \
                    baseline_names.abbreviates(text[slice(*acronym)], text[i_start:i_end])
                items[-1:] = [acronym] if same else [*items[-1:], acronym]
                close = text.find(")", paren.start(1), end)
                i_end = close + 1 if close > 0 else mention_at[paren.start(1)]
            elif unseen and is_name_token(unseen.group(1)) and unseen.group(1) not in self.lex.generic_acronyms:
                items.append((unseen.start(1), unseen.end(1)))  # "than dense accelerator (VAA) and ... (LS-PRA)"
                i_end = unseen.end()
            head_word = baseline_names.DEVICE_HEAD.match(text, i_end, end)
            if head_word:
                i_end = head_word.end()  # "MNNFast accelerator, TITAN Xp GPU, Xeon CPU"
            i_end = versioned(text, i_end, end)  # "UDPipe 2.0 and Stanza": the list goes on after it
            by = _BY_AMOUNT.match(text, i_end, end) or baseline_names.PAREN_AMOUNT.match(text, i_end, end)
            if by:
                i_end = by.end()
            described = baseline_names.DESCRIBED.match(text, i_end, end) if not generic else None
            the = baseline_names.DESCRIBED_THE.match(text, i_end, end) if not generic and not described else None
            if the and the.group(1).split()[-1].lower() in self.shapes.naming_heads:
                described = the  # "HeadKV, the state-of-the-art KV cache compression method"
            if described:
                i_end = described.end()  # "CMT, a recent hybrid architecture, ...": a description, not a baseline
            sep = _ITEM_SEP.match(text, i_end, end)
            if not sep and items and i_start in mention_at and self.kinds.get(i_start) in ("Model", "Software"):
                sep = self._resumed(text, i_end, end, self.kinds[i_start], mention_at)
            verb = re.match(r"[a-z]+", text[sep.end():sep.end() + 20]) if sep else None
            if not sep or (generic and not items) or self.lex.compare_verb_re.match(text, sep.end()) or \
                    baseline_names.CLAUSE_START.match(text, sep.end()) or (verb and verb.group() in self.result_verbs):
                break  # "... than X, and beats Y", "..., our approach reduces ...", "..., boosting ...", "..., and
                # reduces attention kernel time by 14.7%": a new clause
            if sep.end() in mention_at and baseline_names.CLAUSE_VERB.match(text, mention_at[sep.end()], end):
                break  # "Compared to X, FooNet reduces latency ...": the subject of the main clause
            pos = sep.end()
        return items

    def _resumed(self, text: str, pos: int, end: int, kind: str, mention_at: dict[int, int]) -> re.Match[str] | None:
        """"outperforms A across all benchmarks, and B in reasoning": the list goes on after the first item's
        qualifier when the next item is a known name of the same kind, not the subject of a new clause."""
        m = baseline_names.RESUME.match(text, pos, end)
        if not m or m.end() not in mention_at or self.kinds.get(m.end()) != kind:
            return None
        if baseline_names.CLAUSE_VERB.match(text, mention_at[m.end()], end):
            return None
        return m

    def _item(self, text: str, pos: int, end: int, mention_at: dict[int, int]) -> Item | None:
        aside = baseline_names.ASIDE.match(text, pos, end)
        pos = aside.end() if aside else pos  # "over (transformer-based) SST": the kind, in brackets, before the name
        while pos < end and text[pos] in " \t\"'(":
            pos += 1
        words = list(_WORD.finditer(text, pos, min(end, pos + 400)))
        det = self.lex.determiner_prefix.match(text[pos:end])
        skip = pos + det.end() if det else pos
        words = [w for w in words if w.start() >= skip]
        art = baseline_names.STATE_OF_ART.match(text, skip, end) or baseline_names.OF_ART_ALONE.match(text, skip, end)
        if art:
            return Item(skip, art.end(), "generic")  # "the prior state of the art, FlashAttention-2, by 1.9x"
        for w in words[:4]:
            at = w.start()
            if at < skip:
                continue
            if w.group() in self.lex.vendors and POSSESSIVE.match(text, w.end()):
                skip = w.end() + 3 if text[w.end() + 2:w.end() + 3] == " " else w.end() + 2
                continue  # "the state-of-the-art Google's XLA solution": the vendor owns the baseline
            if _BREAK.search(text, skip, at):
                break  # "the state-of-the-art system, FooNet ...": the phrase ended at the comma
            low = w.group().lower().rstrip(".")
            after = _WORD.match(text, w.end() + 1, end) if text[w.end():w.end() + 1] == " " else None
            if self.lex.is_modifier(low) and after and after.group()[:1].isupper() and \
                    not only_devices(after.group(), self.lex) and mention_at.get(at, 0) <= w.end():
                skip = w.end() + 1  # "CPU-based FastLLM", "the AutoML-based Evolved Transformer": the name is it
                continue  # (not "offloading-enabled LLM inference systems")
            if at in mention_at:
                found = self._at_mention(text, pos, skip, at, mention_at, end)
                if found is not None:
                    return found
                continue
            if SIZE_WORD.match(w.group()) or baseline_names.COUNT_WORD.fullmatch(w.group()):
                continue  # "the few-shot prompted 540B PaLM model", "the 4-step UFOGen"
            if low in self.stop or not re.fullmatch(r"[a-z][\w-]*", w.group()):
                break
        return self._phrase(text, pos, skip, end, [w for w in words if w.start() >= skip], mention_at)

    def _at_mention(self, text: str, pos: int, skip: int, at: int, mention_at: dict[int, int], end: int) -> Item | None:
        """The baseline that starts with (or is) the known mention text[at:stop]."""
        stop = mention_at[at]
        if re.match(r"-[a-z]", text[stop:stop + 2]):  # "LoRA-trained X": a modifier, not the item
            return None
        follow = _NEXT_WORD.match(text, stop, end)
        after = follow.group(1).lower() if follow else ""
        weak = at in self.weak
        named = self.shapes.name_after_kind(text, stop, end, mention_at)
        if named is not None:  # "Transformer accelerators SpAtten and Sanger", "MoE model training system FasterMoE"
            return Item(*named, "name")
        inner = baseline_names.NAME_THEN_HEAD.match(text, stop, end) if self.kinds.get(at) == "Technique" else None
        if inner and inner.group(2).lower() in self.shapes.naming_heads and is_name_token(inner.group(1)) and \
                not inner.group(1).isupper():  # (not "other compressed binarization LLM methods")
            # "the state-of-the-art Bayesian optimization WeakNAS approach": the name, of its technique's kind
            return Item(inner.start(1), inner.end(1), "name")
        last = text[at:stop].split()[-1].lower()
        plural = after if after in self.model_classes else last if last in self.model_classes else ""
        if plural.endswith("s") and _PLAIN.fullmatch(text[skip:at].strip()) and \
                not re.fullmatch(r"(?:the\s+)?", text[pos:skip].lower()):
            return Item(skip, follow.end() if follow and after == plural else stop, "generic")  # "other GPT models"
        if plural.endswith("s") and after == plural and follow:
            return Item(at, stop, "name", [], follow.end())  # "the concurrent TinyLlama models"
        if follow and after == "accelerators" and self.kinds.get(at) == "Technique":
            listed = self.lex.intro_re.match(text[follow.end():end]) or baseline_names.APPOSED_NAME.match(
                text, follow.end(), end)  # "... accelerators including HyGCN and ...", "... accelerators, PRIME,"
            return Item(at, follow.end(), "class" if listed else "name")  # "the prior art GCN accelerators": devices
        kind = self.kinds.get(at)  # "the other BERT quantization methods", "MoE training systems, DeepSpeed and ..."
        applied = baseline_names.APPLIED_CLASS.match(text, stop, end) if kind in ("Model", "Technique") else None
        fits = applied and (applied.group(1).lower() in self.lex.method_heads if kind == "Model"
                            else applied.group(2).lower() in baseline_names.SYSTEM_CLASSES)
        if applied and fits and applied.group(2).lower() in self.class_heads:
            return Item(skip, applied.end(), "generic")  # a class of methods applied to the model, of systems for MoE
        if follow and after in self.class_heads and after not in self.model_classes:
            phrase = text[pos:follow.end()].strip()
            if weak:  # "conventional parallelism approaches": a class of its own; "LLM serving systems": generic
                return self._class(text, skip, follow.end(), phrase)
            if after in baseline_names.SYSTEM_CLASSES and baseline_names.ACRONYM.fullmatch(text[at:stop]):
                return Item(skip, follow.end(), "generic")  # "state-of-the-art GNN systems", "prior SC engines":
                # systems that run the technique, not the technique
            # "pruning and distillation methods", "state-of-the-art offloading systems": the technique itself
            return Item(at, stop, "class", [phrase, text[at:follow.end()]], follow.end())
        if follow and not weak and not text[at:stop].islower() and after in self.lex.technique_heads and \
                _ITEM_SEP.match(text, follow.end(), end):
            if follow.group(1)[:1].isupper():
                return Item(at, follow.end(), "name")  # "Llama.cpp, Mixtral Offloading, and BrainStorm": a name
            return Item(at, stop, "name", [], follow.end())  # "Medusa decoding and autoregressive decoding"
        longer = baseline_names.CLASS_AFTER.match(text, stop, end) if text[at:stop].islower() or weak or (
            text[at:stop].isupper() and self.kinds.get(at) == "Technique") else None
        # (also "the state-of-the-art RAG optimization schemes": not RAG; but "the DGL sparse library" is DGL's)
        if longer and longer.group(1).lower() in self.class_heads and longer.group(1).lower() not in self.model_classes:
            # "hand-tuned model-parallel training systems": a class of systems, not the technique itself
            return Item(skip, longer.end(), "class", [text[pos:longer.end()].strip()])
        if weak and text[stop:stop + 1] != "-":
            quality = self._quality_start(text, pos, at)
            if follow and after in self.weak_heads:  # "baseline FP8 attention", "FP16 implementations"
                return Item(at if quality is None else quality, follow.end(), "name",
                            [text[at:follow.end()], text[at:stop]])
            if quality is not None:
                return Item(quality, stop, "name")  # "standard attention"
        if skip < at and at in self.techniques and _PLAIN.fullmatch(text[skip:at].strip()) and text[at:stop].islower():
            return Item(skip, stop, "name")  # "single-sequence speculative decoding": a variant of its own
        if weak:
            tail = self.shapes.qualifier(text, stop, end, mention_at, self.weak)
            if tail:
                return Item(at, tail, "name", [text[at:stop]])  # "fine-tuning with backpropagation"
        return Item(at, stop, "name")

    def _phrase(self, text: str, pos: int, skip: int, end: int, words: list[re.Match[str]],
                mention_at: dict[int, int]) -> Item | None:
        """An unseen baseline: up to six words, stopping at stop words, numbers, verbs in -ed and known mentions."""
        taken: list[re.Match[str]] = []
        cursor = skip
        for w in words:
            if taken and text[cursor:w.start()].strip():
                break
            low = w.group().lower().rstrip(".")
            if low in self.stop or re.fullmatch(rf"{NUMBER}[x%]?", low) or len(taken) >= 6:
                break
            if taken and taken[-1].group().lower() in self.shapes.naming_heads and (
                    w.start() in mention_at or self.shapes.named(w.group().rstrip("."))):
                stop = mention_at.get(w.start(), w.start() + len(w.group().rstrip(".")))
                return Item(w.start(), stop, "name")  # "the state-of-the-art scheduler Tiresias"
            if taken and w.start() in mention_at and titled([m.group() for m in taken]) and \
                    all(x[:1].isupper() for x in text[w.start():mention_at[w.start()]].split()) and \
                    len(taken) + len(text[w.start():mention_at[w.start()]].split()) <= 4:
                # "Hamiltonian Monte Carlo", "Evolved Transformer", "Tiny YOLOv2": a name in title case that ends in
                # a known one
                cursor = mention_at[w.start()]
                taken += [m for m in words if w.start() <= m.start() < cursor]
                break
            if taken and (w.start() in mention_at or re.fullmatch(r"[a-z]+ed", low) or low in self.result_verbs):
                break  # "Compared to the TP-based inference, HAP-based inference achieves ...": a clause, not a name
            taken.append(w)
            cursor = w.end()
        if not taken or taken[0].group().lower() in self.result_verbs:
            return None  # "outperforms A by 2.1x and reduces memory by 3x": a second finding, not a second baseline
        i_start, i_end = taken[0].start(), taken[-1].end()
        while i_end > i_start and text[i_end - 1] == ".":
            i_end -= 1
        possessive = POSSESSIVE.search(text, i_start, i_end)
        if possessive:
            i_end = possessive.start()
        full = text[pos:i_end]
        det = self.lex.determiner_prefix.match(text[i_start:i_end])
        if det:
            i_start += det.end()
        phrase = text[i_start:i_end]
        size = SIZE_WORD.match(phrase)
        if size and phrase[size.end():size.end() + 1] == "-":
            return Item(i_start, i_end, "generic")  # "a 7B-parameter model": a size, no name
        if size and len(phrase.split()) > 1:
            i_start += size.end() + 1
            phrase = text[i_start:i_end]
        low = phrase.lower()
        if baseline_names.SOTA.search(full) and low in self.sota_heads:
            return Item(i_start, i_end, "sota")  # "the state-of-the-art system": the one the abstract calls so
        device = DEVICE_ONLY.fullmatch(full.strip())
        if device:
            self.devices[i_start] = device.group(1).upper()
            return Item(i_start, i_end, "device")  # "its contemporary GPU": the one GPU the abstract names
        if not phrase or len(phrase) < 2 or low in self.lex.generic_names or low.rstrip("s") in self.lex.generic_names:
            return Item(i_start, i_end, "generic")
        if i_start in mention_at:
            return Item(i_start, i_end, "name")
        quality = self._quality_start(text, pos, i_start)
        if " " not in phrase and low in self.lex.technique_heads and quality is not None:
            return Item(quality, i_end, "name")  # "vanilla decoding", "standard training": a named variant
        head = phrase.split()[-1].lower()
        if baseline_names.BIT_WIDTH.match(phrase) and " " in phrase:
            return Item(i_start, i_end, "name")  # "16-bit baselines": the precision names the baseline
        if head in ("counterpart", "counterparts"):
            return Item(i_start, i_end, "generic")  # "its GPU-based counterpart"
        if head in self.class_heads:
            return self._class(text, i_start, i_end, full)
        if head in self.lex.technique_heads or head.endswith(("ing", "tion", "sion", "ment")):
            tail = self.shapes.qualifier(text, i_end, end, mention_at, self.weak, names=True)
            if tail:
                return Item(i_start, tail, "name", [phrase])  # "training from scratch"
        return Item(i_start, i_end, "name" if self.shapes.acceptable(phrase) else "generic")

    def _quality_start(self, text: str, pos: int, at: int) -> int | None:
        """Where the last quality word ("standard", "vanilla") before a baseline starts, in text[pos:at]."""
        quality = [w for w in text[pos:at].split() if w.lower() in self.quality]
        return text.index(quality[-1], pos, at) if quality else None

    def _class(self, text: str, start: int, end: int, full: str) -> Item:
        """"serving systems", "naive loading approaches": a class named by what it does; "other models" is not."""
        words = text[start:end].split()
        content = [w for w in words[:-1] if w.lower() not in self.stop and w.lower() not in self.determiners
                   and not w[0].isdigit()]
        if not content or words[-1].lower() in self.model_classes or all(
                w in self.lex.generic_acronyms or w.lower() in self.lex.generic_names or
                w.lower() in self.lex.vague_modifiers for w in content):
            return Item(start, end, "generic")
        core = " ".join(words[:-1])
        return Item(start, end, "class", [full.strip(), core])
