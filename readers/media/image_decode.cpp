// Format sniffing, size limits and the RGB conversions shared by the PNG and JPEG decoders.
#include "readers/media/image_decode.h"

#include <cstring>

#include "readers/media/media_file.h"

namespace hfb::media {

Status check_image_size(int64_t width, int64_t height, const std::string& name, const ImageLimits& limits) {
  if (width <= 0 || height <= 0) {
    return Error(ErrorCode::kInvalidFile, "image: header says " + std::to_string(width) + "x" +
                                              std::to_string(height) + " pixels, expected both sides >= 1")
        .with_path(name);
  }
  if (width > limits.max_side || height > limits.max_side || width * height > limits.max_pixels) {
    return Error(ErrorCode::kLimit, "image: " + std::to_string(width) + "x" + std::to_string(height) +
                                        " pixels is beyond the decode limit (" + std::to_string(limits.max_pixels) +
                                        " pixels, " + std::to_string(limits.max_side) +
                                        " per side); refused before decoding")
        .with_path(name);
  }
  return ok_status();
}

Result<RgbImage> decode_image(const uint8_t* data, size_t size, const std::string& name, const ImageLimits& limits) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return decode_png(data, size, name, limits);
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return decode_jpeg(data, size, name, limits);
  return Error(ErrorCode::kInvalidFile, "image: not a PNG or JPEG file (" + std::to_string(size) +
                                            " bytes, no PNG signature or JPEG SOI marker)")
      .with_path(name);
}

Result<RgbImage> read_image_file(const std::string& path, const ImageLimits& limits) {
  HFB_TRY(std::vector<uint8_t> bytes, read_media_file(path));
  return decode_image(bytes.data(), bytes.size(), path, limits);
}

}  // namespace hfb::media
