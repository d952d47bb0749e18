// JPEG decoding with libjpeg(-turbo) at PIL's settings (islow IDCT, fancy upsampling); errors longjmp into one frame.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <jerror.h>

#include "readers/media/exif_orientation.h"
#include "readers/media/image_decode.h"

namespace hfb::media {
namespace {

struct JpegError {
  jpeg_error_mgr base;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
  bool premature_end = false;
};

void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  cinfo->err->format_message(cinfo, err->message);
  longjmp(err->jump, 1);
}

/// Warnings only: libjpeg pads a cut-off scan with grey after JWRN_JPEG_EOF; remember it (PIL refuses such files).
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<JpegError*>(cinfo->err)->premature_end = true;
}

struct JpegContext {
  int width = 0;
  int height = 0;
  int components = 0;
  J_COLOR_SPACE space = JCS_UNKNOWN;
  bool adobe = false;
  bool size_refused = false;
  int orientation = 1;
  const ImageLimits* limits = nullptr;
  std::vector<uint8_t>* pixels = nullptr;
};

/// Everything that may longjmp lives here; no object with a destructor is created in this frame.
bool jpeg_read_all(jpeg_decompress_struct* cinfo, JpegError* err, const uint8_t* data, size_t size, JpegContext* ctx) {
  if (setjmp(err->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(cinfo, TRUE);
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    const int o = exif_orientation(m->data, m->data_length);
    if (o != 1) {
      ctx->orientation = o;
      break;
    }
  }
  ctx->width = static_cast<int>(cinfo->image_width);
  ctx->height = static_cast<int>(cinfo->image_height);
  ctx->adobe = cinfo->saw_Adobe_marker != 0;
  ctx->space = cinfo->jpeg_color_space;
  if (ctx->width > ctx->limits->max_side || ctx->height > ctx->limits->max_side ||
      int64_t{ctx->width} * ctx->height > ctx->limits->max_pixels) {
    ctx->size_refused = true;
    return false;
  }
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default: cinfo->out_color_space = JCS_RGB; break;
  }
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  jpeg_start_decompress(cinfo);
  ctx->components = cinfo->output_components;
  const size_t stride = static_cast<size_t>(ctx->width) * static_cast<size_t>(ctx->components);
  ctx->pixels->resize(stride * static_cast<size_t>(ctx->height));
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = ctx->pixels->data() + stride * cinfo->output_scanline;
    if (jpeg_read_scanlines(cinfo, &row, 1) != 1) break;
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

inline uint8_t muldiv255(int a, int b) {
  const int tmp = a * b + 128;
  return static_cast<uint8_t>(((tmp >> 8) + tmp) >> 8);
}

/// PIL: Adobe CMYK JPEGs are stored inverted ("CMYK;I"), then convert("RGB") is cmyk2rgb.
void cmyk_to_rgb(const uint8_t* in, uint8_t* out, size_t count, bool inverted) {
  for (size_t i = 0; i < count; ++i, in += 4, out += 3) {
    int c[4];
    for (int k = 0; k < 4; ++k) c[k] = inverted ? 255 - in[k] : in[k];
    const int nk = 255 - c[3];
    for (int k = 0; k < 3; ++k) {
      const int v = nk - muldiv255(c[k], nk);
      out[k] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
}

const char* jpeg_mode(J_COLOR_SPACE space) {
  switch (space) {
    case JCS_GRAYSCALE: return "L";
    case JCS_CMYK: return "CMYK";
    case JCS_YCCK: return "CMYK";
    default: return "RGB";
  }
}

}  // namespace

Result<RgbImage> decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const ImageLimits& limits) {
  jpeg_decompress_struct cinfo{};
  JpegError err;
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_on_error;
  err.base.emit_message = jpeg_on_message;
  std::vector<uint8_t> pixels;
  JpegContext ctx;
  ctx.limits = &limits;
  ctx.pixels = &pixels;
  const bool ok = jpeg_read_all(&cinfo, &err, data, size, &ctx);
  const bool truncated = err.premature_end;
  jpeg_destroy_decompress(&cinfo);
  if (ctx.size_refused) {
    Status limit = check_image_size(ctx.width, ctx.height, name, limits);
    if (!limit.ok()) return std::move(limit).error();
  }
  if (!ok) {
    return Error(ErrorCode::kInvalidFile, std::string("jpeg: ") + err.message + ". Perhaps a truncated or corrupt file?")
        .with_path(name);
  }
  if (truncated) {
    // libjpeg pads a cut-off scan with grey and only warns; PIL raises "image file is truncated". So do we.
    return Error(ErrorCode::kInvalidFile, "jpeg: the compressed data ends early or is corrupt (libjpeg: premature end "
                                          "of data). Perhaps a truncated file?")
        .with_path(name);
  }
  RgbImage image;
  image.width = ctx.width;
  image.height = ctx.height;
  image.source_mode = jpeg_mode(ctx.space);
  const size_t count = static_cast<size_t>(ctx.width) * static_cast<size_t>(ctx.height);
  if (ctx.components == 3) {
    image.rgb = std::move(pixels);
  } else if (ctx.components == 1) {
    image.rgb.resize(count * 3);
    for (size_t i = 0; i < count; ++i) image.rgb[i * 3] = image.rgb[i * 3 + 1] = image.rgb[i * 3 + 2] = pixels[i];
  } else if (ctx.components == 4) {
    image.rgb.resize(count * 3);
    cmyk_to_rgb(pixels.data(), image.rgb.data(), count, ctx.adobe);
  } else {
    return Error(ErrorCode::kUnsupported, "jpeg: " + std::to_string(ctx.components) +
                                              " output components, expected 1 (gray), 3 (RGB) or 4 (CMYK)")
        .with_path(name);
  }
  apply_exif_orientation(ctx.orientation, &image);  // HF's load_image: ImageOps.exif_transpose
  image.orientation = ctx.orientation;
  return image;
}

}  // namespace hfb::media
