"""Comparison shapes read with their baseline: implicit baselines, factors before their cue, bit-width baselines."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperkg.graph.extraction import Extractor
from paperkg.graph.extraction.implicit import version_of
from paperkg.graph.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[1]
EXTRACTOR = Extractor(Vocabulary.load(ROOT / "seeds"))


def outperforms(title: str, abstract: str) -> dict[str, float | None]:
    x = EXTRACTOR.extract(title, abstract)
    names = {e.key: e.name for e in x.entities}
    return {names.get(r.object, r.object): r.factor for r in x.relations if r.predicate == "outperforms"}


def wins(title: str, abstract: str) -> dict[tuple[str, str], float | None]:
    """(subject, baseline) names of every `outperforms` fact, with its factor."""
    x = EXTRACTOR.extract(title, abstract)
    names = {e.key: e.name for e in x.entities}
    return {(names[r.subject], names[r.object]): r.factor for r in x.relations if r.predicate == "outperforms"}


@pytest.mark.parametrize(("name", "expected"), [
    ("FooAttention-3", ("fooattention", 3.0)), ("BarNet v2", ("barnet", 2.0)), ("QuuxLM-1.5", ("quuxlm", 1.5)),
    ("FooAttention", None), ("LLaMA-7B", None),
])
def test_version_of_a_name(name: str, expected: tuple[str, float] | None) -> None:
    assert version_of(name) == expected


def test_a_bare_speedup_is_over_the_previous_version_of_the_proposed_name() -> None:
    found = outperforms("FooAttention-3: Faster Attention", "FooAttention made attention faster, and FooAttention-2 "
                        "improved it, but it reaches only 30% utilization on new GPUs. We develop FooAttention-3, "
                        "which "
                        "overlaps data movement with computation. FooAttention-3 achieves a speedup on H100 GPUs by "
                        "1.4-1.9x.")
    assert found == {"FooAttention-2": 1.9}


def test_a_bare_decoding_speedup_is_over_autoregressive_decoding() -> None:
    found = outperforms("FooSpec: Drafting with Heads", "The auto-regressive decoding of large language models is "
                        "slow. We present FooSpec, which drafts several tokens with extra heads and verifies them at "
                        "once. FooSpec achieves a 2.9x speedup without loss of quality.")
    assert found == {"auto-regressive decoding": 2.9}


def test_no_implicit_baseline_without_a_factor_or_with_a_named_one() -> None:
    assert outperforms("FooSpec: Drafting", "Autoregressive decoding is slow. We present FooSpec, which drafts "
                       "tokens with extra heads and keeps quality.") == {}
    assert outperforms("FooSpec: Drafting", "Autoregressive decoding is slow. We present FooSpec, which drafts "
                       "tokens with extra heads. FooSpec is 2.9x faster than BarDraft.") == {"BarDraft": 2.9}
    assert outperforms("FooNet: Segmentation", "Segmentation is costly. We present FooNet. FooNet achieves a 2.9x "
                       "speedup.") == {}  # no baseline the abstract allows: no relation


def test_each_factor_goes_with_its_own_cue_when_the_first_claim_has_none() -> None:
    found = outperforms("FooNAS: Search Once", "We propose FooNAS, a search method. FooNAS outperforms prior search "
                        "(up to 3.0% top-1 accuracy improvement over BarNet, or same accuracy but 1.4x faster than "
                        "BarNet, 2.2x faster than QuuxNet in measured latency).")
    assert found.get("BarNet") == 1.4 and found.get("QuuxNet") == 2.2


def test_a_bit_width_names_the_baseline() -> None:
    found = outperforms("FooQ: Compressed Weights", "We introduce FooQ, a compressed weight format. FooQ yields faster "
                        "inference than 16-bit baselines at similar accuracy, with memory savings of more than 4x.")
    assert found == {"16-bit baselines": 4.0}


def test_a_share_of_a_named_baselines_cost_is_a_win_without_a_factor() -> None:
    found = outperforms("FooDiff: Cheap Training", "We introduce FooDiff, a diffusion model. FooDiff only takes 12.5% "
                        "of Stable Diffusion v1.5's training time. Compared with a larger model, BarGen, our training "
                        "cost is merely 2%.")
    assert found == {"Stable Diffusion v1.5": None, "BarGen": None}  # "merely 2%" is no 1.02x factor


def test_a_bare_speedup_is_over_the_name_the_proposed_one_is_built_on() -> None:
    """Distil-X, X++, 1-bit X: with no baseline named anywhere, a bare speedup is over X; with one named, over it."""
    found = outperforms("Distil-FooSpeech: Distilled Recognition", "FooSpeech is a large speech recognition model. We "
                        "distil it into Distil-FooSpeech. The distilled model is 5.8 times faster with 51% fewer "
                        "parameters.")
    assert found == {"FooSpeech": 5.8}
    found = outperforms("1-bit LAMB: Compressed Communication", "LAMB is a popular optimizer. We propose 1-bit LAMB, "
                        "which compresses its communication. 1-bit LAMB enables up to 3.3x higher throughput.")
    assert found == {"LAMB": 3.3}
    assert outperforms("Distil-FooSpeech: Distilled Recognition", "FooSpeech is a large speech recognition model. We "
                       "distil it into Distil-FooSpeech. Distil-FooSpeech outperforms BarASR by 2x. It achieves 64% "
                       "higher throughput.") == {"BarASR": 2.0}
    assert outperforms("FooBERT: Small and Fast", "We present FooBERT, a small language model built on BERT. FooBERT "
                       "is 4.3x faster.") == {}  # "FooBERT" is one word: not built on BERT by name


def test_plus_signs_make_another_name() -> None:
    """ZeRO++ is a method of its own, not ZeRO; its comparison with ZeRO is read."""
    x = EXTRACTOR.extract("ZeRO++: Extremely Efficient Collective Communication", "Zero Redundancy Optimizer (ZeRO) "
                          "is used to train large models. This paper introduces three communication reduction "
                          "techniques, which we collectively refer to as ZeRO++. ZeRO++ reduces the communication "
                          "volume of ZeRO by 4x, enabling up to 2.16x better throughput.")
    names = {e.key: e.name for e in x.entities}
    proposed = [names[r.object] for r in x.relations if r.predicate == "proposes"]
    assert proposed == ["ZeRO++"] and "technique/zero" in names
    assert {(names[r.subject], names[r.object]) for r in x.relations if r.predicate == "outperforms"} == {
        ("ZeRO++", "Zero Redundancy Optimizer")}


def test_ranges_listed_before_the_cue_go_one_per_baseline() -> None:
    found = outperforms("FooMix: Sparse Attention Mixtures", "We propose FooMix. FooMix achieves a 1.2-1.4x memory "
                        "reduction, boosting decode throughput by 6.6-8.2x and 1.7-1.9x compared to BarAttention and "
                        "vLLM.")
    assert found == {"BarAttention": 8.2, "vLLM": 1.9}


def test_a_range_of_sizes_or_a_setting_is_no_factor() -> None:
    assert outperforms("Foo: a system", "We present Foo. We evaluate models from 7B to 70B parameters and reduce "
                       "the memory of a network from 48 GB to 7 GB.") == {}
    assert outperforms("Foo: a system", "We present Foo. Foo is faster than vLLM with batch sizes from 8 to 64.") \
        == {"vLLM": None}


def test_a_baseline_named_in_title_case_is_one_name() -> None:
    # unseen title-case names, and one that ends in a known name ("Monte Carlo", "Transformer")
    found = outperforms("FooSampler: Fast Posterior Sampling", "We present FooSampler, a sampler for Bayesian "
                        "logistic models. FooSampler outperforms Hamiltonian Monte Carlo by 3x and Stochastic "
                        "Gradient Langevin Dynamics by 2x.")
    assert found == {"Hamiltonian Monte Carlo": 3.0, "Stochastic Gradient Langevin Dynamics": 2.0}
    found = outperforms("FooNAS: Search Once", "We propose FooNAS, a search method for machine translation "
                        "models. FooNAS is 1.8x faster than Evolved Transformer.")
    assert found == {"Evolved Transformer": 1.8}


def test_a_generic_technique_is_a_baseline_when_a_factor_is_stated() -> None:
    # a concept too generic to be a baseline on its own ("autoregressive decoding") is one with a stated factor
    assert outperforms("FooSpec: Drafting", "We present FooSpec, which drafts tokens with extra heads. FooSpec is "
                       "3.9x faster than autoregressive decoding.") == {"autoregressive decoding": 3.9}
    assert outperforms("FooSpec: Drafting", "We present FooSpec, which drafts tokens with extra heads. FooSpec "
                       "decodes faster than autoregressive decoding.") == {}


def test_a_factor_before_the_next_cue_is_not_the_first_baselines() -> None:
    # the second comparison names no baseline the graph takes; its 3.9x is still not vLLM's
    for abstract in ("We present FooSpec. FooSpec achieves speedups of up to 2.4x over vLLM and 3.9x over existing "
                     "systems.", "We present FooSpec. FooSpec is 2.4x faster than vLLM and 3.9x faster than "
                     "existing systems."):
        assert outperforms("FooSpec: Serving", abstract) == {"vLLM": 2.4}


def test_a_quality_word_and_a_method_noun_name_a_baseline() -> None:
    assert outperforms("FooSpec: Drafting", "We present FooSpec, which drafts tokens with extra heads. FooSpec "
                       "achieves speedups of up to 2.4x over speculative decoding and 3.9x over vanilla decoding.") \
        == {"speculative decoding": 2.4, "vanilla decoding": 3.9}


def test_a_relative_pronoun_is_no_baseline() -> None:
    # "X is N times longer than Y" takes X as the baseline; here X is "which", a function word: no entity, no fact
    x = EXTRACTOR.extract("FooSP: Long Sequences", "We introduce FooSP. FooSP scales sequence length up to 4096K "
                          "using 128 A100 GPUs on 1B models, which is 8 times longer than existing SP methods.")
    assert "which" not in {e.name.lower() for e in x.entities}
    assert outperforms("FooStore: Faster Logs", "We present FooStore. HyperLoom is 3x slower than FooStore.") \
        == {"HyperLoom": 3.0}


def test_a_workload_after_running_is_not_the_baseline() -> None:
    # "than the original Lumina running MobileNet": MobileNet is what the baseline runs, Lumina the baseline
    assert outperforms("An Accelerator for Mobile Devices", "We present Lumina v2, a DNN accelerator. Lumina v2 is "
                       "12.6 times faster than the original Lumina running MobileNet.") == {"Lumina": 12.6}


def test_our_modified_model_speaks_for_the_proposal_and_a_sized_baseline_is_read() -> None:
    """"our finetuned 770M T5 model outperforms the few-shot prompted 540B PaLM model": the paper's own method beats
    PaLM (a size between the modifiers and the name does not end the baseline)."""
    found = wins("Distilling Step-by-Step!", "We introduce Distilling step-by-step, a new mechanism. Our finetuned "
                 "770M T5 model outperforms the few-shot prompted 540B PaLM model using only 80% of available data.")
    assert set(found) == {("Distilling Step-by-Step", "PaLM")}


def test_a_factor_after_while_and_another_subject_is_that_subject_s() -> None:
    found = wins("Griffin: Mixing Gated Linear Recurrences", "We propose Hawk, an RNN with gated linear recurrences, "
                 "and Griffin, a hybrid model. Hawk exceeds the reported performance of Mamba on downstream tasks, "
                 "while Griffin matches the performance of Llama-2 despite being trained on over 6 times fewer tokens.")
    assert found[("Hawk", "Mamba")] is None and found[("Griffin", "Llama-2")] == 6.0


def test_methods_applied_to_a_model_are_a_class_not_the_model() -> None:
    """"the other BERT quantization methods" is no win over BERT; "BERT-base distillation and pruning techniques,
    such as CoFi, MiniLM, and TinyBERT" names its members."""
    assert outperforms("TernaryBERT: Distillation-aware Ultra-low Bit BERT", "We propose TernaryBERT. TernaryBERT "
                       "outperforms the other BERT quantization methods, and even achieves comparable performance as "
                       "the full-precision model while being 14.9x smaller.") == {"full-precision model": 14.9}
    assert set(outperforms("ZipLM: Inference-Aware Structured Pruning", "We propose ZipLM. ZipLM outperforms all prior "
                           "BERT-base distillation and pruning techniques, such as CoFi, MiniLM, and TinyBERT.")) == \
        {"CoFi", "MiniLM", "TinyBERT"}


