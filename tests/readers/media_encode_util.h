// Test helpers that write media bytes in memory: WAV by hand (any PCM width / float, any channels), PNG with
// libpng's write API (any colour type and depth, palette), JPEG with libjpeg (gray, RGB, CMYK); CRC-32 for PNG.
#pragma once

#include <png.h>

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>

namespace hfb::test {

inline void put_le(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

/// A RIFF/WAVE file: format 1 (PCM) or 3 (IEEE float), `data` the raw interleaved sample bytes.
inline std::vector<uint8_t> make_wav(int format, int channels, int rate, int bits, const std::vector<uint8_t>& data,
                                     int64_t declared_data_bytes = -1) {
  std::vector<uint8_t> out;
  const uint64_t data_bytes = declared_data_bytes < 0 ? data.size() : static_cast<uint64_t>(declared_data_bytes);
  out.insert(out.end(), {'R', 'I', 'F', 'F'});
  put_le(out, 36 + data_bytes, 4);
  out.insert(out.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put_le(out, 16, 4);
  put_le(out, format, 2);
  put_le(out, channels, 2);
  put_le(out, rate, 4);
  put_le(out, uint64_t(rate) * channels * bits / 8, 4);
  put_le(out, channels * bits / 8, 2);
  put_le(out, bits, 2);
  out.insert(out.end(), {'d', 'a', 't', 'a'});
  put_le(out, data_bytes, 4);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline uint32_t crc32_of(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

inline void png_append(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
inline void png_flush_noop(png_structp) {}

/// A PNG of `width` x `height`, rows of `channels(color_type) * bit_depth / 8 * width` bytes (16-bit big-endian).
inline std::vector<uint8_t> make_png(int width, int height, int color_type, int bit_depth, const std::vector<uint8_t>& pixels,
                                     const std::vector<png_color>& palette = {}) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(png, &out, png_append, png_flush_noop);
  png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  const size_t stride = pixels.size() / height;
  for (int y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(pixels.data() + y * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

/// Rewrites a PNG's IHDR width/height (with a correct CRC): a header that claims a huge image.
inline void png_set_claimed_size(std::vector<uint8_t>& png, uint32_t width, uint32_t height) {
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<uint8_t>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<uint8_t>(height >> (24 - 8 * i));
  }
  const uint32_t crc = crc32_of(png.data() + 12, 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
}

/// An APP1 EXIF payload (big-endian TIFF, IFD0 with one Orientation entry).
inline std::vector<uint8_t> exif_orientation_payload(int orientation) {
  return {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,  // TIFF header, IFD0 at 8
          0, 1,                                                  // one entry
          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, static_cast<uint8_t>(orientation), 0, 0,
          0, 0, 0, 0};  // no next IFD
}

/// A JPEG (libjpeg quality `quality`) from interleaved samples with `components` = 1 (gray), 3 (RGB) or 4 (CMYK);
/// with an EXIF orientation marker when orientation > 0. Also used by bench/media_bench.cpp.
inline std::vector<uint8_t> make_jpeg(int width, int height, int components, const std::vector<uint8_t>& pixels,
                                      int orientation = 0, int quality = 95) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  if (orientation > 0) {
    std::vector<uint8_t> exif = exif_orientation_payload(orientation);
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif.data(), static_cast<unsigned>(exif.size()));
  }
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.data() + size_t(cinfo.next_scanline) * width * components);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

/// Rewrites the first SOF marker's height/width: a JPEG header that claims a huge image.
inline void jpeg_set_claimed_size(std::vector<uint8_t>& jpeg, uint16_t width, uint16_t height) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) {
      jpeg[i + 5] = static_cast<uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<uint8_t>(height);
      jpeg[i + 7] = static_cast<uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<uint8_t>(width);
      return;
    }
  }
}

}  // namespace hfb::test
