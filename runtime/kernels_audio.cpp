// Audio-conformer kernels (conv2d, LayerNorm, GLU, causal depthwise conv, relative-position local attention)
// and the dispatcher of every multimodal op.
#include "runtime/kernels_audio.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/kernels_vision.h"

namespace hfb {

int64_t MediaTensor::elements() const {
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  return count;
}

bool is_media_op(OpType op) {
  return static_cast<int>(op) >= static_cast<int>(OpType::kConv2d) && op != OpType::kCount;
}

void kernel_conv2d(const float* x, int64_t h, int64_t w, int64_t cin, const float* weight, int64_t cout, int64_t kh,
                   int64_t kw, int64_t stride, int64_t padding, float* y) {
  const int64_t oh = (h + 2 * padding - kh) / stride + 1;
  const int64_t ow = (w + 2 * padding - kw) / stride + 1;
  for (int64_t r = 0; r < oh; ++r) {
    for (int64_t c = 0; c < ow; ++c) {
      float* out = y + (r * ow + c) * cout;
      for (int64_t o = 0; o < cout; ++o) {
        float sum = 0.0f;
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t ir = r * stride + i - padding;
          if (ir < 0 || ir >= h) continue;
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t ic = c * stride + j - padding;
            if (ic < 0 || ic >= w) continue;
            const float* in = x + (ir * w + ic) * cin;
            for (int64_t ci = 0; ci < cin; ++ci) sum += in[ci] * weight[((o * cin + ci) * kh + i) * kw + j];
          }
        }
        out[o] = sum;
      }
    }
  }
}

void kernel_layer_norm(const float* x, int64_t rows, int64_t dim, const float* w, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * dim;
    float* out = y + r * dim;
    double mean = 0.0;
    for (int64_t i = 0; i < dim; ++i) mean += in[i];
    mean /= static_cast<double>(dim);
    double var = 0.0;
    for (int64_t i = 0; i < dim; ++i) var += (in[i] - mean) * (in[i] - mean);
    var /= static_cast<double>(dim);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < dim; ++i) {
      out[i] = static_cast<float>((in[i] - mean) * inv) * (w ? w[i] : 1.0f);
    }
  }
}

void kernel_glu(const float* x, int64_t rows, int64_t half, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * 2 * half;
    for (int64_t i = 0; i < half; ++i) y[r * half + i] = in[i] * (1.0f / (1.0f + std::exp(-in[half + i])));
  }
}

void kernel_depthwise_conv1d(const float* x, int64_t t, int64_t channels, const float* w, int64_t kernel, float* y) {
  for (int64_t s = 0; s < t; ++s) {
    for (int64_t c = 0; c < channels; ++c) {
      float sum = 0.0f;
      for (int64_t k = 0; k < kernel; ++k) {
        const int64_t src = s - (kernel - 1) + k;
        if (src >= 0) sum += x[src * channels + c] * w[c * kernel + k];
      }
      y[s * channels + c] = sum;
    }
  }
}

void kernel_sinusoid_positions(int64_t count, int64_t dim, float* y) {
  const int64_t half = dim / 2;
  const double increment = std::log(10000.0) / static_cast<double>(std::max<int64_t>(half - 1, 1));
  for (int64_t r = 0; r < count; ++r) {
    const float position = static_cast<float>(count - 1 - r);
    for (int64_t j = 0; j < half; ++j) {
      const float inv = std::exp(static_cast<float>(static_cast<double>(j) * -increment));
      const float angle = position * inv;
      y[r * dim + j] = std::sin(angle);
      y[r * dim + half + j] = std::cos(angle);
    }
  }
}

namespace {

float dot(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

bool local_key_allowed(const LocalAttentionParams& p, const float* mask, int64_t query, int64_t key) {
  if (key < 0 || key >= p.length) return false;  // block padding: masked in either mode
  const int64_t dist = query - key;
  bool in_window = dist >= 0 ? dist < p.context_left - 1 : -dist < p.context_right;
  bool allowed = mask[key] != 0.0f && in_window;
  return p.inverted_mask ? !allowed : allowed;
}

// One (block, head): logits over the block's context, softmax, weighted values.
void local_attention_block(const float* q, const float* k, const float* v, const float* rel_k, const float* mask,
                           const LocalAttentionParams& p, int64_t block, int64_t head, float* out) {
  const int64_t c = p.chunk, past = p.context_left - 1, ctx = c + past + p.context_right, d = p.head_dim;
  const int64_t stride = p.heads * d;
  std::vector<float> bd(static_cast<size_t>(c * p.rel_count), 0.0f), logits(static_cast<size_t>(ctx));
  for (int64_t i = 0; i < c; ++i) {
    const int64_t row = block * c + i;
    if (row >= p.length) continue;
    for (int64_t f = 0; f < p.rel_count; ++f) bd[i * p.rel_count + f] = dot(q + row * stride + head * d, rel_k + f * stride + head * d, d);
  }
  for (int64_t i = 0; i < c; ++i) {
    const int64_t query = block * c + i;
    if (query >= p.length) break;
    for (int64_t j = 0; j < ctx; ++j) {
      const int64_t key = block * c - past + j;
      float ac = (key >= 0 && key < p.length) ? dot(q + query * stride + head * d, k + key * stride + head * d, d) : 0.0f;
      const int64_t flat = i * ctx + j, bd_row = flat / (ctx + 1), bd_col = flat % (ctx + 1);
      float rel = bd_col < p.rel_count ? bd[bd_row * p.rel_count + bd_col] : 0.0f;
      float logit = std::tanh((ac + rel) / p.logit_cap) * p.logit_cap;
      logits[j] = local_key_allowed(p, mask, query, key) ? logit : p.invalid_logit;
    }
    float peak = *std::max_element(logits.begin(), logits.end());
    double total = 0.0;
    for (float& l : logits) total += (l = std::exp(l - peak));
    float* o = out + query * stride + head * d;
    std::fill(o, o + d, 0.0f);
    for (int64_t j = 0; j < ctx; ++j) {
      const int64_t key = block * c - past + j;
      if (key < 0 || key >= p.length) continue;
      const float weight = static_cast<float>(logits[j] / total);
      for (int64_t e = 0; e < d; ++e) o[e] += weight * v[key * stride + head * d + e];
    }
  }
}

}  // namespace

void kernel_local_attention(const float* q, const float* k, const float* v, const float* rel_k, const float* mask,
                            const LocalAttentionParams& p, float* out) {
  const int64_t blocks = (p.length + p.chunk - 1) / p.chunk;
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) local_attention_block(q, k, v, rel_k, mask, p, b, h, out);
  }
}

