// PIL's Image.resize(BICUBIC) on 8-bit RGB, restated bit for bit (Pillow's Resample.c: fixed-point two-pass).
#pragma once

#include "core/error.h"
#include "readers/media/image_decode.h"

namespace hfb::media {

/// Resizes `image` to width x height with Pillow's bicubic filter (a = -0.5, support 2 scaled by the reduction
/// factor), coefficients normalised per output pixel, converted to 22-bit fixed point, horizontal pass first
/// (rounded to uint8), then vertical; identical sizes return a copy. Fails with kInvalidArgument for a size < 1
/// and kLimit beyond `limits`.
Result<RgbImage> pil_resize_bicubic(const RgbImage& image, int width, int height, const ImageLimits& limits = {});

}  // namespace hfb::media
