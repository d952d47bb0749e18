// llama-quantize itself, as a library call: llama_model_quantize(IN, OUT, {ftype, pure = true}) from libllama of the
// npm package's prebuilt llama.cpp (release v0.5.0). `pure` stores every quantizable tensor in the one target type
// (no per-tensor mixture), so its blocks can be compared byte for byte with hfbundle's q4_0 / q8_0 GGUF export.
// Compiled at test time by scripts/llama-reference.sh against include/llama.h of the package's gitRelease.bundle.
// Usage: llama_quantize IN.gguf OUT.gguf q4_0|q8_0   (exit 0 ok, 1 quantization failed, 2 usage)
#include <stdio.h>
#include <string.h>

#include "llama.h"

static void quiet_log(enum ggml_log_level level, const char *text, void *user_data) {
  (void)user_data;
  if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[3], "q4_0") != 0 && strcmp(argv[3], "q8_0") != 0)) {
    fprintf(stderr, "usage: llama_quantize IN.gguf OUT.gguf q4_0|q8_0\n");
    return 2;
  }
  llama_log_set(quiet_log, NULL);
  llama_backend_init();
  struct llama_model_quantize_params params = llama_model_quantize_default_params();
  params.ftype = strcmp(argv[3], "q4_0") == 0 ? LLAMA_FTYPE_MOSTLY_Q4_0 : LLAMA_FTYPE_MOSTLY_Q8_0;
  params.pure = true;
  params.nthread = 1;  // the blocks do not depend on it; one thread keeps the run cheap on a shared machine
  uint32_t rc = llama_model_quantize(argv[1], argv[2], &params);
  llama_backend_free();
  if (rc != 0) {
    fprintf(stderr, "llama_quantize: llama_model_quantize(%s -> %s, %s, pure) failed (%u)\n", argv[1], argv[2], argv[3],
            rc);
    return 1;
  }
  return 0;
}
