// libFuzzer target: parse_gguf on arbitrary bytes. Invariants: no crash or UB, every failure carries a message, the
// file path and a code other than kInternal; every accepted file's tensors lie inside it at aligned, contiguous
// offsets in info order, and their bytes can be read.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/byte_source.h"
#include "readers/gguf.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto source = std::make_shared<hfb::MemorySource>(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
  auto parsed = hfb::parse_gguf(source);
  if (!parsed.ok()) {
    const hfb::Error& e = parsed.error();
    require(!e.message.empty());
    require(e.path == "fuzz.gguf");
    require(e.code != hfb::ErrorCode::kInternal);
    return 0;
  }
  const uint32_t alignment = parsed->alignment;
  require(alignment != 0 && (alignment & (alignment - 1)) == 0);
  require(parsed->data_offset % alignment == 0);
  uint64_t next = parsed->data_offset;
  for (const hfb::GgufTensorInfo& t : parsed->tensors) {
    require(t.offset == next);
    require(hfb::gguf::ggml_tensor_bytes(t.type, t.ne) == t.nbytes);
    auto span = parsed->tensor_data(t);
    require(span.ok());
    uint8_t sum = 0;
    for (uint64_t i = 0; i < span->size; ++i) sum = static_cast<uint8_t>(sum + span->data[i]);  // touch every byte
    (void)sum;
    next = t.offset + (t.nbytes + alignment - 1) / alignment * alignment;
  }
  for (const auto& [key, value] : parsed->metadata) {
    require(!value.type_name().empty());
    (void)value.count();
    (void)value.int_at(0);
  }
  return 0;
}
