#include <catch2/catch.hpp>
#include <set>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/groups.hpp"
#include "xssm/tasks/word.hpp"

using namespace xssm;

namespace {
using Perm = std::vector<std::int32_t>;
Perm row(const Tensor<std::int32_t>& el, Index e) { return Perm(el.ptr(e), el.ptr(e) + el.dim(1)); }
std::int32_t find_row(const Tensor<std::int32_t>& el, const Perm& p) {
  for (Index e = 0; e < el.dim(0); ++e)
    if (row(el, e) == p) return std::int32_t(e);
  return -1;
}
}  // namespace

TEST_CASE("groups: orders, identity first, distinct elements, closure") {
  const std::vector<std::pair<std::string, Index>> cases = {
      {"S5", 120}, {"A5", 60}, {"A4_x_Z5", 60}, {"Z60", 60}, {"Z2", 2}, {"S3", 6}, {"A4xZ5", 60}};
  for (const auto& [name, order] : cases) {
    INFO(name);
    const tasks::Group G = tasks::make_group(name);
    CHECK(G.order == order);
    std::set<Perm> rows;
    for (Index e = 0; e < G.order; ++e) rows.insert(row(G.elements, e));
    CHECK(Index(rows.size()) == G.order);
    Perm id(size_t(G.points));
    for (Index i = 0; i < G.points; ++i) id[size_t(i)] = std::int32_t(i);
    CHECK(row(G.elements, 0) == id);
    for (Index a = 0; a < G.order; a += 7)
      for (Index b = 0; b < G.order; b += 5) {
        Perm c(size_t(G.points));
        for (Index i = 0; i < G.points; ++i) c[size_t(i)] = G.elements.at(a, G.elements.at(b, i));
        CHECK(G.compose(std::int32_t(a), std::int32_t(b)) == find_row(G.elements, c));
      }
  }
  CHECK(tasks::make_group("A4xZ5").name == "A4_x_Z5");
  CHECK_THROWS_AS(tasks::make_group("Q8"), UsageError);
  CHECK_THROWS_AS(tasks::make_group("S9"), UsageError);
}

TEST_CASE("groups: element order of jopetty/word-problem (TASKS.md test vectors)") {
  const tasks::Group A5 = tasks::make_group("A5");
  CHECK(row(A5.elements, 1) == Perm{0, 1, 3, 4, 2});
  CHECK(row(A5.elements, 2) == Perm{0, 1, 4, 2, 3});
  CHECK(row(A5.elements, 3) == Perm{0, 2, 1, 4, 3});
  CHECK(row(A5.elements, 4) == Perm{0, 2, 3, 1, 4});
  CHECK(row(A5.elements, 5) == Perm{0, 2, 4, 3, 1});
  const auto run = [](const tasks::Group& G, const Perm& x, bool x_first) {
    Perm p;
    for (size_t t = 0; t < x.size(); ++t)
      p.push_back(t == 0 ? x[0] : x_first ? G.compose(x[t], p.back()) : G.compose(p.back(), x[t]));
    return p;
  };
  const Perm in = {1, 2, 3, 4, 5, 17, 59, 0};
  CHECK(run(A5, in, true) == Perm{1, 0, 3, 7, 8, 13, 46, 46});   // P_t = x_t ∘ P_{t-1} (ours)
  CHECK(run(A5, in, false) == Perm{1, 0, 3, 2, 11, 58, 24, 24});  // P_t = P_{t-1} ∘ x_t (the repo's)
  CHECK(run(tasks::make_group("Z60"), in, true) == Perm{1, 3, 6, 10, 15, 32, 31, 31});
  CHECK(run(tasks::make_group("A4_x_Z5"), Perm{7, 13, 59, 0, 31}, false) == Perm{7, 0, 59, 59, 25});
}

TEST_CASE("word: every prefix product recomputed from /meta/elements") {
  for (const std::string g : {"S5", "A5", "A4_x_Z5", "Z60", "Z2"}) {
    INFO(g);
    tasks::WordOptions o;
    o.group = g;
    o.n = 50;
    o.seq_len = 24;
    o.seed = 3;
    const io::Dataset ds = tasks::make_word(o);
    ds.validate(g);
    const Tensor<std::int32_t>& el = ds.meta["elements"];
    REQUIRE(el.dim(0) == ds.vocab_size);
    CHECK(ds.attr("group") == tasks::make_group(g).name);
    CHECK(ds.attr("composition") == tasks::kWordComposition);
    CHECK(ds.labels["state"].storage() == ds.targets.storage());
    for (Index i = 0; i < o.n; ++i) {
      Perm p = row(el, ds.inputs.at(i, 0));  // P_0 = x_0
      CHECK(ds.targets.at(i, 0) == ds.inputs.at(i, 0));
      for (Index t = 1; t < o.seq_len; ++t) {
        const Perm x = row(el, ds.inputs.at(i, t));
        Perm q(p.size());
        for (size_t k = 0; k < p.size(); ++k) q[k] = x[size_t(p[k])];  // (x_t ∘ P_{t-1})(k)
        p = q;
        REQUIRE(ds.targets.at(i, t) == find_row(el, p));
      }
    }
  }
}

TEST_CASE("word: Z2 is the running parity") {
  tasks::WordOptions o;
  o.group = "Z2";
  o.n = 20;
  o.seq_len = 30;
  const io::Dataset ds = tasks::make_word(o);
  for (Index i = 0; i < o.n; ++i) {
    int parity = 0;
    for (Index t = 0; t < o.seq_len; ++t) {
      parity ^= ds.inputs.at(i, t);
      CHECK(ds.targets.at(i, t) == parity);
    }
  }
}

TEST_CASE("word: deterministic and independent of the thread count") {
  tasks::WordOptions o;
  o.n = 100;
  set_threads(1);
  const io::Dataset a = tasks::make_word(o);
  set_threads(2);
  const io::Dataset b = tasks::make_word(o);
  CHECK(a.inputs.storage() == b.inputs.storage());
  CHECK(a.targets.storage() == b.targets.storage());
  o.seed = 9;
  CHECK(tasks::make_word(o).inputs.storage() != a.inputs.storage());
}
