// The op graph's calling convention: the names of the graph inputs a runtime feeds, the output it reads and
// the taps it may capture. Model builders (models/) produce graphs with these names; the runtime, the chunk
// planner and the validators read them from here, so none of them needs to know a model family.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hfb {

inline constexpr const char* kGraphInputIds = "input_ids";                      ///< [L] I64 token ids
inline constexpr const char* kGraphPositions = "positions";                     ///< [L] I64 absolute positions
inline constexpr const char* kGraphLogits = "logits";                           ///< [L, V] F32 output
inline constexpr const char* kGraphInputFeatures = "input_features";            ///< [T, n_mels] F32 audio frames
inline constexpr const char* kGraphInputFeaturesMask = "input_features_mask";  ///< [T] F32, 1 = valid frame
inline constexpr const char* kGraphPixelValues = "pixel_values";                ///< [P, 3*patch^2] F32 in [0, 1]
inline constexpr const char* kGraphImagePositionIds = "image_position_ids";     ///< [P, 2] I64 (x, y); (-1,-1) pad

/// The inputs that change with every token step.
inline constexpr std::array<const char*, 2> kGraphTokenInputs = {kGraphInputIds, kGraphPositions};
/// The media inputs, fed once per prompt (absent from a graph without the matching tower).
inline constexpr std::array<const char*, 4> kGraphMediaInputs = {kGraphInputFeatures, kGraphInputFeaturesMask,
                                                                 kGraphPixelValues, kGraphImagePositionIds};

/// Whether `name` is one of kGraphMediaInputs.
inline bool is_graph_media_input(std::string_view name) {
  for (const char* media : kGraphMediaInputs) {
    if (name == media) return true;
  }
  return false;
}

/// Row where each image of a stacked multi-image kGraphImagePositionIds input starts (a patch at (0, 0) starts
/// an image; the processor emits patches row-major from (0, 0), padding at (-1, -1) after them), then `patches`.
inline std::vector<int64_t> image_starts(const int64_t* positions, int64_t patches) {
  std::vector<int64_t> starts;
  for (int64_t p = 0; p < patches; ++p) {
    if (positions[2 * p] == 0 && positions[2 * p + 1] == 0) starts.push_back(p);
  }
  if (starts.empty() || starts.front() != 0) starts.insert(starts.begin(), 0);
  starts.push_back(patches);
  return starts;
}

/// Tap "hidden_states.<i>" in HF's output_hidden_states meaning (0 = scaled embeddings, i = after layer i).
inline std::string hidden_states_tap(int index) { return "hidden_states." + std::to_string(index); }
/// Tap "moe_routing.<layer>": the moe_route output [L, 2*top_k] of a MoE layer (expert ids, then weights).
inline std::string moe_routing_tap(int layer) { return "moe_routing." + std::to_string(layer); }

}  // namespace hfb
