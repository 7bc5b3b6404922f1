// safetensors reader/writer: bit-exact round trips, half-precision conversions, the fixture
// checkpoints against their HDF5 /params, and a fuzz loop of corrupt headers (always an
// xssm::Error naming the file, never a crash).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "support/compare.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/json.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/io/safetensors.hpp"

using namespace xssm;
using io::Safetensors;
using io::StDType;

namespace {

std::string fixtures_dir() {
  const char* e = std::getenv("XSSM_FIXTURES");
  return e ? e : "/work/shared/fixtures";  // ctest sets XSSM_FIXTURES
}

Tensor<float> random_tensor(Shape s, Rng& rng) {
  Tensor<float> t(s);
  for (Index i = 0; i < t.size(); ++i) t.data()[i] = float(rng.normal());
  return t;
}

Safetensors small_file() {
  Rng rng(7);
  Safetensors st;
  st.source = "small.safetensors";
  st.set_meta("format", "pt");
  st.set_meta("config", R"({"a": 1})");
  st.put("w", random_tensor({3, 4}, rng));
  st.put("b", random_tensor({4}, rng), StDType::F16);
  st.put("c", random_tensor({2, 2}, rng), StDType::BF16);
  st.put("s", random_tensor({}, rng));
  return st;
}

/// Parsing must give an xssm::Error whose message names the file.
void expect_clean_error(const std::vector<std::uint8_t>& bytes, const std::string& what) {
  try {
    (void)io::parse_safetensors(bytes, "fuzz.safetensors");
  } catch (const Error& e) {
    const std::string m = e.what();
    INFO(what << ": " << m);
    CHECK(m.find("fuzz.safetensors") != std::string::npos);
    CHECK(m.find('\n') == std::string::npos);
    return;
  }
  // A mutation may leave a valid file (a flipped data byte): that is fine too.
}

std::vector<std::uint8_t> with_header(const std::string& header, std::size_t data_bytes) {
  std::vector<std::uint8_t> b(8, 0);
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) b[std::size_t(i)] = std::uint8_t((n >> (8 * i)) & 0xff);
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

void expect_error(const std::vector<std::uint8_t>& bytes, const std::string& needle) {
  try {
    (void)io::parse_safetensors(bytes, "lie.safetensors");
    FAIL("no error; expected one containing '" << needle << "'");
  } catch (const Error& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find("lie.safetensors") != std::string::npos);
    CHECK(m.find(needle) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("safetensors: round trip is bit exact and the writer is canonical", "[io]") {
  const Safetensors st = small_file();
  const auto bytes = io::serialize_safetensors(st);
  // Data starts 8-byte aligned.
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
  CHECK(n % 8 == 0);
  const Safetensors back = io::parse_safetensors(bytes, "rt");
  REQUIRE(back.tensors.size() == st.tensors.size());
  for (const auto& t : st.tensors) {
    const auto* u = back.find(t.name);
    REQUIRE(u);
    CHECK(u->dtype == t.dtype);
    CHECK(u->shape == t.shape);
    CHECK(u->data == t.data);
  }
  REQUIRE(back.meta("config"));
  CHECK(*back.meta("config") == R"({"a": 1})");
  // Same contents in another insertion order → the same bytes.
  Safetensors other;
  for (auto it = st.tensors.rbegin(); it != st.tensors.rend(); ++it) other.tensors.push_back(*it);
  other.set_meta("config", R"({"a": 1})");
  other.set_meta("format", "pt");
  CHECK(io::serialize_safetensors(other) == bytes);
  CHECK(io::serialize_safetensors(back) == bytes);
  // Decoding F32 gives the values put in.
  Rng rng(7);
  const Tensor<float> w = random_tensor({3, 4}, rng);
  const Tensor<float> w2 = back.get<float>("w");
  CHECK(std::memcmp(w.data(), w2.data(), sizeof(float) * 12) == 0);
  CHECK(back.get<double>("s").shape().empty());
  CHECK_THROWS_AS(back.get<float>("nope"), Error);
}

TEST_CASE("safetensors: F16 and BF16 conversions are exact on representable values", "[io]") {
  // Every finite F16 and BF16 value decodes and re-encodes to the same bits.
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = io::f16_to_float(std::uint16_t(h));
    if (std::isnan(f)) {
      CHECK(std::isnan(io::f16_to_float(io::float_to_f16(f))));
    } else if (io::float_to_f16(f) != h) {
      FAIL("F16 bits " << h << " → " << f << " → " << io::float_to_f16(f));
    }
    const float g = io::bf16_to_float(std::uint16_t(h));
    if (std::isnan(g)) {
      CHECK(std::isnan(io::bf16_to_float(io::float_to_bf16(g))));
    } else if (io::float_to_bf16(g) != h) {
      FAIL("BF16 bits " << h << " → " << g << " → " << io::float_to_bf16(g));
    }
  }
  // Known values and rounding (half to even).
  CHECK(io::float_to_f16(1.0f) == 0x3c00);
  CHECK(io::float_to_f16(-2.0f) == 0xc000);
  CHECK(io::float_to_f16(65504.0f) == 0x7bff);
  CHECK(io::float_to_f16(65520.0f) == 0x7c00);                   // rounds to inf
  CHECK(io::float_to_f16(std::ldexp(1.0f, -24)) == 0x0001);      // smallest subnormal
  CHECK(io::float_to_f16(std::ldexp(1.0f, -25)) == 0x0000);      // half of it: ties to even (0)
  CHECK(io::float_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie → even
  CHECK(io::float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  CHECK(io::float_to_bf16(1.0f) == 0x3f80);
  CHECK(io::float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);  // tie → even
  CHECK(io::float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
}

TEST_CASE("safetensors: lying headers give an error naming the file and the tensor", "[io]") {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK_NOTHROW(io::parse_safetensors(with_header(ok, 8), "ok"));
  // Header length beyond the file.
  auto b = with_header(ok, 8);
  b[3] = 0x7f;
  expect_error(b, "header length");
  expect_error(std::vector<std::uint8_t>{1, 2, 3}, "shorter");
  expect_error(with_header(ok, 4), "run past the end");
  expect_error(with_header(ok, 12), "not described");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "'a'");
  expect_error(with_header(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}})", 8), "needs 4");
  expect_error(with_header(R"({"a":{"dtype":"I8","shape":[8],"data_offsets":[0,8]}})", 8), "unsupported dtype");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "non-negative");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8), "reversed");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           12),
               "overlaps");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "hole");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}})", 8),
               "too large");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,1e300]}})", 8), "'a'");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8), "'a'");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "data_offsets");
  expect_error(with_header(R"({"__metadata__":{"x":1}})", 0), "__metadata__");
  expect_error(with_header(R"([1,2])", 0), "not a JSON object");
  expect_error(with_header(R"({"a":)", 0), "not valid JSON");
}

