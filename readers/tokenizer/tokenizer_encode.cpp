// Encoding: added-token split -> normalizer -> pre-tokenizer -> BPE per word (merge-rank map, priority queue,
// word cache) -> byte fallback / unk. Mirrors @huggingface/tokenizers' Tokenizer.encode_text.
#include <queue>

#include "readers/tokenizer/tokenizer_impl.h"
#include "readers/tokenizer/utf8.h"

namespace hfb::tokenizer {
namespace {

constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCachedWords = size_t{1} << 17;

void replace_all(std::string_view text, std::string_view pattern, std::string_view content, std::string* out) {
  out->clear();
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(pattern, pos);
    if (hit == std::string_view::npos) break;
    out->append(text.data() + pos, hit - pos).append(content);
    pos = hit + pattern.size();
  }
  out->append(text.data() + pos, text.size() - pos);
}

// Rust tokenizers' Split on a literal with the given behavior; empty pieces dropped.
void split_literal(std::string_view text, const PreTokenizerStep& step, std::vector<std::string_view>* out) {
  const std::string& pattern = step.pattern;
  size_t pos = 0;
  size_t pending = 0;  // start of text not yet emitted (MergedWithNext carries the match forward)
  auto emit = [&](size_t begin, size_t end) {
    if (end > begin) out->push_back(text.substr(begin, end - begin));
  };
  while (true) {
    size_t hit = text.find(pattern, pos);
    if (hit == std::string_view::npos) break;
    size_t end = hit + pattern.size();
    if (step.behavior == "MergedWithPrevious") {
      emit(pending, end);
      pending = end;
    } else if (step.behavior == "MergedWithNext") {
      emit(pending, hit);
      pending = hit;
    } else {
      emit(pending, hit);
      if (step.behavior == "Isolated") emit(hit, end);
      pending = end;
    }
    pos = end;
  }
  emit(pending, text.size());
}

struct Symbol {
  int32_t id;    // model id; -1: a character outside the vocab; -2: merged away
  int32_t prev;
  int32_t next;
  uint32_t begin;
  uint32_t end;
};

struct Candidate {
  int32_t rank;
  int32_t left;
  int32_t right;
  int32_t left_id;
  int32_t right_id;
  int32_t merged;
  bool operator>(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : left > other.left;
  }
};

}  // namespace

void AddedTokenTrie::insert(std::string_view content, int32_t value) {
  int32_t node = 0;
  for (char c : content) {
    uint64_t key = (uint64_t(node) << 8) | static_cast<unsigned char>(c);
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      nodes_.push_back(-1);
      it = edges_.emplace(key, static_cast<int32_t>(nodes_.size() - 1)).first;
    }
    node = it->second;
  }
  nodes_[node] = value;
  first_bytes_[static_cast<unsigned char>(content[0])] = true;
}

size_t AddedTokenTrie::match(std::string_view text, size_t pos, int32_t* value) const {
  int32_t node = 0;
  size_t best = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    auto it = edges_.find((uint64_t(node) << 8) | static_cast<unsigned char>(text[i]));
    if (it == edges_.end()) break;
    node = it->second;
    if (nodes_[node] >= 0) {
      best = i + 1 - pos;
      *value = nodes_[node];
    }
  }
  return best;  // *value was last set by the longest match
}

std::vector<Section> split_added_tokens(std::string_view text, const AddedTokenTrie& trie,
                                        const std::vector<AddedTokenSpec>& added) {
  std::vector<Section> sections;
  if (trie.empty()) {
    sections.push_back(Section{text, -1});
    return sections;
  }
  size_t start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    int32_t value = -1;
    size_t length = trie.may_start(static_cast<unsigned char>(text[pos])) ? trie.match(text, pos, &value) : 0;
    if (length == 0) {
      size_t step = utf8_sequence_length(text, pos);
      pos += step == 0 ? 1 : step;
      continue;
    }
    if (pos > start) sections.push_back(Section{text.substr(start, pos - start), -1});
    sections.push_back(Section{text.substr(pos, length), value});
    pos += length;
    start = pos;
  }
  if (start < text.size()) sections.push_back(Section{text.substr(start), -1});
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].added < 0) continue;
    const AddedTokenSpec& token = added[sections[i].added];
    if (token.lstrip && i > 0 && sections[i - 1].added < 0) sections[i - 1].text = js_trim_end(sections[i - 1].text);
    if (token.rstrip && i + 1 < sections.size() && sections[i + 1].added < 0) {
      sections[i + 1].text = js_trim_start(sections[i + 1].text);
    }
  }
  return sections;
}

std::string TokenizerImpl::normalize(std::string_view text) const {
  std::string current(text);
  std::string next;
  for (const NormalizerStep& step : spec.normalizers) {
    if (step.kind == NormalizerStep::Kind::kReplace) {
      replace_all(current, step.pattern, step.content, &next);
      current.swap(next);
    } else {
      std::string_view view = current;
      if (step.strip_left) view = js_trim_start(view);
      if (step.strip_right) view = js_trim_end(view);
      current = std::string(view);
    }
  }
  return current;
}

