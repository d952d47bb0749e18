// clip-linear-scoping: keep the clip bounds of towers whose use_clipped_linears is true and drop
// (and report) those of towers whose flag is false; audio and vision are decided independently.
#pragma once

#include "passes/pass.h"

namespace hfb {

class ClipLinearScopingPass final : public Pass {
 public:
  std::string_view name() const override { return "clip-linear-scoping"; }
  std::string_view summary() const override {
    return "drop clip bounds of towers whose use_clipped_linears is false";
  }
  bool enabled_by_default() const override { return true; }
  /// Removes every tensor with role clip_bound in the audio (vision) tower when the config's
  /// audio (vision) use_clipped_linears is false; matched by role and tower only. Fails with
  /// kUnsupported, changing nothing, for a clip bound in the text tower or in a tower the config
  /// does not have, and kInvalidArgument if a bound to drop is marked used or the graph reads it.
  Result<PassReport> run(PassContext& context) const override;
};

}  // namespace hfb
