// probe/1: the output of xssm-probe (DESIGN.md §3, STYLE.md §8.5).
//
// Root attributes: xssm_format = "probe/1", xssm_version, created_by, config (the resolved
// options as JSON), model (the probed model's spec string) and model_config (its ModelConfig as
// JSON), as in checkpoint/1; probe (the
// kind: capacity | recall | track), checkpoint_step, state_numel and state_bytes (the recurrent
// state of one sequence, all blocks, float32).
// /state/names (strings), /state/numel, /state/bytes (int64): every feature source, per sequence
// ("blocks/<i>/output" is the block output, "blocks/<i>/<name>" a named state tensor).
// Curves: every curve is a 1-D float64 dataset with attributes x_label, y_label, units and x (the
// path of the 1-D dataset holding its x values, same length); axes carry the same attributes.
// xssm-plot-data plots any of them without special cases.
#pragma once
#include <string>
#include <vector>

#include "xssm/core/json.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/io/h5file.hpp"

namespace xssm::probe {

inline constexpr const char* kProbeFormat = "probe/1";

/// Size of one feature source for one sequence.
struct SourceSize {
  std::string name;  // "blocks/0/C"
  Index numel = 0;
  bool is_state = true;  // false for block outputs
};

/// Root header and the /state tables.
void write_probe_header(io::H5File& f, const json::Value& config, const json::Value& model,
                        const std::string& kind, std::int64_t checkpoint_step,
                        const std::vector<SourceSize>& sources);

/// An x axis: 1-D dataset with x_label = y_label = label.
void write_axis(io::H5File& f, const std::string& path, const std::vector<double>& x, const std::string& label,
                const std::string& units);

/// A curve y over the axis at x_path (which must exist and have y.size() values).
void write_curve(io::H5File& f, const std::string& path, const std::vector<double>& y, const std::string& x_path,
                 const std::string& y_label, const std::string& units);

}  // namespace xssm::probe
