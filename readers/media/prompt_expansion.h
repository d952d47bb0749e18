// Gemma4Processor's placeholder expansion on token ids: each image / audio marker becomes
// begin + N soft-token ids + end; mm_token_type_ids mark the soft-token positions.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "readers/media/processor_config.h"

namespace hfb::media {

/// mm_token_type_ids values (processing_gemma4 / the bidirectional vision mask).
constexpr int64_t kTokenTypeText = 0;
constexpr int64_t kTokenTypeImage = 1;
constexpr int64_t kTokenTypeVideo = 2;
constexpr int64_t kTokenTypeAudio = 3;

struct ExpandedPrompt {
  std::vector<int64_t> ids;
  std::vector<int64_t> mm_token_type_ids;  ///< same length as ids
};

/// Expands every tokens.image id into boi + image × image_soft_tokens[k] + eoi (k-th image in order of
/// appearance), every tokens.audio id into boa + audio × audio_soft_tokens[k] + eoa; video ids are left as they
/// are (marked 2). Fails with kInvalidArgument when the number of markers differs from the number of media given
/// (naming both counts) or the model lacks the delimiter ids a marker needs.
Result<ExpandedPrompt> expand_prompt_ids(const std::vector<int64_t>& ids, const MediaTokenIds& tokens,
                                         const std::vector<int64_t>& image_soft_tokens,
                                         const std::vector<int64_t>& audio_soft_tokens);

/// True when `ids` already holds expanded runs (a boi or boa id is present): the prompt is used as given.
bool prompt_is_expanded(const std::vector<int64_t>& ids, const MediaTokenIds& tokens);

}  // namespace hfb::media