namespace {

void run_local_attention(const Node& node, const std::vector<MediaTensor>& in, float* out) {
  LocalAttentionParams p;
  p.length = in[0].dims[0];
  p.heads = in[0].dims[1];
  p.head_dim = in[0].dims[2];
  p.rel_count = in[3].dims[0];
  p.chunk = node.attr_int("chunk_size", 1);
  p.context_left = node.attr_int("context_left", 1);
  p.context_right = node.attr_int("context_right", 0);
  p.logit_cap = static_cast<float>(node.attr_float("logit_cap", 50.0));
  p.invalid_logit = static_cast<float>(node.attr_float("invalid_logit", -1e9));
  p.inverted_mask = node.attr_int("inverted_mask", 0) != 0;
  kernel_local_attention(in[0].data, in[1].data, in[2].data, in[3].data, in[4].data, p, out);
}

void run_per_row(const Node& node, const std::vector<MediaTensor>& in, int64_t count, float* y) {
  const float* x = in[0].data;
  const int64_t dim = in[0].dims.empty() ? 1 : in[0].dims.back();
  switch (node.op) {
    case OpType::kRelu:
      for (int64_t i = 0; i < count; ++i) y[i] = std::max(x[i], 0.0f);
      break;
    case OpType::kPerDimScale: {
      const float scale = static_cast<float>(node.attr_float("scale", 1.0));
      std::vector<float> factor(static_cast<size_t>(dim));
      for (int64_t j = 0; j < dim; ++j) factor[j] = std::log1p(std::exp(in[1].data[j]));  // softplus
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] * scale * factor[i % dim];
      break;
    }
    case OpType::kBiasAdd:
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] + in[1].data[i % dim];
      break;
    case OpType::kAffine: {
      const float shift = static_cast<float>(node.attr_float("shift", 0.0));
      const float scale = static_cast<float>(node.attr_float("scale", 1.0));
      for (int64_t i = 0; i < count; ++i) y[i] = (x[i] + shift) * scale;
      break;
    }
    case OpType::kClip: {
      const float lo = in[1].data ? in[1].data[0] : -INFINITY;
      const float hi = in[2].data ? in[2].data[0] : INFINITY;
      for (int64_t i = 0; i < count; ++i) y[i] = std::min(std::max(x[i], lo), hi);
      break;
    }
    default: break;
  }
}

void run_rows(const Node& node, const std::vector<MediaTensor>& in, const std::vector<int64_t>& out_dims, float* y) {
  const int64_t rows = in[0].dims[0];
  const int64_t width = rows ? in[0].elements() / rows : 0;
  if (node.op == OpType::kMaskRows) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < width; ++i) y[r * width + i] = in[0].data[r * width + i] * in[1].data[r];
    }
    return;
  }
  const int64_t stride = node.attr_int("stride", 1);
  for (int64_t r = 0; r < out_dims[0]; ++r) {
    std::memcpy(y + r * width, in[0].data + r * stride * width, sizeof(float) * width);
  }
}

}  // namespace

Status execute_media_op(const Node& node, const std::vector<MediaTensor>& in, const std::vector<int64_t>& out_dims,
                        float* out) {
  int64_t count = 1;
  for (int64_t d : out_dims) count *= d;
  const MediaTensor& x = in.empty() ? MediaTensor{} : in[0];
  const int64_t dim = x.dims.empty() ? 1 : x.dims.back();
  switch (node.op) {
    case OpType::kConv2d:
      kernel_conv2d(x.data, x.dims[0], x.dims[1], x.dims[2], in[1].data, in[1].dims[0], in[1].dims[2], in[1].dims[3],
                    node.attr_int("stride", 1), node.attr_int("padding", 0), out);
      return ok_status();
    case OpType::kLayerNorm:
      kernel_layer_norm(x.data, count / dim, dim, in[1].data, static_cast<float>(node.attr_float("eps", 1e-6)), out);
      return ok_status();
    case OpType::kGlu: kernel_glu(x.data, count / out_dims.back(), out_dims.back(), out); return ok_status();
    case OpType::kMaskRows:
    case OpType::kStrideRows: run_rows(node, in, out_dims, out); return ok_status();
    case OpType::kDepthwiseConv1d:
      kernel_depthwise_conv1d(x.data, x.dims[0], x.dims[1], in[1].data, in[1].dims[2], out);
      return ok_status();
    case OpType::kSinusoidPositions: kernel_sinusoid_positions(out_dims[0], out_dims[1], out); return ok_status();
    case OpType::kLocalAttention: run_local_attention(node, in, out); return ok_status();
    case OpType::kRelu:
    case OpType::kPerDimScale:
    case OpType::kBiasAdd:
    case OpType::kAffine:
    case OpType::kClip: run_per_row(node, in, count, out); return ok_status();
    default: return execute_vision_op(node, in, out_dims, out);
  }
}

}  // namespace hfb
