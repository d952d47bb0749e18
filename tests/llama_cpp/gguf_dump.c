// Dumps a GGUF file as JSON through ggml's own parser (gguf_init_from_file in libggml-base of the npm package's
// prebuilt llama.cpp), so hfbundle's files are judged by llama.cpp's reader, not by ours.
// Output: version, alignment, data_offset, every key (name, GGUF type, value; arrays with their element type and
// every element) and every tensor (name, ggml type, ne, offset relative to the data section, absolute offset,
// size in bytes). The comparator (llama_checks.mjs) reads tensor bytes at the absolute offsets given here.
// Compiled at test time by scripts/llama-reference.sh against the headers of the package's gitRelease.bundle.
// Usage: gguf_dump FILE.gguf   (exit 0 ok, 1 the file is rejected by gguf_init_from_file, 2 usage)
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "ggml.h"
#include "gguf.h"

static void print_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static void print_float(double v) {
  if (isfinite(v)) printf("%.17g", v);
  else printf("\"%s\"", isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
}

// One element of type `type` stored at `data` (scalars and array elements share the same layout).
static void print_scalar(enum gguf_type type, const void *data) {
  switch (type) {
    case GGUF_TYPE_UINT8: printf("%u", *(const uint8_t *)data); break;
    case GGUF_TYPE_INT8: printf("%d", *(const int8_t *)data); break;
    case GGUF_TYPE_UINT16: printf("%u", *(const uint16_t *)data); break;
    case GGUF_TYPE_INT16: printf("%d", *(const int16_t *)data); break;
    case GGUF_TYPE_UINT32: printf("%" PRIu32, *(const uint32_t *)data); break;
    case GGUF_TYPE_INT32: printf("%" PRId32, *(const int32_t *)data); break;
    case GGUF_TYPE_UINT64: printf("%" PRIu64, *(const uint64_t *)data); break;
    case GGUF_TYPE_INT64: printf("%" PRId64, *(const int64_t *)data); break;
    case GGUF_TYPE_FLOAT32: print_float(*(const float *)data); break;
    case GGUF_TYPE_FLOAT64: print_float(*(const double *)data); break;
    case GGUF_TYPE_BOOL: printf("%s", *(const int8_t *)data ? "true" : "false"); break;
    default: printf("null"); break;
  }
}

static size_t scalar_size(enum gguf_type type) {
  switch (type) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    default: return 8;
  }
}

static void print_value(const struct gguf_context *ctx, int64_t id) {
  enum gguf_type type = gguf_get_kv_type(ctx, id);
  if (type == GGUF_TYPE_STRING) {
    print_string(gguf_get_val_str(ctx, id));
    return;
  }
  if (type != GGUF_TYPE_ARRAY) {
    print_scalar(type, gguf_get_val_data(ctx, id));
    return;
  }
  enum gguf_type elem = gguf_get_arr_type(ctx, id);
  size_t n = gguf_get_arr_n(ctx, id);
  const char *data = elem == GGUF_TYPE_STRING ? NULL : (const char *)gguf_get_arr_data(ctx, id);
  putchar('[');
  for (size_t i = 0; i < n; ++i) {
    if (i) putchar(',');
    if (elem == GGUF_TYPE_STRING) print_string(gguf_get_arr_str(ctx, id, i));
    else print_scalar(elem, data + i * scalar_size(elem));
  }
  putchar(']');
}

static void print_keys(const struct gguf_context *ctx) {
  printf(" \"keys\": [\n");
  for (int64_t i = 0; i < gguf_get_n_kv(ctx); ++i) {
    enum gguf_type type = gguf_get_kv_type(ctx, i);
    printf("  {\"name\": ");
    print_string(gguf_get_key(ctx, i));
    printf(", \"type\": \"%s\"", gguf_type_name(type));
    if (type == GGUF_TYPE_ARRAY) printf(", \"elem_type\": \"%s\"", gguf_type_name(gguf_get_arr_type(ctx, i)));
    printf(", \"value\": ");
    print_value(ctx, i);
    printf("}%s\n", i + 1 < gguf_get_n_kv(ctx) ? "," : "");
  }
  printf(" ],\n");
}

static void print_tensors(const struct gguf_context *ctx) {
  size_t data_offset = gguf_get_data_offset(ctx);
  printf(" \"tensors\": [\n");
  for (int64_t i = 0; i < gguf_get_n_tensors(ctx); ++i) {
    const int64_t *ne = gguf_get_tensor_ne(ctx, i);
    int n_dims = GGML_MAX_DIMS;
    while (n_dims > 1 && ne[n_dims - 1] == 1) --n_dims;
    printf("  {\"name\": ");
    print_string(gguf_get_tensor_name(ctx, i));
    printf(", \"type\": \"%s\", \"ne\": [", ggml_type_name(gguf_get_tensor_type(ctx, i)));
    for (int d = 0; d < n_dims; ++d) printf("%s%" PRId64, d ? "," : "", ne[d]);
    size_t offset = gguf_get_tensor_offset(ctx, i);
    printf("], \"offset\": %zu, \"file_offset\": %zu, \"size\": %zu}%s\n", offset, data_offset + offset,
           gguf_get_tensor_size(ctx, i), i + 1 < gguf_get_n_tensors(ctx) ? "," : "");
  }
  printf(" ]\n");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gguf_dump FILE.gguf\n");
    return 2;
  }
  struct gguf_init_params params = {.no_alloc = true, .ctx = NULL};
  struct gguf_context *ctx = gguf_init_from_file(argv[1], params);
  if (!ctx) {
    fprintf(stderr, "gguf_dump: %s: rejected by ggml's gguf_init_from_file\n", argv[1]);
    return 1;
  }
  printf("{\n \"version\": %" PRIu32 ", \"alignment\": %zu, \"data_offset\": %zu,\n", gguf_get_version(ctx),
         gguf_get_alignment(ctx), gguf_get_data_offset(ctx));
  print_keys(ctx);
  print_tensors(ctx);
  printf("}\n");
  gguf_free(ctx);
  return 0;
}
