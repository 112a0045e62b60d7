"""Comparison shapes read from 400 real abstracts (session 41): baselines improved on, named after their kind or in
parentheses, classes and members, clauses after a baseline, factors that are settings or levels, claim subjects."""

from __future__ import annotations

import pytest

from tests.test_comparisons import EXTRACTOR, outperforms, wins


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


def test_two_versions_of_an_unseen_name_are_two_baselines() -> None:
    """"SpConv 1.2" and "SpConv v2" were both read as "SpConv", so one factor was lost; a name a finder knows keeps its
    own extent ("cuDNN" of "cuDNN 8.2.0")."""
    assert outperforms("BarNet: Sparse Convolution", "We propose BarNet. BarNet achieves 2.9x, 3.3x and 2.2x speedup "
                       "over MinkowskiEngine, SpConv 1.2 and SpConv v2.") == \
        {"MinkowskiEngine": 2.9, "SpConv 1.2": 3.3, "SpConv v2": 2.2}
    assert outperforms("BarNet: Sparse Convolution", "We propose BarNet. BarNet is 1.8x faster than cuDNN 8.2.0.") == \
        {"cuDNN": 1.8}
