#include "xssm/probe/positions.hpp"

#include <algorithm>
#include <sstream>

#include "xssm/core/error.hpp"

namespace xssm::probe {

std::vector<Index> parse_positions(const std::string& spec, Index S) {
  std::vector<Index> out;
  if (spec.empty() || spec == "all") {
    for (Index t = 0; t < S; ++t) out.push_back(t);
    return out;
  }
  auto number = [&](const std::string& s) -> Index {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(s, &used);
    } catch (...) {
      used = 0;
    }
    if (s.empty() || used != s.size()) throw UsageError(cat("--positions: '", s, "' is not an integer (in '", spec, "')"));
    return v < 0 ? Index(v) + S : Index(v);
  };
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::vector<std::string> parts;
    std::stringstream is(item);
    std::string p;
    while (std::getline(is, p, ':')) parts.push_back(p);
    if (parts.size() == 1) {
      out.push_back(number(parts[0]));
    } else if (parts.size() == 2 || parts.size() == 3) {
      const Index a = number(parts[0]), b = number(parts[1]), step = parts.size() == 3 ? number(parts[2]) : 1;
      if (step <= 0) throw UsageError(cat("--positions: step must be > 0 in '", item, "'"));
      for (Index t = a; t < b; t += step) out.push_back(t);
    } else {
      throw UsageError(cat("--positions: cannot read '", item, "' (expected N, A:B or A:B:STEP)"));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) throw UsageError(cat("--positions '", spec, "' selects no position"));
  if (out.front() < 0 || out.back() >= S)
    throw UsageError(cat("--positions '", spec, "': positions must lie in [0,", S, ") for sequences of length ", S));
  return out;
}

}  // namespace xssm::probe
