// Position lists for probes: "all", or a comma list of positions and ranges.
#pragma once
#include <string>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::probe {

/// "all" (every position 0..S−1), or a comma list of positions "5", ranges "a:b" and strided
/// ranges "a:b:step" (b exclusive; negative numbers count from the end, so "-1" is S−1).
/// Sorted and unique; throws UsageError for a malformed list or a position outside [0,S).
std::vector<Index> parse_positions(const std::string& spec, Index S);

}  // namespace xssm::probe
