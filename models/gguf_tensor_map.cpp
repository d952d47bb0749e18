// The shape rules of the GGUF tensor transforms (models/gguf_tensor_map.h).
#include "models/gguf_tensor_map.h"

namespace hfb {

std::optional<std::vector<int64_t>> gguf_ne_for(GgufTransform transform, const Shape& shape) {
  std::vector<int64_t> ne(shape.dims().rbegin(), shape.dims().rend());
  switch (transform) {
    case GgufTransform::kNone:
    case GgufTransform::kSoftplus:
      if (ne.empty()) ne.push_back(1);
      return ne;
    case GgufTransform::kScalarToVector:
      if (shape.num_elements().value_or(0) != 1) return std::nullopt;
      return std::vector<int64_t>{1};
    case GgufTransform::kSqueezeMiddle:
      if (ne.size() != 3 || ne[1] != 1) return std::nullopt;
      return std::vector<int64_t>{ne[0], ne[2]};
    case GgufTransform::kPatchPermute: {
      if (ne.size() != 2 || ne[0] % 3 != 0) return std::nullopt;
      int64_t p = 1;
      while (p * p < ne[0] / 3) ++p;
      if (p * p * 3 != ne[0]) return std::nullopt;
      return std::vector<int64_t>{p, p, 3, ne[1]};
    }
  }
  return std::nullopt;
}

std::optional<Shape> hf_shape_for(GgufTransform transform, const std::vector<int64_t>& ne) {
  std::vector<int64_t> dims(ne.rbegin(), ne.rend());
  switch (transform) {
    case GgufTransform::kNone:
    case GgufTransform::kSoftplus:
      return Shape(dims);
    case GgufTransform::kScalarToVector:
      if (ne.size() != 1 || ne[0] != 1) return std::nullopt;
      return Shape(std::vector<int64_t>{});
    case GgufTransform::kSqueezeMiddle:
      if (ne.size() != 2) return std::nullopt;
      return Shape(std::vector<int64_t>{ne[1], 1, ne[0]});
    case GgufTransform::kPatchPermute:
      if (ne.size() != 4 || ne[0] != ne[1] || ne[2] != 3) return std::nullopt;
      return Shape(std::vector<int64_t>{ne[3], 3 * ne[0] * ne[1]});
  }
  return std::nullopt;
}

}  // namespace hfb
