// The dataset/1 file contract (DESIGN.md §3, docs/formats.md): what xssm-gen writes and what
// xssm-train / eval / probe read.
//
//   attributes on /   xssm_format = "dataset/1", xssm_version, created_by, config (JSON),
//                     task (string), vocab_size (int64), seed (int64, the uint64 bits),
//                     plus task-specific string attributes (e.g. a group's composition rule)
//   /inputs           int32 (N,S)   token ids in [0, vocab_size)
//   /targets          int32 (N,S)   token ids in [0, vocab_size), or -1 = position not scored
//   /inputs_real      float32 (N,S,F)   optional real-valued inputs (noise --real)
//   /labels/<name>    int32 (N,S) or (N,S,K)   per-position ground truth for probes
//   /meta/<name>      int32, any shape   tables that make the labels checkable (group elements…)
//
// read_dataset validates all of it and throws a one-line xssm::Error naming the file, the
// dataset and the expectation ("d.h5: /targets has shape (4,9), expected (4,8) like /inputs").
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "xssm/core/json.hpp"
#include "xssm/core/named_tensors.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::io {

class H5File;

constexpr const char* kDatasetFormat = "dataset/1";

struct Dataset {
  std::string task;                 // "mqar", "word", "formal/parity", …
  std::int64_t vocab_size = 0;      // tokens are in [0, vocab_size)
  std::uint64_t seed = 0;           // the generator seed
  Tensor<std::int32_t> inputs;      // (N,S)
  Tensor<std::int32_t> targets;     // (N,S), -1 = not scored
  Tensor<float> inputs_real;        // (N,S,F) or empty
  NamedTensors<std::int32_t> labels;  // name -> (N,S) or (N,S,K)
  NamedTensors<std::int32_t> meta;    // name -> any shape
  std::vector<std::pair<std::string, std::string>> attrs;  // extra root string attributes

  Index n() const { return inputs.rank() == 2 ? inputs.dim(0) : 0; }
  Index seq_len() const { return inputs.rank() == 2 ? inputs.dim(1) : 0; }
  bool has_real() const { return inputs_real.rank() == 3; }
  /// The value of an extra attribute, or "" when absent.
  std::string attr(const std::string& name) const;
  /// Check the contract in memory (shapes, ranges); `where` prefixes messages (a file name).
  void validate(const std::string& where) const;
  /// Every token of /inputs (token datasets) and /targets lies below a model's vocabulary `vocab`;
  /// otherwise an Error naming `where`, the dataset, the row and the position.
  void check_vocab(const std::string& where, Index vocab) const;
};

/// Write a dataset to a path or "-" (stdout); atomic for paths (tmp + rename).
void write_dataset(const std::string& path_or_dash, const Dataset& ds, const std::string& created_by,
                   const json::Value& config);
/// Write into an already created file (not committed).
void write_dataset(H5File& f, const Dataset& ds, const std::string& created_by, const json::Value& config);

/// Read and validate a dataset from a path or "-" (stdin).
Dataset read_dataset(const std::string& path_or_dash);
Dataset read_dataset(const H5File& f);

}  // namespace xssm::io
