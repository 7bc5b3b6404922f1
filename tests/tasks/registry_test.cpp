#include <catch2/catch.hpp>

#include "xssm/tasks/registry.hpp"

using namespace xssm;

TEST_CASE("registry: every task generates a valid small dataset with its defaults") {
  std::string root = __FILE__;
  for (int k = 0; k < 3; ++k) root = root.substr(0, root.rfind('/'));
  for (const auto& t : tasks::task_list()) {
    INFO(t.name);
    CHECK(!t.description.empty());
    CHECK(t.example.rfind("xssm-gen " + t.name, 0) == 0);
    tasks::Options o;
    if (t.name != "text") o.set("n", "3");
    if (t.name == "text") o.set("input", root + "/data/text/kjv_genesis.txt");
    if (t.name == "freqsort") o.set("len", "50");
    const io::Dataset ds = tasks::generate(t.name, o);
    ds.validate(t.name);
    CHECK(ds.task == t.name);
    if (t.name != "text") CHECK(ds.n() == 3);
  }
}

TEST_CASE("registry: unknown tasks, foreign options and bad values are usage errors") {
  CHECK_THROWS_AS(tasks::find_task("nope"), UsageError);
  CHECK_THROWS_WITH(tasks::find_task("nope"), Catch::Contains("unknown task 'nope'"));
  tasks::Options o;
  o.set("alpha", "0.5");
  CHECK_THROWS_WITH(tasks::generate("word", o), Catch::Contains("--alpha is not an option of task word"));
  tasks::Options bad;
  bad.set("kv-pairs", "four");
  CHECK_THROWS_WITH(tasks::generate("mqar", bad), Catch::Contains("--kv-pairs must be an integer, got 'four'"));
  tasks::Options flag;
  flag.set("random-fillers", "maybe");
  CHECK_THROWS_AS(tasks::generate("mqar", flag), UsageError);
  tasks::Options seed;
  seed.set("seed", "-1");
  CHECK_THROWS_AS(tasks::generate("mqar", seed), UsageError);
  CHECK_THROWS_AS(tasks::generate("text", tasks::Options{}), UsageError);  // --input required
}

TEST_CASE("registry: resolve fills defaults and keeps given values") {
  tasks::Options o;
  o.set("kv-pairs", "8");
  const tasks::Options r = tasks::resolve(tasks::find_task("mqar"), o);
  CHECK(r.get("kv-pairs") == "8");
  CHECK(r.get("vocab") == "8192");
  CHECK(r.get("n") == "1000");
  CHECK(r.get("seed") == "0");
  const json::Value j = r.to_json();
  CHECK(j.at("kv-pairs").as_int() == 8);
  CHECK(j.at("alpha").as_number() == Approx(0.01));
  CHECK(j.at("random-fillers").as_bool() == false);
}
