#include <catch2/catch.hpp>

#include "xssm/model/config.hpp"

using namespace xssm;
using model::BlockKind;

TEST_CASE("model spec: xlstm[a:b] places sLSTM blocks like the official slstm_at") {
  model::ModelConfig c;
  c.spec = "xlstm[1:1]";
  c.resolve();
  CHECK(c.num_blocks == 2);
  CHECK(c.block_kinds() == std::vector<BlockKind>{BlockKind::Mlstm, BlockKind::Slstm});
  c.spec = "xLSTM[7:1]";
  c.num_blocks = 16;
  c.resolve();
  auto k = c.block_kinds();
  CHECK(std::count(k.begin(), k.end(), BlockKind::Slstm) == 2);
  CHECK(k[7] == BlockKind::Slstm);
  CHECK(k[15] == BlockKind::Slstm);
  c.spec = "xlstm[0:1]";
  c.num_blocks = 0;
  c.resolve();
  CHECK(c.block_kinds() == std::vector<BlockKind>{BlockKind::Slstm});
  c.spec = "xlstm[1:0]";
  c.num_blocks = 3;
  c.slstm_at = {1};
  c.resolve();
  CHECK(c.block_kinds() == std::vector<BlockKind>{BlockKind::Mlstm, BlockKind::Slstm, BlockKind::Mlstm});
}

TEST_CASE("model spec: other families, JSON round trip and bad specs") {
  model::ModelConfig c;
  c.spec = "mamba2";
  c.vocab_size = 10;
  c.resolve();
  CHECK(c.num_blocks == 2);
  CHECK(c.block_kinds()[1] == BlockKind::Mamba2);
  model::ModelConfig d = model::ModelConfig::from_json(json::parse(c.to_json().dump()));
  CHECK(d.to_json().dump() == c.to_json().dump());
  c.spec = "gru";
  CHECK_THROWS_AS(c.resolve(), UsageError);
  c.spec = "xlstm[0:0]";
  CHECK_THROWS_AS(c.resolve(), UsageError);
  c.spec = "mamba";
  c.slstm_at = {0};
  CHECK_THROWS_AS(c.resolve(), UsageError);
}
