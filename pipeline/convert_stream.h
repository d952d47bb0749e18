// Streams one tensor of a convert: reads the checkpoint in row blocks, quantizes each block as the policy
// decided, appends the result to the open chunk file and releases the consumed source pages.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "quant/coverage.h"
#include "quant/policy.h"

namespace hfb {

class BundleWriter;

/// Source bytes read per block (rounded to whole rows, and to whole k-means groups). Peak memory of a
/// convert is a few of these plus the scales of the tensor being written, whatever the checkpoint size.
constexpr uint64_t kConvertBlockBytes = 8ull << 20;

/// Where one tensor goes. writer == nullptr: dry run (quantize and measure, write nothing).
struct TensorTarget {
  BundleWriter* writer = nullptr;
  std::string file;    ///< data file ("chunk_01.bin"), declared on the writer
  std::string chunk;   ///< chunk name, "" if shared
  /// Called after every block with the source bytes consumed so far in this tensor (may be empty).
  std::function<void(uint64_t)> on_bytes;
  /// Calibration weights per input column (quant/weighted_quantize.h); null: quantize as usual.
  const std::vector<float>* column_weights = nullptr;
};

/// What streaming one tensor produced.
struct StreamedTensor {
  CoverageEntry coverage;     ///< scheme, reason, bytes before/after, metrics (quantized tensors)
  uint64_t stored_bytes = 0;  ///< bytes the tensor takes in its file, 64-byte alignment padding included
};


/// Rows per streamed block for this decision: whole tensor for per-tensor scales/LUTs, else about
/// kConvertBlockBytes of source, a multiple of the k-means group size. Always >= 1.
int64_t convert_block_rows(const TensorInfo& info, const TensorDecision& decision);

/// Streams `info` into `target` as `decision` says: kNone copies the source bytes as one "data" segment;
/// any scheme writes "codes" (streamed), then "scales" and "lut" when non-empty, bytes identical to
/// quantize() of the whole tensor. Fails with the ByteSource's error for unreadable bytes, quantize()'s
/// (non-finite input, f16 scale overflow) and the writer's (I/O, naming the file), the tensor named.
Result<StreamedTensor> stream_tensor(const TensorInfo& info, const TensorDecision& decision,
                                     const TensorTarget& target);

}  // namespace hfb
