// The chunk-kind name table of the bundle format (formats/bundle_format.h).
#include "formats/bundle_format.h"

#include <utility>

#include "formats/bundle.pb.h"

namespace hfb {
namespace {

constexpr std::pair<bundle::ChunkKind, const char*> kChunkKinds[] = {
    {bundle::CHUNK_DECODER, "decoder"}, {bundle::CHUNK_EMBEDDING, "embedding"}, {bundle::CHUNK_PLE, "ple"},
    {bundle::CHUNK_HEAD, "head"},       {bundle::CHUNK_AUDIO, "audio"},         {bundle::CHUNK_VISION, "vision"}};
static_assert(sizeof(kChunkKinds) / sizeof(kChunkKinds[0]) == bundle::ChunkKind_ARRAYSIZE,
              "every bundle.proto ChunkKind needs a name here");

}  // namespace

std::string bundle_chunk_kind_name(int kind) {
  for (const auto& [value, name] : kChunkKinds) {
    if (value == kind) return name;
  }
  return "unknown";
}

bool bundle_chunk_kind_from_name(const std::string& name, int* kind) {
  for (const auto& [value, spelled] : kChunkKinds) {
    if (name == spelled) {
      *kind = value;
      return true;
    }
  }
  return false;
}

}  // namespace hfb
