// Synthetic Gemma-4-shaped text models with seeded random float32 weights, built in memory (for runtime, pass and
// parity tests; no checkpoint on disk). pipeline/synthetic_model.h holds any such model's weights for the runtime.
#pragma once

#include <cstdint>

#include "core/error.h"
#include "core/model.h"

namespace hfb {

struct SyntheticModelSpec {
  int num_layers = 4;
  int hidden_size = 64;
  int vocab_size = 256;
  int num_heads = 2;
  int num_kv_heads = 1;
  int head_dim = 32;          ///< sliding layers
  int full_head_dim = 64;     ///< full-attention layers
  int full_kv_heads = 1;
  int intermediate_size = 128;
  int ple_width = 16;         ///< 0: no per-layer embeddings
  int num_kv_shared_layers = 2;
  int sliding_window = 8;
  int full_every = 2;         ///< layer i is full attention iff i % full_every == full_every - 1
  bool k_eq_v = false;
  bool double_wide_mlp = false;
  uint32_t seed = 1;
  float weight_scale = 0.05f;
};

/// Makes the model: resolved config plus a tensor table with roles, every tensor F32 with a MemorySource holding
/// its bytes. Fails with kInvalidArgument if the spec is inconsistent (e.g. a KV-shared layer has no earlier layer
/// of its attention type to read from, or num_heads is not a multiple of kv heads).
Result<Model> make_synthetic_gemma4(const SyntheticModelSpec& spec);

/// The resolved per-layer config the spec describes (KV-sharing sources resolved as HF does).
Result<ModelConfig> synthetic_gemma4_config(const SyntheticModelSpec& spec);

}  // namespace hfb
