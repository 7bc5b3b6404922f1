#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/mqar.hpp"

using namespace xssm;

namespace {
// Independent check of one example: rebuild key -> value from the KV block, then every scored
// position must hold a key of the block and target its value, which is also the next input.
void check_example(const io::Dataset& ds, Index i, const tasks::MqarOptions& o) {
  const Index S = o.seq_len, K = o.kv_pairs, V = o.vocab;
  const std::int32_t* in = ds.inputs.ptr(i);
  const std::int32_t* tg = ds.targets.ptr(i);
  const std::int32_t* lv = ds.labels["value"].ptr(i);
  std::map<std::int32_t, std::int32_t> kv;
  std::set<std::int32_t> values;
  for (Index j = 0; j < K; ++j) {
    const std::int32_t k = in[2 * j], v = in[2 * j + 1];
    REQUIRE(k >= 1);
    REQUIRE(k < V / 2);
    REQUIRE(v >= V / 2);
    REQUIRE(v < V);
    REQUIRE(kv.count(k) == 0);  // distinct keys
    REQUIRE(values.insert(v).second);  // distinct values
    kv[k] = v;
    CHECK(tg[2 * j] == -1);  // the KV block is not scored
    CHECK(lv[2 * j] == v);
  }
  std::set<std::int32_t> queried;
  Index scored = 0;
  for (Index t = 2 * K; t < S; ++t) {
    if (tg[t] < 0) {
      if (!o.random_fillers && !(t > 0 && tg[t - 1] >= 0)) CHECK(in[t] == 0);  // filler
      continue;
    }
    ++scored;
    REQUIRE(kv.count(in[t]) == 1);
    CHECK(tg[t] == kv[in[t]]);
    REQUIRE(t + 1 < S);
    CHECK(in[t + 1] == tg[t]);  // the value follows the query
    CHECK((t - 2 * K) % 2 == 0);
    CHECK(lv[t] == tg[t]);
    CHECK(queried.insert(in[t]).second);
  }
  CHECK(scored == K);  // every key queried exactly once
}
}  // namespace

TEST_CASE("mqar: every queried key targets the value bound to it in the context") {
  for (bool random : {false, true}) {
    tasks::MqarOptions o;
    o.n = 200;
    o.seq_len = 67;  // odd: the last position stays filler
    o.vocab = 64;
    o.kv_pairs = 8;
    o.random_fillers = random;
    o.seed = 5;
    const io::Dataset ds = tasks::make_mqar(o);
    REQUIRE(ds.inputs.shape() == Shape{200, 67});
    CHECK(ds.vocab_size == 64);
    CHECK(ds.task == "mqar");
    for (Index i = 0; i < o.n; ++i) check_example(ds, i, o);
    ds.validate("mqar");
  }
}

TEST_CASE("mqar: the tightest fit 4K = S") {
  tasks::MqarOptions o;
  o.n = 20;
  o.seq_len = 16;
  o.kv_pairs = 4;
  o.vocab = 16;
  const io::Dataset ds = tasks::make_mqar(o);
  for (Index i = 0; i < o.n; ++i) check_example(ds, i, o);
}

TEST_CASE("mqar: query positions follow the power law (near slots likelier)") {
  tasks::MqarOptions o;
  o.n = 2000;
  o.seq_len = 64;
  o.kv_pairs = 4;
  o.seed = 1;
  const io::Dataset ds = tasks::make_mqar(o);
  const Index space = (o.seq_len - 2 * o.kv_pairs) / 2;
  std::vector<Index> used(size_t(space), 0);
  for (Index i = 0; i < o.n; ++i)
    for (Index g = 0; g < space; ++g) used[size_t(g)] += ds.targets.at(i, 2 * o.kv_pairs + 2 * g) >= 0;
  // P(slot g chosen) decreases with g; with alpha = 0.01 slot 0 is chosen far more often.
  CHECK(used[0] > 3 * used[size_t(space - 1)]);
  CHECK(used[0] > used[5]);
  CHECK(used[size_t(space - 1)] > 0);
}

TEST_CASE("mqar: deterministic, independent of the thread count, seed-dependent") {
  tasks::MqarOptions o;
  o.n = 300;
  o.seed = 42;
  set_threads(1);
  const io::Dataset a = tasks::make_mqar(o);
  set_threads(2);
  const io::Dataset b = tasks::make_mqar(o);
  CHECK(a.inputs.storage() == b.inputs.storage());
  CHECK(a.targets.storage() == b.targets.storage());
  CHECK(a.labels["value"].storage() == b.labels["value"].storage());
  o.seed = 43;
  const io::Dataset c = tasks::make_mqar(o);
  CHECK(a.inputs.storage() != c.inputs.storage());
}

TEST_CASE("mqar: inconsistent options are usage errors") {
  tasks::MqarOptions o;
  o.kv_pairs = 17;
  o.seq_len = 64;
  CHECK_THROWS_AS(tasks::make_mqar(o), UsageError);
  o.kv_pairs = 4;
  o.vocab = 8;
  CHECK_THROWS_AS(tasks::make_mqar(o), UsageError);
  o.vocab = 8192;
  o.n = 0;
  CHECK_THROWS_AS(tasks::make_mqar(o), UsageError);
}
