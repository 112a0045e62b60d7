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


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("ALISA: Accelerating Inference via Sparsity-Aware KV Caching", "We propose ALISA. In a single GPU-CPU system, "
     "ALISA improves the throughput of baseline systems such as FlexGen and vLLM by up to 3X and 1.9X, respectively.",
     {"FlexGen": 3.0, "vLLM": 1.9}),  # what is improved is the baselines' throughput
    ("Primer: Searching for Efficient Transformers", "We propose Primer. Primer improves the original T5 architecture "
     "on C4 auto-regressive language modeling, reducing the training cost by 4X.", {"T5": 4.0}),
    ("FooSeq: Robust Speculative Decoding", "We propose FooSeq. FooSeq improves the decoding speed of Llama2-7B and "
     "Vicuna-33B by up to 4.04x and 2.27x.", {}),  # a model made faster is no baseline (guard)
    ("AMOS: Automatic Mapping for Tensor Computations", "We propose AMOS. AMOS achieves more than 2.50x speedup to "
     "hand-optimized libraries on Tensor Core, 1.37x speedup to TVM on vector units of Intel CPU for AVX-512, and up "
     "to 25.04x speedup to AutoTVM on dot units of Mali GPU.",
     {"hand-optimized libraries": 2.5, "TVM": 1.37, "AutoTVM": 25.04}),  # "speedup to X": X is the baseline
    ("LoongServe: Serving with Elastic Sequence Parallelism", "We propose LoongServe. LoongServe improves the maximum "
     "throughput by up to 3.85x compared to the chunked prefill and 5.81x compared to the prefill-decoding "
     "disaggregation.", {"chunked prefill": 3.85, "prefill-decoding disaggregation": 5.81}),
])
def test_improved_baselines_and_speedups_to(title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected



@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("daBNN: A Super Fast Inference Framework for Binary Neural Networks", "Binary Neural Networks (BNNs) are fast. "
     "We propose daBNN. Compared to the recent open-source BNN inference framework, BMXNet, our daBNN is 7x~23x "
     "faster on a single binary convolution.", {"BMXNet": 23.0}),  # the framework named after its kind, not BNNs
    ("Im2col-Winograd: Fused Winograd Convolution", "We propose Im2col-Winograd. Im2col-Winograd achieves a speedup "
     "of 0.788 \\texttimes{} to 2.05 \\texttimes{} over the fastest benchmark algorithm in cuDNN.", {"cuDNN": 2.05}),
    ("DA-SpMM: Data-Aware SpMM", "We propose DA-SpMM. DA-SpMM achieves 1.3x speedup compared with the best NVIDIA "
     "cuSPARSE algorithm on average, and brings up to 5.59x end-to-end speedup to applications like Graph Neural "
     "Networks.", {"cuSPARSE": 1.3}),  # a speedup "to" applications names who gains, and ends the clause
    ("FooConv: Winograd Kernels", "We present FooConv. Our approach achieves speedups of up to 1.85x on an RTX 3090 "
     "with respect to cuDNN 8.2.0.", {"cuDNN": 1.85}),
    ("UWBGCN: Accelerating Graph Convolutional Networks", "Graph convolutional networks (GCNs) learn from graphs. We "
     "propose an architecture that accelerates GCN inference, the Ultra Workload Balanced GCN (UWBGCN). Experimental "
     "results show speedups of 199, 16, and 7.5 as compared with, respectively, CPU, GPU, and a baseline design with "
     "no workload rebalancing.", {}),
    # the baselines stated are generic: the GCN the name is built on does not stand in for them
])
def test_named_frameworks_latex_times_and_stated_generic_baselines(title: str, abstract: str,
                                                                   expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


def test_a_model_trained_by_us_is_no_subject() -> None:
    found = wins("BytePS-Compress: Compressed Communication", "We develop a scalable system called BytePS-Compress. "
                 "Furthermore, for training the BERT models, we achieve a compression rate of 333x compared to the "
                 "mixed-precision training.")
    assert found == {("BytePS-Compress", "mixed-precision training"): 333.0}


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("SCott: Stochastic Consistency Distillation", "We propose SCott. SCott achieves an FID of 21.9 with 2 sampling "
     "steps, surpassing that of the 1-step InstaFlow (23.4) and the 4-step UFOGen (22.1).",
     {"InstaFlow": None, "UFOGen": None}),  # a step count before a name is a setting of it
    ("YOLO Nano: a Highly Compact Network", "We introduce YOLO Nano, a highly compact network. The proposed YOLO Nano "
     "possesses a model size of 4.0MB (15.1x and 8.3x smaller than Tiny YOLOv2 and Tiny YOLOv3, respectively) and "
     "requires 4.57B operations (34% and 17% lower than Tiny YOLOv2 and Tiny YOLOv3, respectively).",
     {"Tiny YOLOv2": 15.1, "Tiny YOLOv3": 8.3}),  # a title-case word before a known name is part of it
    ("Mixture of Attentions for Speculative Decoding", "We propose a grounded architecture for small models by "
     "introducing a Mixture of Attentions for SD. We demonstrate state-of-the-art speedups improving EAGLE-2 by "
     "9.5%.", {"EAGLE-2": None}),  # a method improved on by an amount is outperformed
])
def test_settings_before_names_title_case_baselines_and_improved_methods(title: str, abstract: str,
                                                                          expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


def test_a_name_inside_a_baseline_phrase_is_no_entity_of_its_own() -> None:
    x = EXTRACTOR.extract("YOLO Nano", "We introduce YOLO Nano. YOLO Nano is 15.1x and 8.3x smaller than Tiny "
                          "YOLOv2 and Tiny YOLOv3, respectively, and 34% and 17% lower than Tiny YOLOv2 and Tiny "
                          "YOLOv3, respectively.")
    assert {e.name for e in x.entities} == {"YOLO Nano", "Tiny YOLOv2", "Tiny YOLOv3"}


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("MoGA: Searching Beyond MobileNetV3", "We propose MoGA. We obtain models that outperform MobileNetV3 under "
     "similar latency, i.e., MoGA-A achieves 75.9% top-1 accuracy, MoGA-B meets 75.5% which costs only 0.5 ms more on "
     "mobile GPU.", {"MobileNetV3": None}),  # a level reached is no gain
    ("PlainUSR: Chasing Faster ConvNet", "We present PlainUSR. In particular, compared to recent NGswin, PlainUSR is "
     "16.4\\(\\times \\) faster with competitive performance.", {"NGswin": 16.4}),
    ("BoostMD: Accelerating Molecular Sampling", "We introduce BoostMD. BoostMD achieves an eight-fold speedup "
     "compared to the reference model.", {}),  # "the reference model" is no name
])
def test_levels_latex_signs_and_reference_models(title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("A Hardware-Aware System for Network Search", "We propose a comprehensive system. We demonstrate an 8x faster "
     "search than the state-of-the-art Bayesian optimization WeakNAS approach.", {"WeakNAS": 8.0}),
    ("STBLLM: Structured Binary LLMs", "We propose STBLLM. Our approach performs better than other compressed "
     "binarization LLM methods.", {"compressed binarization": None}),  # (guard) "LLM" names no baseline
    ("Grasp: Group-based Prediction", "We propose Grasp. Compared to the-state-of-the-art technique, Grasp achieves "
     "11% higher skipping efficiency, which corresponds to 1.85x speedup against the dense inference.",
     {"dense inference": 1.85}),  # "the-state-of-the-art technique" names nothing
])
def test_names_of_a_techniques_kind(title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("GCNAX: A Flexible Accelerator", "We introduce an accelerator called GCNAX. GCNAX achieves 8.9x and 1.6x speedup "
     "on average over HyGCN and AWB-GCN, respectively.", {"HyGCN": 8.9, "AWB-GCN": 1.6}),  # "on average over X"
    ("FQ-BERT: Hardware Acceleration of BERT", "We propose FQ-BERT. Its accelerator reaches 3.18 fps/W, which is "
     "28.91x and 12.72x over Intel(R) Core(TM) i7-8700 CPU and NVIDIA K80 GPU, respectively.",
     {"Intel Core i7-8700": 28.91, "NVIDIA K80": 12.72}),  # trademark marks name nothing
    ("Energy-Efficient Bit-Sparse Accelerator", "We propose a bit-sparse accelerator. Its energy efficiency is 544% "
     "and 179% higher than dense accelerator (VAA) and bit-sparse accelerator (LS-PRA), respectively.",
     {"VAA": 6.44, "LS-PRA": 2.79}),  # the name in parentheses stands for the generic phrase
    ("FlexNeRFer: A Versatile NeRF Accelerator", "We introduce FlexNeRFer, a NeRF accelerator. FlexNeRFer achieves "
     "8.2~243.3x speedup over a GPU (i.e., NVIDIA RTX 2080 Ti), while demonstrating 4.2~86.9x speedup compared to a "
     "state-of-the-art NeRF accelerator (i.e., NeuRex).", {"NVIDIA GeForce RTX 2080 Ti": 243.3, "NeuRex": 86.9}),
    ("DietCode: Automatic Optimization", "We propose DietCode. DietCode improves performance by up to 69.5% better "
     "than the auto-scheduler and 18.6% better than the vendor library.", {}),  # the vendor library is no name
])
def test_averages_trademarks_parenthesised_names_and_examples(title: str, abstract: str,
                                                              expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "subject"), [
    ("WGeod: An FPGA Accelerator for Object Detection", "We propose an FPGA-based accelerator. For the Tiny YOLOv3 "
     "network, the accelerator delivers 8.95 GOP/s, which is 23.81x better than the Intel Core i5-10210U CPU.",
     "WGeod"),
    ("FeatherCNN: Fast Inference on ARM", "We propose FeatherCNN. A forward pass of VGG-16 on an ARM server is 48 "
     "times faster than Caffe.", "FeatherCNN"),
])
def test_a_model_run_as_workload_is_no_subject(title: str, abstract: str, subject: str) -> None:
    assert {s for s, _ in wins(title, abstract)} == {subject}


