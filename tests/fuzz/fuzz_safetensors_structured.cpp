// Structured libFuzzer target: builds mostly-valid safetensors files (right framing, plausible JSON,
// offsets usually consistent) from a FuzzedDataProvider, so the fuzzer spends its time in the entry and
// layout checks instead of the JSON lexer. Same invariants as fuzz_safetensors.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "readers/safetensors.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

const char* const kDTypes[] = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "Q4_0", "F8_E4M3", ""};
const uint64_t kDTypeBytes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 1, 1, 1};
const char* const kNames[] = {"w", "a", "model.embed_tokens.weight", "__metadata__", "b\\u0000", "\\u0061"};
const char* const kOddDims[] = {"-1", "2.5", "18446744073709551615", "4294967296", "1e400", "\"3\"", "null"};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c < 0x20) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// One header entry; advances `cursor` by the bytes it claims.
std::string make_entry(FuzzedDataProvider& fdp, uint64_t& cursor) {
  const size_t d = fdp.ConsumeIntegralInRange<size_t>(0, sizeof(kDTypes) / sizeof(kDTypes[0]) - 1);
  std::string shape = "[";
  uint64_t numel = 1;
  const int rank = fdp.ConsumeIntegralInRange<int>(0, fdp.ConsumeProbability<float>() < 0.05f ? 10 : 3);
  for (int i = 0; i < rank; ++i) {
    if (i) shape += ",";
    if (fdp.ConsumeProbability<float>() < 0.05f) {
      shape += fdp.PickValueInArray(kOddDims);
      continue;
    }
    const uint64_t dim = fdp.ConsumeIntegralInRange<uint64_t>(0, 6);
    numel *= dim;
    shape += std::to_string(dim);
  }
  shape += "]";
  uint64_t begin = cursor;
  uint64_t end = cursor + numel * kDTypeBytes[d];
  if (fdp.ConsumeProbability<float>() < 0.1f) begin += fdp.ConsumeIntegralInRange<int>(-3, 3);
  if (fdp.ConsumeProbability<float>() < 0.1f) end += fdp.ConsumeIntegralInRange<int>(-3, 3);
  cursor = end;
  std::string entry = std::string("{\"dtype\":") + json_string(kDTypes[d]) + ",\"shape\":" + shape;
  if (fdp.ConsumeProbability<float>() < 0.97f) {
    entry += ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]";
  }
  return entry + "}";
}

std::vector<uint8_t> make_file(FuzzedDataProvider& fdp) {
  std::string header = "{";
  if (fdp.ConsumeBool()) header += "\"__metadata__\":{\"format\":\"pt\"},";
  uint64_t cursor = 0;
  const int count = fdp.ConsumeIntegralInRange<int>(0, 6);
  for (int i = 0; i < count; ++i) {
    if (i) header += ",";
    // kNames are already JSON-escaped (and may collide after unescaping: "a0" vs "\u00610").
    const std::string name = fdp.ConsumeBool()
                                 ? "\"" + std::string(fdp.PickValueInArray(kNames)) + std::to_string(i % 2) + "\""
                                 : json_string(fdp.ConsumeRandomLengthString(12));
    header += name + ":" + make_entry(fdp, cursor);
  }
  header += "}";
  header.append(fdp.ConsumeIntegralInRange<size_t>(0, 7), ' ');
  uint64_t data_size = cursor;
  if (fdp.ConsumeProbability<float>() < 0.1f) data_size += fdp.ConsumeIntegralInRange<int>(-4, 4);
  data_size = std::min<uint64_t>(data_size, 1 << 16);
  uint64_t declared = header.size();
  if (fdp.ConsumeProbability<float>() < 0.05f) declared = fdp.ConsumeIntegral<uint64_t>();
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(declared >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_size, 0x5A);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  std::vector<uint8_t> bytes = make_file(fdp);
  const uint64_t file_size = bytes.size();
  auto source = std::make_shared<hfb::MemorySource>(std::move(bytes), "structured.safetensors");
  auto parsed = hfb::parse_safetensors_file(source);
  if (!parsed.ok()) {
    require(!parsed.error().message.empty());
    require(parsed.error().path == "structured.safetensors");
    require(parsed.error().code != hfb::ErrorCode::kInternal);
    return 0;
  }
  uint64_t next = parsed->data_offset;
  for (const hfb::TensorInfo& t : parsed->tensors) {
    require(t.offset == next);
    require(t.shape.num_bytes(t.dtype) == t.num_bytes);
    require(t.source->read(t.offset, t.num_bytes).ok());
    next = t.offset + t.num_bytes;
  }
  require(next == file_size);
  return 0;
}
