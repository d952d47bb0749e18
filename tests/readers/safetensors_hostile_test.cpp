// The committed hostile files under fixtures/hostile/ are each refused with the right code and message.
#include <gtest/gtest.h>

#include <string>

#include "readers/safetensors.h"
#include "tests/readers/safetensors_test_util.h"

namespace hfb {
namespace {

struct HostileFile {
  const char* path;  ///< relative to fixtures/hostile/
  ErrorCode code;
  const char* tensor;
  const char* message_part;
};

constexpr HostileFile kHostileFiles[] = {
    {"header_past_eof.safetensors", ErrorCode::kInvalidFile, "", "header length 4096 runs past the end"},
    {"header_length_huge.safetensors", ErrorCode::kLimit, "", "exceeds the limit of 104857600 bytes"},
    {"truncated_data.safetensors", ErrorCode::kInvalidFile, "w", "data [0, 256) exceeds data section of 100 bytes"},
    {"overlapping.safetensors", ErrorCode::kInvalidFile, "b", "overlaps tensor 'a'"},
    {"numel_overflow.safetensors", ErrorCode::kLimit, "w", "overflows 64 bits"},
    {"duplicate_tensor.safetensors", ErrorCode::kInvalidFile, "", "duplicate key 'w'"},
    {"deep_nesting.safetensors", ErrorCode::kLimit, "", "nests deeper than 8 levels"},
    {"not_safetensors.safetensors", ErrorCode::kLimit, "", "not a safetensors file?"},
    {"shard-dotdot", ErrorCode::kInvalidFile, "model.embed_tokens.weight", "contains '..'"},
    {"shard-nested", ErrorCode::kInvalidFile, "model.embed_tokens.weight", "nested more than one folder deep"},
};

TEST(SafetensorsHostile, EveryCommittedHostileFileIsRefused) {
  for (const HostileFile& h : kHostileFiles) {
    SCOPED_TRACE(h.path);
    const std::string path = std::string(HFB_FIXTURES_DIR) + "/hostile/" + h.path;
    auto r = read_safetensors_checkpoint(path);
    ASSERT_FALSE(r.ok());
    const std::string expected_file = std::string(h.path).find("shard-") == 0 ? kSafetensorsIndexName : h.path;
    test::expect_error_matches(r.error(), {h.code, {h.message_part}, expected_file, h.tensor, {}});
    EXPECT_TRUE(r.error().offset.has_value()) << r.error().to_string();
  }
}

}  // namespace
}  // namespace hfb
