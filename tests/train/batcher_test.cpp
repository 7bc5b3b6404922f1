// Length-bucketed batching: every row once per epoch, batches cut exactly after their longest
// scored position, and the order a pure function of (seed, epoch, cursor) for bit-identical resume.
#include <catch2/catch.hpp>
#include <set>

#include "xssm/train/batcher.hpp"

using namespace xssm;

namespace {
struct Data {
  Tensor<std::int32_t> inputs, targets;
  train::DataView view() { return {&inputs, &targets, nullptr}; }
};
/// Row i scores positions up to i % S.
Data make(Index N, Index S) {
  Data d{Tensor<std::int32_t>({N, S}), Tensor<std::int32_t>({N, S}, -1)};
  for (Index i = 0; i < N; ++i)
    for (Index t = 0; t < S; ++t) {
      d.inputs.at(i, t) = std::int32_t(i * 100 + t);
      if (t <= i % S) d.targets.at(i, t) = std::int32_t(t);
    }
  return d;
}
}  // namespace

TEST_CASE("effective length is one past the last scored position") {
  Data d = make(5, 4);
  CHECK(train::effective_lengths(d.targets) == std::vector<Index>{1, 2, 3, 4, 1});
}

TEST_CASE("an epoch visits every row once, batches cut to their longest row") {
  Data d = make(37, 9);
  train::Batcher b(d.view(), 4, 7, 3);
  std::multiset<Index> seen;
  Index batches = 0;
  while (b.epoch() == 0 && seen.size() < 37) {
    const train::Batch x = b.next();
    ++batches;
    Index want = 0;
    for (Index r : x.rows) {
      seen.insert(r);
      want = std::max(want, r % 9 + 1);
    }
    CHECK(x.length == want);
    for (size_t j = 0; j < x.rows.size(); ++j) CHECK(x.inputs.at(Index(j), 0) == std::int32_t(x.rows[j] * 100));
  }
  CHECK(seen.size() == 37);
  CHECK(std::set<Index>(seen.begin(), seen.end()).size() == 37);
  CHECK(batches == 10);  // 37 rows in pools of 12: 3+3+3+1 batches
}

TEST_CASE("bucketing reduces padding compared with random batches") {
  Data d = make(64, 16);
  auto padded = [&](Index pool) {
    train::Batcher b(d.view(), 8, 1, pool);
    Index pad = 0;
    for (int k = 0; k < 8; ++k) {
      const train::Batch x = b.next();
      for (Index r : x.rows) pad += x.length - (r % 16 + 1);
    }
    return pad;
  };
  CHECK(padded(8) < padded(1));
}

TEST_CASE("the batch order is a function of (seed, epoch, cursor)") {
  Data d = make(20, 5);
  train::Batcher a(d.view(), 3, 11), b(d.view(), 3, 11);
  for (int i = 0; i < 9; ++i) a.next();
  b.set_state(a.epoch(), a.cursor());
  for (int i = 0; i < 12; ++i) CHECK(a.next().rows == b.next().rows);
  train::Batcher c(d.view(), 3, 12);
  bool differs = false;
  train::Batcher a2(d.view(), 3, 11);
  for (int i = 0; i < 5; ++i) differs |= a2.next().rows != c.next().rows;
  CHECK(differs);
}

TEST_CASE("evaluation batches cover every row in length order") {
  Data d = make(10, 4);
  const auto bs = train::eval_batches(d.targets, 3);
  REQUIRE(bs.size() == 4);
  std::set<Index> all;
  for (auto& b : bs) all.insert(b.begin(), b.end());
  CHECK(all.size() == 10);
}
