// ImportanceMatrix: accumulation, column weights (mean 1, floored) and the check against a tensor table.
#include <gtest/gtest.h>

#include <numeric>

#include "quant/imatrix.h"

namespace hfb {
namespace {

TEST(Imatrix, AccumulatesSquaresPerColumn) {
  ImportanceMatrix m;
  const float x[6] = {1, -2, 0, 3, 0.5f, 0};
  m.accumulate("w", x, 2, 3);
  m.accumulate("w", x, 1, 3);
  const ImatrixEntry& e = m.entries.at("w");
  EXPECT_EQ(e.count, 3);
  EXPECT_DOUBLE_EQ(e.sum_squares[0], 1 + 9 + 1);
  EXPECT_DOUBLE_EQ(e.sum_squares[1], 4 + 0.25 + 4);
  EXPECT_DOUBLE_EQ(e.sum_squares[2], 0);
}

TEST(Imatrix, ColumnWeightsHaveMeanOneAndAFloor) {
  ImportanceMatrix m;
  m.entries["w"] = ImatrixEntry{10, {30.0, 0.0, 0.0}};
  const std::vector<float> w = m.column_weights("w", 3);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_FLOAT_EQ(w[0], 3.0f);
  EXPECT_FLOAT_EQ(w[1], static_cast<float>(kImatrixWeightFloor));  // never activated: still a say
  EXPECT_TRUE(m.column_weights("w", 4).empty());                   // another column count
  EXPECT_TRUE(m.column_weights("other", 3).empty());
  m.entries["zero"] = ImatrixEntry{5, {0.0, 0.0}};
  EXPECT_EQ(m.column_weights("zero", 2), std::vector<float>({1.0f, 1.0f}));
}

TEST(Imatrix, RefusesStatisticsOfAnotherModel) {
  TensorTable table;
  TensorInfo t;
  t.name = "model.layers.0.mlp.down_proj.weight";
  t.shape = Shape({64, 256});
  ASSERT_TRUE(table.add(t));
  ImportanceMatrix m;
  m.entries[t.name] = ImatrixEntry{4, std::vector<double>(256, 1.0)};
  EXPECT_TRUE(check_imatrix_matches(m, table).ok());
  m.entries[t.name].sum_squares.resize(128);
  Status cols = check_imatrix_matches(m, table);
  ASSERT_FALSE(cols.ok());
  EXPECT_EQ(cols.error().code, ErrorCode::kInvalidArgument);
  const std::string text = cols.error().to_string();
  EXPECT_NE(text.find("down_proj"), std::string::npos) << text;
  EXPECT_NE(text.find("128 input columns"), std::string::npos) << text;
  EXPECT_NE(text.find("has 256"), std::string::npos) << text;
  m.entries[t.name].sum_squares.resize(256);
  m.entries["model.layers.9.self_attn.q_proj.weight"] = ImatrixEntry{4, {1.0}};
  Status missing = check_imatrix_matches(m, table);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("layers.9.self_attn.q_proj"), std::string::npos);
}

}  // namespace
}  // namespace hfb
