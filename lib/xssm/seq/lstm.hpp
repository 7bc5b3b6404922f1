// Vanilla LSTM (Hochreiter & Schmidhuber 1997) with torch.nn.LSTM semantics: L stacked layers,
// optional biases, batch-first (B,S,·) tensors, gate order (i, f, g, o) in the 4H rows.
// Maths and layouts: docs/maths/lstm.md.
//
//   [ĩ; f̃; g̃; õ] = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh
//   c_t = σ(f̃) ⊙ c_{t−1} + σ(ĩ) ⊙ tanh(g̃),   h_t = σ(õ) ⊙ tanh(c_t)
// Layer l+1 reads layer l's h sequence. Parameters (torch names): weight_ih_l<l> (4H, I or H),
// weight_hh_l<l> (4H, H), bias_ih_l<l>, bias_hh_l<l> (4H). States h, c: (L,B,H).
#pragma once
#include <string>
#include <vector>

#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::seq {

/// What LstmStack::forward keeps for backward.
template <class T>
struct LstmCache {
  Index B = 0, S = 0;
  Tensor<T> x;                   ///< (B,S,I) the input
  std::vector<Tensor<T>> gates;  ///< per layer (B,S,4H): σ(ĩ), σ(f̃), tanh(g̃), σ(õ)
  std::vector<Tensor<T>> c;      ///< per layer (B,S,H): c_1 … c_S
  std::vector<Tensor<T>> h;      ///< per layer (B,S,H): h_1 … h_S
  Tensor<T> h0, c0;              ///< (L,B,H) initial states used
};

/// torch.nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first=True).
template <class T>
class LstmStack {
 public:
  LstmStack() = default;
  LstmStack(Index input_size, Index hidden_size, Index num_layers = 1, bool bias = true);
  Index input_size() const { return I_; }
  Index hidden_size() const { return H_; }
  Index num_layers() const { return L_; }
  bool has_bias() const { return bias_; }

  /// prefix/weight_ih_l<l>, prefix/weight_hh_l<l>, prefix/bias_ih_l<l>, prefix/bias_hh_l<l>.
  void collect(const std::string& prefix, nn::ParamList<T>& out);
  /// torch's default: every parameter ~ U(−1/√H, 1/√H).
  void init(Rng& rng);

  /// x (B,S,I) → output (B,S,H) of the last layer. h0, c0 (L,B,H) or nullptr (zeros); writes
  /// the final h_n, c_n (L,B,H) when asked; fills *cache for backward when given.
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>* h0, const Tensor<T>* c0, Tensor<T>* h_n,
                    Tensor<T>* c_n, LstmCache<T>* cache) const;
  /// dout (B,S,H), optional cotangents of h_n, c_n (L,B,H) → dx (B,S,I); accumulates parameter
  /// grads; writes dh0, dc0 (L,B,H) when asked.
  Tensor<T> backward(const LstmCache<T>& cache, const Tensor<T>& dout, const Tensor<T>* dh_n,
                     const Tensor<T>* dc_n, Tensor<T>* dh0, Tensor<T>* dc0);
  /// One step: x_t (B,I) → h_t of the last layer (B,H); h, c (L,B,H) updated in place.
  Tensor<T> step(const Tensor<T>& x_t, Tensor<T>& h, Tensor<T>& c) const;

  std::vector<nn::Param<T>> weight_ih, weight_hh, bias_ih, bias_hh;  ///< one per layer

 private:
  Index I_ = 0, H_ = 0, L_ = 0;
  bool bias_ = true;
};

/// The LSTM as a sequence mixer: width D in and out (hidden size D), `num_layers` layers.
/// Step state: "h", "c" of shape (B,L,H) (batch first; LstmStack itself uses (L,B,H)).
template <class T>
class Lstm : public Mixer<T> {
 public:
  explicit Lstm(Index dim, Index num_layers = 1, bool bias = true);
  std::string kind() const override { return "lstm"; }
  Index dim() const override { return net_.hidden_size(); }
  void collect(const std::string& prefix, nn::ParamList<T>& out) override { net_.collect(prefix, out); }
  void init(Rng& rng, Index num_blocks, Index block_index) override;
  Tensor<T> forward(const Tensor<T>& x) override;
  Tensor<T> backward(const Tensor<T>& dy) override;
  NamedTensors<T> initial_state(Index batch) const override;
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;

  LstmStack<T>& net() { return net_; }

 private:
  LstmStack<T> net_;
  LstmCache<T> cache_;
  bool have_cache_ = false;
};

}  // namespace xssm::seq
