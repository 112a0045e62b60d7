"""Comparison sentences of our own phrasing, each with the baselines and factors a reader takes from it: how many
the rules read with their factor (`outperforms` object and factor). Not tuned on: the held-out and blind sets are
never read item by item; these sentences are where new shapes are looked for.

    .venv/bin/python bench/factor_probe.py [--show]

Two sets: 41 comparisons written for rules 2.4.8, and 35 more (rules 2.4.9) in shapes the first did not try.
Prints per set how many comparisons are read right; --show prints each miss.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paperkg.core.settings import Settings  # noqa: E402
from paperkg.graph.extraction import annotation, learned_extractor  # noqa: E402
from paperkg.graph.vocabulary import Vocabulary  # noqa: E402

Case = tuple[str, str, dict[str, float | None]]
FIRST: list[Case] = [
    ('FooNet: fast inference',
     'We present FooNet, an inference engine for transformers. FooNet reduces inference latency by 3.2x '
     'compared to TensorRT on an A100 GPU.',
     {'TensorRT': 3.2}),
    ('HydraServe: serving LLMs',
     'We present HydraServe, a serving system for large language models. Compared with vLLM, HydraServe '
     'achieves 2.4x higher throughput.',
     {'vLLM': 2.4}),
    ('BarServe',
     'We propose BarServe, a scheduler for LLM serving. BarServe improves throughput by 1.8-2.6x over '
     'Orca.',
     {'Orca': 2.6}),
    ('QuickAttn: exact attention',
     'We introduce QuickAttn, an IO-aware exact attention kernel. QuickAttn runs 4 times faster than '
     'FlashAttention-2 on H100 GPUs.',
     {'FlashAttention-2': 4.0}),
    ('Graphite compiler',
     'We present Graphite, a deep learning compiler. Graphite yields a 5.3× speedup over PyTorch eager '
     'execution.',
     {'PyTorch': 5.3}),
    ('BazKV: KV cache management',
     'We propose BazKV, a KV cache manager. BazKV delivers up to 7x lower latency than HuggingFace '
     'Transformers.',
     {'HuggingFace Transformers': 7.0}),
    ('LiteInfer',
     'We present LiteInfer, an inference runtime. Relative to DeepSpeed-Inference, LiteInfer attains 2.1x '
     'speedups.',
     {'DeepSpeed-Inference': 2.1}),
    ('FastTrain',
     'We present FastTrain, a system for training large models. Against the strongest baseline, Megatron-'
     'LM, FastTrain trains 1.7x faster.',
     {'Megatron-LM': 1.7}),
    ('ZipLLM',
     'We propose ZipLLM, a compressed inference engine. Experiments show that ZipLLM outperforms llama.cpp'
     ' by 3.1x in tokens per second.',
     {'llama.cpp': 3.1}),
    ('DDP++',
     'We propose DDP++, a data-parallel training system. DDP++ reduces end-to-end training time from 10 '
     'hours to 2.5 hours compared to PyTorch DDP.',
     {'PyTorch DDP': 4.0}),
    ('KernelForge',
     'We present KernelForge, a GEMM kernel generator. Our kernels achieve 1.5x and 2.3x speedups over '
     'cuBLAS and CUTLASS, respectively.',
     {'cuBLAS': 1.5, 'CUTLASS': 2.3}),
    ('RadixFlow',
     'We present RadixFlow, an LLM serving engine. RadixFlow provides a 40% throughput improvement over '
     'SGLang.',
     {'SGLang': 1.4}),
    ('TileOpt',
     'We present TileOpt, a tensor compiler. TileOpt outperforms Triton by a factor of 3 on average.',
     {'Triton': 3.0}),
    ('FastMoE-X',
     'We present FastMoE-X, a mixture-of-experts training system. FastMoE-X attains 3.4 times the '
     'throughput of DeepSpeed-MoE.',
     {'DeepSpeed-MoE': 3.4}),
    ('PipeX',
     'We present PipeX, a pipeline-parallel training system. PipeX is 2.5 times as fast as GPipe.',
     {'GPipe': 2.5}),
    ('QuantX',
     'We propose QuantX, a post-training quantization method. QuantX reduces latency by 45% compared with '
     'SmoothQuant.',
     {'SmoothQuant': 1.45}),
    ('SparseRT',
     'We present SparseRT, a sparse inference runtime. On an RTX 4090, SparseRT is 2.2x faster than '
     'TensorRT-LLM and 3.9x faster than FasterTransformer.',
     {'TensorRT-LLM': 2.2, 'FasterTransformer': 3.9}),
    ('StreamGen',
     'We introduce StreamGen, a streaming video generation model. StreamGen generates video 12x faster '
     'than Stable Video Diffusion while matching its quality.',
     {'Stable Video Diffusion': 12.0}),
    ('MemLite',
     'We present MemLite, an optimizer. MemLite trains LLaMA-7B with 3x less memory than AdamW.',
     {'AdamW': 3.0}),
    ('EdgeLM',
     'We present EdgeLM, an on-device inference engine. On a Snapdragon 8 Gen 3, EdgeLM decodes 2.7x '
     'faster than MLC-LLM.',
     {'MLC-LLM': 2.7}),
    ('SpecX',
     'We propose SpecX, a speculative decoding method. SpecX speeds up LLaMA-2-70B inference by 2.8x over '
     'vanilla autoregressive decoding.',
     {'autoregressive decoding': 2.8}),
    ('FlashRetrieve',
     'We present FlashRetrieve, a vector search library. FlashRetrieve answers queries 8.5x faster than '
     'FAISS at the same recall.',
     {'FAISS': 8.5}),
    ('CompressNet',
     'We propose CompressNet, a pruning method. CompressNet achieves a 10x compression ratio over the '
     'dense model with 2.1x speedup over SparseGPT.',
     {'SparseGPT': 2.1}),
    ('TokenDrop',
     'We propose TokenDrop, a token pruning method for vision transformers. TokenDrop improves the '
     'throughput of DeiT-S by 1.9x while outperforming ToMe in accuracy.',
     {'ToMe': None}),
    ('ConvFast',
     'We present ConvFast, a convolution library. ConvFast achieves a speedup of 3.1 over cuDNN on V100 '
     'GPUs.',
     {'cuDNN': 3.1}),
    ('LatCut',
     'We propose LatCut, a serving system. LatCut yields a 6-fold reduction in tail latency compared to '
     'Clipper.',
     {'Clipper': 6.0}),
    ('ThruX',
     'We present ThruX, an inference server. The throughput of ThruX is 4.2x that of Triton Inference '
     'Server.',
     {'Triton Inference Server': 4.2}),
    ('PagedX',
     'We propose PagedX, a memory manager for LLM serving. PagedX delivers a 3.5x improvement in '
     'throughput over FasterTransformer.',
     {'FasterTransformer': 3.5}),
    ('AvgMax',
     'We present AvgMax, a kernel library. AvgMax is up to 5.1x and on average 2.3x faster than cuSPARSE.',
     {'cuSPARSE': 5.1}),
    ('OutBy',
     'We propose OutBy, a compiler for sparse models. OutBy outperforms TVM by up to 4.4x on ARM CPUs.',
     {'TVM': 4.4}),
    ('BothZ',
     'We present BothZ, a training framework. BothZ achieves 1.9x higher throughput than both Megatron-LM '
     'and DeepSpeed.',
     {'Megatron-LM': 1.9, 'DeepSpeed': 1.9}),
    ('SotaX',
     'We propose SotaX, a speculative decoding framework. SotaX achieves a 2.6x speedup compared to the '
     'state-of-the-art Medusa.',
     {'Medusa': 2.6}),
    ('MsCut',
     'We present MsCut, a serving engine. MsCut lowers first-token latency from 120 ms to 30 ms compared '
     'with vLLM.',
     {'vLLM': 4.0}),
    ('FlopCut',
     'We propose FlopCut, an efficient vision backbone. FlopCut requires 3x fewer FLOPs than ResNet-50 at '
     'the same accuracy.',
     {'ResNet-50': 3.0}),
    ('Speedy',
     'We present Speedy, an inference engine. Speedy runs at 2.4x the speed of ONNX Runtime on Intel Xeon '
     'CPUs.',
     {'ONNX Runtime': 2.4}),
    ('RevX',
     'We present RevX, an attention kernel. Standard attention in PyTorch takes 3.3 times longer than RevX'
     ' on long sequences.',
     {'PyTorch': 3.3}),
    ('CheapX',
     'We present CheapX, a training recipe. CheapX reduces the training cost of BERT-large by 4x relative '
     'to the original recipe.',
     {}),
    ('ByHalf',
     'We propose ByHalf, a KV cache compression method. ByHalf halves the memory footprint of H2O while '
     'running 1.6x faster than StreamingLLM.',
     {'StreamingLLM': 1.6}),
    ('LoRAFast',
     'We propose LoRAFast, a fine-tuning method. LoRAFast fine-tunes 2x faster than QLoRA and uses 30% '
     'less memory.',
     {'QLoRA': 2.0}),
]
SECOND: list[Case] = [
    ('SlowCmp',
     'We present SlowCmp, an inference engine for transformers. TensorRT is 3x slower than SlowCmp on an '
     'A100 GPU.',
     {'TensorRT': 3.0}),
    ('EnergyX',
     'We present EnergyX, a serving system. EnergyX is 1.9x more energy-efficient than vLLM.',
     {'vLLM': 1.9}),
    ('LessJ',
     'We present LessJ, an inference runtime. LessJ consumes 4x less energy than llama.cpp.',
     {'llama.cpp': 4.0}),
    ('InCmp',
     'We present InCmp, a serving engine. In comparison to Orca, InCmp delivers 3.3x higher tokens per '
     'second.',
     {'Orca': 3.3}),
    ('BeatsP',
     'We propose BeatsP, a scheduler. BeatsP beats vLLM by 37% in throughput.',
     {'vLLM': 1.37}),
    ('SlashX',
     'We present SlashX, a kernel library. SlashX achieves 2.2x/1.8x speedups over cuBLAS/CUTLASS.',
     {'cuBLAS': 2.2, 'CUTLASS': 1.8}),
    ('ParenX',
     'We present ParenX, a compiler. It yields 1.6x (vs. TVM) and 2.4x (vs. XLA) speedups.',
     {'TVM': 1.6, 'XLA': 2.4}),
    ('FasterBy',
     'We present FasterBy, an attention kernel. FasterBy is faster than FlashAttention by 2.5x.',
     {'FlashAttention': 2.5}),
    ('LatLower',
     'We present LatLower, a serving system. The latency of LatLower is 3x lower than that of TGI.',
     {'TGI': 3.0}),
    ('TwoObj',
     'We present TwoObj, an inference engine. TwoObj provides up to 5x faster inference than DeepSpeed and'
     ' 2x faster than vLLM.',
     {'DeepSpeed': 5.0, 'vLLM': 2.0}),
    ('EndToEnd',
     'We present EndToEnd, a training system. EndToEnd offers a 2.1x end-to-end speedup relative to '
     'Megatron-LM.',
     {'Megatron-LM': 2.1}),
    ('TheSpeedup',
     'We present TheSpeedup, a GEMM library. The speedup over cuBLAS is 2.7x on H100 GPUs.',
     {'cuBLAS': 2.7}),
    ('TimesFewer',
     'We present TimesFewer, an efficient decoder. Compared to the baseline FasterTransformer, TimesFewer '
     'reduces the end-to-end latency by 2.4 times.',
     {'FasterTransformer': 2.4}),
    ('RangeRel',
     'We present RangeRel, a sparse kernel. We observe speedups of 1.5-3.0x relative to cuSPARSE.',
     {'cuSPARSE': 3.0}),
    ('PctFaster',
     'We present PctFaster, an optimizer. PctFaster trains 35% faster than AdamW.',
     {'AdamW': 1.35}),
    ('TimesHigher',
     'We present TimesHigher, a serving engine. TimesHigher achieves a throughput 2.3 times higher than '
     'SGLang.',
     {'SGLang': 2.3}),
    ('Respect',
     'We present Respect, a training framework. Relative to DeepSpeed and Megatron-LM, Respect is 1.4x and'
     ' 2.2x faster, respectively.',
     {'DeepSpeed': 1.4, 'Megatron-LM': 2.2}),
    ('Versus',
     'We present Versus, an LLM serving system. Versus provides up to 6.3x lower time-to-first-token '
     'versus vLLM.',
     {'vLLM': 6.3}),
    ('Outpaces',
     'We present Outpaces, an inference engine. Outpaces outpaces TensorRT-LLM by 2.2x.',
     {'TensorRT-LLM': 2.2}),
    ('Surpass',
     'We present Surpass, a compiler. Surpass surpasses TVM in throughput by a factor of 2.5.',
     {'TVM': 2.5}),
    ('ImprovesOver',
     'We present ImprovesOver, a scheduler. ImprovesOver improves over Orca by 1.7x in goodput.',
     {'Orca': 1.7}),
    ('Accel',
     'We present Accel, a decoding method. Accel accelerates generation by 2.9x compared with Medusa.',
     {'Medusa': 2.9}),
    ('HigherThan',
     'We present HigherThan, an LLM engine. HigherThan obtains 1.8x higher throughput and 2.5x lower '
     'latency than vLLM.',
     {'vLLM': 2.5}),
    ('WhileX',
     'We present WhileX, a quantization method. WhileX runs 3.1x faster than GPTQ while using 2x less '
     'memory.',
     {'GPTQ': 3.1}),
    ('Against',
     'We present Against, a sparse attention method. Against achieves a 4.6x speedup against '
     'FlashAttention-2 at 128K tokens.',
     {'FlashAttention-2': 4.6}),
    ('OverBoth',
     'We present OverBoth, a kernel. OverBoth is 1.3x faster than cuDNN and 2.6x faster than MIOpen.',
     {'cuDNN': 1.3, 'MIOpen': 2.6}),
    ('ReducesMem',
     'We present ReducesMem, a memory optimizer. ReducesMem reduces peak memory by 3.5x compared to '
     'ZeRO-3.',
     {'ZeRO-3': 3.5}),
    ('UpTo',
     'We present UpTo, an inference runtime. Compared with ONNX Runtime, UpTo is up to 4.1x faster.',
     {'ONNX Runtime': 4.1}),
    ('Times2',
     'We present Times2, a system. Times2 achieves 2 times higher throughput than Triton Inference Server.',
     {'Triton Inference Server': 2.0}),
    ('Fold',
     'We present Fold, a compiler. Fold achieves a 3-fold speedup over PyTorch.',
     {'PyTorch': 3.0}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--show", action="store_true", help="print each comparison not read right")
    args = parser.parse_args()
    seeds = ROOT / "seeds"
    vocabulary = Vocabulary.load(seeds)
    extractor = learned_extractor(vocabulary, seeds, Settings().min_confidence)
    for name, cases in (("first set (rules 2.4.8)", FIRST), ("second set (rules 2.4.9)", SECOND)):
        right = total = 0
        for title, abstract, want in cases:
            found = annotation(title, abstract, extractor.extract(title, abstract), vocabulary)
            read = {r["object"].lower(): r.get("factor") for r in found["relations"] if r["predicate"] == "outperforms"}
            for baseline, factor in want.items():
                total += 1
                got = read.get(baseline.lower(), "missing")
                good = got != "missing" and (factor is None or (isinstance(got, float) and abs(got - factor) < 1e-6))
                right += good
                if not good and args.show:
                    print(f"  {title}: want {baseline} = {factor}, read {read}")
        print(f"{name}: {right} of {total} comparisons in {len(cases)} sentences read with their factor")


if __name__ == "__main__":
    main()
