// The chunk plan as JSON (`inspect --json`, the convert report), with the bundle's chunk-kind spellings.
#pragma once

#include <string>

#include "passes/chunk_plan.h"

namespace hfb {

/// The name a chunk of this kind gets in the bundle manifest and every report (formats/bundle_format.h):
/// "embedding", "decoder", "head", "audio", "vision".
std::string chunk_kind_name(ChunkKind kind);

/// The plan as one JSON object (never fails):
/// {"num_layers": n, "kv_boundary": b, "chunks": [{"name", "kind" (chunk_kind_name), "layers": [begin, end]
/// (decoder chunks; null otherwise), "bytes", "tensors": [...], "borrowed": [...], "inputs": [...],
/// "outputs": [...] (BoundaryValue::name())}, ...]}. `with_tensors` false leaves the tensor lists out.
std::string chunk_plan_to_json(const ChunkPlan& plan, bool with_tensors = true);

}  // namespace hfb
