#include <catch2/catch.hpp>
#include <cmath>

#include "xssm/core/rng.hpp"
#include "xssm/probe/positions.hpp"
#include "xssm/probe/track.hpp"

using namespace xssm;
using namespace xssm::probe;

TEST_CASE("track: accuracy by position follows what the state holds") {
  // Labels in {3, 7, 9}; the state codes the label at the first half of the positions and is
  // noise at the second half (a state that forgot).
  const Index N = 40, S = 10, F = 6;
  const std::int32_t values[3] = {3, 7, 9};
  Rng rng(61);
  Tensor<std::int32_t> labels(Shape{N, S});
  Tensor<float> feats(Shape{N, S, F});
  for (Index n = 0; n < N; ++n)
    for (Index t = 0; t < S; ++t) {
      const int c = int(rng.below(3));
      labels.at(n, t) = t == 4 && n % 2 ? -1 : values[c];  // some positions unscored
      for (Index f = 0; f < F; ++f) feats.at(n, t, f) = float(0.3 * rng.normal());
      if (t < S / 2) feats.at(n, t, c) += 1.0f;
    }
  std::vector<Index> pos;
  for (Index t = 0; t < S; ++t) pos.push_back(t);
  const auto res = track_probe(feats, pos, labels, RidgeOptions{});
  REQUIRE(res.accuracy.size() == size_t(S));
  CHECK(res.num_classes == 3);
  for (Index t = 0; t < S / 2; ++t) CHECK(res.accuracy[size_t(t)] > 0.85);
  double late = 0;
  for (Index t = S / 2; t < S; ++t) late += res.accuracy[size_t(t)] / double(S - S / 2);
  CHECK(late < 0.6);
  for (double c : res.chance) CHECK(c < 0.7);
}

TEST_CASE("track: position lists") {
  CHECK(parse_positions("all", 3) == std::vector<Index>{0, 1, 2});
  CHECK(parse_positions("0:10:4,9,-1", 12) == std::vector<Index>{0, 4, 8, 9, 11});
  CHECK_THROWS_AS(parse_positions("12", 12), UsageError);
  CHECK_THROWS_AS(parse_positions("a", 12), UsageError);
  CHECK_THROWS_AS(parse_positions("1:5:0", 12), UsageError);
}
