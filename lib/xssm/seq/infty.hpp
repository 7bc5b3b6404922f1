// The ∞-former's continuous long-term memory (Martins, Marinho & Martins, ACL 2022,
// "∞-former: Infinite Memory Transformer"; official code deep-spin/infinite-former).
// docs/maths/infty.md has the equations. Two parts:
//   namespace infty: the memory itself — Gaussian RBF basis ψ(t) on [0,1], ridge-regression fit of
//     past vectors onto ψ, the signal x̄(t) = Bᵀψ(t), contraction + refit when new vectors arrive,
//     sticky sample points, and the closed-form expectations E_{N(μ,σ²)}[ψ(t)].
//   InftyMemoryAttention<T>: a Mixer that attends from each query over the memory of the PAST
//     segments with one Gaussian density per query and head; its output is meant to be added to the
//     Transformer's attention output (the lead wires it in model/).
#pragma once
#include <string>
#include <vector>

#include "xssm/nn/linear.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::seq {
namespace infty {

/// N Gaussian radial basis functions ψ_j(t) = N(t; c_j, s_j²) (normalised densities).
struct Basis {
  std::vector<double> center, width;  ///< c_j, s_j
  Index size() const { return Index(center.size()); }
  /// The official layout: for each of N/|widths| centres linspace(0, 1, N/|widths|), one function per
  /// width (width index fastest). N must be a multiple of |widths| (default widths {0.01, 0.05}).
  static Basis gaussian(Index num_basis, const std::vector<double>& widths = {0.01, 0.05});
  /// ψ(t) into out[0..N).
  void eval(double t, double* out) const;
  /// F (N × n), column i = ψ(t_i).
  MatR<double> design(const std::vector<double>& t) const;
};

/// r_j = E_{t~N(μ,σ²)}[ψ_j(t)] = ∫ N(t;μ,σ²) N(t;c_j,s_j²) dt, over ℝ (unit_interval = false, as the
/// paper and the official code: r_j = N(μ; c_j, σ²+s_j²)) or over [0,1] (unit_interval = true: the same
/// times the product Gaussian's mass in [0,1], via erf; the density is NOT renormalised on [0,1]).
/// Writes r (N) and, when non-null, ∂r/∂μ and ∂r/∂σ² (N each).
void gaussian_expectation(const Basis& basis, double mu, double sigma_sq, bool unit_interval, double* r,
                          double* dr_dmu = nullptr, double* dr_dsigma_sq = nullptr);

/// Ridge regression of samples X (n × D) at positions t (n) onto the basis:
/// B = (F Fᵀ + λ I)⁻¹ F X  (N × D), so that x̄(t) = Bᵀ ψ(t) ≈ X_i at t_i.
MatR<double> ridge_fit(const Basis& basis, const std::vector<double>& t, const MatR<double>& X, double lambda);
/// x̄(t_i) = Bᵀ ψ(t_i) for every position: (n × D).
MatR<double> evaluate(const Basis& basis, const MatR<double>& coef, const std::vector<double>& t);

/// M midpoints (i + ½)/M: uniform sampling of the old signal.
std::vector<double> uniform_points(Index M);
/// Sticky memories: M points at the quantiles (i + ½)/M of the piecewise-constant density given by a
/// histogram over equal bins of [0,1] (mass spread uniformly inside a bin), so regions where past
/// attention was concentrated get more sample points. An all-zero histogram gives uniform_points.
std::vector<double> sticky_points(const std::vector<double>& hist, Index M);
/// Adds the mass of N(μ,σ²) in each of hist.size() equal bins of [0,1] to hist.
void accumulate_density(double mu, double sigma_sq, std::vector<double>& hist);

/// Memory update (paper §3.3). Without an old memory (old_coef == nullptr): fit X_new (L × D) at
/// the midpoints (l + ½)/L. Otherwise contract: sample the old signal at `points` u_i ∈ [0,1], place
/// those values at τ·u_i, place X_new at τ + (1−τ)(l + ½)/L, and refit all M + L samples.
MatR<double> update_memory(const Basis& basis, const MatR<double>* old_coef, const std::vector<double>& points,
                           const MatR<double>& X_new, double tau, double lambda);

}  // namespace infty

