// The safetensors format (huggingface/safetensors), read and written without any dependency:
//   [8 bytes: N, unsigned little-endian] [N bytes: JSON header] [data buffer: raw little-endian]
//   header = { "__metadata__": {string: string, ...} (optional),
//              "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ... }
// Offsets are relative to the start of the data buffer. Every header field is checked against
// the file: N ≤ file size − 8, known dtype, non-negative integer shape, end − begin =
// numel · dtype size, offsets inside the buffer, tensors neither overlapping nor leaving holes
// (the spec's "entirely indexed" rule). Any violation is a one-line xssm::Error that names the
// file and the tensor; nothing is trusted before it is checked, so corrupt input never crashes.
// Element types: F32, F16, BF16, F64 (read and write; F16/BF16 decode exactly and encode with
// round-to-nearest-even).
// The writer is canonical: "__metadata__" first, then tensors sorted by name, data in the same
// order, the header padded with spaces to a multiple of 8 bytes — equal contents, equal bytes.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::io {

enum class StDType { F32, F16, BF16, F64 };
/// "F32" ...; parse throws xssm::Error for another name.
std::string st_dtype_name(StDType t);
StDType parse_st_dtype(const std::string& s);
std::size_t st_dtype_size(StDType t);

/// One tensor: its raw little-endian bytes as stored.
struct StTensor {
  std::string name;
  StDType dtype = StDType::F32;
  Shape shape;
  std::vector<std::uint8_t> data;
  Index numel() const;
};

struct Safetensors {
  std::string source = "safetensors";  // file name for messages
  std::vector<std::pair<std::string, std::string>> metadata;  // __metadata__, in header order
  std::vector<StTensor> tensors;                               // in data-offset order when read

  const StTensor* find(const std::string& name) const;
  /// The metadata value, or nullptr.
  const std::string* meta(const std::string& key) const;
  void set_meta(const std::string& key, const std::string& value);
  /// Decode a tensor into T (any stored dtype); throws "<file>: tensor 'x' not found".
  template <class T>
  Tensor<T> get(const std::string& name) const;
  /// Add (or replace) a tensor, encoding `t` as `dtype`.
  template <class T>
  void put(const std::string& name, const Tensor<T>& t, StDType dtype = StDType::F32);
};

/// Parse a safetensors image; `name` is used in messages.
Safetensors parse_safetensors(const std::vector<std::uint8_t>& bytes, const std::string& name);
/// Read a file (whole); errors name the path.
Safetensors read_safetensors(const std::string& path);
/// The canonical bytes of a safetensors file.
std::vector<std::uint8_t> serialize_safetensors(const Safetensors& st);
/// Write atomically (temporary name, then rename).
void write_safetensors(const std::string& path, const Safetensors& st);

// ---- element conversions (exposed for tests)
float f16_to_float(std::uint16_t h);
std::uint16_t float_to_f16(float f);  // round to nearest even; overflow → ±inf; NaN kept
float bf16_to_float(std::uint16_t h);
std::uint16_t float_to_bf16(float f);  // round to nearest even; NaN kept quiet

}  // namespace xssm::io
