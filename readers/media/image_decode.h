// PNG (libpng) and JPEG (libjpeg-turbo) decoding to 8-bit RGB with PIL's convert("RGB") semantics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace hfb::media {

/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B (HWC).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  ///< height * width * 3
  std::string source_mode;   ///< what the file held: "RGB", "L", "RGBA", "LA", "P", "CMYK", "RGB16", "L16"
  int orientation = 1;       ///< the JPEG's EXIF orientation, already applied (width/height are after it)
};

/// Decode-size limits, checked from the header before any pixel buffer is allocated.
struct ImageLimits {
  int64_t max_pixels = 89478485;  ///< PIL's MAX_IMAGE_PIXELS (its decompression-bomb threshold)
  int max_side = 65500;
};

/// Decodes PNG or JPEG bytes (sniffed from the magic) into RGB as PIL's Image.open(...).convert("RGB") would:
/// grayscale replicated, alpha dropped without compositing, palette looked up, 16-bit samples reduced to their
/// high byte (PIL does this for RGB; for 16-bit grayscale it clips instead, see docs/media.md), Adobe CMYK
/// JPEGs inverted and converted with PIL's cmyk2rgb; a JPEG's EXIF orientation applied as PIL's exif_transpose
/// (PNG eXIf chunks are not read). `name` labels errors.
/// Fails with kInvalidFile (not PNG/JPEG, truncated, corrupt), kLimit (beyond `limits`),
/// kUnsupported (a JPEG colour space other than gray/YCbCr/RGB/CMYK).
Result<RgbImage> decode_image(const uint8_t* data, size_t size, const std::string& name,
                              const ImageLimits& limits = {});

/// Reads and decodes `path`. Fails with kIo when it cannot be read, else like decode_image.
Result<RgbImage> read_image_file(const std::string& path, const ImageLimits& limits = {});

/// PNG only / JPEG only (decode_image dispatches to these).
Result<RgbImage> decode_png(const uint8_t* data, size_t size, const std::string& name, const ImageLimits& limits);
Result<RgbImage> decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const ImageLimits& limits);

/// Fails with kLimit naming `name` when width x height is beyond `limits`; kInvalidFile for a zero side.
Status check_image_size(int64_t width, int64_t height, const std::string& name, const ImageLimits& limits);

}  // namespace hfb::media
