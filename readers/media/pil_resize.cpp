// Pillow 9.x Resample.c (ImagingResampleInner, precompute_coeffs, normalize_coeffs_8bpc) for RGB uint8, bicubic.
#include "readers/media/pil_resize.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace hfb::media {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/// Per output pixel: first input index, tap count, and ksize fixed-point weights.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

Coefficients precompute_coefficients(int in_size, int out_size) {
  constexpr double kSupport = 2.0;
  const float in0 = 0.0f;
  const float in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = kSupport * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(static_cast<size_t>(out_size));
  c.count.resize(static_cast<size_t>(out_size));
  c.weights.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(static_cast<size_t>(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = bicubic_filter((x + xmin - center + 0.5) * ss);
      k[static_cast<size_t>(x)] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? k[static_cast<size_t>(x)] / ww : k[static_cast<size_t>(x)];
      c.weights[static_cast<size_t>(xx) * c.ksize + x] =
          v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[static_cast<size_t>(xx)] = xmin;
    c.count[static_cast<size_t>(xx)] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  const int32_t shifted = v >> kPrecisionBits;
  return static_cast<uint8_t>(shifted < 0 ? 0 : shifted > 255 ? 255 : shifted);
}

/// Rows [row0, row0 + rows) of `in` (width in_w) resampled horizontally to out_w.
std::vector<uint8_t> resample_horizontal(const std::vector<uint8_t>& in, int in_w, int row0, int rows, int out_w,
                                         const Coefficients& c) {
  std::vector<uint8_t> out(static_cast<size_t>(rows) * out_w * 3);
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in.data() + static_cast<size_t>(row0 + y) * in_w * 3;
    uint8_t* dst = out.data() + static_cast<size_t>(y) * out_w * 3;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = c.weights.data() + static_cast<size_t>(xx) * c.ksize;
      const int xmin = c.first[static_cast<size_t>(xx)];
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < c.count[static_cast<size_t>(xx)]; ++x) {
        const uint8_t* p = src + static_cast<size_t>(x + xmin) * 3;
        s0 += p[0] * k[x];
        s1 += p[1] * k[x];
        s2 += p[2] * k[x];
      }
      dst[xx * 3] = clip8(s0);
      dst[xx * 3 + 1] = clip8(s1);
      dst[xx * 3 + 2] = clip8(s2);
    }
  }
  return out;
}

std::vector<uint8_t> resample_vertical(const std::vector<uint8_t>& in, int width, int out_h, int row_shift,
                                       const Coefficients& c) {
  std::vector<uint8_t> out(static_cast<size_t>(out_h) * width * 3);
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = c.weights.data() + static_cast<size_t>(yy) * c.ksize;
    const int ymin = c.first[static_cast<size_t>(yy)] - row_shift;
    const int taps = c.count[static_cast<size_t>(yy)];
    uint8_t* dst = out.data() + static_cast<size_t>(yy) * width * 3;
    for (int xx = 0; xx < width * 3; ++xx) {
      int32_t s = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < taps; ++y) s += in[static_cast<size_t>(y + ymin) * width * 3 + xx] * k[y];
      dst[xx] = clip8(s);
    }
  }
  return out;
}

}  // namespace

Result<RgbImage> pil_resize_bicubic(const RgbImage& image, int width, int height, const ImageLimits& limits) {
  if (width < 1 || height < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "resize: target " + std::to_string(width) + "x" + std::to_string(height) + ", expected >= 1x1");
  }
  HFB_TRY(check_image_size(width, height, "resize target", limits));
  if (width == image.width && height == image.height) return image;
  const Coefficients horizontal = precompute_coefficients(image.width, width);
  const Coefficients vertical = precompute_coefficients(image.height, height);
  const bool need_horizontal = width != image.width;
  const bool need_vertical = height != image.height;
  // Only the source rows the vertical pass reads are resampled horizontally (Pillow's ybox_first/last).
  const int row_first = vertical.first[0];
  const int row_last = vertical.first[static_cast<size_t>(height - 1)] + vertical.count[static_cast<size_t>(height - 1)];
  RgbImage out;
  out.width = width;
  out.height = height;
  out.source_mode = image.source_mode;
  if (need_horizontal && need_vertical) {
    std::vector<uint8_t> temp = resample_horizontal(image.rgb, image.width, row_first, row_last - row_first, width, horizontal);
    out.rgb = resample_vertical(temp, width, height, row_first, vertical);
  } else if (need_horizontal) {
    out.rgb = resample_horizontal(image.rgb, image.width, 0, image.height, width, horizontal);
  } else {
    out.rgb = resample_vertical(image.rgb, image.width, height, 0, vertical);
  }
  return out;
}

}  // namespace hfb::media
