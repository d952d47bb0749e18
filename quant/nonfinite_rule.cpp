// keep_nonfinite_float: a tensor holding NaN/Inf is kept float under --allow-nonfinite, never quantized
// into finite (and so meaningless) values.
#include "quant/nonfinite_rule.h"

#include <algorithm>
#include <cstring>

#include "quant/scheme.h"

namespace hfb {
namespace {

constexpr uint64_t kScanBlockBytes = 8ull << 20;

}  // namespace

int64_t count_nonfinite(const void* data, DType dtype, int64_t count) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  const int64_t element = static_cast<int64_t>(dtype.block_bytes());
  int64_t n = 0;
  for (int64_t at = 0; at < count;) {  // first_nonfinite (quant/scheme.h) holds the bit test; -1 for other dtypes
    const int64_t bad = first_nonfinite(bytes + at * element, dtype, count - at);
    if (bad < 0) break;
    ++n;
    at += bad + 1;
  }
  return n;
}

Result<int64_t> count_nonfinite(const TensorInfo& info) {
  const DTypeId id = info.dtype.id();
  if (id != DTypeId::kF32 && id != DTypeId::kF16 && id != DTypeId::kBF16) return int64_t{0};
  if (!info.source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(info.name);
  const uint64_t element = info.dtype.block_bytes();
  const uint64_t block = kScanBlockBytes / element * element;
  int64_t total = 0;
  for (uint64_t at = 0; at < info.num_bytes; at += block) {
    const uint64_t n = std::min(block, info.num_bytes - at);
    HFB_TRY(ByteSpan span, info.source->read(info.offset + at, n));
    total += count_nonfinite(span.data, info.dtype, static_cast<int64_t>(n / element));
    HFB_TRY(info.source->check_intact());
    info.source->release(info.offset + at, n);
  }
  return total;
}

std::string kept_float_reason(int64_t nonfinite, Scheme requested) {
  return "kept float: " + std::to_string(nonfinite) + " non-finite value" + (nonfinite == 1 ? "" : "s") +
         " (--allow-nonfinite; " + std::string(scheme_name(requested)) +
         " would turn them into finite values, so the tensor is stored as it is)";
}

Result<TensorDecision> keep_nonfinite_float(const TensorInfo& info, TensorDecision decision) {
  if (!decision.params.allow_nonfinite || decision.scheme == Scheme::kNone) return decision;
  HFB_TRY(int64_t nonfinite, count_nonfinite(info));
  if (nonfinite == 0) return decision;
  decision.reason = kept_float_reason(nonfinite, decision.scheme);
  decision.scheme = Scheme::kNone;
  decision.fallback = true;
  return decision;
}

}  // namespace hfb