def test_with_respect_to_ends_a_baseline() -> None:
    found = outperforms("Lightweight TTS", "We propose a lightweight model. A smaller version of the model "
                        "significantly outperformed a lightweight baseline model with respect to both naturalness and "
                        "inference speed.")
    assert not any("respect" in name for name in found)


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("NeutronTP", "We propose a distributed GNN training system NeutronTP. NeutronTP achieves 1.29-8.72 speedup over "
     "DistDGL.", {"DistDGL": 8.72}),  # a speedup without its sign
    ("AdaPtis", "We propose AdaPtis. AdaPtis achieves an average speedup of 1.42 (up to 2.14) over Megatron-LM.",
     {"Megatron-LM": 2.14}),
    ("Mist", "We propose Mist. Mist achieves an average of 1.28 (up to 1.73) and 1.27 (up to 2.04) speedup compared "
     "to the manual system Megatron-LM and the automatic system Aceso, respectively.", {"Megatron-LM": 1.73,
                                                                                       "Aceso": 2.04}),
    ("Dorylus", "This paper presents Dorylus. Dorylus is up to 3.8\u2715 faster and 10.7\u2715 cheaper than DGL.",
     {"DGL": 10.7}),  # the multiplication X sign
    ("TimelyFL", "We propose TimelyFL. In comparison with the state-of-the-art (i.e., FedBuff), TimelyFL harvests "
     "1.28x - 2.89x more efficiency on convergence rate.", {"FedBuff": 2.89}),
    ("Ginex", "We propose Ginex. Ginex achieves up to 2.67x higher training throughput than the SSD-extended PyTorch "
     "Geometric.", {"PyTorch Geometric": 2.67}),
    ("ADAPTOR", "This paper introduces ADAPTOR. Our design is 1.2x and 2.87x more power efficient than the NVIDIA K80 "
     "GPU and the i7-8700K CPU respectively.", {"NVIDIA K80": 1.2, "i7-8700K": 2.87}),
    ("I-GCN", "We propose a novel hardware accelerator, called I-GCN. I-GCN leads to speedups over the prior art GCN "
     "accelerators of 5.7x on average.", {"GCN accelerators": 5.7}),  # accelerators for GCNs, not GCN itself
])
def test_factors_and_baselines_of_systems_papers(title: str, abstract: str, expected: dict[str, float]) -> None:
    assert outperforms(title, abstract) == expected


