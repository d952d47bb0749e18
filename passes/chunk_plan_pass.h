// chunk-plan as a pass: plans the model's chunks from context.chunk_request into context.chunk_plan.
#pragma once

#include "passes/pass.h"

namespace hfb {

class ChunkPlanPass final : public Pass {
 public:
  std::string_view name() const override { return "chunk-plan"; }
  std::string_view summary() const override {
    return "split the model into embeddings, decoder layer-range, head and tower chunks";
  }
  bool enabled_by_default() const override { return true; }
  /// Sets context.chunk_plan (the plan's lines become report notes; no tensor changes). Fails as
  /// plan_chunks does (a request that does not fit the model).
  Result<PassReport> run(PassContext& context) const override;
};

}  // namespace hfb
