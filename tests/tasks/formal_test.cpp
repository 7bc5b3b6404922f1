#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <set>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/formal.hpp"

using namespace xssm;

namespace {
using Seq = std::vector<std::int32_t>;
int mod5(long v) { return int(((v % 5) + 5) % 5); }

// Fully bracketed expressions: atom := digit | '-' atom | '(' atom [op atom] ')'.
// Tokens: + 1, - 2, * 3, ( 4, ) 5, digits 7..11.
struct Parser {
  const Seq& s;
  size_t i = 0;
  int atom() {
    REQUIRE(i < s.size());
    const int t = s[i++];
    if (t >= 7 && t <= 11) return t - 7;
    if (t == 2) return mod5(-atom());
    REQUIRE(t == 4);
    const int a = atom();
    REQUIRE(i < s.size());
    int v = a;
    if (s[i] >= 1 && s[i] <= 3) {
      const int op = s[i++];
      const int b = atom();
      v = op == 1 ? mod5(a + b) : op == 2 ? mod5(a - b) : mod5(a * b);
    }
    REQUIRE(i < s.size());
    REQUIRE(s[i++] == 5);
    return v;
  }
};

// mod_arith without brackets: split into +/- separated terms, each a product.
int eval_flat(const Seq& x) {
  std::vector<long> terms;
  std::vector<int> signs;
  long term = x[0] - 5;
  int sign = 1;
  for (size_t k = 1; k + 1 < x.size(); k += 2) {
    const int op = x[k], d = x[k + 1] - 5;
    REQUIRE(op >= 1);
    REQUIRE(op <= 3);
    REQUIRE(d >= 0);
    REQUIRE(d <= 4);
    if (op == 3) {
      term *= d;
    } else {
      terms.push_back(term);
      signs.push_back(sign);
      term = d;
      sign = op == 1 ? 1 : -1;
    }
  }
  terms.push_back(term);
  signs.push_back(sign);
  long v = 0;
  for (size_t k = 0; k < terms.size(); ++k) v += signs[k] * terms[k];
  return mod5(v);
}

// The answer (or output) recomputed from the content alone.
std::int32_t answer(const std::string& lang, const Seq& x) {
  const Index L = Index(x.size());
  if (lang == "parity") return std::int32_t(std::count(x.begin(), x.end(), 2) % 2 + 1);
  if (lang == "even_pairs") {
    int changes = 0;  // #ab + #ba
    for (Index t = 1; t < L; ++t) changes += x[size_t(t)] != x[size_t(t - 1)];
    return changes % 2 + 1;
  }
  if (lang == "cycle_navigation") {
    long pos = 0;
    for (auto s : x) pos += s == 2 ? 1 : s == 3 ? -1 : 0;
    return mod5(pos) + 4;
  }
  if (lang == "mod_arith") {
    REQUIRE(x.back() == 4);
    return eval_flat(Seq(x.begin(), x.end() - 1)) + 5;
  }
  if (lang == "mod_arith_brackets") {
    REQUIRE(x.back() == 6);
    Seq e(x.begin(), x.end() - 1);
    Parser p{e};
    const int v = p.atom();
    CHECK(p.i == e.size());
    return v + 7;
  }
  std::map<int, int> c;
  for (auto s : x) ++c[s];
  int best = 0, bc = 0;
  for (auto [s, n] : c)
    if (n > bc) best = s, bc = n;  // map order: ties keep the smallest id
  if (lang == "majority") return best;
  if (lang == "majority_count") return std::min(bc, 63);
  REQUIRE(lang == "missing_duplicate");
  const Index h = L / 2;
  for (Index t = 0; t < L; ++t)
    if (x[size_t(t)] == 1) return x[size_t(t < h ? t + h : t - h)];
  FAIL("no masked position");
  return -1;
}

Seq output(const std::string& lang, const Seq& x) {
  Seq y;
  if (lang == "bucket_sort") {
    std::vector<int> c(11, 0);
    for (auto s : x) ++c[size_t(s)];
    for (int s = 0; s < 11; ++s) y.insert(y.end(), size_t(c[size_t(s)]), s);  // counting sort
  } else if (lang == "reverse_string") {
    for (size_t k = x.size(); k-- > 0;) y.push_back(x[k]);
  } else if (lang == "repeat_copy") {
    y = x;
    y.insert(y.end(), x.begin(), x.end());
  } else {
    std::vector<bool> seen(128, false);
    for (auto s : x)
      if (!seen[size_t(s)]) seen[size_t(s)] = true, y.push_back(s);
  }
  return y;
}

bool seq_output(const std::string& l) {
  return l == "bucket_sort" || l == "reverse_string" || l == "repeat_copy" || l == "set";
}
}  // namespace

