// Shared helper of the Gemma 4 tower builders: adds a tower's weights as initializers, names its values
// and emits clipped linears exactly as Gemma4ClippableLinear.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/tensor.h"

namespace hfb {

class TowerGraphContext {
 public:
  /// `prefix`: tensor-name prefix ("model.audio_tower."); `clipped`: whether clippable linears read their
  /// input_min/input_max/output_min/output_max bounds (the tower's use_clipped_linears).
  /// `force_bounds` (tests only) reads bounds even when the reader flagged them unused.
  TowerGraphContext(Graph* graph, const TensorTable* tensors, std::string prefix, bool clipped,
                    bool force_bounds = false)
      : graph_(graph), tensors_(tensors), prefix_(std::move(prefix)), clipped_(clipped), force_bounds_(force_bounds) {}

  /// The initializer for tensor prefix+suffix (added on first use). Fails with kNotFound naming the tensor
  /// if it is missing, kInvalidArgument if it is flagged unused.
  Result<std::string> weight(const std::string& suffix);
  /// Same for a tensor named in full (no prefix).
  Result<std::string> tensor(const std::string& name);
  bool has(const std::string& suffix) const;
  /// Appends a node whose name is its output; fails like Graph::add_node.
  Result<std::string> op(OpType type, std::vector<std::string> inputs, Attributes attrs, const std::string& out);
  /// clip(x, input bounds) -> linear(<module>.linear.weight) -> clip(output bounds) when clipped, else the
  /// plain linear. A missing bound is an absent input (+-inf). Values are named out + ".in" / ".raw".
  Result<std::string> clipped_linear(const std::string& x, const std::string& module, const std::string& out);
  /// Every tensor name this context consumed.
  const std::vector<std::string>& consumed() const { return consumed_; }

 private:
  Result<std::string> bound(const std::string& module, const char* which);

  Graph* graph_;
  const TensorTable* tensors_;
  std::string prefix_;
  bool clipped_;
  bool force_bounds_;
  std::vector<std::string> consumed_;
};

}  // namespace hfb
