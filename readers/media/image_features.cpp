// Gemma4ImageProcessorPil._preprocess restated: target geometry, resize, rescale, patchify, pad, positions.
#include "readers/media/image_features.h"

#include <cmath>

#include "readers/media/pil_resize.h"

namespace hfb::media {
namespace {

bool supported_budget(int tokens) {
  for (int t : {70, 140, 280, 560, 1120}) {
    if (t == tokens) return true;
  }
  return false;
}

float pixel_value(uint8_t v, int channel, const ImageProcessorConfig& c) {
  float x = c.do_rescale ? static_cast<float>(static_cast<double>(v) * c.rescale_factor) : static_cast<float>(v);
  if (c.do_normalize) x = (x - c.image_mean[channel]) / c.image_std[channel];
  return x;
}

}  // namespace

Status validate_image_config(const ImageProcessorConfig& c) {
  auto bad = [](const std::string& what) { return Error(ErrorCode::kInvalidArgument, "image processor config: " + what); };
  if (c.patch_size < 1 || c.patch_size > 1024) return bad("patch_size " + std::to_string(c.patch_size) + ", expected 1..1024");
  if (c.pooling_kernel_size < 1 || c.pooling_kernel_size > 64) {
    return bad("pooling_kernel_size " + std::to_string(c.pooling_kernel_size) + ", expected 1..64");
  }
  if (!supported_budget(c.max_soft_tokens)) {
    return bad("max_soft_tokens " + std::to_string(c.max_soft_tokens) + ", expected one of 70, 140, 280, 560, 1120");
  }
  if (c.resample != 3) {
    return Error(ErrorCode::kUnsupported, "image processor config: resample " + std::to_string(c.resample) +
                                              ", only 3 (PIL BICUBIC, Gemma 4's) is implemented");
  }
  for (int i = 0; i < 3; ++i) {
    if (c.do_normalize && c.image_std[i] == 0.0f) return bad("image_std has a zero");
  }
  return ok_status();
}

Result<TargetSize> aspect_preserving_target(int height, int width, const ImageProcessorConfig& c) {
  const int64_t max_patches = c.max_patches();
  const double total_px = static_cast<double>(height) * width;
  const double target_px = static_cast<double>(max_patches) * c.patch_size * c.patch_size;
  const double factor = std::sqrt(target_px / total_px);
  const int side = c.pooling_kernel_size * c.patch_size;
  int64_t th = static_cast<int64_t>(std::floor(factor * height / side)) * side;
  int64_t tw = static_cast<int64_t>(std::floor(factor * width / side)) * side;
  if (th == 0 && tw == 0) {
    return Error(ErrorCode::kInvalidArgument, "image: resizing " + std::to_string(width) + "x" + std::to_string(height) +
                                                  " gives 0x0; both sides must reach patch·pooling = " +
                                                  std::to_string(side));
  }
  const int64_t max_side = (max_patches / (int64_t{c.pooling_kernel_size} * c.pooling_kernel_size)) * side;
  if (th == 0) {
    th = side;
    tw = std::min<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(width) / height)) * side, max_side);
  } else if (tw == 0) {
    tw = side;
    th = std::min<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(height) / width)) * side, max_side);
  }
  if (static_cast<double>(th) * tw > target_px) {
    return Error(ErrorCode::kInvalidArgument, "image: resizing " + std::to_string(width) + "x" + std::to_string(height) +
                                                  " to " + std::to_string(tw) + "x" + std::to_string(th) +
                                                  " exceeds " + std::to_string(max_patches) + " patches");
  }
  return TargetSize{static_cast<int>(th), static_cast<int>(tw)};
}

Result<ImageFeatures> preprocess_image(const RgbImage& image, const ImageProcessorConfig& c) {
  HFB_TRY(validate_image_config(c));
  ImageFeatures out;
  out.max_patches = c.max_patches();
  if (c.do_resize) {
    HFB_TRY(out.target, aspect_preserving_target(image.height, image.width, c));
    HFB_TRY(out.resized, pil_resize_bicubic(image, out.target.width, out.target.height));
  } else {
    out.target = {image.height, image.width};
    out.resized = image;
  }
  const int p = c.patch_size;
  out.grid_h = out.resized.height / p;
  out.grid_w = out.resized.width / p;
  out.patches = int64_t{out.grid_h} * out.grid_w;
  if (out.patches > out.max_patches) {
    return Error(ErrorCode::kInvalidArgument, "image: " + std::to_string(out.patches) + " patches, more than the budget's " +
                                                  std::to_string(out.max_patches) + " (do_resize is off)");
  }
  out.soft_tokens = out.patches / (int64_t{c.pooling_kernel_size} * c.pooling_kernel_size);
  out.patch_dim = 3 * p * p;
  out.pixel_values.assign(static_cast<size_t>(out.max_patches) * out.patch_dim, 0.0f);
  out.position_ids.assign(static_cast<size_t>(out.max_patches) * 2, -1);
  const int width = out.resized.width;
  for (int py = 0; py < out.grid_h; ++py) {
    for (int px = 0; px < out.grid_w; ++px) {
      const size_t j = static_cast<size_t>(py) * out.grid_w + px;
      float* dst = out.pixel_values.data() + j * out.patch_dim;
      for (int dy = 0; dy < p; ++dy) {
        const uint8_t* row = out.resized.rgb.data() + (static_cast<size_t>(py * p + dy) * width + px * p) * 3;
        for (int i = 0; i < p * 3; ++i) *dst++ = pixel_value(row[i], i % 3, c);
      }
      out.position_ids[j * 2] = px;
      out.position_ids[j * 2 + 1] = py;
    }
  }
  return out;
}

}  // namespace hfb::media
