#include "tool_options.hpp"

#include <sstream>

namespace xssm::cli {

void add_model_options(po::options_description& d, model::ModelConfig& m, std::string& slstm_at) {
  d.add_options()
      ("model", po::value<std::string>(&m.spec)->default_value(m.spec),
       "model spec: xlstm[a:b] | mlstm | slstm | lstm | s4d | mamba | mamba2 | transformer | infty")
      ("d-model", po::value<Index>(&m.d_model)->default_value(m.d_model), "model width D")
      ("num-blocks", po::value<Index>(&m.num_blocks)->default_value(m.num_blocks), "residual blocks (0: a+b for xlstm[a:b], else 2)")
      ("num-heads", po::value<Index>(&m.num_heads)->default_value(m.num_heads), "heads of mLSTM, sLSTM and attention")
      ("slstm-at", po::value<std::string>(&slstm_at)->default_value(""), "explicit sLSTM block positions, e.g. 1,3 (overrides the a:b ratio)")
      ("mlstm-proj-factor", po::value<double>(&m.mlstm_proj_factor)->default_value(m.mlstm_proj_factor), "mLSTM up-projection factor")
      ("ffn-proj-factor", po::value<double>(&m.ffn_proj_factor)->default_value(m.ffn_proj_factor), "sLSTM block feed-forward factor")
      ("round-to", po::value<Index>(&m.round_to)->default_value(m.round_to), "round up-projections up to a multiple of this")
      ("qkv-blocksize", po::value<Index>(&m.qkv_blocksize)->default_value(m.qkv_blocksize), "mLSTM q/k/v head-wise projection block size")
      ("conv-kernel", po::value<Index>(&m.conv_kernel)->default_value(m.conv_kernel), "causal convolution width (mLSTM, Mamba, Mamba-2)")
      ("slstm-conv-kernel", po::value<Index>(&m.slstm_conv_kernel)->default_value(m.slstm_conv_kernel), "sLSTM convolution width (0 = none)")
      ("chunk-size", po::value<Index>(&m.chunk_size)->default_value(m.chunk_size), "mLSTM chunkwise / Mamba-2 SSD chunk length")
      ("d-state", po::value<Index>(&m.d_state)->default_value(m.d_state), "SSM state size N (Mamba, Mamba-2, S4D)")
      ("expand", po::value<Index>(&m.expand)->default_value(m.expand), "Mamba / Mamba-2 inner width factor")
      ("headdim", po::value<Index>(&m.headdim)->default_value(m.headdim), "Mamba-2 head dimension P")
      ("ngroups", po::value<Index>(&m.ngroups)->default_value(m.ngroups), "Mamba-2 B/C groups G")
      ("ffn-factor", po::value<double>(&m.ffn_factor)->default_value(m.ffn_factor), "Transformer SwiGLU width factor")
      ("attention-window", po::value<Index>(&m.attention_window)->default_value(m.attention_window),
       "Transformer / ∞-former: attention sees the last W tokens (0 = all)")
      ("ltm-basis", po::value<Index>(&m.ltm_basis)->default_value(m.ltm_basis), "∞-former: radial basis functions N")
      ("tie-embeddings", po::bool_switch(&m.tie_embeddings), "share the embedding and the output head");
}

void apply_slstm_at(model::ModelConfig& m, const std::string& slstm_at) {
  m.slstm_at.clear();
  if (slstm_at.empty()) return;
  std::stringstream ss(slstm_at);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long v = std::stol(item, &used);
      if (used != item.size() || v < 0) throw std::invalid_argument(item);
      m.slstm_at.push_back(v);
    } catch (const std::exception&) {
      throw UsageError(cat("--slstm-at: '", item, "' is not a block index (expected e.g. 1,3)"));
    }
  }
}

void add_trainer_options(po::options_description& d, train::TrainerOptions& t) {
  d.add_options()
      ("steps", po::value<Index>(&t.steps)->default_value(t.steps), "optimizer steps in total (a resumed run continues to this)")
      ("batch-size", po::value<Index>(&t.batch_size)->default_value(t.batch_size), "sequences per micro-batch")
      ("accumulate", po::value<Index>(&t.accumulate)->default_value(t.accumulate), "micro-batches per optimizer step (gradient accumulation)")
      ("bucket-pool", po::value<Index>(&t.bucket_pool)->default_value(t.bucket_pool), "length bucketing: sort pools of this many batches by length (1 = off)")
      ("lr", po::value<double>(&t.lr.lr)->default_value(t.lr.lr), "peak learning rate")
      ("min-lr", po::value<double>(&t.lr.min_lr)->default_value(t.lr.min_lr), "final learning rate (cosine, linear)")
      ("warmup", po::value<Index>(&t.lr.warmup_steps)->default_value(t.lr.warmup_steps), "linear warm-up steps")
      ("decay", po::value<std::string>(&t.lr.decay)->default_value(t.lr.decay), "cosine | linear | constant")
      ("beta1", po::value<double>(&t.adamw.beta1)->default_value(t.adamw.beta1), "AdamW β1")
      ("beta2", po::value<double>(&t.adamw.beta2)->default_value(t.adamw.beta2), "AdamW β2")
      ("eps", po::value<double>(&t.adamw.eps)->default_value(t.adamw.eps), "AdamW ε")
      ("weight-decay", po::value<double>(&t.adamw.weight_decay)->default_value(t.adamw.weight_decay), "decoupled weight decay (not on norms and biases)")
      ("clip", po::value<double>(&t.clip)->default_value(t.clip), "clip gradients to this global L2 norm (0 = off)")
      ("lomo", po::bool_switch(&t.lomo), "plain SGD (LOMO's optimizer, no moments) instead of AdamW; applied after the whole backward (not fused per block)")
      ("log-every", po::value<Index>(&t.log_every)->default_value(t.log_every), "log line and curve point every N steps")
      ("valid-every", po::value<Index>(&t.valid_every)->default_value(t.valid_every), "validate every N steps (0 = at the end only)")
      ("checkpoint-every", po::value<Index>(&t.checkpoint_every)->default_value(t.checkpoint_every), "write the checkpoint every N steps (0 = at the end only)")
      ("stop-at", po::value<Index>(&t.stop_at)->default_value(t.stop_at), "stop after this step as SIGTERM would: checkpoint, exit 143 (time-sliced jobs)")
      ("stop-accuracy", po::value<double>(&t.stop_accuracy)->default_value(t.stop_accuracy), "stop once validation accuracy reaches this (0 = never)");
}

}  // namespace xssm::cli
