// libFuzzer target: parse_safetensors_file on arbitrary bytes. Invariants: no crash or UB, every failure
// carries a message and the file path, and every accepted file's tensors tile its data section exactly.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/byte_source.h"
#include "readers/safetensors.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto source = std::make_shared<hfb::MemorySource>(std::vector<uint8_t>(data, data + size), "fuzz.safetensors");
  auto parsed = hfb::parse_safetensors_file(source);
  if (!parsed.ok()) {
    const hfb::Error& e = parsed.error();
    require(!e.message.empty());
    require(e.path == "fuzz.safetensors");
    require(e.code != hfb::ErrorCode::kInternal);
    return 0;
  }
  uint64_t next = parsed->data_offset;
  for (const hfb::TensorInfo& t : parsed->tensors) {
    require(t.offset == next);
    require(t.shape.num_bytes(t.dtype) == t.num_bytes);
    auto span = t.source->read(t.offset, t.num_bytes);
    require(span.ok());
    uint8_t sum = 0;
    for (uint64_t i = 0; i < span->size; ++i) sum = static_cast<uint8_t>(sum + span->data[i]);  // touch every byte
    (void)sum;
    next = t.offset + t.num_bytes;
  }
  require(next == size);
  return 0;
}