def test_a_proposed_variant_speaks_for_its_family() -> None:
    """The guide's subject is the paper's proposed name: a size of it ("-M2", "-XXS") is that name, a modifier
    ("-based") is not."""
    found = wins("EfficientViT: Memory Efficient Vision Transformer", "We propose EfficientViT, a family of models. "
                 "Compared to MobileViT-XXS, EfficientViT-M2 runs 5.8x faster on the GPU.")
    assert found == {("EfficientViT", "MobileViT-XXS"): 5.8}


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("Block: Balancing Load in LLM Serving", "We present Block. Block significantly outperforms heuristic schedulers, "
     "boosting serving capacity by up to 16.7% and reducing P99 tail latency by up to 49.5%.", {}),
    # a participle after the baseline starts a clause of results, no second baseline
    ("LSP-Offload: Practical Offloading", "We present LSP-Offload. Compared to state-of-the-art offloading frameworks, "
     "our approach reduces end-to-end fine-tuning time by 33.1%-62.5%.", {"Offloading": 1.625}),
    # "our approach ..." after the comma is the main clause
    ("SparseVILA: Decoupling Visual Sparsity", "We present SparseVILA. Built on an AWQ-optimized inference pipeline, "
     "SparseVILA achieves up to 4.0x faster prefilling.", {}),  # what the work is built on is no baseline
    ("RAGServe: Fast Quality-Aware RAG Systems", "We present RAGServe. Compared with the state-of-the-art RAG "
     "optimization schemes, RAGServe reduces the generation latency by 2.54x.", {"RAG optimization schemes": 2.54}),
    # schemes that optimize RAG are no RAG
])
def test_clauses_after_baselines_and_classes_of_a_technique(title: str, abstract: str,
                                                            expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("NeutronOrch: Sample-based GNN Training", "Graph neural networks (GNNs) are popular. We propose NeutronOrch. "
     "Compared with the state-of-the-art GNN systems, NeutronOrch achieves up to 11.51x speedup.", {}),
    ("EL-Rec: Recommendation Model Training", "Deep learning recommendation models (DLRM) are large. We propose "
     "EL-Rec. EL-Rec achieves 3x speedup over the state-of-the-art DLRM frameworks.", {}),
    # systems that run a technique are no technique
    ("Halide Scheduling with Tree Search", "We present a new autoscheduler. It produces schedules which are on "
     "average almost twice as fast as the existing Halide autoscheduler, and outperforms human experts.",
     {"Halide": 2.0}),
    ("Graph Learning at Scale", "We propose optimized data loading that improves training throughput by 15x over "
     "the FooGNN baselines, with speedup of up to 2 orders of magnitude compared to BarGNN.",
     {"FooGNN": 15.0, "BarGNN": 100.0}),  # two orders of magnitude is 100x
    ("Habitat 2.0", "We present Habitat 2.0. We find that SPA pipelines are more brittle than RL policies.", {}),
])
def test_systems_of_a_technique_adverbs_magnitudes_and_negative_comparatives(
        title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("Eventprop Training for Neuromorphic Applications", "We present a training pipeline. Classifying a sample on our "
     "chip is up to 10X faster and uses 200X less energy than on an NVIDIA Jetson Orin Nano.",
     {"NVIDIA Jetson Orin Nano": 200.0}),  # "than on" a device
    ("GANQ: GPU-Adaptive Non-Uniform Quantization", "We propose GANQ. GANQ's quantized models achieve up to 2.57x "
     "speedup over the baseline, advancing memory and inference efficiency.", {}),  # a clause, no baseline
    ("Tutel: Adaptive Mixture-of-Experts at Scale", "We present Flex. The SwinV2-MoE model achieves superior accuracy "
     "than the counterpart dense model, indicating the readiness of Flex.", {"counterpart dense model": None}),
])
def test_devices_run_on_and_clauses_after_a_baseline(title: str, abstract: str,
                                                     expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("iFormer: Integrating ConvNet and Transformer", "We present iFormer. iFormer achieves a Top-1 accuracy of 80.4% "
     "with a latency of 1.10 ms, surpassing the recently proposed MobileNetV4.", {"MobileNetV4": None}),
    ("Fast Streaming ASR", "We propose FooASR. FooASR brings in 18.7% relative WER reduction and 160ms latency "
     "reductions compared to BarASR.", {"BarASR": None}),  # accuracy levels and error rates are no factors
    ("Lightweight Detection based on YOLOv5", "We propose FooDet. When compared to the original YOLOv5, our model "
     "achieves a parameter reduction of 76.9% and operates 1.72 times faster.", {"YOLOv5": 1.72}),
    # the signed factor, not the percentage of another kind
])
def test_levels_error_rates_and_signed_factors(title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("Very Deep VAEs Generalize Autoregressive Models", "We present a hierarchical VAE that outperforms the PixelCNN "
     "in log-likelihood. Despite this, autoregressive models have historically outperformed VAEs in log-likelihood.",
     {"PixelCNN": None}),  # others' result, not the paper's
    ("CAFE: Compact Embedding for Recommendation", "We propose CAFE. CAFE significantly outperforms existing "
     "embedding compression methods, yielding 3.92% superior AUC at a compression ratio of 10000x.",
     {"embedding compression methods": None}),  # a ratio the models are compared at is a setting, not a gain
    ("DistillW2V2: A Small Streaming ASR Model", "We propose DistillW2V2. The distilled student model is 8x faster "
     "and 12x smaller than the original teacher model.", {}),  # "the original teacher model" is no name
])
def test_others_results_settings_and_teacher_models(title: str, abstract: str,
                                                    expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected


def test_a_factor_over_a_generic_baseline_is_no_named_baselines() -> None:
    found = outperforms("Merlin HugeCTR: Recommender Training", "We present Merlin HugeCTR. Merlin HugeCTR achieves a "
                        "speedup of up to 24.6x over PyTorch on CPU nodes. Merlin HugeCTR users can achieve a 5~62x "
                        "speedup for popular recommendation models over CPU baseline implementations.")
    assert found == {"PyTorch": 24.6}


@pytest.mark.parametrize(("title", "abstract", "expected"), [
    ("GCoD: Graph Convolutional Network Acceleration", "We propose GCoD. GCoD leads to speedups of 15286x, 294x, 7.8x, "
     "and 2.5x as compared to CPUs, GPUs, and prior-art GCN accelerators including HyGCN and AWB-GCN, respectively.",
     {"HyGCN": 7.8, "AWB-GCN": 2.5}),  # the accelerators' members, aligned after the devices
    ("FPSA: A Full System Stack Solution", "We propose FPSA. Compared to one of state-of-the-art ReRAM-based NN "
     "accelerators, PRIME, the computational density of FPSA improves by 31x.", {"PRIME": 31.0}),
])
def test_members_of_a_class_of_accelerators(title: str, abstract: str, expected: dict[str, float | None]) -> None:
    assert outperforms(title, abstract) == expected
