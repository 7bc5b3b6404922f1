#include <catch2/catch.hpp>
#include <fstream>

#include "xssm/tasks/text.hpp"

using namespace xssm;

namespace {
std::vector<unsigned char> file_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<unsigned char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
std::string sample_path() {
  // the shipped KJV sample, found from this file's path (<root>/tests/tasks/text_test.cpp)
  std::string root = __FILE__;
  for (int k = 0; k < 3; ++k) root = root.substr(0, root.rfind('/'));
  const std::string p = root + "/data/text/kjv_genesis.txt";
  return std::ifstream(p) ? p : "";
}
}  // namespace

TEST_CASE("text: consecutive windows are the file's bytes, targets shifted by one") {
  std::vector<unsigned char> bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<unsigned char>((i * 37 + 11) % 256));
  tasks::TextOptions o;
  o.seq_len = 64;
  const io::Dataset ds = tasks::make_text(bytes, "mem", o);
  ds.validate("text");
  REQUIRE(ds.n() == (1000 - 1) / 64);
  CHECK(ds.vocab_size == 256);
  for (Index i = 0; i < ds.n(); ++i) {
    REQUIRE(ds.meta["offsets"][i] == i * 64);
    for (Index t = 0; t < 64; ++t) {
      REQUIRE(ds.inputs.at(i, t) == bytes[size_t(i * 64 + t)]);
      REQUIRE(ds.targets.at(i, t) == bytes[size_t(i * 64 + t + 1)]);
    }
  }
  o.n = 50;
  o.seed = 3;
  const io::Dataset r = tasks::make_text(bytes, "mem", o);
  for (Index i = 0; i < 50; ++i) {
    const Index off = r.meta["offsets"][i];
    REQUIRE(off + 64 < 1000);
    for (Index t = 0; t < 64; ++t) REQUIRE(r.targets.at(i, t) == bytes[size_t(off + t + 1)]);
  }
  CHECK(tasks::make_text(bytes, "mem", o).inputs.storage() == r.inputs.storage());
}

TEST_CASE("text: the shipped KJV sample") {
  const std::string p = sample_path();
  REQUIRE(!p.empty());
  tasks::TextOptions o;
  o.input = p;
  o.seq_len = 128;
  const io::Dataset ds = tasks::make_text(o);
  const std::vector<unsigned char> bytes = file_bytes(p);
  CHECK(ds.n() == Index(bytes.size() - 1) / 128);
  const std::string first(ds.inputs.begin(), ds.inputs.begin() + 64);
  CHECK(first.find("In the beginning God created") != std::string::npos);
}

TEST_CASE("text: unreadable or short input is a data error naming the file") {
  tasks::TextOptions o;
  o.input = "/no/such/file.txt";
  CHECK_THROWS_AS(tasks::make_text(o), Error);
  CHECK_THROWS_WITH(tasks::make_text(o), Catch::StartsWith("/no/such/file.txt: cannot read"));
  o.input = "";
  CHECK_THROWS_AS(tasks::make_text(o), UsageError);
  o.seq_len = 10;
  CHECK_THROWS_WITH(tasks::make_text(std::vector<unsigned char>(5, 'a'), "tiny", o),
                    Catch::Contains("tiny: has 5 bytes, expected at least"));
}
