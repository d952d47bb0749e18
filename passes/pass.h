// The pass interface: a named rewrite of a core::Model (its tensor table and, when built, its op
// graph) that says in a PassReport exactly what it changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/model.h"
#include "core/role.h"
#include "passes/chunk_plan.h"

namespace hfb {

/// One thing a pass changed.
struct PassChange {
  enum class Kind : uint8_t {
    kTensorRemoved,       ///< dropped from the tensor table (not written)
    kTensorRewired,       ///< a consumer now reads another tensor
    kTensorFused,         ///< folded into another tensor
    kInitializerRemoved,  ///< a graph initializer dropped (its tensor may stay in the table)
    kNodeRemoved,         ///< a graph node dropped
    kTensorMoved,         ///< now owned by another chunk (bytes: the tensor's size, not saved)
    kNodeMoved,           ///< now computed in another chunk
  };
  Kind kind = Kind::kTensorRemoved;
  std::string name;       ///< tensor, initializer or node name
  Role role = Role::kNorm;
  Tower tower = Tower::kText;
  int layer = -1;
  uint64_t bytes = 0;     ///< bytes no longer written (tensor removals)
  std::string reason;
};

std::string_view pass_change_kind_name(PassChange::Kind kind);

/// What a pass did. Empty `changes` means the pass found nothing to do (passes are idempotent).
struct PassReport {
  std::string pass;
  std::vector<PassChange> changes;
  std::vector<std::string> notes;  ///< free-form lines (the chunk plan, skipped work)

  size_t count(PassChange::Kind kind) const;
  /// Sum of `bytes` over tensor removals.
  uint64_t bytes_saved() const;
  bool changed() const { return !changes.empty(); }
  /// "kv-shared-tail-strip: 6 tensors removed (24576 bytes saved)" plus one line per change/note.
  std::string to_string() const;
};

/// Everything a pass may read or rewrite.
struct PassContext {
  Model* model = nullptr;
  /// The op graph when one has been built (nullptr: passes work on the tensor table only).
  /// TODO(#6): moves into core::Model once the Model carries its graph.
  Graph* graph = nullptr;
  ChunkRequest chunk_request;             ///< input of chunk-plan
  std::optional<ChunkPlan> chunk_plan;    ///< output of chunk-plan
};

class Pass {
 public:
  virtual ~Pass() = default;
  /// Stable CLI name ("kv-shared-tail-strip").
  virtual std::string_view name() const = 0;
  /// One line for `--help` and docs.
  virtual std::string_view summary() const = 0;
  virtual bool enabled_by_default() const = 0;
  /// Rewrites context.model (and context.graph when set). Fails without changing anything when
  /// the input is not what the pass understands (the error says what and why).
  virtual Result<PassReport> run(PassContext& context) const = 0;
};

}  // namespace hfb
