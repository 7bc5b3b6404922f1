#include "xssm/core/rng.hpp"

#include <cmath>

#include "xssm/core/error.hpp"

namespace xssm {
namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Rng::reseed(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& w : s_) w = splitmix64(x);
}

Rng Rng::fork(std::uint64_t stream) const {
  // Mix the current state with the stream id through splitmix64: distinct ids give unrelated seeds.
  std::uint64_t x = s_[0] ^ rotl(s_[1], 17) ^ rotl(s_[2], 31) ^ rotl(s_[3], 47);
  std::uint64_t y = stream * 0xD1B54A32D192ED03ull;
  std::uint64_t seed = splitmix64(x) ^ splitmix64(y);
  return Rng(seed);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }

std::uint64_t Rng::below(std::uint64_t n) {
  XSSM_ASSERT(n > 0);
  // Lemire: multiply-shift with rejection of the biased low range.
  unsigned __int128 m = (unsigned __int128)next_u64() * n;
  std::uint64_t l = std::uint64_t(m);
  if (l < n) {
    const std::uint64_t t = (0 - n) % n;
    while (l < t) {
      m = (unsigned __int128)next_u64() * n;
      l = std::uint64_t(m);
    }
  }
  return std::uint64_t(m >> 64);
}

std::int64_t Rng::range(std::int64_t lo, std::int64_t hi) {
  XSSM_ASSERT(hi >= lo);
  return lo + std::int64_t(below(std::uint64_t(hi - lo) + 1));
}

double Rng::normal() {
  double u1;
  do u1 = uniform(); while (u1 <= 0.0);
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::size_t Rng::weighted(const std::vector<double>& w) {
  double total = 0;
  for (double x : w) total += x;
  XSSM_ASSERT(total > 0, "weighted draw needs a positive total weight");
  double r = uniform() * total;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (r < w[i]) return i;
    r -= w[i];
  }
  // Rounding: return the last index with positive weight.
  for (std::size_t i = w.size(); i-- > 0;)
    if (w[i] > 0) return i;
  return 0;
}

std::vector<std::int64_t> Rng::sample_without_replacement(std::int64_t n, std::int64_t k) {
  XSSM_ASSERT(k >= 0 && k <= n);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) idx[std::size_t(i)] = i;
  for (std::int64_t i = 0; i < k; ++i) {
    std::int64_t j = i + std::int64_t(below(std::uint64_t(n - i)));
    std::swap(idx[std::size_t(i)], idx[std::size_t(j)]);
  }
  idx.resize(std::size_t(k));
  return idx;
}

}  // namespace xssm