def test_our_system_name_over_a_standard_implementation_and_a_further_gain() -> None:
    """"our system SALIENT achieves a speedup of 3x over a standard PyTorch-Geometric implementation with a single
    GPU and a further 8x parallel speedup with 16 GPUs": SALIENT (named once, after "our system") beats PyTorch
    Geometric by 3, not by the further 8."""
    assert wins("Accelerating Training and Inference of Graph Neural Networks", "We present a sequence of "
                "improvements. Our system SALIENT achieves a speedup of 3x over a standard PyTorch-Geometric "
                "implementation with a single GPU and a further 8x parallel speedup with 16 GPUs.") == {
        ("SALIENT", "PyTorch-Geometric"): 3.0}


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("Masked Diffusion Transformer is a Strong Image Synthesizer", "We propose a Masked Diffusion Transformer (MDT). "
     "MDT has about 3x faster learning speed than the previous SoTA DiT.", {"DiT": 3.0}),  # DiT is no part of MDT
    ("Mastering Atari Games with Limited Data", "We propose an algorithm built on MuZero, which we name EfficientZero. "
     "EfficientZero's performance is also close to DQN's performance at 200 million frames while we consume 500 "
     "times less data.", {"DQN": 500.0}),  # "close to" is parity; the gain is the win
    ("DiskANN: Fast Accurate Billion-point Nearest Neighbor Search", "We present a system called DiskANN. DiskANN "
     "can serve 5 \u2212 10x more points per node compared to graph-based methods such as HNSW and NSG.",
     {"HNSW": 10.0, "NSG": 10.0}),  # the minus sign of a range
])
def test_baselines_outside_llms(title: str, abstract: str, expected: dict[str, float]) -> None:
    found = outperforms(title, abstract)
    assert {k: v for k, v in found.items() if k in expected or not expected} == expected, found


