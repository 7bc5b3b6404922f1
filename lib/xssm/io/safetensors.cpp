#include "xssm/io/safetensors.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "xssm/core/error.hpp"
#include "xssm/core/json.hpp"

namespace xssm::io {

namespace {

// The data buffer is little-endian; xssm only targets little-endian hosts (x86-64, aarch64).
bool host_little_endian() {
  const std::uint16_t one = 1;
  std::uint8_t b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

// Header length limit of the reference implementation (100 MB): a larger N is a lie or an attack.
constexpr std::uint64_t kMaxHeader = 100'000'000;
// Offsets and sizes must be exact doubles in JSON and fit comfortably in int64.
constexpr double kMaxInt = 9007199254740992.0;  // 2^53

std::uint32_t bits_of(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  return x;
}
float float_of(std::uint32_t x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

/// A non-negative integer JSON number (the header's shape and offsets), or an Error.
std::uint64_t header_uint(const json::Value& v, const std::string& where) {
  if (!v.is_number()) throw Error(cat(where, " is not a number"));
  const double d = v.as_number();
  if (!(d >= 0) || d > kMaxInt || std::floor(d) != d)
    throw Error(cat(where, " = ", v.dump(), " is not a non-negative integer"));
  return std::uint64_t(d);
}

template <class T>
void decode(const StTensor& t, T* out) {
  const Index n = t.numel();
  const std::uint8_t* p = t.data.data();
  switch (t.dtype) {
    case StDType::F32:
      for (Index i = 0; i < n; ++i) {
        float f;
        std::memcpy(&f, p + 4 * i, 4);
        out[i] = T(f);
      }
      break;
    case StDType::F64:
      for (Index i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, p + 8 * i, 8);
        out[i] = T(d);
      }
      break;
    case StDType::F16:
    case StDType::BF16:
      for (Index i = 0; i < n; ++i) {
        const std::uint16_t h = std::uint16_t(p[2 * i] | (p[2 * i + 1] << 8));
        out[i] = T(t.dtype == StDType::F16 ? f16_to_float(h) : bf16_to_float(h));
      }
      break;
  }
}

template <class T>
void encode(const T* in, Index n, StTensor& t) {
  t.data.resize(std::size_t(n) * st_dtype_size(t.dtype));
  std::uint8_t* p = t.data.data();
  for (Index i = 0; i < n; ++i) {
    switch (t.dtype) {
      case StDType::F32: {
        const float f = float(in[i]);
        std::memcpy(p + 4 * i, &f, 4);
        break;
      }
      case StDType::F64: {
        const double d = double(in[i]);
        std::memcpy(p + 8 * i, &d, 8);
        break;
      }
      case StDType::F16:
      case StDType::BF16: {
        const float f = float(in[i]);
        const std::uint16_t h = t.dtype == StDType::F16 ? float_to_f16(f) : float_to_bf16(f);
        p[2 * i] = std::uint8_t(h & 0xff);
        p[2 * i + 1] = std::uint8_t(h >> 8);
        break;
      }
    }
  }
}

}  // namespace

std::string st_dtype_name(StDType t) {
  switch (t) {
    case StDType::F32: return "F32";
    case StDType::F16: return "F16";
    case StDType::BF16: return "BF16";
    case StDType::F64: return "F64";
  }
  return "?";
}

StDType parse_st_dtype(const std::string& s) {
  if (s == "F32") return StDType::F32;
  if (s == "F16") return StDType::F16;
  if (s == "BF16") return StDType::BF16;
  if (s == "F64") return StDType::F64;
  throw Error(cat("unsupported dtype '", s, "' (expected F32, F16, BF16 or F64)"));
}

std::size_t st_dtype_size(StDType t) {
  switch (t) {
    case StDType::F32: return 4;
    case StDType::F16:
    case StDType::BF16: return 2;
    case StDType::F64: return 8;
  }
  return 0;
}

Index StTensor::numel() const {
  Index n = 1;
  for (Index d : shape) n *= d;
  return n;
}

// ---- half precision: IEEE binary16 (F16) and bfloat16 (BF16)

float f16_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {  // zero or subnormal: mant · 2^-24, exact in float
    const float v = std::ldexp(float(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return float_of(sign | 0x7f800000u | (mant << 13));  // inf / NaN
  return float_of(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

std::uint16_t float_to_f16(float f) {
  std::uint32_t x = bits_of(f);
  const std::uint16_t sign = std::uint16_t((x >> 16) & 0x8000);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u)  // inf, or NaN (kept a NaN: quiet bit set)
    return std::uint16_t(sign | (x > 0x7f800000u ? 0x7e00 | ((x >> 13) & 0x3ff) : 0x7c00));
  if (x >= 0x477ff000u) return std::uint16_t(sign | 0x7c00);  // ≥ 65520 rounds to inf
  if (x < 0x38800000u) {
    // Below the smallest normal 2^-14: a subnormal k·2^-24, k = round-half-even(|f|·2^24)
    // (the scaling is exact; k = 1024 is the smallest normal, which is also its encoding).
    const float k = std::nearbyint(float_of(x) * 16777216.0f);
    return std::uint16_t(sign | std::uint16_t(k));
  }
  // Normal: rebias the exponent, keep 10 mantissa bits, round half to even on the 13 dropped.
  const std::uint32_t e = (x >> 23) - 127 + 15, mant = x & 0x7fffff;
  std::uint32_t h = (e << 10) | (mant >> 13);
  const std::uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h += 1;  // a carry bumps the exponent: correct
  return std::uint16_t(sign | h);
}

float bf16_to_float(std::uint16_t h) { return float_of(std::uint32_t(h) << 16); }

std::uint16_t float_to_bf16(float f) {
  const std::uint32_t x = bits_of(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((x >> 16) | 0x40);  // quiet NaN
  return std::uint16_t((x + 0x7fffu + ((x >> 16) & 1)) >> 16);  // round half to even
}

// ---- container

const StTensor* Safetensors::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const std::string* Safetensors::meta(const std::string& key) const {
  for (const auto& kv : metadata)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

void Safetensors::set_meta(const std::string& key, const std::string& value) {
  for (auto& kv : metadata)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  metadata.emplace_back(key, value);
}

template <class T>
Tensor<T> Safetensors::get(const std::string& name) const {
  const StTensor* t = find(name);
  if (!t) throw Error(cat(source, ": tensor '", name, "' not found"));
  Tensor<T> out(t->shape);
  decode(*t, out.data());
  return out;
}

template <class T>
void Safetensors::put(const std::string& name, const Tensor<T>& t, StDType dtype) {
  StTensor e;
  e.name = name;
  e.dtype = dtype;
  e.shape = t.shape();
  encode(t.data(), t.size(), e);
  for (auto& old : tensors)
    if (old.name == name) {
      old = std::move(e);
      return;
    }
  tensors.push_back(std::move(e));
}

// ---- reading

Safetensors parse_safetensors(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  if (!host_little_endian()) throw Error("safetensors: big-endian hosts are not supported");
  const std::uint64_t size = bytes.size();
  if (size < 8) throw Error(cat(name, ": not a safetensors file (", size, " bytes, shorter than the 8-byte header length)"));
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
  if (n < 2 || n > kMaxHeader || n > size - 8)
    throw Error(cat(name, ": safetensors header length ", n, " is impossible for a file of ", size, " bytes"));
  const std::string text(reinterpret_cast<const char*>(bytes.data()) + 8, std::size_t(n));
  json::Value header;
  try {
    header = json::parse(text);
  } catch (const Error& e) {
    throw Error(cat(name, ": safetensors header is not valid JSON: ", e.what()));
  }
  if (!header.is_object()) throw Error(cat(name, ": safetensors header is not a JSON object"));

  Safetensors st;
  st.source = name;
  const std::uint64_t data_size = size - 8 - n;
  const std::uint8_t* data = bytes.data() + 8 + n;
  struct Span {
    std::uint64_t begin, end;
    std::size_t index;
  };
  std::vector<Span> spans;
  for (const auto& [key, v] : header.members()) {
    if (key == "__metadata__") {
      if (!v.is_object()) throw Error(cat(name, ": __metadata__ is not an object of strings"));
      for (const auto& [mk, mv] : v.members()) {
        if (!mv.is_string()) throw Error(cat(name, ": __metadata__ '", mk, "' is not a string"));
        st.metadata.emplace_back(mk, mv.as_string());
      }
      continue;
    }
    const std::string where = cat(name, ": tensor '", key, "'");
    if (!v.is_object()) throw Error(cat(where, ": header entry is not an object"));
    const json::Value* dt = v.find("dtype");
    const json::Value* sh = v.find("shape");
    const json::Value* off = v.find("data_offsets");
    if (!dt || !dt->is_string()) throw Error(cat(where, ": missing or non-string 'dtype'"));
    if (!sh || !sh->is_array()) throw Error(cat(where, ": missing or non-array 'shape'"));
    if (!off || !off->is_array() || off->size() != 2)
      throw Error(cat(where, ": 'data_offsets' must be [begin, end]"));
    StTensor t;
    t.name = key;
    try {
      t.dtype = parse_st_dtype(dt->as_string());
    } catch (const Error& e) {
      throw Error(cat(where, ": ", e.what()));
    }
    // numel with an overflow guard: every extent and the product stay below 2^53 / dtype size.
    std::uint64_t numel = 1;
    for (std::size_t i = 0; i < sh->size(); ++i) {
      const std::uint64_t d = header_uint((*sh)[i], cat(where, ": shape[", i, "]"));
      if (d != 0 && numel > (std::uint64_t(kMaxInt) / 8) / d)
        throw Error(cat(where, ": shape ", sh->dump(), " is too large"));
      numel *= d;
      t.shape.push_back(Index(d));
    }
    const std::uint64_t begin = header_uint((*off)[0], cat(where, ": data_offsets[0]"));
    const std::uint64_t end = header_uint((*off)[1], cat(where, ": data_offsets[1]"));
    if (begin > end) throw Error(cat(where, ": data_offsets [", begin, ", ", end, "] are reversed"));
    if (end > data_size)
      throw Error(cat(where, ": data_offsets [", begin, ", ", end, "] run past the end of the data (", data_size,
                      " bytes)"));
    const std::uint64_t want = numel * st_dtype_size(t.dtype);
    if (end - begin != want)
      throw Error(cat(where, ": holds ", end - begin, " bytes, but ", st_dtype_name(t.dtype), " ", sh->dump(),
                      " needs ", want));
    t.data.assign(data + begin, data + end);
    spans.push_back({begin, end, st.tensors.size()});
    st.tensors.push_back(std::move(t));
  }
  // The buffer must be covered exactly once, in order: no overlap, no hole, nothing after.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t pos = 0;
  for (const Span& s : spans) {
    const std::string& tn = st.tensors[s.index].name;
    if (s.begin < pos) throw Error(cat(name, ": tensor '", tn, "' overlaps the previous tensor's data"));
    if (s.begin > pos) throw Error(cat(name, ": tensor '", tn, "' leaves a hole of ", s.begin - pos, " bytes before it"));
    pos = s.end;
  }
  if (pos != data_size)
    throw Error(cat(name, ": ", data_size - pos, " bytes of data after the last tensor are not described by the header"));
  // Keep the tensors in data order (as stored).
  std::vector<StTensor> ordered;
  ordered.reserve(spans.size());
  for (const Span& s : spans) ordered.push_back(std::move(st.tensors[s.index]));
  st.tensors = std::move(ordered);
  return st;
}

Safetensors read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(cat(path, ": cannot open for reading"));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(cat(path, ": read error"));
  return parse_safetensors(bytes, path);
}

// ---- writing

std::vector<std::uint8_t> serialize_safetensors(const Safetensors& st) {
  std::vector<const StTensor*> order;
  for (const auto& t : st.tensors) {
    if (t.name.empty() || t.name == "__metadata__") throw Error(cat("safetensors: invalid tensor name '", t.name, "'"));
    if (t.data.size() != std::size_t(t.numel()) * st_dtype_size(t.dtype))
      throw Error(cat("safetensors: tensor '", t.name, "' has ", t.data.size(), " bytes for shape ", shape_str(t.shape)));
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(), [](const StTensor* a, const StTensor* b) { return a->name < b->name; });
  for (std::size_t i = 1; i < order.size(); ++i)
    if (order[i]->name == order[i - 1]->name) throw Error(cat("safetensors: duplicate tensor '", order[i]->name, "'"));

  json::Value header = json::Value::object();
  if (!st.metadata.empty()) {
    auto meta = st.metadata;
    std::sort(meta.begin(), meta.end());
    json::Value m = json::Value::object();
    for (const auto& [k, v] : meta) m[k] = v;
    header["__metadata__"] = m;
  }
  std::uint64_t pos = 0;
  for (const StTensor* t : order) {
    json::Value e = json::Value::object();
    e["dtype"] = st_dtype_name(t->dtype);
    json::Value shape = json::Value::array();
    for (Index d : t->shape) shape.push_back(json::Value(static_cast<long long>(d)));
    e["shape"] = shape;
    json::Value off = json::Value::array();
    off.push_back(json::Value(static_cast<long long>(pos)));
    pos += t->data.size();
    off.push_back(json::Value(static_cast<long long>(pos)));
    e["data_offsets"] = off;
    header[t->name] = e;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::vector<std::uint8_t> out;
  out.reserve(8 + text.size() + pos);
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t((n >> (8 * i)) & 0xff));
  out.insert(out.end(), text.begin(), text.end());
  for (const StTensor* t : order) out.insert(out.end(), t->data.begin(), t->data.end());
  return out;
}

void write_safetensors(const std::string& path, const Safetensors& st) {
  const std::vector<std::uint8_t> bytes = serialize_safetensors(st);
  const std::string tmp = cat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(cat(path, ": cannot open for writing"));
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(cat(path, ": write error"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(cat(path, ": cannot rename the temporary file into place"));
  }
}

template Tensor<float> Safetensors::get<float>(const std::string&) const;
template Tensor<double> Safetensors::get<double>(const std::string&) const;
template void Safetensors::put<float>(const std::string&, const Tensor<float>&, StDType);
template void Safetensors::put<double>(const std::string&, const Tensor<double>&, StDType);

}  // namespace xssm::io
