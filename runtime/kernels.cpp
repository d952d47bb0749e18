// Float32 compute kernels of the reference runtime.
#include "runtime/kernels.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "core/thread_pool.h"

namespace hfb {

void blas_threads_for(int64_t multiply_adds) {
  // OpenBLAS threads small products too; waking its threads costs more than the product, and on a busy
  // machine (ctest -j, a build beside it) their yield loops stretch a millisecond into seconds.
  static const int max_threads = std::max(1, openblas_get_num_threads());
  static std::atomic<int> current{max_threads};
  const int want = multiply_adds >= kBlasThreadingMultiplyAdds ? max_threads : 1;
  if (current.exchange(want) != want) openblas_set_num_threads(want);
}

void kernel_linear(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y) {
  blas_threads_for(rows * in * out);
  if (rows == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(out), static_cast<int>(in), 1.0f, w,
                static_cast<int>(in), x, 1, 0.0f, y, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(out),
              static_cast<int>(in), 1.0f, x, static_cast<int>(in), w, static_cast<int>(in), 0.0f, y,
              static_cast<int>(out));
}

void kernel_rms_norm(const float* x, int64_t rows, int64_t dim, const float* w, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double sum = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum += static_cast<double>(xr[i]) * xr[i];
    float mean = static_cast<float>(sum / static_cast<double>(dim));
    float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(mean + eps)));
    if (w) {
      for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale * w[i];
    } else {
      for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale;
    }
  }
}

std::vector<float> rope_inverse_frequencies(bool proportional, double theta, double fraction, int64_t head_dim) {
  int64_t half = head_dim / 2;
  int64_t rotated = proportional ? static_cast<int64_t>(fraction * static_cast<double>(head_dim) / 2.0) : half;
  rotated = std::min(rotated, half);
  std::vector<float> inverse(static_cast<size_t>(half), 0.0f);
  for (int64_t j = 0; j < rotated; ++j) {
    // HF: 1.0 / (base ** (arange(0, dim, 2).float() / dim)) in float32.
    float exponent = static_cast<float>(2 * j) / static_cast<float>(head_dim);
    float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    inverse[j] = 1.0f / power;
  }
  return inverse;
}

void kernel_rope(float* x, int64_t rows, int64_t heads, int64_t head_dim, const int64_t* positions,
                 const std::vector<float>& inverse_frequencies) {
  int64_t half = head_dim / 2;
  std::vector<float> cos_table(half), sin_table(half);
  for (int64_t r = 0; r < rows; ++r) {
    float position = static_cast<float>(positions[r]);
    for (int64_t j = 0; j < half; ++j) {
      float angle = position * inverse_frequencies[j];
      cos_table[j] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sin_table[j] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x + (r * heads + h) * head_dim;
      for (int64_t j = 0; j < half; ++j) {
        float a = v[j], b = v[j + half];
        v[j] = a * cos_table[j] - b * sin_table[j];
        v[j + half] = b * cos_table[j] + a * sin_table[j];
      }
    }
  }
}

float gelu_tanh(float x) {
  const float k = 0.7978845608028654f;  // sqrt(2 / pi)
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

void kernel_gelu_tanh(const float* x, int64_t count, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = gelu_tanh(x[i]);
}

void kernel_silu(const float* x, int64_t count, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void kernel_softcap(const float* x, int64_t count, float cap, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] = std::tanh(x[i] / cap) * cap;
}

namespace {

/// a . b in 8 partial sums (a fixed order the compiler can keep in vector registers), then the tail.
inline float dot_product(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += a[d + k] * b[d + k];
  }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; d < n; ++d) sum += a[d] * b[d];
  return sum;
}

// Block id of the key at `position` (-1 unless it is one of this run's queries' positions).
float key_block(const AttentionParams& p, const int64_t* q_positions, int64_t num_queries, int64_t position) {
  const int64_t index = position - q_positions[0];
  return index >= 0 && index < num_queries ? p.block_ids[index] : -1.0f;
}

// Scores of query qi's head against every key (-inf where masked); returns the maximum.
float attention_scores(const float* qv, const int64_t* q_positions, int64_t qi, int64_t num_queries, int64_t kv_head,
                       const std::vector<KeySegment>& segments, const AttentionParams& p, float* scores) {
  float max_score = -std::numeric_limits<float>::infinity();
  const int64_t q_position = q_positions[qi];
  int64_t n = 0;
  for (const KeySegment& segment : segments) {
    for (int64_t k = 0; k < segment.count; ++k, ++n) {
      const int64_t k_position = segment.positions[k];
      const bool allowed =
          p.block_ids ? attention_allowed_blocks(q_position, k_position, p.causal, p.window, p.block_ids[qi],
                                                 key_block(p, q_positions, num_queries, k_position))
                      : attention_allowed(q_position, k_position, p.causal, p.window);
      if (!allowed) {
        scores[n] = -std::numeric_limits<float>::infinity();
        continue;
      }
      const float* kv = segment.keys + (k * p.num_kv_heads + kv_head) * p.head_dim;
      float s = dot_product(qv, kv, p.head_dim) * p.scaling;
      if (p.softcap > 0.0f) s = std::tanh(s / p.softcap) * p.softcap;
      scores[n] = s;
      max_score = std::max(max_score, s);
    }
  }
  return max_score;
}

}  // namespace

namespace {

/// One query head: softmax over the allowed keys of `segments`, weighted sum of their values into `ov`.
void attention_head(const float* qv, const int64_t* q_positions, int64_t qi, int64_t num_queries, int64_t kv_head,
                    const std::vector<KeySegment>& segments, const AttentionParams& p, int64_t total, float* scores,
                    float* ov) {
  std::fill(ov, ov + p.head_dim, 0.0f);
  const float max_score = attention_scores(qv, q_positions, qi, num_queries, kv_head, segments, p, scores);
  if (max_score == -std::numeric_limits<float>::infinity()) return;
  double sum = 0.0;
  for (int64_t n = 0; n < total; ++n) {
    const float e = scores[n] == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(scores[n] - max_score);
    scores[n] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  int64_t n = 0;
  for (const KeySegment& segment : segments) {
    for (int64_t k = 0; k < segment.count; ++k, ++n) {
      if (scores[n] == 0.0f) continue;
      const float weight = scores[n] * inv;
      const float* vv = segment.values + (k * p.num_kv_heads + kv_head) * p.head_dim;
      for (int64_t d = 0; d < p.head_dim; ++d) ov[d] += weight * vv[d];
    }
  }
}

}  // namespace

void kernel_attention(const float* q, const int64_t* q_positions, int64_t num_queries,
                      const std::vector<KeySegment>& segments, const AttentionParams& p, float* out,
                      std::vector<float>& /*scratch*/) {
  int64_t total = 0;
  for (const KeySegment& segment : segments) total += segment.count;
  const int64_t group = p.num_heads / p.num_kv_heads;
  // Every (query, head) pair is independent: fixed contiguous ranges of pairs over the pool, each thread
  // with its own score buffer, so the result does not depend on the thread count.
  ThreadPool::global().parallel_for(num_queries * p.num_heads, 1, [&](int64_t first, int64_t last) {
    thread_local std::vector<float> scores;
    if (static_cast<int64_t>(scores.size()) < total) scores.resize(static_cast<size_t>(total));
    for (int64_t item = first; item < last; ++item) {
      const int64_t qi = item / p.num_heads;
      const int64_t h = item % p.num_heads;
      attention_head(q + item * p.head_dim, q_positions, qi, num_queries, h / group, segments, p, total,
                     scores.data(), out + item * p.head_dim);
    }
  });
}

}  // namespace hfb
