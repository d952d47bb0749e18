// Buffer planning for the graph interpreter: one arena per sequence length, offsets assigned once by
// liveness (first fit), reshape outputs aliasing their input.
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"

namespace hfb {

/// Where each graph value lives for one sequence length.
struct BufferPlan {
  int64_t length = -1;                         ///< the sequence length the plan was made for
  std::vector<std::vector<int64_t>> dims;      ///< per value: dims with the symbolic length resolved
  std::vector<int64_t> elements;               ///< per value: element count
  std::vector<int64_t> offsets;                ///< per value: float offset into the arena, -1 if not in it
  int64_t arena_floats = 0;
};

/// Lifetime facts about a graph, computed once.
struct ValueLifetimes {
  std::vector<int> defined_by;  ///< per value: node index producing it, -1 for inputs/initializers
  std::vector<int> alias_of;    ///< per value: the value whose buffer it shares (reshape), or -1
  std::vector<int> last_use;    ///< per value (roots only meaningful): last node index needing its buffer
};

/// Computes lifetimes: node outputs die after their last reader, except graph outputs, taps and the k/v
/// inputs of state-writing attention nodes (borrowed by the cache until the run ends), which live to the end.
ValueLifetimes compute_value_lifetimes(const Graph& graph, const std::vector<std::vector<int>>& node_inputs,
                                       const std::vector<int>& node_outputs);

/// Assigns arena offsets to every node output for sequence length `length` (first fit over live blocks).
/// Values v with `one_row` non-null and (*one_row)[v] != 0 resolve the symbolic length to 1 instead.
BufferPlan plan_buffers(const Graph& graph, const ValueLifetimes& lifetimes, const std::vector<int>& node_outputs,
                        int64_t length, const std::vector<char>* one_row = nullptr);

}  // namespace hfb
