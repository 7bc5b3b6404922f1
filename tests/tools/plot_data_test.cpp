// xssm-plot-data on probe/1 and checkpoint-style files written through the library: x values
// from the `x` attribute and from a sibling /log/step, legends from the model spec.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "xssm/io/h5file.hpp"
#include "xssm/probe/schema.hpp"

int plot_data_main(int, char**);

using namespace xssm;

namespace {
std::string tmp(const std::string& name) { return "plot_data_test_" + std::to_string(::getpid()) + "_" + name; }
int run(std::vector<std::string> args) {
  args.insert(args.begin(), "xssm-plot-data");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return plot_data_main(int(argv.size()), argv.data());
}
std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
void write_file(const std::string& path, const std::string& spec, double scale) {
  auto f = io::H5File::create(path);
  json::Value model = json::Value::object();
  model["spec"] = spec;
  probe::write_probe_header(f, json::Value::object(), model, "capacity", 0, {{"blocks/0/C", 16, true}});
  probe::write_axis(f, "/capacity/delay", {0, 1, 2}, "delay k", "steps");
  probe::write_curve(f, "/capacity/blocks/0/C/r2", {scale * 1.0, scale * 0.5, scale * 0.25}, "/capacity/delay",
                     "r²(k)", "1");
  Tensor<std::int64_t> step(Shape{2}, std::vector<std::int64_t>{10, 20});
  Tensor<float> loss(Shape{2}, std::vector<float>{2.5f, 1.5f});
  f.write("/log/step", step);
  f.write("/log/loss", loss);
  f.commit();
}
}  // namespace

TEST_CASE("plot-data: probe/1 curves and training logs as TSV") {
  const std::string a = tmp("a.h5"), b = tmp("b.h5"), out = tmp("out.tsv");
  write_file(a, "mlstm", 1.0);
  write_file(b, "mamba", 2.0);
  REQUIRE(run({a, b, "--y", "/capacity/blocks/0/C/r2", "-o", out}) == 0);
  const std::string t = slurp(out);
  CHECK(t.find("# mlstm\n# delay k\tr²(k)\n0\t1\n1\t0.5\n2\t0.25\n") != std::string::npos);
  CHECK(t.find("# mamba\n") != std::string::npos);
  CHECK(t.find("2\t0.5\n") != std::string::npos);
  REQUIRE(run({a, "--y", "/log/loss", "-o", out}) == 0);
  CHECK(slurp(out).find("10\t2.5\n20\t1.5\n") != std::string::npos);
  // Same spec twice: the file names tell the series apart.
  REQUIRE(run({a, a, "--y", "/log/loss", "-o", out}) == 0);
  CHECK(slurp(out).find("# mlstm (" + a + ")") != std::string::npos);
  CHECK(run({a, "--y", "/state/names", "-o", out}) == 1);  // strings cannot be plotted
  std::remove(a.c_str());
  std::remove(b.c_str());
  std::remove(out.c_str());
}
