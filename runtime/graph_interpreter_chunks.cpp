// GraphInterpreter for chunk subgraphs: boundary inputs produced by an earlier chunk, KV states shared
// with the interpreter of the chunk that writes them, and runs whose cache appends are committed later.
#include <algorithm>
#include <array>
#include <string_view>

#include "runtime/graph_interpreter.h"

namespace hfb {
namespace {

/// Float graph inputs set through set_media, not set_input.
constexpr std::array<std::string_view, 3> kMediaInputs = {"input_features", "input_features_mask", "pixel_values"};

bool is_boundary_input(const Graph& graph, const std::string& name) {
  const ValueInfo* value = graph.find_value(name);
  if (value == nullptr || value->kind != ValueKind::kInput || value->dtype != DTypeId::kF32) return false;
  return std::find(kMediaInputs.begin(), kMediaInputs.end(), name) == kMediaInputs.end();
}

/// Rows the value has for a run of `length` positions, and the elements of one row.
std::pair<int64_t, int64_t> rows_and_width(const std::vector<int64_t>& dims, int64_t length) {
  if (dims.empty()) return {1, 1};
  int64_t width = 1;
  for (size_t d = 1; d < dims.size(); ++d) width *= dims[d] == kSeqDim ? length : dims[d];
  return {dims[0] == kSeqDim ? length : dims[0], width};
}

}  // namespace

Status GraphInterpreter::set_input(const std::string& name, const Matrix& value) {
  if (!is_boundary_input(graph_, name)) {
    return Error(ErrorCode::kNotFound, "runtime: graph has no boundary input '" + name + "'");
  }
  const ValueInfo* info = graph_.find_value(name);
  const int index = static_cast<int>(info - graph_.data().values.data());
  const auto [rows, width] = rows_and_width(info->dims, value.rows);
  if (rows != value.rows || width != value.cols ||
      static_cast<int64_t>(value.data.size()) != value.rows * value.cols) {
    return Error(ErrorCode::kInvalidArgument, "runtime: boundary input '" + name + "' is [" +
                                                  std::to_string(value.rows) + ", " + std::to_string(value.cols) +
                                                  "], graph expects " + dims_to_string(info->dims));
  }
  boundary_floats_[index] = value;
  return ok_status();
}

Status GraphInterpreter::check_boundary_inputs(int64_t length) const {
  for (const std::string& name : graph_.data().inputs) {
    if (!is_boundary_input(graph_, name)) continue;
    const ValueInfo* info = graph_.find_value(name);
    auto it = boundary_floats_.find(static_cast<int>(info - graph_.data().values.data()));
    if (it == boundary_floats_.end()) {
      return Error(ErrorCode::kInvalidArgument, "runtime: boundary input '" + name + "' was not set");
    }
    if (rows_and_width(info->dims, length).first != it->second.rows) {
      return Error(ErrorCode::kInvalidArgument, "runtime: boundary input '" + name + "' has " +
                                                    std::to_string(it->second.rows) + " rows, the run has " +
                                                    std::to_string(length) + " positions");
    }
  }
  return ok_status();
}

Status GraphInterpreter::share_state(const std::string& state, const GraphInterpreter* writer) {
  const StateInfo* info = graph_.find_state(state);
  const KvCache* source = writer ? writer->cache(state) : nullptr;
  if (info == nullptr || source == nullptr) {
    return Error(ErrorCode::kNotFound, "runtime: state '" + state + "' missing in this or the writer's graph");
  }
  if (!info->imported) {
    return Error(ErrorCode::kInvalidArgument, "runtime: state '" + state + "' is not imported by this graph");
  }
  shared_caches_[info - graph_.data().states.data()] = source;
  return ok_status();
}

}  // namespace hfb
