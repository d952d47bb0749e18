// EXIF orientation (tag 0x0112) from a JPEG APP1 segment and PIL's ImageOps.exif_transpose on RgbImage.
#pragma once

#include <cstddef>
#include <cstdint>

#include "readers/media/image_decode.h"

namespace hfb::media {

/// The Orientation value (1..8) of an APP1 payload starting with "Exif\0\0" (TIFF header, IFD0), or 1 when the
/// payload is not EXIF, has no orientation tag or is malformed (never reads past `size`).
int exif_orientation(const uint8_t* payload, size_t size);

/// Applies orientation 2..8 as PIL's exif_transpose does (2 mirror, 3 rotate 180, 4 flip, 5 transpose,
/// 6 rotate 270, 7 transverse, 8 rotate 90); 1 and unknown values leave the image as it is.
void apply_exif_orientation(int orientation, RgbImage* image);

}  // namespace hfb::media
