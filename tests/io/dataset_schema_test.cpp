#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "xssm/io/dataset_schema.hpp"
#include "xssm/io/h5file.hpp"

using namespace xssm;

namespace {
std::string tmp(const std::string& name) { return "dataset_schema_test_" + std::to_string(::getpid()) + "_" + name; }
std::vector<char> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void spit(const std::string& p, const std::vector<char>& b) {
  std::ofstream f(p, std::ios::binary);
  f.write(b.data(), std::streamsize(b.size()));
}

io::Dataset sample() {
  io::Dataset ds;
  ds.task = "unit";
  ds.vocab_size = 10;
  ds.seed = 0xFFFFFFFFFFFFFFF0ull;  // survives the int64 attribute
  ds.inputs = Tensor<std::int32_t>(Shape{3, 5});
  ds.targets = Tensor<std::int32_t>(Shape{3, 5}, -1);
  for (Index i = 0; i < 15; ++i) ds.inputs[i] = std::int32_t(i % 10);
  ds.targets[4] = 9;
  ds.inputs_real = Tensor<float>(Shape{3, 5, 2});
  for (Index i = 0; i < 30; ++i) ds.inputs_real[i] = 0.25f * float(i);
  ds.labels.set("state", ds.inputs);
  ds.labels.set("keys", Tensor<std::int32_t>(Shape{3, 5, 4}, 7));
  ds.meta.set("elements", Tensor<std::int32_t>(Shape{2, 3}, 1));
  ds.attrs.emplace_back("composition", "a o b");
  return ds;
}

void check_same(const io::Dataset& a, const io::Dataset& b) {
  CHECK(a.task == b.task);
  CHECK(a.vocab_size == b.vocab_size);
  CHECK(a.seed == b.seed);
  CHECK(a.inputs.shape() == b.inputs.shape());
  CHECK(a.inputs.storage() == b.inputs.storage());
  CHECK(a.targets.storage() == b.targets.storage());
  CHECK(a.inputs_real.shape() == b.inputs_real.shape());
  CHECK(a.inputs_real.storage() == b.inputs_real.storage());
  REQUIRE(a.labels.size() == b.labels.size());
  for (const auto& [name, t] : a.labels.items()) {
    REQUIRE(b.labels.find(name));
    CHECK(b.labels[name].shape() == t.shape());
    CHECK(b.labels[name].storage() == t.storage());
  }
  REQUIRE(a.meta.size() == b.meta.size());
  CHECK(b.meta["elements"].storage() == a.meta["elements"].storage());
  CHECK(b.attr("composition") == "a o b");
}

// Write a file whose contents we control (to break one thing at a time).
struct Raw {
  std::string format = "dataset/1";
  Tensor<std::int64_t> inputs64;
  Tensor<std::int32_t> inputs{Shape{2, 4}, 1}, targets{Shape{2, 4}, -1};
  Tensor<std::int32_t> label;
  std::int64_t vocab = 5;
  void write(const std::string& path) const {
    auto f = io::H5File::create(path);
    io::write_header(f, format, json::Value::object());
    f.set_attr("/", "task", "unit");
    f.set_attr("/", "vocab_size", vocab);
    f.set_attr("/", "seed", std::int64_t(1));
    if (inputs64.rank() == 2) f.write("/inputs", inputs64);
    else f.write("/inputs", inputs);
    f.write("/targets", targets);
    if (label.rank() > 0) f.write("/labels/bad", label);
    f.commit();
  }
};

std::string error_of(const std::string& path) {
  try {
    io::read_dataset(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

void one_line_naming(const std::string& msg, const std::string& file) {
  INFO(msg);
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(msg.rfind(file, 0) == 0);
}
}  // namespace

TEST_CASE("dataset_schema: round trip through a file") {
  const std::string path = tmp("rt.h5");
  const io::Dataset ds = sample();
  io::write_dataset(path, ds, "unit test", json::parse(R"({"k":1})"));
  const io::Dataset back = io::read_dataset(path);
  check_same(ds, back);
  auto f = io::H5File::open(path);
  CHECK(f.attr_string("/", "xssm_format") == "dataset/1");
  CHECK(f.attr_string("/", "created_by") == "unit test");
  CHECK(io::read_config(f).at("k").as_int() == 1);
  CHECK(f.dtype("/inputs") == io::DType::Int32);
  CHECK(f.dtype("/inputs_real") == io::DType::Float32);
  std::remove(path.c_str());
}

TEST_CASE("dataset_schema: round trip through the in-memory image used for '-'") {
  const io::Dataset ds = sample();
  std::vector<char> bytes;
  if (!isatty(1)) {  // the "-" writer refuses a terminal; ctest pipes stdout
    auto f = io::H5File::create("-");
    io::write_dataset(f, ds, "unit test", json::Value::object());
    bytes = f.image();  // not committed: nothing reaches stdout
  } else {
    const std::string path = tmp("img.h5");
    io::write_dataset(path, ds, "unit test", json::Value::object());
    bytes = slurp(path);
    std::remove(path.c_str());
  }
  const io::Dataset back = io::read_dataset(io::H5File::open_image(bytes, "stdin"));
  check_same(ds, back);
}

TEST_CASE("dataset_schema: the same dataset gives the same bytes") {
  const std::string a = tmp("a.h5"), b = tmp("b.h5");
  io::write_dataset(a, sample(), "x", json::Value::object());
  io::write_dataset(b, sample(), "x", json::Value::object());
  CHECK(slurp(a) == slurp(b));
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST_CASE("dataset_schema: bad files give one-line errors naming file, dataset and expectation") {
  SECTION("missing file") {
    const std::string msg = error_of("no_such_file.h5");
    one_line_naming(msg, "no_such_file.h5");
    CHECK_THAT(msg, Catch::Contains("cannot open"));
  }
  SECTION("not HDF5") {
    const std::string p = tmp("text.h5");
    spit(p, {'h', 'e', 'l', 'l', 'o', '\n'});
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("not an HDF5 file"));
    std::remove(p.c_str());
  }
  SECTION("truncated file") {
    const std::string p = tmp("full.h5"), q = tmp("trunc.h5");
    io::write_dataset(p, sample(), "x", json::Value::object());
    std::vector<char> b = slurp(p);
    for (size_t keep : {b.size() / 2, b.size() - 16, size_t(600)}) {
      spit(q, std::vector<char>(b.begin(), b.begin() + std::ptrdiff_t(keep)));
      one_line_naming(error_of(q), q);
      // and the same bytes as stdin
      try {
        io::read_dataset(io::H5File::open_image(std::vector<char>(b.begin(), b.begin() + std::ptrdiff_t(keep)), "stdin"));
        FAIL("truncated image was accepted");
      } catch (const Error& e) {
        one_line_naming(e.what(), "stdin");
      }
    }
    std::remove(p.c_str());
    std::remove(q.c_str());
  }
  SECTION("wrong format tag") {
    const std::string p = tmp("fmt.h5");
    Raw r;
    r.format = "checkpoint/1";
    r.write(p);
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("expected xssm_format dataset/1, got 'checkpoint/1'"));
    std::remove(p.c_str());
  }
  SECTION("wrong dtype") {
    const std::string p = tmp("dtype.h5");
    Raw r;
    r.inputs64 = Tensor<std::int64_t>(Shape{2, 4}, 1);
    r.write(p);
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("/inputs has type int64, expected int32"));
    std::remove(p.c_str());
  }
  SECTION("wrong shape") {
    const std::string p = tmp("shape.h5");
    Raw r;
    r.targets = Tensor<std::int32_t>(Shape{2, 5}, -1);
    r.write(p);
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("/targets has shape (2,5), expected (2,4)"));
    std::remove(p.c_str());
  }
  SECTION("label of the wrong shape") {
    const std::string p = tmp("label.h5");
    Raw r;
    r.label = Tensor<std::int32_t>(Shape{2, 3}, 0);
    r.write(p);
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("/labels/bad has shape (2,3), expected (2,4)"));
    std::remove(p.c_str());
  }
  SECTION("tokens out of range") {
    const std::string p = tmp("range.h5");
    Raw r;
    r.inputs.at(1, 2) = 5;  // vocab 5
    r.write(p);
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("/inputs[1,2] = 5 is outside [0, 5)"));
    std::remove(p.c_str());
  }
  SECTION("targets below -1") {
    const std::string p = tmp("tgt.h5");
    Raw r;
    r.targets.at(0, 3) = -2;
    r.write(p);
    const std::string msg = error_of(p);
    one_line_naming(msg, p);
    CHECK_THAT(msg, Catch::Contains("/targets[0,3] = -2 is outside [-1, 5)"));
    std::remove(p.c_str());
  }
}

TEST_CASE("dataset_schema: write refuses an inconsistent dataset") {
  io::Dataset ds = sample();
  ds.targets = Tensor<std::int32_t>(Shape{3, 4}, -1);
  CHECK_THROWS_WITH(io::write_dataset(tmp("never.h5"), ds, "x", json::Value::object()),
                    Catch::Contains("/targets has shape (3,4), expected (3,5)"));
}