TEST_CASE("safetensors: fuzzed files never crash", "[io]") {
  const auto good = io::serialize_safetensors(small_file());
  // Truncation at every length.
  for (std::size_t len = 0; len < good.size(); ++len)
    expect_clean_error(std::vector<std::uint8_t>(good.begin(), good.begin() + std::ptrdiff_t(len)), "truncated");
  // Random byte flips, mostly in the length and the header.
  Rng rng(2026);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | good[std::size_t(i)];
  int errors = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    auto b = good;
    const int flips = 1 + int(rng.below(4));
    for (int k = 0; k < flips; ++k) {
      const std::size_t at = rng.uniform() < 0.9 ? std::size_t(rng.below(8 + n)) : std::size_t(rng.below(b.size()));
      if (rng.uniform() < 0.5)
        b[at] ^= std::uint8_t(1u << rng.below(8));
      else  // plausible JSON characters make deeper lies than random bytes
        b[at] = std::uint8_t("0123456789[]{},:\"-eE. "[rng.below(22)]);
    }
    try {
      (void)io::parse_safetensors(b, "fuzz.safetensors");
    } catch (const Error& e) {
      ++errors;
      const std::string m = e.what();
      if (m.find("fuzz.safetensors") == std::string::npos) FAIL("message does not name the file: " << m);
    }
  }
  CHECK(errors > 10000);  // most mutations of the header must be caught
}

TEST_CASE("safetensors: fixture checkpoints equal the /params of their .h5", "[io]") {
  namespace fs = std::filesystem;
  const std::string dir = fixtures_dir();
  int files = 0;
  for (const char* sub : {"xlstm", "ssm"}) {
    if (!fs::exists(fs::path(dir) / sub)) continue;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / sub)) {
      const std::string p = e.path().string();
      if (e.path().extension() != ".safetensors") continue;
      std::string stem = e.path().stem().string();
      const bool cuda = stem.find(".cuda_layout") != std::string::npos;
      if (cuda) stem = stem.substr(0, stem.find(".cuda_layout"));
      const std::string h5 = (e.path().parent_path() / (stem + ".h5")).string();
      INFO(p);
      const Safetensors st = io::read_safetensors(p);
      const io::H5File f = io::H5File::open(h5);
      REQUIRE(st.meta("config"));
      CHECK_NOTHROW(json::parse(*st.meta("config")));
      for (const auto& t : st.tensors) {
        INFO(t.name);
        CHECK(t.dtype == StDType::F32);
        const std::string ds = "/params/" + t.name;
        REQUIRE(f.exists(ds));
        const Tensor<double> ref = f.read<double>(ds);
        const Tensor<double> got = st.get<double>(t.name);
        REQUIRE(got.size() == ref.size());
        if (cuda && t.name.find("slstm_cell") != std::string::npos) continue;  // other layout
        CHECK(got.shape() == ref.shape());
        double worst = 0;
        // The files hold the float64 parameters rounded to float32 (exactly /params for ssm/).
        for (Index i = 0; i < got.size(); ++i)
          worst = std::max(worst, std::fabs(got.data()[i] - double(float(ref.data()[i]))));
        CHECK(worst == 0.0);
      }
      ++files;
    }
  }
  if (files == 0) WARN("no fixture safetensors found under " << dir);
}
