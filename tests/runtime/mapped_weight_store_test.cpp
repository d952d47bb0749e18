// tensor_matrix_view on bytes that are not aligned for their element type (legal in safetensors: an odd header
// length shifts every tensor): the view the kernels read is aligned (an aligned copy) and holds the same values;
// aligned bytes are viewed in place.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/byte_source.h"
#include "runtime/mapped_weight_store.h"

namespace hfb {
namespace {

TensorInfo tensor_at(std::shared_ptr<const ByteSource> source, uint64_t offset, DTypeId dtype, Shape shape) {
  TensorInfo info;
  info.name = "w";
  info.dtype = dtype;
  info.shape = std::move(shape);
  info.num_bytes = info.shape.num_bytes(info.dtype).value_or(0);
  info.offset = offset;
  info.source = std::move(source);
  return info;
}

TEST(TensorMatrixView, UnalignedBytesAreViewedThroughAnAlignedCopyWithTheSameValues) {
  for (DTypeId dtype : {DTypeId::kF32, DTypeId::kBF16, DTypeId::kF16}) {
    const uint64_t element = dtype == DTypeId::kF32 ? 4 : 2;
    for (uint64_t shift : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3}}) {
      std::vector<uint8_t> bytes(shift + 3 * 8 * element);
      for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37 + 11);
      const std::vector<uint8_t> original(bytes.begin() + static_cast<long>(shift), bytes.end());
      auto source = std::make_shared<MemorySource>(std::move(bytes), "odd.safetensors");
      const TensorInfo info = tensor_at(source, shift, dtype, Shape{3, 8});
      std::shared_ptr<const ByteSource> keep;
      auto view = tensor_matrix_view(info, &keep);
      ASSERT_TRUE(view.ok()) << view.error().to_string();
      ASSERT_TRUE(keep);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(view->codes) % element, 0u) << "dtype bytes " << element << " shift " << shift;
      EXPECT_EQ(std::memcmp(view->codes, original.data(), original.size()), 0);
      const ByteSpan mapped = *source->read(shift, original.size());
      const bool aligned = reinterpret_cast<uintptr_t>(mapped.data) % element == 0;
      EXPECT_EQ(view->codes == mapped.data, aligned) << "copied only when misaligned";
      EXPECT_EQ(keep == source, aligned);
      EXPECT_EQ(view->rows, 3);
      EXPECT_EQ(view->cols, 8);
    }
  }
}

}  // namespace
}  // namespace hfb
