#include "xssm/core/tensor.hpp"

namespace xssm {

std::string shape_str(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + ")";
}

Index shape_numel(const Shape& s) {
  Index n = 1;
  for (Index e : s) n *= e;
  return n;
}

}  // namespace xssm
