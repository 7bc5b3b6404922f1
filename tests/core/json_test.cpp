#include <catch2/catch.hpp>
#include <cmath>

#include "xssm/core/error.hpp"
#include "xssm/core/json.hpp"

using namespace xssm;

TEST_CASE("json: parse and dump round trip keeps order and numbers") {
  const std::string text = R"({"b":1,"a":[1.5,-2,"x\n\u00e9"],"c":{"d":null,"e":true},"f":1e-300})";
  json::Value v = json::parse(text);
  CHECK(v["b"].as_int() == 1);
  CHECK(v.at("a")[0].as_number() == 1.5);
  CHECK(v.at("a")[2].as_string() == "x\n\xc3\xa9");
  CHECK(v.at("c").at("e").as_bool());
  CHECK(v.at("c").at("d").is_null());
  CHECK(v.at("f").as_number() == 1e-300);
  json::Value w = json::parse(v.dump());
  CHECK(w.dump() == v.dump());
  CHECK(v.members()[0].first == "b");
  CHECK(json::parse(v.dump(2)).dump() == v.dump());
}

TEST_CASE("json: Python extensions and errors") {
  json::Value v = json::parse("[NaN, Infinity, -Infinity, 0.1]");
  CHECK(std::isnan(v[0].as_number()));
  CHECK(v[1].as_number() == INFINITY);
  CHECK(v[2].as_number() == -INFINITY);
  CHECK(json::parse(json::Value(0.1).dump()).as_number() == 0.1);
  CHECK_THROWS_AS(json::parse("{\"a\":}"), Error);
  CHECK_THROWS_AS(json::parse("[1,2"), Error);
  CHECK_THROWS_AS(json::parse("{} x"), Error);
  CHECK_THROWS_AS(v.at("missing"), Error);
  CHECK_THROWS_AS(json::Value(1.5).as_int(), Error);
}
