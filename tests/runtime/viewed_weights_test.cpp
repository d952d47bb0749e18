// ViewedWeights, the storage shared by the mapped, bundle and quantized weight stores: views come back with their
// dims, an owned LUT copy is what the view points at (also after later insertions), a put replaces, and the byte
// sources stay alive as long as the entry.
#include <gtest/gtest.h>

#include "core/byte_source.h"
#include "runtime/viewed_weights.h"

namespace hfb {
namespace {

TEST(ViewedWeights, FindsViewsWithTheirDims) {
  ViewedWeights weights;
  MatrixView matrix;
  matrix.rows = 2;
  matrix.cols = 3;
  weights.put("w", {2, 3}, matrix, {});
  ASSERT_TRUE(weights.contains("w"));
  auto view = weights.find("w");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->dims, (std::vector<int64_t>{2, 3}));
  ASSERT_TRUE(view->matrix.has_value());
  EXPECT_EQ(view->matrix->rows, 2);
  EXPECT_EQ(view->data, nullptr);
  EXPECT_FALSE(weights.find("other").has_value());
}

TEST(ViewedWeights, AnOwnedLutIsWhatTheViewReadsAfterLaterInsertions) {
  ViewedWeights weights;
  const float stale[2] = {9.0f, 9.0f};
  MatrixView matrix;
  matrix.lut = stale;
  weights.put("k", {1, 1}, matrix, {}, {0.5f, -1.5f});
  for (int i = 0; i < 64; ++i) weights.put("filler" + std::to_string(i), {1}, MatrixView{}, {});
  auto view = weights.find("k");
  ASSERT_TRUE(view.has_value() && view->matrix.has_value());
  ASSERT_NE(view->matrix->lut, stale);
  EXPECT_EQ(view->matrix->lut[0], 0.5f);
  EXPECT_EQ(view->matrix->lut[1], -1.5f);
}

TEST(ViewedWeights, PutReplacesAndKeepsTheSourcesAlive) {
  ViewedWeights weights;
  std::weak_ptr<const ByteSource> watch;
  {
    auto source = std::make_shared<MemorySource>(std::vector<uint8_t>(16, 1), "mem");
    watch = source;
    weights.put("w", {4}, MatrixView{}, {source});
  }
  EXPECT_FALSE(watch.expired());
  weights.put("w", {8}, MatrixView{}, {});
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(weights.find("w")->dims, (std::vector<int64_t>{8}));
  EXPECT_EQ(weights.size(), 1u);
  weights.erase("w");
  EXPECT_FALSE(weights.contains("w"));
}

}  // namespace
}  // namespace hfb
