// A minimal, bounds-checked TIFF/IFD0 walk for the EXIF Orientation tag, and the eight PIL transposes.
#include "readers/media/exif_orientation.h"

#include <cstring>
#include <vector>

namespace hfb::media {
namespace {

uint32_t read_u16(const uint8_t* p, bool little) {
  return little ? uint32_t{p[0]} | (uint32_t{p[1]} << 8) : (uint32_t{p[0]} << 8) | uint32_t{p[1]};
}

uint32_t read_u32(const uint8_t* p, bool little) {
  return little ? read_u16(p, true) | (read_u16(p + 2, true) << 16) : (read_u16(p, false) << 16) | read_u16(p + 2, false);
}

}  // namespace

int exif_orientation(const uint8_t* payload, size_t size) {
  if (size < 14 || std::memcmp(payload, "Exif\0\0", 6) != 0) return 1;
  const uint8_t* tiff = payload + 6;
  const size_t tiff_size = size - 6;
  bool little = false;
  if (std::memcmp(tiff, "II", 2) == 0) {
    little = true;
  } else if (std::memcmp(tiff, "MM", 2) != 0) {
    return 1;
  }
  const uint64_t ifd = read_u32(tiff + 4, little);
  if (ifd + 2 > tiff_size) return 1;
  const uint32_t entries = read_u16(tiff + ifd, little);
  for (uint32_t i = 0; i < entries; ++i) {
    const uint64_t entry = ifd + 2 + uint64_t{i} * 12;
    if (entry + 12 > tiff_size) return 1;
    if (read_u16(tiff + entry, little) != 0x0112) continue;
    const uint32_t value = read_u16(tiff + entry + 8, little);  // SHORT, stored left-justified in the value field
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

void apply_exif_orientation(int orientation, RgbImage* image) {
  if (orientation < 2 || orientation > 8) return;
  const int w = image->width, h = image->height;
  const bool swap = orientation >= 5;
  const int out_w = swap ? h : w, out_h = swap ? w : h;
  std::vector<uint8_t> out(image->rgb.size());
  for (int y = 0; y < out_h; ++y) {
    for (int x = 0; x < out_w; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;          // FLIP_LEFT_RIGHT
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;  // ROTATE_180
        case 4: sx = x; sy = h - 1 - y; break;          // FLIP_TOP_BOTTOM
        case 5: sx = y; sy = x; break;                  // TRANSPOSE
        case 6: sx = y; sy = h - 1 - x; break;          // ROTATE_270 (clockwise)
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;  // TRANSVERSE
        default: sx = w - 1 - y; sy = x; break;         // 8: ROTATE_90 (counter-clockwise)
      }
      std::memcpy(out.data() + (static_cast<size_t>(y) * out_w + x) * 3,
                  image->rgb.data() + (static_cast<size_t>(sy) * w + sx) * 3, 3);
    }
  }
  image->rgb.swap(out);
  image->width = out_w;
  image->height = out_h;
}

}  // namespace hfb::media
