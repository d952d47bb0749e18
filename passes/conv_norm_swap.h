// conv-norm-swap (opt-in): undo llama.cpp's Gemma 4 audio mapping, which swaps the two lconv1d
// norms (pre_layer_norm <-> conv_norm), by rewiring the two rms_norm nodes of every light-conv block.
#pragma once

#include "passes/pass.h"

namespace hfb {

class ConvNormSwapPass final : public Pass {
 public:
  std::string_view name() const override { return "conv-norm-swap"; }
  std::string_view summary() const override {
    return "swap the lconv1d pre/conv norms back for sources mapped by llama.cpp (opt-in)";
  }
  bool enabled_by_default() const override { return false; }
  /// In every audio light-conv block of context.graph, found by roles (the rms_norm feeding the
  /// audio_lconv_start linear through clip/clamp nodes, and the rms_norm fed by the node reading
  /// the audio_depthwise_conv weight), swaps the two norms' weight inputs: two kTensorRewired
  /// changes per block. Fails with kInvalidArgument, changing nothing, without a graph, when a
  /// block's norms are not found or their weights differ in shape.
  Result<PassReport> run(PassContext& context) const override;
};

}  // namespace hfb
