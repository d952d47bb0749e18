// replace_image_token / replace_audio_token of Gemma4Processor, applied to ids instead of text.
#include "readers/media/prompt_expansion.h"

#include <algorithm>

namespace hfb::media {
namespace {

Status check_marker_count(const char* kind, int64_t markers, size_t media) {
  if (markers == static_cast<int64_t>(media)) return ok_status();
  return Error(ErrorCode::kInvalidArgument, std::string("prompt: ") + std::to_string(markers) + " " + kind +
                                                " marker id(s) in the prompt but " + std::to_string(media) + " " +
                                                kind + " input(s) given; each marker takes one input, in order");
}

Status check_delimiters(const char* kind, int64_t marker, int64_t begin, int64_t end) {
  if (marker >= 0 && begin >= 0 && end >= 0) return ok_status();
  return Error(ErrorCode::kInvalidArgument, std::string("prompt: the model config lacks the ") + kind +
                                                " placeholder or its begin/end token ids (config.json " + kind +
                                                "_token_id, bo?/eo? ids)");
}

void append_run(int64_t begin, int64_t token, int64_t count, int64_t end, int64_t type, ExpandedPrompt* out) {
  out->ids.push_back(begin);
  out->mm_token_type_ids.push_back(kTokenTypeText);
  out->ids.insert(out->ids.end(), static_cast<size_t>(count), token);
  out->mm_token_type_ids.insert(out->mm_token_type_ids.end(), static_cast<size_t>(count), type);
  out->ids.push_back(end);
  out->mm_token_type_ids.push_back(kTokenTypeText);
}

}  // namespace

Result<ExpandedPrompt> expand_prompt_ids(const std::vector<int64_t>& ids, const MediaTokenIds& tokens,
                                         const std::vector<int64_t>& image_soft_tokens,
                                         const std::vector<int64_t>& audio_soft_tokens) {
  const int64_t images = tokens.image < 0 ? 0 : std::count(ids.begin(), ids.end(), tokens.image);
  const int64_t audios = tokens.audio < 0 ? 0 : std::count(ids.begin(), ids.end(), tokens.audio);
  HFB_TRY(check_marker_count("image", images, image_soft_tokens.size()));
  HFB_TRY(check_marker_count("audio", audios, audio_soft_tokens.size()));
  if (images > 0) HFB_TRY(check_delimiters("image", tokens.image, tokens.boi, tokens.eoi));
  if (audios > 0) HFB_TRY(check_delimiters("audio", tokens.audio, tokens.boa, tokens.eoa));
  ExpandedPrompt out;
  size_t next_image = 0, next_audio = 0;
  for (int64_t id : ids) {
    if (id == tokens.image && tokens.image >= 0) {
      append_run(tokens.boi, id, image_soft_tokens[next_image++], tokens.eoi, kTokenTypeImage, &out);
    } else if (id == tokens.audio && tokens.audio >= 0) {
      append_run(tokens.boa, id, audio_soft_tokens[next_audio++], tokens.eoa, kTokenTypeAudio, &out);
    } else {
      out.ids.push_back(id);
      out.mm_token_type_ids.push_back(id == tokens.video && tokens.video >= 0 ? kTokenTypeVideo : kTokenTypeText);
    }
  }
  return out;
}

bool prompt_is_expanded(const std::vector<int64_t>& ids, const MediaTokenIds& tokens) {
  for (int64_t id : ids) {
    if ((tokens.boi >= 0 && id == tokens.boi) || (tokens.boa >= 0 && id == tokens.boa)) return true;
  }
  return false;
}

}  // namespace hfb::media
