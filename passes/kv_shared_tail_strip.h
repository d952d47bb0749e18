// kv-shared-tail-strip: drop the k_proj/v_proj/k_norm/v_norm weights that release checkpoints carry
// for KV-shared decoder layers (the model reads the producer layer's cache instead).
#pragma once

#include "passes/pass.h"

namespace hfb {

class KvSharedTailStripPass final : public Pass {
 public:
  std::string_view name() const override { return "kv-shared-tail-strip"; }
  std::string_view summary() const override {
    return "remove K/V projection and norm weights of KV-shared layers (never read)";
  }
  bool enabled_by_default() const override { return true; }
  /// Removes every text tensor with role attn_k/attn_v/attn_k_norm/attn_v_norm whose layer reads
  /// another layer's K/V (config kv_shared_from >= 0), matched by role and layer only. Fails with
  /// kInvalidArgument, changing nothing, if such a tensor is marked used, names a layer the config
  /// does not have, or the graph still reads it.
  Result<PassReport> run(PassContext& context) const override;
};

}  // namespace hfb
