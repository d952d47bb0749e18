// embed-proj-fusion: the multimodal embedders (weightless RMSNorm + embedding_projection) join their
// tower's chunk, so the audio / vision chunk emits text-hidden-size soft tokens directly.
#pragma once

#include "passes/pass.h"

namespace hfb {

class EmbedProjFusionPass final : public Pass {
 public:
  std::string_view name() const override { return "embed-proj-fusion"; }
  std::string_view summary() const override {
    return "move the audio/vision embedder (norm + projection) into the tower chunk";
  }
  bool enabled_by_default() const override { return true; }
  /// Sets context.chunk_request.embedders_in_towers (and re-plans an existing chunk plan), reporting
  /// each embedder projection as a moved tensor and, when a graph is given, the projection node as a
  /// moved node, plus notes on what could not be folded and why. A second run changes nothing.
  /// Fails (changing nothing) with kInvalidArgument when the model or graph is not what it
  /// understands: a tower without exactly one embedder projection, a projection not shaped
  /// [text hidden, tower width], or a graph whose projection is not fed by a weightless rms_norm of
  /// the tower output (audio: linear output_proj + bias_add; vision: standardize or reshape).
  Result<PassReport> run(PassContext& context) const override;
};

}  // namespace hfb
