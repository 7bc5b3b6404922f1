#include "xssm/tasks/formal.hpp"

#include <algorithm>
#include <functional>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"

namespace xssm::tasks {

namespace {

using Seq = std::vector<std::int32_t>;
constexpr std::int32_t kAct = 1;

// One generated example: content, then either a single answer or an output sequence.
struct Example {
  Seq x;
  std::int32_t answer = -1;  // classification
  Seq y;                     // sequence output
  Seq running;               // optional per-position answer
};

int mod5(long v) { return int(((v % 5) + 5) % 5); }

// DeepMind's modular_arithmetic_brackets generator: an expression of exactly `len` tokens.
// Tokens: + 1, - 2, * 3, ( 4, ) 5, digits d -> 7 + d.
int bracket_expr(Rng& r, Index len, Seq& out) {
  if (len == 1) { int d = int(r.below(5)); out.push_back(7 + d); return d; }
  if (len == 2) { int d = int(r.below(5)); out.push_back(2); out.push_back(7 + d); return mod5(-d); }
  if (len == 3) { int d = int(r.below(5)); out.insert(out.end(), {4, 7 + d, 5}); return d; }
  if (len == 4) { int d = int(r.below(5)); out.insert(out.end(), {4, 2, 7 + d, 5}); return mod5(-d); }
  const Index left = 1 + Index(r.below(std::uint64_t(len - 4)));  // [1, len-4]
  const Index right = len - 3 - left;
  out.push_back(4);
  const int a = bracket_expr(r, left, out);
  const size_t op_pos = out.size();
  out.push_back(0);
  const int b = bracket_expr(r, right, out);
  out.push_back(5);
  const int op = int(r.below(3));
  out[op_pos] = 1 + op;
  return op == 0 ? mod5(a + b) : op == 1 ? mod5(a - b) : mod5(a * b);
}

Example gen(const std::string& lang, Rng& r, Index L) {
  Example e;
  Seq& x = e.x;
  if (lang == "parity" || lang == "even_pairs") {
    int ones = 0;
    for (Index t = 0; t < L; ++t) {
      x.push_back(1 + int(r.below(2)));
      ones += x.back() == 2;
      e.running.push_back(lang == "parity" ? ones % 2 + 1 : std::abs(x.back() - x[0]) + 1);
    }
    e.answer = e.running.back();
  } else if (lang == "cycle_navigation") {
    int pos = 0;
    for (Index t = 0; t < L; ++t) {
      x.push_back(1 + int(r.below(3)));
      pos = mod5(pos + (x.back() == 2 ? 1 : x.back() == 3 ? -1 : 0));
      e.running.push_back(pos + 4);
    }
    e.answer = e.running.back();
  } else if (lang == "mod_arith") {
    // sum of terms; a term is a product of numbers; the sign of a term is the operator before it
    long total = 0, term = 0;
    int sign = 1;
    for (Index t = 0; t + 1 < L; ++t) {
      if (t % 2 == 0) {
        const int d = int(r.below(5));
        x.push_back(5 + d);
        term = t == 0 || x[size_t(t - 1)] != 3 ? d : mod5(term * d);
      } else {
        const int op = 1 + int(r.below(3));
        x.push_back(op);
        if (op != 3) {
          total = mod5(total + sign * term);
          sign = op == 1 ? 1 : -1;
        }
      }
    }
    total = mod5(total + sign * term);
    x.push_back(4);
    e.answer = std::int32_t(total + 5);
  } else if (lang == "mod_arith_brackets") {
    const int v = bracket_expr(r, L - 1, x);
    x.push_back(6);
    e.answer = 7 + v;
  } else if (lang == "majority" || lang == "majority_count") {
    std::vector<int> count(64, 0);
    int best = 0;  // symbol with the highest count, ties: smallest id
    for (Index t = 0; t < L; ++t) {
      const int s = 1 + int(r.below(63));
      x.push_back(s);
      ++count[size_t(s)];
      if (best == 0 || count[size_t(s)] > count[size_t(best)] || (count[size_t(s)] == count[size_t(best)] && s < best))
        best = s;
      e.running.push_back(lang == "majority" ? best : std::min(count[size_t(best)], 63));
    }
    e.answer = e.running.back();
  } else if (lang == "missing_duplicate") {
    const Index h = L / 2;
    for (Index t = 0; t < h; ++t) x.push_back(2 + int(r.below(9)));
    for (Index t = 0; t < h; ++t) x.push_back(x[size_t(t)]);
    const Index m = Index(r.below(std::uint64_t(2 * h)));
    e.answer = x[size_t(m)];
    x[size_t(m)] = 1;
  } else {
    const int symbols = lang == "bucket_sort" ? 9 : lang == "set" ? 126 : 10;
    for (Index t = 0; t < L; ++t) x.push_back(2 + int(r.below(std::uint64_t(symbols))));
    if (lang == "bucket_sort") {
      e.y = x;
      std::sort(e.y.begin(), e.y.end());
    } else if (lang == "reverse_string") {
      e.y.assign(x.rbegin(), x.rend());
    } else if (lang == "repeat_copy") {
      e.y = x;
      e.y.insert(e.y.end(), x.begin(), x.end());
    } else {  // set
      for (std::int32_t s : x)
        if (std::find(e.y.begin(), e.y.end(), s) == e.y.end()) e.y.push_back(s);
    }
  }
  return e;
}

bool is_seq_output(const std::string& lang) {
  return lang == "bucket_sort" || lang == "reverse_string" || lang == "repeat_copy" || lang == "set";
}
bool has_running(const std::string& lang) {
  return lang == "parity" || lang == "even_pairs" || lang == "cycle_navigation" || lang == "majority" ||
         lang == "majority_count";
}
// Content lengths that the language allows: even for mod_arith (odd expression + '=') and
// missing_duplicate (w w); an odd draw is rounded down (up from the minimum).
Index fix_len(const std::string& lang, Index L) {
  if ((lang == "mod_arith" || lang == "missing_duplicate") && L % 2) return L == 1 ? 2 : L - 1;
  return L;
}
// Longest output for content length L.
Index out_len(const std::string& lang, Index L) { return lang == "repeat_copy" ? 2 * L : is_seq_output(lang) ? L : 0; }

}  // namespace

const std::vector<FormalLanguage>& formal_languages() {
  static const std::vector<FormalLanguage> k = {
      {"parity", 3, 1, "answer: is the number of b's even or odd (regular)"},
      {"even_pairs", 3, 1, "answer: are the first and last symbols equal (regular)"},
      {"cycle_navigation", 9, 1, "answer: position on a 5-cycle after steps 0/+1/-1 (regular)"},
      {"mod_arith", 10, 2, "answer: value mod 5 of an expression with + - * (regular)"},
      {"mod_arith_brackets", 12, 2, "answer: value mod 5 of a bracketed expression (context-free)"},
      {"majority", 64, 1, "answer: the most frequent symbol (counter)"},
      {"majority_count", 64, 1, "answer: the count of the most frequent symbol (counter)"},
      {"missing_duplicate", 11, 2, "answer: the masked symbol of w w (context-sensitive)"},
      {"bucket_sort", 11, 1, "output: the symbols sorted (context-sensitive)"},
      {"reverse_string", 12, 1, "output: the string reversed (context-free)"},
      {"repeat_copy", 12, 1, "output: the string twice (context-sensitive)"},
      {"set", 128, 1, "output: distinct symbols in first-occurrence order"},
  };
  return k;
}

io::Dataset make_formal(const FormalOptions& o) {
  const FormalLanguage* lang = nullptr;
  std::string names;
  for (const auto& l : formal_languages()) {
    if (l.name == o.lang) lang = &l;
    names += (names.empty() ? "" : ", ") + l.name;
  }
  require(lang != nullptr, cat("--lang: unknown language '", o.lang, "' (known: ", names, ")"));
  require(o.n >= 1, cat("--n must be ≥ 1, got ", o.n));
  require(o.min_len >= lang->min_len, cat("--min-len must be ≥ ", lang->min_len, " for ", o.lang, ", got ", o.min_len));
  require(o.max_len >= o.min_len, cat("--max-len (", o.max_len, ") must be ≥ --min-len (", o.min_len, ")"));
  const std::string& L_name = lang->name;
  const Index need = o.max_len + out_len(L_name, o.max_len);
  require(o.seq_len == 0 || o.seq_len >= need,
          cat("--seq-len ", o.seq_len, " is too short for --max-len ", o.max_len, " (", o.lang, " needs ", need, ")"));
  const Index N = o.n, S = o.seq_len ? o.seq_len : need;

  io::Dataset ds = blank_dataset("formal", lang->vocab, o.seed, N, S);
  const bool running = has_running(L_name);
  Tensor<std::int32_t> run(Shape{running ? N : 0, S}, -1), lengths(Shape{N});
  const Rng base(o.seed);
  parallel_for(N, [&](Index i) {
    Rng r = base.fork(std::uint64_t(i));
    const Index L = fix_len(L_name, o.min_len + Index(r.below(std::uint64_t(o.max_len - o.min_len + 1))));
    const Example e = gen(L_name, r, L);
    XSSM_ASSERT(Index(e.x.size()) == L, L_name, " generated ", e.x.size(), " tokens, expected ", L);
    std::int32_t* in = ds.inputs.ptr(i);
    std::int32_t* tg = ds.targets.ptr(i);
    std::copy(e.x.begin(), e.x.end(), in);
    lengths[i] = std::int32_t(L);
    if (is_seq_output(L_name)) {
      // ACT at L, y_j at L+1+j (teacher forcing); targets[L+j] = y_j
      const Index m = Index(e.y.size());
      in[L] = kAct;
      for (Index j = 0; j < m; ++j) {
        tg[L + j] = e.y[size_t(j)];
        if (L + 1 + j < S) in[L + 1 + j] = e.y[size_t(j)];
      }
    } else {
      tg[L - 1] = e.answer;
    }
    if (running) std::copy(e.running.begin(), e.running.end(), run.ptr(i));
  });
  if (running) ds.labels.set("running", std::move(run));
  ds.meta.set("lengths", std::move(lengths));
  ds.attrs.emplace_back("language", L_name);
  ds.attrs.emplace_back("layout", is_seq_output(L_name)
                                      ? "content x_0..x_{L-1}, ACT=1 at L, output y_j at L+1+j; targets[L+j] = y_j"
                                      : "content x_0..x_{L-1}, PAD=0 after; targets[L-1] = answer, -1 elsewhere");
  return ds;
}

}  // namespace xssm::tasks