def test_a_short_metric_acronym_is_no_prefix() -> None:
    """"fidelity" is no FID: the size reduction is the metric."""
    x = EXTRACTOR.extract("HAC++: Towards 100X Compression of 3D Gaussian Splatting", "We propose HAC++. HAC++ "
                          "achieves a size reduction of over 100X compared to vanilla 3DGS, while improving fidelity.")
    assert [r.metric for r in x.relations if r.predicate == "outperforms"] != ["FID"]


@pytest.mark.parametrize(("abstract", "expected"), [
    ("We present PowerInfer. PowerInfer outperforms llama.cpp by up to 11.69x on a single RTX 4090.", None),
    ("We present FooNet. FooNet outperforms NVIDIA FasterTransformer by 55%.", None),
    ("We present FooNet. FooNet outperforms NVIDIA FasterTransformer by 55% in end-to-end latency.", "latency"),
    ("We present FooNet. FooNet outperforms vLLM by 2x in TTFT.", "latency"),  # an acronym is a whole name
])
def test_a_metric_word_inside_a_name_is_no_metric(abstract: str, expected: str | None) -> None:
    """"PowerInfer" says nothing about energy, "FasterTransformer" nothing about speed."""
    x = EXTRACTOR.extract("A system", abstract)
    assert [r.metric for r in x.relations if r.predicate == "outperforms"] == [expected]