TEST_CASE("formal: every answer and output recomputed from the content") {
  for (const auto& lang : tasks::formal_languages()) {
    for (auto [lo, hi] : {std::pair<Index, Index>{lang.min_len, 12}, std::pair<Index, Index>{41, 64}}) {
      INFO(lang.name << " lengths " << lo << ".." << hi);
      tasks::FormalOptions o;
      o.lang = lang.name;
      o.n = 150;
      o.min_len = lo;
      o.max_len = hi;
      o.seed = 11;
      const io::Dataset ds = tasks::make_formal(o);
      ds.validate(lang.name);
      CHECK(ds.vocab_size == lang.vocab);
      CHECK(ds.attr("language") == lang.name);
      const Index S = ds.seq_len();
      const Tensor<std::int32_t>& len = ds.meta["lengths"];
      std::set<Index> seen_lengths;
      for (Index i = 0; i < o.n; ++i) {
        const Index L = len[i];
        seen_lengths.insert(L);
        REQUIRE(L >= std::max(lo, lang.min_len) - 1);
        REQUIRE(L <= hi);
        const Seq x(ds.inputs.ptr(i), ds.inputs.ptr(i) + L);
        for (auto s : x) CHECK(s != 0);  // PAD never inside the content
        const std::int32_t* tg = ds.targets.ptr(i);
        const std::int32_t* in = ds.inputs.ptr(i);
        if (!seq_output(lang.name)) {
          for (Index t = 0; t < S; ++t)
            if (t != L - 1) REQUIRE(tg[t] == -1);
          REQUIRE(tg[L - 1] == answer(lang.name, x));
          for (Index t = L; t < S; ++t) REQUIRE(in[t] == 0);
          if (ds.labels.has("running"))
            for (Index t = 0; t < L; ++t)
              REQUIRE(ds.labels["running"].at(i, t) == answer(lang.name, Seq(x.begin(), x.begin() + t + 1)));
        } else {
          const Seq y = output(lang.name, x);
          const Index m = Index(y.size());
          REQUIRE(in[L] == 1);  // ACT
          for (Index t = 0; t < L; ++t) REQUIRE(tg[t] == -1);
          for (Index j = 0; j < m; ++j) {
            REQUIRE(tg[L + j] == y[size_t(j)]);
            if (L + 1 + j < S) REQUIRE(in[L + 1 + j] == y[size_t(j)]);  // teacher forcing
          }
          for (Index t = L + m; t < S; ++t) REQUIRE(tg[t] == -1);
          for (Index t = L + m + 1; t < S; ++t) REQUIRE(in[t] == 0);
        }
      }
      CHECK(seen_lengths.size() > 1);
    }
  }
}

TEST_CASE("formal: paper example 0-4+0-2 = 4 (mod_arith)") {
  CHECK(eval_flat(Seq{5, 2, 9, 1, 5, 2, 7}) == 4);
}

TEST_CASE("formal: deterministic and thread-count independent") {
  tasks::FormalOptions o;
  o.lang = "mod_arith_brackets";
  o.n = 200;
  set_threads(1);
  const io::Dataset a = tasks::make_formal(o);
  set_threads(2);
  const io::Dataset b = tasks::make_formal(o);
  CHECK(a.inputs.storage() == b.inputs.storage());
  CHECK(a.targets.storage() == b.targets.storage());
}

TEST_CASE("formal: option errors") {
  tasks::FormalOptions o;
  o.lang = "nope";
  CHECK_THROWS_AS(tasks::make_formal(o), UsageError);
  o.lang = "parity";
  o.min_len = 10;
  o.max_len = 5;
  CHECK_THROWS_AS(tasks::make_formal(o), UsageError);
  o.max_len = 20;
  o.seq_len = 19;
  CHECK_THROWS_AS(tasks::make_formal(o), UsageError);
  o.lang = "mod_arith";
  o.min_len = 1;
  o.seq_len = 0;
  CHECK_THROWS_AS(tasks::make_formal(o), UsageError);
}
