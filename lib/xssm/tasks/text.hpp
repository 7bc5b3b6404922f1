// Byte-level language modelling on any text file: windows of S+1 consecutive bytes give
// inputs = bytes[o, o+S) and next-token targets = bytes[o+1, o+S] (all scored); vocab 256.
// n = 0: every non-overlapping window in file order (o = k·S); n > 0: n windows at uniformly
// drawn offsets (seeded). /meta/offsets (N,) holds o (as int32; files up to 2 GiB).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct TextOptions {
  std::string input;   // a text file (required)
  Index n = 0;
  Index seq_len = 256;
  std::uint64_t seed = 0;
};

/// Throws xssm::Error (exit 1) when the file cannot be read or is shorter than S+1 bytes.
io::Dataset make_text(const TextOptions& o);
/// The same from bytes already in memory (`name` for messages).
io::Dataset make_text(const std::vector<unsigned char>& bytes, const std::string& name, const TextOptions& o);

}  // namespace xssm::tasks
