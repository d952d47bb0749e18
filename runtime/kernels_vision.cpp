// Vision-encoder and merge kernels (patch mask, 2-D position table, 2-D RoPE, masked attention, position
// pooling, standardize, soft-token scatter).
#include "runtime/kernels_vision.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "runtime/kernels.h"

namespace hfb {

void kernel_patch_mask(const int64_t* positions, int64_t patches, float* mask) {
  for (int64_t p = 0; p < patches; ++p) {
    mask[p] = (positions[2 * p] == -1 && positions[2 * p + 1] == -1) ? 0.0f : 1.0f;
  }
}

Status kernel_position_embedding_2d(const float* table, int64_t size, int64_t dim, const int64_t* positions,
                                    int64_t patches, float* y) {
  for (int64_t p = 0; p < patches; ++p) {
    float* out = y + p * dim;
    if (positions[2 * p] == -1 && positions[2 * p + 1] == -1) {
      std::fill(out, out + dim, 0.0f);
      continue;
    }
    const int64_t px = std::max<int64_t>(positions[2 * p], 0), py = std::max<int64_t>(positions[2 * p + 1], 0);
    if (px >= size || py >= size) {
      return Error(ErrorCode::kInvalidArgument, "runtime: patch " + std::to_string(p) + " position (" +
                                                    std::to_string(px) + ", " + std::to_string(py) +
                                                    ") outside the position table of " + std::to_string(size));
    }
    const float* row_x = table + px * dim;
    const float* row_y = table + (size + py) * dim;
    for (int64_t i = 0; i < dim; ++i) out[i] = row_x[i] + row_y[i];
  }
  return ok_status();
}

void kernel_rope_2d(float* x, int64_t patches, int64_t heads, int64_t head_dim, const int64_t* positions,
                    double theta) {
  const int64_t part = head_dim / 2;  // channels per spatial dim
  const int64_t half = part / 2;      // frequencies per spatial dim
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j) {
    inv[j] = static_cast<float>(1.0 / std::pow(theta, static_cast<double>(static_cast<float>(2 * j) / part)));
  }
  for (int64_t p = 0; p < patches; ++p) {
    for (int64_t axis = 0; axis < 2; ++axis) {
      const float pos = static_cast<float>(positions[2 * p + axis]);
      for (int64_t j = 0; j < half; ++j) {
        const float angle = pos * inv[j];
        const float c = std::cos(angle), s = std::sin(angle);
        for (int64_t h = 0; h < heads; ++h) {
          float* v = x + (p * heads + h) * head_dim + axis * part;
          const float a = v[j], b = v[j + half];
          v[j] = a * c - b * s;
          v[j + half] = b * c + a * s;
        }
      }
    }
  }
}

namespace {

// Pools one image's rows [begin, end) into tokens [begin / kernel^2, end / kernel^2).
Status pool_image(const float* x, int64_t begin, int64_t end, int64_t dim, const int64_t* positions, int64_t kernel,
                  int64_t out_rows, float* y) {
  const int64_t area = kernel * kernel;
  if (begin % area != 0 || end % area != 0) {
    return Error(ErrorCode::kInvalidArgument, "runtime: image patches [" + std::to_string(begin) + ", " +
                                                  std::to_string(end) + ") are not a multiple of kernel^2 = " +
                                                  std::to_string(area) + " (every image padded to the same count)");
  }
  int64_t max_x = 0;
  for (int64_t p = begin; p < end; ++p) max_x = std::max(max_x, std::max<int64_t>(positions[2 * p], 0));
  const int64_t columns = (max_x + 1) / kernel;
  const int64_t length = std::min((end - begin) / area, out_rows - begin / area);
  const float weight = 1.0f / static_cast<float>(area);
  float* out = y + (begin / area) * dim;
  for (int64_t p = begin; p < end; ++p) {
    const int64_t px = std::max<int64_t>(positions[2 * p], 0), py = std::max<int64_t>(positions[2 * p + 1], 0);
    const int64_t token = px / kernel + columns * (py / kernel);
    if (token >= length) {
      return Error(ErrorCode::kInvalidArgument, "runtime: patch " + std::to_string(p) + " pools into token " +
                                                    std::to_string(token) + " of " + std::to_string(length));
    }
    for (int64_t i = 0; i < dim; ++i) out[token * dim + i] += weight * x[p * dim + i];
  }
  return ok_status();
}

}  // namespace

Status kernel_position_pool(const float* x, int64_t patches, int64_t dim, const int64_t* positions, int64_t kernel,
                            int64_t length, float* y) {
  std::fill(y, y + length * dim, 0.0f);
  const std::vector<int64_t> starts = image_starts(positions, patches);
  for (size_t n = 0; n + 1 < starts.size(); ++n) {
    HFB_TRY(pool_image(x, starts[n], starts[n + 1], dim, positions, kernel, length, y));
  }
  return ok_status();
}

