// Parsing of `--chunks auto|N|RANGES` and the names of boundary values.
#include <cctype>
#include <optional>
#include <string>

#include "core/graph_io.h"
#include "passes/chunk_plan.h"

namespace hfb {
namespace {

constexpr int kMaxLayerIndex = 1 << 20;

Error chunks_error(std::string message) {
  return Error(ErrorCode::kInvalidArgument, "--chunks: " + std::move(message));
}

/// A non-negative decimal integer, or nullopt.
std::optional<int> parse_index(std::string_view text) {
  if (text.empty() || text.size() > 7) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > kMaxLayerIndex) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Result<LayerRange> parse_range(std::string_view item, size_t ordinal) {
  const std::string where = "range " + std::to_string(ordinal + 1) + " '" + std::string(item) + "'";
  const size_t dash = item.find('-');
  std::string_view first = trim(dash == std::string_view::npos ? item : item.substr(0, dash));
  std::string_view last = trim(dash == std::string_view::npos ? item : item.substr(dash + 1));
  auto a = parse_index(first);
  auto b = parse_index(last);
  if (!a || !b) {
    return chunks_error(where + ": expected FIRST-LAST with non-negative layer indices");
  }
  if (*b < *a) {
    return chunks_error(where + ": last layer " + std::to_string(*b) + " is before first layer " +
                        std::to_string(*a));
  }
  return LayerRange{*a, *b + 1};
}

Result<ChunkRequest> parse_ranges(std::string_view text) {
  ChunkRequest request;
  request.mode = ChunkRequest::Mode::kRanges;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = trim(text.substr(start, comma - start));
    if (item.empty()) {
      return chunks_error("empty range at position " + std::to_string(request.ranges.size() + 1) +
                          " in '" + std::string(text) + "'");
    }
    HFB_TRY(LayerRange range, parse_range(item, request.ranges.size()));
    request.ranges.push_back(range);
    start = comma + 1;
  }
  if (request.ranges.size() < 2) {
    return chunks_error("'" + std::string(text) + "' gives 1 chunk; the decoder needs at least 2");
  }
  return request;
}

}  // namespace

ChunkRequest ChunkRequest::with_count(int n) {
  ChunkRequest request;
  request.mode = Mode::kCount;
  request.count = n;
  return request;
}

Result<ChunkRequest> ChunkRequest::parse(std::string_view raw) {
  std::string_view text = trim(raw);
  if (text.empty()) return chunks_error("empty value; expected auto, N or ranges like 0-7,8-14");
  if (text == "auto") return automatic();
  if (text.find_first_of(",-") == std::string_view::npos) {
    auto n = parse_index(text);
    if (!n) {
      return chunks_error("'" + std::string(text) + "' is not auto, a chunk count or ranges");
    }
    if (*n < 2) {
      return chunks_error("chunk count " + std::to_string(*n) + " is below 2");
    }
    return with_count(*n);
  }
  return parse_ranges(text);
}

std::string BoundaryValue::name() const {
  switch (kind) {
    case Kind::kTokenIds: return kGraphInputIds;
    case Kind::kHiddenState: return "hidden_state";
    case Kind::kPositions: return kGraphPositions;
    case Kind::kPleSlice:
      return "ple[" + std::to_string(layer_begin) + ":" + std::to_string(layer_end) + "]";
    case Kind::kSharedKv: return "kv." + std::to_string(layer_begin);
    case Kind::kLogits: return kGraphLogits;
    case Kind::kAudioFeatures: return "audio_features";
    case Kind::kAudioSoftTokens: return "audio_soft_tokens";
    case Kind::kPixelValues: return kGraphPixelValues;
    case Kind::kImageSoftTokens: return "image_soft_tokens";
    case Kind::kAudioTowerOutput: return "audio_tower_output";
    case Kind::kImageTowerOutput: return "image_tower_output";
  }
  return "?";
}

}  // namespace hfb
