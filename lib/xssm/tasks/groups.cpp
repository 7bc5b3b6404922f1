#include "xssm/tasks/groups.hpp"

#include <algorithm>
#include <map>
#include <numeric>

#include "xssm/core/error.hpp"

namespace xssm::tasks {

namespace {

using Perm = std::vector<std::int32_t>;
constexpr Index kMaxOrder = 2520;

bool is_even(const Perm& p) {
  int inv = 0;
  for (size_t i = 0; i < p.size(); ++i)
    for (size_t j = i + 1; j < p.size(); ++j) inv += p[i] > p[j];
  return inv % 2 == 0;
}

std::vector<Perm> factor(const std::string& f, const std::string& whole) {
  const auto bad = [&]() {
    return UsageError(cat("--group '", whole, "': expected S<n>, A<n>, Z<n> or products joined by _x_ (e.g. A4_x_Z5)"));
  };
  if (f.size() < 2 || (f[0] != 'S' && f[0] != 'A' && f[0] != 'Z')) throw bad();
  for (size_t i = 1; i < f.size(); ++i)
    if (f[i] < '0' || f[i] > '9') throw bad();
  if (f.size() > 6) throw bad();
  const int n = std::stoi(f.substr(1));
  if (n < 1) throw bad();
  std::vector<Perm> out;
  if (f[0] == 'Z') {
    if (n > kMaxOrder) throw UsageError(cat("--group ", whole, ": order above ", kMaxOrder));
    for (int k = 0; k < n; ++k) {
      Perm p(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) p[size_t(i)] = (i + k) % n;
      out.push_back(p);
    }
    return out;
  }
  if (n > 7) throw UsageError(cat("--group ", whole, ": ", f, " is too large (order above ", kMaxOrder, ")"));
  Perm p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  do {
    if (f[0] == 'S' || is_even(p)) out.push_back(p);
  } while (std::next_permutation(p.begin(), p.end()));
  return out;
}

}  // namespace

Group make_group(const std::string& name) {
  std::string s = name;
  for (const std::string sep : {"\u00d7", "_x_", "x", "*"}) {  // normalise the product separator to '|'
    size_t pos;
    while ((pos = s.find(sep)) != std::string::npos) s.replace(pos, sep.size(), "|");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t bar = s.find('|', start);
    parts.push_back(s.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  std::vector<Perm> elems = {Perm{}};
  std::string canon;
  for (const std::string& f : parts) {
    const std::vector<Perm> h = factor(f, name);
    if (Index(elems.size()) * Index(h.size()) > kMaxOrder)
      throw UsageError(cat("--group ", name, ": order above ", kMaxOrder));
    const auto shift = std::int32_t(elems[0].size());
    std::vector<Perm> next;
    for (const Perm& g : elems)  // G-major: index i_G·|H| + i_H
      for (const Perm& x : h) {
        Perm p = g;
        for (std::int32_t v : x) p.push_back(v + shift);
        next.push_back(std::move(p));
      }
    elems = std::move(next);
    canon += (canon.empty() ? "" : "_x_") + f;
  }
  Group G;
  G.name = canon;
  G.order = Index(elems.size());
  G.points = Index(elems[0].size());
  G.elements = Tensor<std::int32_t>(Shape{G.order, G.points});
  std::map<Perm, std::int32_t> index;
  for (Index e = 0; e < G.order; ++e) {
    std::copy(elems[size_t(e)].begin(), elems[size_t(e)].end(), G.elements.ptr(e));
    index[elems[size_t(e)]] = std::int32_t(e);
  }
  G.table = Tensor<std::int32_t>(Shape{G.order, G.order});
  Perm c(static_cast<size_t>(G.points));
  for (Index a = 0; a < G.order; ++a)
    for (Index b = 0; b < G.order; ++b) {
      const Perm& pa = elems[size_t(a)];
      const Perm& pb = elems[size_t(b)];
      for (Index i = 0; i < G.points; ++i) c[size_t(i)] = pa[size_t(pb[size_t(i)])];  // (a∘b)(i) = a(b(i))
      G.table.at(a, b) = index.at(c);
    }
  return G;
}

}  // namespace xssm::tasks