@pytest.mark.parametrize(("abstract", "expected"), [
    ("We present FooNet. FooNet improves inference latency by 18.3x over a multi-core CPU (Xeon E5) and by 7.7x over "
     "a server GPU (Titan Xp).", {"Intel Xeon": None, "NVIDIA Titan Xp": None}),  # both devices are baselines
    ("We present FooNet. FooNet beats the NVIDIA A100 GPU with 1.2x higher throughput using the Versal VHK158 FPGA.",
     {"NVIDIA A100": "Xilinx Versal VHK158"}),  # the device it ran on, after the baseline
])
def test_a_baseline_device_is_not_the_device_measured_on(abstract: str, expected: dict[str, str | None]) -> None:
    x = EXTRACTOR.extract("A system", abstract)
    names = {e.key: e.name for e in x.entities}
    found = {names.get(r.object, r.object): names.get(r.hardware, r.hardware) if r.hardware else None
             for r in x.relations if r.predicate == "outperforms"}
    assert {k: v for k, v in found.items() if k in expected} == expected, found


def test_a_price_is_no_tex_math() -> None:
    assert EXTRACTOR.lex.metric_of("FooNet serves a model for $5 an hour against $10 for BarNet.") == "cost"


@pytest.mark.parametrize(("abstract", "expected"), [
    # the factor's own words name its metric, before a nearer word of another clause
    ("We present FooNet. FooNet rivals BarNet by 100X speedup with 9.1% higher accuracy on S3DIS.",
     {"BarNet": "speedup"}),
    ("We present FooNet. FooNet is up to 8$\\times$ faster than BarNet at the same level of model accuracy.",
     {"BarNet": "speedup"}),  # TeX math is no dollar amount; "up to" is part of the factor
    ("We present FooNet. Compared with vLLM, FooNet reduces the generation latency by $1.64-2.54\\times$.",
     {"vLLM": "latency"}),
    ("We present FooNet. Compared with BarNet, FooNet reaches a compression ratio of up to 400x, end-to-end speedup of "
     "up to 3.7x and 32.6% less peak memory.", {"BarNet": "compression"}),  # the factor is a value of the ratio
    # each baseline's factor is measured in its own words
    ("We present FooNet. FooNet achieves 9.4-13.1x higher queries per second and 5.7-8.8x higher cost efficiency "
     "compared with BarNet and BazNet, respectively.", {"BarNet": "throughput", "BazNet": "cost"}),
    ("We present FooNet. FooNet reduces the time to first token by up to 4x and improves the throughput by up to "
     "2.1x compared to vLLM.", {"vLLM": "latency"}),
])
def test_a_factor_is_measured_in_its_own_words(abstract: str, expected: dict[str, str]) -> None:
    x = EXTRACTOR.extract("A system", abstract)
    names = {e.key: e.name for e in x.entities}
    metrics = {names.get(r.object, r.object): r.metric for r in x.relations if r.predicate == "outperforms"}
    assert {k: v for k, v in metrics.items() if k in expected} == expected, metrics


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("OPT-Tree: Speculative Decoding with Adaptive Draft Tree Structure", "We propose OPT-Tree. OPT-Tree achieves a "
     "speed-up ratio of up to 3.2 compared with autoregressive decoding. It can generate more than ten tokens in a "
     "single step.", {"autoregressive decoding": 3.2}),  # "more than ten tokens" compares nothing
    ("BASE-Q: Rotational Quantization", "We introduce BASE-Q. BASE-Q narrows the accuracy gap to full-precision models "
     "by 50.5%, 42.9%, and 29.2% compared to QuaRot, SpinQuant, and OSTQuant, respectively.",
     {"QuaRot": None, "SpinQuant": None, "OSTQuant": None}),  # narrowing a gap is a win; accuracy gives no factor
    ("Accelerating Mixture-of-Experts Training", "We introduce SwiftMoE, an adaptive MoE training system. Compared to "
     "state-of-the-art MoE training systems, DeepSpeed and FlexMoE, SwiftMoE achieves a 30.5% and 25.9% faster "
     "time-to-convergence, respectively.", {"DeepSpeed": 1.305, "FlexMoE": 1.259}),
    ("HAP: Hybrid Adaptive Parallelism", "We propose HAP (Hybrid Adaptive Parallelism), a novel method. Compared to "
     "the TP-based inference, HAP-based inference achieves speedups of 1.68, 1.77, and 1.57 on A100, A6000, and V100 "
     "GPU platforms, respectively.", {"TP-based inference": 1.68}),  # the clause after the comma is no baseline
])
def test_llm_systems_comparisons(title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


def test_our_quantized_known_model_speaks_for_the_method() -> None:
    found = wins("ELUTQ: Optimizing Quantization Accuracy under LUT-Based Computation", "We propose ELUTQ, an "
                 "efficient quantization framework. Our 2-bit LLaMA3.1-8B achieves 1.5x speedup over AWQ on RTX 3090.")
    assert set(found) == {("ELUTQ", "AWQ")}


def test_a_name_varying_the_baselines_is_not_the_baseline() -> None:
    """"the PagedAttention variants of FlashAttention and FlashInfer": the systems so varied are beaten."""
    found = outperforms("FooAttention: Memory Management", "We propose FooAttention. It processes prompts up to 3.92x "
                        "and 1.45x faster than the PagedAttention variants of FlashAttention and FlashInfer.")
    assert found == {"FlashAttention": 3.92, "FlashInfer": 1.45}
    # an implementation named as a system of its own stays the baseline
    assert outperforms("FooGEMM: Kernels", "We propose FooGEMM, which runs 2x faster than cuBLAS on A100 GPUs.") == \
        {"cuBLAS": 2.0}


def test_a_model_s_size_against_another_is_no_win() -> None:
    """"1.2 trillion parameters, which is approximately 7x larger than GPT-3" states a size; a share of the energy
    "used to train" it is a win."""
    assert outperforms("FooLM: Scaling", "We propose FooLM. The largest FooLM has 1.2 trillion parameters, which is "
                       "approximately 7x larger than GPT-3.") == {}
    assert outperforms("FooLM: Scaling", "We propose FooLM. It consumes only 1/3 of the energy used to train "
                       "GPT-3.") == {"GPT-3": 3.0}
    assert outperforms("FooServe: Serving", "We propose FooServe, which supports 7x larger batch sizes than vLLM.") \
        == {"vLLM": 7.0}


def test_a_phrase_led_by_a_comparative_is_no_baseline() -> None:
    found = outperforms("FooDistill: One-Step Generators", "We introduce FooDistill (FD), a framework to distill a "
                        "teacher. With smaller students, FooDistill gets competitive results with faster inference.")
    assert found == {}


def test_a_common_noun_opening_a_sentence_is_no_name_to_be_built_on() -> None:
    """"Sparsification offers ...": USV ("Unified Sparsification ...") is not 83.3x faster than sparsification; a
    one-word name it is built on still is its baseline ("Distil-Whisper" on Whisper)."""
    abstract = ("The scalability of high-fidelity video diffusion models (VDMs) is constrained by two key "
                "sources of redundancy: the quadratic complexity of global spatio-temporal attention and "
                "the computational overhead of long iterative denoising trajectories. Existing "
                "accelerators\u2014such as sparse attention and step-distilled samplers\u2014typically target a "
                "single dimension in isolation and quickly encounter diminishing returns, as the remaining "
                "bottlenecks become dominant. In this work, we introduce USV (Unified Sparsification for "
                "Video diffusion models), an end-to-end trainable framework that overcomes this limitation "
                "by jointly orchestrating sparsification across both the model's internal computation and "
                "its sampling process. USV learns a dynamic, data- and timestep-dependent sparsification "
                "policy that prunes redundant attention connections, adaptively merges semantically similar"
                " tokens, and reduces denoising steps, treating them not as independent tricks but as "
                "coordinated actions within a single optimization objective. This multi-dimensional co-"
                "design enables strong mutual reinforcement among previously disjoint acceleration "
                "strategies. Extensive experiments on large-scale video generation benchmarks demonstrate "
                "that USV achieves up to 83.3x speedup in the denoising process and 22.7x end-to-end "
                "acceleration, while maintaining high visual fidelity. Our results highlight unified, "
                "dynamic sparsification as a practical path toward efficient, high-quality video "
                "generation.")
    assert outperforms("USV: Unified Sparsification for Accelerating Video Diffusion Models", abstract) == {}
    assert outperforms("Distil-Whisper: Robust Distillation", "We distil Whisper into Distil-Whisper. The distilled "
                       "model is 5.8 times faster.") == {"Whisper": 5.8}


def test_a_factor_in_a_condition_is_no_gain() -> None:
    assert outperforms("FooKV: Sharing", "We propose FooKV. We find that when reducing the size of the KV cache by "
                       "2x, FooKV achieves higher throughput than vLLM.") == {"vLLM": None}
    assert outperforms("FooServe: Serving", "We propose FooServe. When serving LLaMA-70B, FooServe improves "
                       "throughput by 2x over vLLM.") == {"vLLM": 2.0}


def test_a_list_of_baselines_ends_at_a_new_finding() -> None:
    assert outperforms("FooAttn: Sparse Attention", "We propose FooAttn. At 70% sparsity, FooAttn is up to 2.45x "
                       "faster than the state-of-art FlashInfer, and reduces attention kernel time by 14.7% on "
                       "average.") == {"FlashInfer": 2.45}


def test_factors_listed_after_the_baselines_go_one_to_each() -> None:
    """A name with its acronym in brackets is one baseline, and an acronym listed among names holds its place."""
    assert outperforms("FooGNN: Fast GNNs", "We propose FooGNN. FooGNN achieves substantial improvement over "
                       "state-of-the-art GNN systems, including Deep Graph Library (DGL), GNNAdvisor, and FeatGraph, "
                       "with speedups of 6.1x, 7.7x, and 3.0x, respectively, on average.") == \
        {"Deep Graph Library": 6.1, "GNNAdvisor": 7.7, "FeatGraph": 3.0}
    found = outperforms("FooGNN: Fast GNNs", "We propose FooGNN. FooGNN is on average 4.41x, 4.81x, and 10.83x faster "
                        "than DGL, MGG-UVM, and ROC, respectively.")
    assert found.get("DGL") == 4.41 and found.get("MGG-UVM") == 4.81, found
    # a name in brackets that is not the baseline's initials is another baseline or a note, not a rename
    found = outperforms("FooQuant: Outliers", "We propose FooQuant. FooQuant achieves an accuracy improvement of "
                        "+3.08 points over SpinQuant (dynamic quantization) on W4A4KV4 Llama-3-8B.")
    assert "SpinQuant" in found, found


def test_the_kind_or_modifier_before_a_baseline_name_is_not_the_baseline() -> None:
    assert outperforms("FooFormer: Point Clouds", "We propose FooFormer. FooFormer delivers 4.6x speedup over "
                       "(transformer-based) SST and 1.4x speedup over (sparse convolutional) CenterPoint.") == \
        {"SST": 4.6, "CenterPoint": 1.4}
    assert outperforms("FooLite: Mobile NLP", "We propose FooLite. Notably, FooLite outperforms the AutoML-based "
                       "Evolved Transformer by 0.5 higher BLEU.") == {"Evolved Transformer": None}


def test_what_a_win_comes_without_is_no_part_of_the_baseline() -> None:
    found = outperforms("FooDLM: Block Diffusion", "We propose FooDLM. FooDLM achieves up to 2.5x speedup over "
                        "standard AR decoding without compromising generation quality.")
    assert not any("compromising" in name for name in found), found
    assert outperforms("FooDLM: Block Diffusion", "We propose FooDLM. FooDLM is 2x faster than training from "
                       "scratch.") == {"training from scratch": 2.0}


def test_a_comparison_of_others_is_not_the_paper_s() -> None:
    found = outperforms("FooANN: Search on GPU", "We propose FooANN. Recent studies show that graph-based ANN methods "
                        "often outperform other types of ANN algorithms. FooANN has around 50-180x speedup compared "
                        "with single-thread HNSW.")
    assert found == {"HNSW": 180.0}


def test_the_means_of_a_gain_is_not_its_factor() -> None:
    assert outperforms("FooOpt: Lean Optimizer", "We propose FooOpt. FooOpt reaches 3x throughput on 8 GPUs compared "
                       "to AdamW by supporting 4x larger batch sizes.") == {"AdamW": 3.0}
    # without a gain beside it, the amount stays the claim's
    assert outperforms("FooOpt: Lean Optimizer", "We propose FooOpt. FooOpt reaches a higher throughput than AdamW "
                       "by supporting 4x larger batch sizes.") == {"AdamW": 4.0}
    # a gain written as how the method wins is the gain
    assert outperforms("FooServe: Serving", "We propose FooServe. FooServe outperforms vLLM by achieving 2.1x higher "
                       "throughput and 1.5x lower latency.") == {"vLLM": 2.1}


def test_a_factor_in_words_after_by_is_a_factor() -> None:
    assert outperforms("FooQ: Quantization", "We propose FooQ. FooQ improves upon methods such as SpQR by up to two "
                       "times in terms of perplexity.") == {"SpQR": 2.0}


def test_a_larger_bare_factor_the_paper_reports_later_is_its_up_to_value() -> None:
    abstract = ("We propose FooAttention. On A100 GPUs, FooAttention achieves up to 1.45x throughput improvements over "
                "the original Ring Attention. Furthermore, on 16 TPUv4 chips, we were able to achieve 1.65x speedups "
                "at longer sequence lengths.")
    assert outperforms("FooAttention: Faster Ring Attention", abstract) == {"Ring Attention": 1.65}


def test_the_paper_s_own_plural_models_are_no_generic_subject() -> None:
    assert outperforms("Designing FooNet Spaces", "We present FooNet. Under comparable settings, the FooNet models "
                       "outperform the popular EfficientNet models while being up to 5x faster on GPUs.") == \
        {"EfficientNet": 5.0}


def test_a_later_factor_of_another_measure_is_no_up_to_value() -> None:
    assert outperforms("FooDiffusion: Real-time Generation", "We propose FooDiffusion. Our stream batch achieves "
                       "around 1.5x speedup compared to the sequential denoising method. Furthermore, FooDiffusion "
                       "reduces the energy consumption by 2.39x.") == {"sequential denoising method": 1.5}


def test_a_new_name_extending_a_known_one_is_not_the_known_one() -> None:
    found = wins("Searching for Fast Model Families", "We search for fast CNN families. Our search results in a new "
                 "model series named EfficientNet-X. EfficientNet-X is up to more than 2X faster than EfficientNet on "
                 "TPUv3.")
    assert found == {("EfficientNet-X", "EfficientNet"): 2.0}, found


def test_percentages_listed_after_achieves_go_one_per_baseline() -> None:
    assert outperforms("FooDNet: Low Memory Traffic", "We propose FooDNet. The new network achieves 35%, 36%, and 45% "
                       "inference time reduction compared with ResNet-50, ResNet-152, and SSD-VGG, respectively.") == \
        {"ResNet-50": 1.35, "ResNet-152": 1.36, "SSD-VGG": 1.45}


def test_a_parity_claim_aligns_its_factors_respectively() -> None:
    assert outperforms("FooNetV3: Recipe Search", "We propose FooNetV3. FooNetV3 matches both EfficientNet and ResNeSt "
                       "accuracy on ImageNet with up to 2.0x and 7.1x fewer FLOPs, respectively.") == \
        {"EfficientNet": 2.0, "ResNeSt": 7.1}


def test_a_compression_ratio_is_a_setting_and_a_variant_is_its_name() -> None:
    assert outperforms("FooRank: Compressing LLMs", "We propose FooRank. FooRank consistently outperforms SVD-LLM and "
                       "ASVD, with up to 5% higher zero-shot accuracy at 40% compression ratio.") == \
        {"SVD-LLM": None, "ASVD": None}
    assert outperforms("FooSP: Topology-aware Sequence Parallelism", "We propose FooSP. FooSP achieves up to 3.58x "
                       "speedup than Ring Attention and its variant Zigzag-Ring Attention.") == \
        {"Ring Attention": 3.58, "Zigzag-Ring Attention": 3.58}


def test_a_known_system_with_a_suffix_is_a_baseline_of_its_own() -> None:
    assert outperforms("FooMoE: Faster MoE Training", "We propose FooMoE. FooMoE achieves up to 3.32x faster "
                       "communication compared to state-of-the-art MoE training systems, Tutel-2DH, SmartMoE, and "
                       "Megatron-LM.") == {"Tutel-2DH": 3.32, "SmartMoE": 3.32, "Megatron-LM": 3.32}


def test_a_model_a_method_enables_is_not_the_claim_s_subject() -> None:
    found = wins("FooKV: Sub-Bit KV Cache Quantization", "We propose FooKV. It allows LLaMA3-8B to scale to 840K "
                 "tokens on a single A100, while delivering up to 3.5x higher decoding throughput over the FP16 "
                 "baseline.")
    assert found == {("FooKV", "FP16 baseline"): 3.5}, found
