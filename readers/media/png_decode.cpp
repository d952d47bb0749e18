// PNG decoding with libpng's progressive-free read API, from memory; libpng errors longjmp into one C-style frame.
#include <png.h>

#include <csetjmp>
#include <cstring>

#include "readers/media/image_decode.h"

namespace hfb::media {
namespace {

struct PngContext {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char message[256] = {0};
  bool size_refused = false;
  int width = 0;
  int height = 0;
  int channels = 0;
  int color_type = 0;
  int bit_depth = 0;
  std::vector<uint8_t>* pixels = nullptr;     // width * height * channels, 8-bit
  std::vector<png_bytep>* rows = nullptr;
  const ImageLimits* limits = nullptr;
};

void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (count > ctx->size - ctx->pos) png_error(png, "file ends early (truncated PNG)");
  std::memcpy(out, ctx->data + ctx->pos, count);
  ctx->pos += count;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof(ctx->message), "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

/// Everything that may longjmp lives here; no object with a destructor is created in this frame.
bool png_read_all(png_structp png, png_infop info, PngContext* ctx) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, ctx, png_read_memory);
  png_set_user_limits(png, static_cast<png_uint_32>(ctx->limits->max_side),
                      static_cast<png_uint_32>(ctx->limits->max_side));
  png_read_info(png, info);
  ctx->width = static_cast<int>(png_get_image_width(png, info));
  ctx->height = static_cast<int>(png_get_image_height(png, info));
  ctx->color_type = png_get_color_type(png, info);
  ctx->bit_depth = png_get_bit_depth(png, info);
  if (int64_t{ctx->width} * ctx->height > ctx->limits->max_pixels) {
    ctx->size_refused = true;
    return false;
  }
  if (ctx->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (ctx->color_type == PNG_COLOR_TYPE_GRAY && ctx->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (ctx->bit_depth == 16) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  ctx->channels = png_get_channels(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(ctx->width) * static_cast<size_t>(ctx->channels)) {
    png_error(png, "unexpected row size after transformations");
  }
  ctx->pixels->resize(static_cast<size_t>(ctx->width) * ctx->height * ctx->channels);
  ctx->rows->resize(static_cast<size_t>(ctx->height));
  for (int y = 0; y < ctx->height; ++y) {
    (*ctx->rows)[static_cast<size_t>(y)] = ctx->pixels->data() + static_cast<size_t>(y) * ctx->width * ctx->channels;
  }
  png_read_image(png, ctx->rows->data());
  return true;
}

std::string png_mode(int color_type, int bit_depth) {
  std::string suffix = bit_depth == 16 ? "16" : "";
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return "L" + suffix;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return "LA" + suffix;
    case PNG_COLOR_TYPE_PALETTE: return "P";
    case PNG_COLOR_TYPE_RGB_ALPHA: return "RGBA" + suffix;
    default: return "RGB" + suffix;
  }
}

/// 1 (L), 2 (LA), 3 (RGB), 4 (RGBA) 8-bit channels -> RGB: gray replicated, alpha dropped (PIL convert("RGB")).
std::vector<uint8_t> to_rgb(const std::vector<uint8_t>& pixels, size_t count, int channels) {
  std::vector<uint8_t> rgb(count * 3);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = pixels.data() + i * static_cast<size_t>(channels);
    uint8_t* o = rgb.data() + i * 3;
    if (channels <= 2) {
      o[0] = o[1] = o[2] = p[0];
    } else {
      o[0] = p[0];
      o[1] = p[1];
      o[2] = p[2];
    }
  }
  return rgb;
}

}  // namespace

Result<RgbImage> decode_png(const uint8_t* data, size_t size, const std::string& name, const ImageLimits& limits) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return Error(ErrorCode::kInternal, "png: cannot create a libpng read struct").with_path(name);
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return Error(ErrorCode::kInternal, "png: cannot create a libpng info struct").with_path(name);
  }
  std::vector<uint8_t> pixels;
  std::vector<png_bytep> rows;
  PngContext ctx;
  ctx.data = data;
  ctx.size = size;
  ctx.pixels = &pixels;
  ctx.rows = &rows;
  ctx.limits = &limits;
  png_set_error_fn(png, &ctx, png_on_error, png_on_warning);
  const bool ok = png_read_all(png, info, &ctx);
  png_destroy_read_struct(&png, &info, nullptr);
  if (ctx.size_refused) {
    Status limit = check_image_size(ctx.width, ctx.height, name, limits);
    if (!limit.ok()) return std::move(limit).error();
  }
  if (!ok) {
    const bool too_big = std::strstr(ctx.message, "exceeds user limit") != nullptr;
    return Error(too_big ? ErrorCode::kLimit : ErrorCode::kInvalidFile,
                 std::string("png: ") + ctx.message + (too_big ? " (decode limit " + std::to_string(limits.max_side) +
                                                                     " pixels per side)"
                                                               : ". Perhaps a truncated or corrupt file?"))
        .with_path(name);
  }
  RgbImage image;
  image.width = ctx.width;
  image.height = ctx.height;
  image.source_mode = png_mode(ctx.color_type, ctx.bit_depth);
  image.rgb = to_rgb(pixels, static_cast<size_t>(ctx.width) * ctx.height, ctx.channels);
  return image;
}

}  // namespace hfb::media
