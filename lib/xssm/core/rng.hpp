// Seeded, serialisable random numbers: xoshiro256** (Blackman & Vigna) seeded through splitmix64.
// The whole state is four 64-bit words, so a checkpoint stores it exactly and a resumed run draws
// the same numbers. Distributions are implemented here (not <random>'s, whose algorithms are
// implementation-defined) so that the same seed gives the same bytes on every platform.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace xssm {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
  void reseed(std::uint64_t seed);
  /// An independent stream derived from this seed and a stream id, without advancing this one;
  /// used to give sample i its own generator so results do not depend on thread count.
  Rng fork(std::uint64_t stream) const;

  std::uint64_t next_u64();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n), unbiased (Lemire's method with rejection). n > 0.
  std::uint64_t below(std::uint64_t n);
  /// Uniform integer in [lo, hi] inclusive.
  std::int64_t range(std::int64_t lo, std::int64_t hi);
  /// Standard normal (Box–Muller, one value per call: keeps the state four words).
  double normal();
  double normal(double mean, double std) { return mean + std * normal(); }
  bool bernoulli(double p) { return uniform() < p; }
  /// Index drawn with probability proportional to weights[i] (weights ≥ 0, sum > 0).
  std::size_t weighted(const std::vector<double>& weights);
  /// k distinct indices from [0, n), in draw order (partial Fisher–Yates).
  std::vector<std::int64_t> sample_without_replacement(std::int64_t n, std::int64_t k);
  template <class V>
  void shuffle(V& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  using State = std::array<std::uint64_t, 4>;
  State state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_{};
};

}  // namespace xssm