Status TokenizerImpl::encode_text(std::string_view text, std::vector<int32_t>* out) const {
  for (const Section& section : split_added_tokens(text, unnormalized_trie, spec.added_tokens)) {
    if (section.added >= 0) {
      out->push_back(static_cast<int32_t>(spec.added_tokens[section.added].id));
      continue;
    }
    if (section.text.empty()) continue;
    auto whole = added_ids.find(std::string(section.text));
    if (whole != added_ids.end()) {
      out->push_back(whole->second);
      continue;
    }
    std::string normalized = normalize(section.text);
    for (const Section& sub : split_added_tokens(normalized, normalized_trie, spec.added_tokens)) {
      if (sub.added >= 0) {
        out->push_back(static_cast<int32_t>(spec.added_tokens[sub.added].id));
        continue;
      }
      if (sub.text.empty()) continue;
      auto known = added_ids.find(std::string(sub.text));
      if (known != added_ids.end()) {
        out->push_back(known->second);
        continue;
      }
      HFB_TRY(encode_section_text(sub.text, out));
    }
  }
  return ok_status();
}

Status TokenizerImpl::encode_section_text(std::string_view text, std::vector<int32_t>* out) const {
  std::vector<std::string_view> pieces{text};
  std::vector<std::string_view> next;
  for (const PreTokenizerStep& step : spec.pre_tokenizers) {
    next.clear();
    for (std::string_view piece : pieces) split_literal(piece, step, &next);
    pieces.swap(next);
  }
  size_t first = out->size();
  for (std::string_view piece : pieces) HFB_TRY(encode_pre_token(piece, out));
  if (spec.fuse_unk && unk_id >= 0) {  // consecutive unk ids of one section become one (JS fuse_unk)
    size_t write = first;
    for (size_t read = first; read < out->size(); ++read) {
      if ((*out)[read] == unk_id && write > first && (*out)[write - 1] == unk_id) continue;
      (*out)[write++] = (*out)[read];
    }
    out->resize(write);
  }
  return ok_status();
}

Status TokenizerImpl::encode_pre_token(std::string_view piece, std::vector<int32_t>* out) const {
  if (spec.ignore_merges) {
    if (const int32_t* known = model_ids.find(piece)) {
      out->push_back(output_id[*known]);
      return ok_status();
    }
    return bpe_segment(piece, out);
  }
  // Cut before ' ' / U+2581 where no merge result glues the previous character to it: no merge can cross such
  // a cut, so BPE on the segments equals BPE on the whole piece, and segments (words) can be cached.
  size_t start = 0;
  uint32_t previous = 0;
  for (size_t pos = 0; pos < piece.size();) {
    size_t length = utf8_sequence_length(piece, pos);
    uint32_t cp = utf8_decode_at(piece, pos, length);
    if (pos > start && (cp == 0x2581 || cp == 0x20) && !glued_pairs.count((uint64_t{previous} << 32) | cp)) {
      HFB_TRY(bpe_segment(piece.substr(start, pos - start), out));
      start = pos;
    }
    previous = cp;
    pos += length;
  }
  return bpe_segment(piece.substr(start), out);
}

Status TokenizerImpl::emit_unknown(std::string_view symbol, std::vector<int32_t>* out) const {
  auto added = added_ids.find(std::string(symbol));
  if (added != added_ids.end()) {
    out->push_back(added->second);
    return ok_status();
  }
  if (spec.byte_fallback) {
    bool all = true;
    for (char c : symbol) all = all && byte_ids[static_cast<unsigned char>(c)] >= 0;
    if (all) {
      for (char c : symbol) out->push_back(byte_ids[static_cast<unsigned char>(c)]);
      return ok_status();
    }
  }
  if (unk_id >= 0) {
    out->push_back(unk_id);
    return ok_status();
  }
  return Error(ErrorCode::kInvalidArgument, "cannot encode '" + std::string(symbol) +
                                                "': not in the vocab, no byte fallback and no unk token");
}

Status TokenizerImpl::bpe_segment(std::string_view segment, std::vector<int32_t>* out) const {
  if (segment.empty()) return ok_status();
  bool cacheable = segment.size() < kMaxCachedWordBytes;
  if (cacheable) {
    if (const std::vector<int32_t>* hit = word_cache.find(segment)) {
      out->insert(out->end(), hit->begin(), hit->end());
      return ok_status();
    }
  }
  std::vector<Symbol> symbols;
  symbols.reserve(segment.size());
  for (size_t pos = 0; pos < segment.size();) {
    size_t length = utf8_sequence_length(segment, pos);
    auto id = char_ids.find(utf8_decode_at(segment, pos, length));
    auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id == char_ids.end() ? -1 : id->second, index - 1, index + 1, static_cast<uint32_t>(pos),
                             static_cast<uint32_t>(pos + length)});
    pos += length;
  }
  symbols.back().next = -1;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    int32_t right = symbols[left].next;
    if (right < 0 || symbols[left].id < 0 || symbols[right].id < 0) return;
    const MergeEntry* merge = merges.find((uint64_t{static_cast<uint32_t>(symbols[left].id)} << 32) |
                                          static_cast<uint32_t>(symbols[right].id));
    if (!merge) return;
    queue.push(Candidate{merge->rank, left, right, symbols[left].id, symbols[right].id, merge->merged});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) consider(i);
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.left];
    if (left.id != top.left_id || left.next != top.right || symbols[top.right].id != top.right_id) continue;
    Symbol& right = symbols[top.right];
    left.id = top.merged;
    left.end = right.end;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    right.id = -2;
    consider(left.prev);
    consider(top.left);
  }
  std::vector<int32_t> ids;
  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    const Symbol& symbol = symbols[i];
    if (symbol.id >= 0) {
      ids.push_back(output_id[symbol.id]);
    } else {
      HFB_TRY(emit_unknown(segment.substr(symbol.begin, symbol.end - symbol.begin), &ids));
    }
  }
  out->insert(out->end(), ids.begin(), ids.end());
  if (cacheable) word_cache.insert(segment, std::move(ids), kMaxCachedWords);
  return ok_status();
}

}  // namespace hfb::tokenizer
