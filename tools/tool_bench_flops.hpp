// xssm-bench's operation counts: floating-point operations of one forward pass of each mixer,
// block and whole model, and the bytes a step-mode call moves, from the ModelConfig alone (the
// formulas, one per mixer, are written next to the code in tool_bench_flops.cpp).
//
// Conventions (the usual ones of MFU accounting, PaLM appendix B / llm.c):
//   - a multiply-add counts 2 FLOPs; a GEMM (m×k)·(k×n) counts 2·m·k·n;
//   - only the terms that grow with a product of two sizes are counted (projections, recurrent
//     matrices, scores, state updates, scans); norms, activations and other element-wise work,
//     which are memory-bound, are left out (a few % of the total at D ≥ 64);
//   - backward = 2 × forward (gradients w.r.t. inputs and weights), so a training step counts
//     3 × forward; AdamW (≈ 10 FLOPs per parameter) is added to model training steps;
//   - the chunked forms (mLSTM chunkwise, Mamba-2 SSD) count the dense L_c × L_c intra-chunk
//     blocks they compute, not the causal half; attention counts the causal half (the
//     implementation skips masked keys).
#pragma once
#include <string>

#include "xssm/model/config.hpp"

namespace xssm::bench {

/// What is counted: the bare mixer, the residual block around it (norms + FFN), or the model.
enum class Scope { Mixer, Block, Model };

/// FLOPs of one forward pass over B sequences of length S (cfg resolved; kind of one block).
double forward_flops(const model::ModelConfig& cfg, model::BlockKind kind, Scope scope, Index B, Index S);
/// FLOPs of S steps (step mode, B sequences): the recurrent form's work per token.
double step_flops(const model::ModelConfig& cfg, model::BlockKind kind, Scope scope, Index B, Index S);
/// FLOPs of one training step of the whole model (forward + backward + AdamW) on (B,S) tokens.
double model_train_flops(const model::ModelConfig& cfg, Index B, Index S, Index num_params);

/// The formula in words, for --help and docs ("2·D·4P + ...").
std::string formula_text(model::BlockKind kind);

}  // namespace xssm::bench
