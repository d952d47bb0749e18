// Gemma 4 image front-end: aspect-preserving target size for a soft-token budget, PIL bicubic resize, rescale,
// patchify and image_position_ids (Gemma4ImageProcessorPil at transformers decba1d).
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "readers/media/image_decode.h"

namespace hfb::media {

/// Gemma4ImageProcessor settings (E2B defaults; processor_config.json or the vision config may override them).
struct ImageProcessorConfig {
  int patch_size = 16;
  int pooling_kernel_size = 3;
  int max_soft_tokens = 280;  ///< one of 70, 140, 280, 560, 1120 (the processor refuses others)
  bool do_resize = true;
  int resample = 3;           ///< PIL BICUBIC, the only filter implemented
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = false;
  float image_mean[3] = {0.0f, 0.0f, 0.0f};
  float image_std[3] = {1.0f, 1.0f, 1.0f};

  int64_t max_patches() const { return int64_t{max_soft_tokens} * pooling_kernel_size * pooling_kernel_size; }
};

/// Checks the settings. Fails with kInvalidArgument (sizes < 1, a budget outside {70, 140, 280, 560, 1120}, a zero
/// std) or kUnsupported (a resample filter other than bicubic).
Status validate_image_config(const ImageProcessorConfig& config);

/// get_aspect_ratio_preserving_size: the largest multiples of patch·pooling with at most max_patches patches at
/// the image's aspect ratio (small images are scaled up). Fails with kInvalidArgument when both sides round to 0.
struct TargetSize {
  int height = 0;
  int width = 0;
};
Result<TargetSize> aspect_preserving_target(int height, int width, const ImageProcessorConfig& config);

/// What the image processor returns for one image.
struct ImageFeatures {
  TargetSize target;
  int grid_h = 0;  ///< patch rows
  int grid_w = 0;  ///< patch columns
  int64_t patches = 0;
  int64_t max_patches = 0;
  int64_t soft_tokens = 0;              ///< patches / pooling^2
  int patch_dim = 0;                    ///< 3 * patch^2
  RgbImage resized;                     ///< after the resize (HWC uint8)
  std::vector<float> pixel_values;      ///< [max_patches, patch_dim], zero rows for padding
  std::vector<int64_t> position_ids;    ///< [max_patches, 2] (x = column, y = row), (-1, -1) for padding
};

/// Resize (when do_resize), rescale float32(float64(u8) · factor), optional normalisation, patchify (patch j =
/// (row, column) row-major, values (dy, dx, channel)), pad to max_patches. Fails like validate_image_config and
/// aspect_preserving_target, and with kInvalidArgument when the unresized image has more patches than the budget.
Result<ImageFeatures> preprocess_image(const RgbImage& image, const ImageProcessorConfig& config);

}  // namespace hfb::media