/// Options of the long-term memory attention (defaults: the official code where it has one).
struct InftyConfig {
  Index num_basis = 64;                          ///< N (official 512 for LM, sorting script 512)
  std::vector<double> basis_widths{0.01, 0.05};  ///< RBF widths s (official)
  double ridge = 1.0;                            ///< λ (official ridge_penalty = 1)
  double tau = 0.75;                             ///< share of [0,1] given to the contracted old memory (official)
  Index num_samples = 64;                        ///< M sample points of the old signal (official nb_samples 512)
  Index segment_len = 32;                        ///< memory is updated after every segment of this many steps
  bool sticky = true;                            ///< sticky memories (else uniform sample points)
  Index sticky_bins = 32;                        ///< histogram bins for the sticky density
  bool unit_interval = true;                     ///< integrate the expectation over [0,1] (else ℝ, as the paper)
  double min_sigma_sq = 1e-6;                    ///< σ² clamp (official)
};

/// Attention over the continuous LTM, per head h and query x_t (paper eqs. 8–10 and official code):
///   q = x_t W_Qᵀ,  K = B W_Kᵀ,  V = B W_Vᵀ  (B: memory coefficients N × D, heads = DH-blocks)
///   s = K_h q_h / √DH ∈ ℝᴺ,  μ = sigmoid(w_μᵀ s),  σ² = max(softplus(w_σᵀ s), 1e-6)
///   r = E_{N(μ,σ²)}[ψ(t)],  z_h = V_hᵀ r,  y_t = concat_h(z_h) W_Oᵀ.
/// w_μ, w_σ are shared by all heads (official nn.Linear(N, 1)). The sequence is processed in segments
/// of segment_len steps; a segment's queries see the memory built from the segments BEFORE it (causal;
/// the first segment sees an empty memory, B = 0, so its output is exactly 0). After each segment the
/// memory absorbs that segment's inputs x (the layer input) by contraction + refit.
/// Backward: the memory fit is treated as constant (detached, as the official B_past.detach()):
/// gradients reach x only through the queries, and W_K, W_V through K = B W_Kᵀ, V = B W_Vᵀ.
template <class T>
class InftyMemoryAttention : public Mixer<T> {
 public:
  InftyMemoryAttention(Index dim, Index num_heads, InftyConfig cfg = {});

  std::string kind() const override { return "infty"; }
  Index dim() const override { return dim_; }
  Index num_heads() const { return nh_; }
  const InftyConfig& config() const { return cfg_; }
  const infty::Basis& basis() const { return basis_; }

  /// proj_query/weight, proj_key/weight, proj_value/weight (D, D), attn_out/weight (D, D),
  /// mu/weight (1, N), sigma/weight (1, N) (official LongTermAttention names).
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// PyTorch nn.Linear defaults (the official code does not re-initialise them); attn_out scaled by
  /// 1/√(2·num_blocks) like the other residual-branch outputs.
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  /// From the empty memory (= forward_from(x, initial_state(B))).
  Tensor<T> forward(const Tensor<T>& x) override;
  /// From a carried state (updated in place to the state after x): segment boundaries continue
  /// where the state's buffer left off, so forward_from(x[0:s]) then forward_from(x[s:S]) = forward(x).
  Tensor<T> forward_from(const Tensor<T>& x, NamedTensors<T>& state);
  /// dy (B,S,D) → dx; accumulates parameter grads. Memory treated as constant (see above).
  Tensor<T> backward(const Tensor<T>& dy) override;

  /// "coef" (B,N,D) memory coefficients (0 = empty), "filled" (B) 1 once a memory exists,
  /// "buffer" (B,t,D) inputs of the current, unfinished segment (t < segment_len),
  /// "density" (B,sticky_bins) attention mass accumulated over the current segment.
  NamedTensors<T> initial_state(Index batch) const override;
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;
  /// The state is bounded (N·D + segment_len·D per sequence), independent of the sequence length.
  bool constant_state() const override { return true; }

  /// μ and σ² of the last forward, (B,NH,S) each (for inspection and tests).
  const Tensor<T>& last_mu() const { return mu_; }
  const Tensor<T>& last_sigma_sq() const { return sig_; }

  nn::Linear<T> proj_query, proj_key, proj_value, attn_out, mu, sigma;

 private:
  struct Chunk {
    Index start, len;
    Tensor<T> coef;  // (B,N,D) memory the chunk attended to
  };
  // Attention of queries x (B,L,D) over memory coef; writes y (B,L,D) and, if non-null, μ/σ² (B,NH,L)
  // and accumulates bin masses into density (B,bins).
  void attend(const Tensor<T>& x, const Tensor<T>& coef, Tensor<T>& y, Tensor<T>* mu_out, Tensor<T>* sig_out,
              Tensor<T>* density) const;
  Tensor<T> run(const Tensor<T>& x, NamedTensors<T>& state, bool keep);

  Index dim_, nh_;
  InftyConfig cfg_;
  infty::Basis basis_;
  Tensor<T> x_, mu_, sig_;
  std::vector<Chunk> chunks_;
};

}  // namespace xssm::seq