Status kernel_scatter_tokens(const float* embeds, const int64_t* ids, int64_t length, int64_t dim, const float* soft,
                             const float* mask, int64_t soft_rows, int64_t token_id, float* y) {
  std::memcpy(y, embeds, sizeof(float) * length * dim);
  int64_t placeholders = 0, valid = 0;
  for (int64_t i = 0; i < length; ++i) placeholders += ids[i] == token_id;
  for (int64_t r = 0; r < soft_rows; ++r) valid += !mask || mask[r] != 0.0f;
  if (placeholders == 0) return ok_status();
  if (placeholders != valid) {
    return Error(ErrorCode::kInvalidArgument, "runtime: " + std::to_string(placeholders) + " placeholder tokens " +
                                                  std::to_string(token_id) + " but " + std::to_string(valid) +
                                                  " soft tokens");
  }
  int64_t row = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (ids[i] != token_id) continue;
    while (mask && mask[row] == 0.0f) ++row;
    std::memcpy(y + i * dim, soft + row * dim, sizeof(float) * dim);
    ++row;
  }
  return ok_status();
}

namespace {

void run_masked_attention(const Node& node, const std::vector<MediaTensor>& in, float* out) {
  AttentionParams p;
  p.num_heads = node.attr_int("num_heads", 1);
  p.num_kv_heads = node.attr_int("num_kv_heads", 1);
  p.head_dim = node.attr_int("head_dim", 1);
  p.window = 0;
  p.causal = false;
  p.scaling = static_cast<float>(node.attr_float("scaling", 1.0));
  const int64_t n = in[0].dims[0];
  std::vector<int64_t> key_positions(static_cast<size_t>(n)), query_positions(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) key_positions[i] = in[3].data[i] != 0.0f ? 0 : -1;
  // With the patch positions (fifth input), each image of a multi-image prompt attends only to itself.
  const std::vector<int64_t> starts =
      in.size() > 4 && in[4].ints ? image_starts(in[4].ints, n) : std::vector<int64_t>{0, n};
  const int64_t q_row = p.num_heads * p.head_dim, kv_row = p.num_kv_heads * p.head_dim;
  std::vector<float> scratch;
  for (size_t s = 0; s + 1 < starts.size(); ++s) {
    const int64_t begin = starts[s], count = starts[s + 1] - begin;
    std::vector<KeySegment> segments{KeySegment{in[1].data + begin * kv_row, in[2].data + begin * kv_row,
                                                key_positions.data() + begin, count}};
    kernel_attention(in[0].data + begin * q_row, query_positions.data(), count, segments, p, out + begin * q_row,
                     scratch);
  }
}

void run_standardize(const std::vector<MediaTensor>& in, int64_t count, float* y) {
  const int64_t dim = in[0].dims.back();
  for (int64_t i = 0; i < count; ++i) y[i] = (in[0].data[i] - in[1].data[i % dim]) * in[2].data[i % dim];
}

}  // namespace

Status execute_vision_op(const Node& node, const std::vector<MediaTensor>& in, const std::vector<int64_t>& out_dims,
                         float* out) {
  int64_t count = 1;
  for (int64_t d : out_dims) count *= d;
  switch (node.op) {
    case OpType::kPatchMask: kernel_patch_mask(in[0].ints, in[0].dims[0], out); return ok_status();
    case OpType::kPositionEmbedding2d:
      return kernel_position_embedding_2d(in[0].data, in[0].dims[1], in[0].dims[2], in[1].ints, in[1].dims[0], out);
    case OpType::kRope2d:
      std::memcpy(out, in[0].data, sizeof(float) * count);
      kernel_rope_2d(out, out_dims[0], out_dims[1], out_dims[2], in[1].ints, node.attr_float("theta", 100.0));
      return ok_status();
    case OpType::kMaskedAttention: run_masked_attention(node, in, out); return ok_status();
    case OpType::kPositionPool:
      return kernel_position_pool(in[0].data, in[0].dims[0], in[0].dims[1], in[1].ints, node.attr_int("kernel", 1),
                                  out_dims[0], out);
    case OpType::kStandardize: run_standardize(in, count, out); return ok_status();
    case OpType::kScatterTokens:
      return kernel_scatter_tokens(in[0].data, in[1].ints, out_dims[0], out_dims[1], in[2].data, in[3].data,
                                   in[2].dims[0], node.attr_int("token_id", -1), out);
    default: break;
  }
  return Error(ErrorCode::kUnsupported, "runtime: op '" + std::string(op_type_name(node.op)) + "' has no kernel");
}

}  // namespace hfb
