#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "xssm/io/h5file.hpp"

using namespace xssm;

namespace {
std::string tmp(const std::string& name) { return "h5file_test_" + std::to_string(::getpid()) + "_" + name; }
std::vector<char> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("h5file: datasets and attributes round trip through a path") {
  const std::string path = tmp("a.h5");
  Tensor<float> x(Shape{3, 4});
  for (Index i = 0; i < x.size(); ++i) x[i] = 0.5f * float(i);
  Tensor<std::int32_t> ids(Shape{2, 5}, 7);
  Tensor<double> scalar(Shape{}, 3.25);
  {
    auto f = io::H5File::create(path);
    io::write_header(f, "test/1", json::parse(R"({"k":1})"));
    f.write("/group/x", x);
    f.write("ids", ids);
    f.write("/s", scalar);
    f.set_attr("/group/x", "x_label", "step");
    f.set_attr("/", "n", std::int64_t(12));
    f.set_attr("/", "v", std::vector<double>{1, 2});
    f.write_strings("/names", {"a", "bc"});
    CHECK(f.writable());
    f.commit();
  }
  auto f = io::H5File::open(path);
  io::expect_format(f, "test/1");
  CHECK_THROWS_WITH(io::expect_format(f, "dataset/1"), Catch::Contains("expected 'dataset/1'"));
  CHECK(io::read_config(f).at("k").as_int() == 1);
  CHECK(f.read<float>("/group/x").storage() == x.storage());
  CHECK(f.read<double>("/group/x").at(2, 3) == 5.5);
  CHECK(f.read<std::int64_t>("/ids").at(1, 4) == 7);
  CHECK(f.read<double>("/s").shape().empty());
  CHECK(f.attr_string("/group/x", "x_label") == "step");
  CHECK(f.attr_int("/", "n") == 12);
  CHECK(f.attr_doubles("/", "v").size() == 2);
  CHECK(f.read_strings("/names")[1] == "bc");
  CHECK(f.list("/") == std::vector<std::string>{"group", "ids", "names", "s"});
  CHECK(f.list_datasets("/").size() == 4);
  CHECK_THROWS_WITH(f.read<float>("/ids"), Catch::Contains("/ids has type int32, expected a float dataset"));
  CHECK_THROWS_WITH(f.read<float>("/nope/x"), Catch::Contains(path + ": /nope/x: not found"));
  CHECK_THROWS_WITH(f.read<float>("/group/x", {3, 5}), Catch::Contains("has shape (3,4), expected (3,5)"));
  CHECK_NOTHROW(f.read<float>("/group/x", {-1, 4}));
  std::remove(path.c_str());
}

TEST_CASE("h5file: same contents give the same bytes; in-memory image equals the file") {
  auto make = [&](const std::string& p) {
    auto f = io::H5File::create(p);
    io::write_header(f, "test/1", json::Value::object());
    f.write("/x", Tensor<float>(Shape{100, 100}, 1.0f));
    if (p == "-") return f.image();
    f.commit();
    return slurp(p);
  };
  auto a = make(tmp("b1.h5")), b = make(tmp("b2.h5"));
  CHECK(a == b);
  auto img = make("-");
  auto g = io::H5File::open_image(img, "image");
  CHECK(g.read<float>("/x").at(99, 99) == 1.0f);
  std::remove(tmp("b1.h5").c_str());
  std::remove(tmp("b2.h5").c_str());
}

TEST_CASE("h5file: bad files give one-line errors, never a crash") {
  CHECK_THROWS_WITH(io::H5File::open("/nonexistent/x.h5"), Catch::Contains("cannot open"));
  const std::string junk = tmp("junk.h5");
  { std::ofstream(junk) << "not hdf5 at all"; }
  CHECK_THROWS_WITH(io::H5File::open(junk), Catch::Contains("not an HDF5 file"));
  // Truncations of a valid file at many points: each must fail cleanly or read correctly.
  const std::string good = tmp("good.h5");
  {
    auto f = io::H5File::create(good);
    f.write("/x", Tensor<float>(Shape{50, 50}, 2.0f));
    f.commit();
  }
  auto bytes = slurp(good);
  for (size_t cut : {size_t(0), size_t(8), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
    std::vector<char> part(bytes.begin(), bytes.begin() + long(cut));
    try {
      auto f = io::H5File::open_image(part, "cut");
      auto x = f.read<float>("/x");
      CHECK(x.at(0, 0) == 2.0f);
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("cut: ") == 0);
    }
  }
  // An uncommitted file leaves nothing behind under the real name.
  const std::string never = tmp("never.h5");
  { auto f = io::H5File::create(never); f.write("/x", Tensor<float>(Shape{2})); }
  CHECK(::access(never.c_str(), F_OK) != 0);
  std::remove(junk.c_str());
  std::remove(good.c_str());
}
