// A small Gemma-shaped tokenizer.json built in memory for the tokenizer tests (ids: 0 pad, 1 eos, 2 bos, 3 unk,
// 4..259 the byte tokens <0x00>..<0xFF>, then a few word pieces and merges).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hfb::test {

inline nlohmann::json make_tokenizer_json(bool pair_merges = false) {
  using nlohmann::json;
  json vocab = json::object();
  const char* specials[] = {"<pad>", "<eos>", "<bos>", "<unk>"};
  for (int i = 0; i < 4; ++i) vocab[specials[i]] = i;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    vocab[name] = 4 + b;
  }
  const char* pieces[] = {"\xE2\x96\x81", "a", "b", "c", "ab", "bc", "abc", "\xE2\x96\x81" "a", "\xE2\x96\x81" "ab",
                          "\xE2\x96\x81" "abc", "<start_of_turn>", "<end_of_turn>", "\xC3\xA9", "x"};
  int next = 260;
  for (const char* piece : pieces) vocab[piece] = next++;
  const char* merge_pairs[][2] = {{"a", "b"}, {"b", "c"}, {"ab", "c"}, {"\xE2\x96\x81", "a"},
                                  {"\xE2\x96\x81" "a", "b"}, {"\xE2\x96\x81" "ab", "c"}};
  json merges = json::array();
  for (auto& pair : merge_pairs) {
    if (pair_merges) {
      merges.push_back(json::array({pair[0], pair[1]}));
    } else {
      merges.push_back(std::string(pair[0]) + " " + pair[1]);
    }
  }
  json added = json::array();
  auto add = [&](int id, const char* content, bool special) {
    added.push_back({{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", special}});
  };
  for (int i = 0; i < 4; ++i) add(i, specials[i], true);
  add(270, "<start_of_turn>", true);
  add(271, "<end_of_turn>", true);
  add(300, "<image_soft_token>", true);  // beyond the model vocab, as Gemma 3's 262144
  json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}},
      {"pre_tokenizer",
       {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", json::array({{{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}},
                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
        {"special_tokens", {{"<bos>", {{"id", "<bos>"}, {"ids", {2}}, {"tokens", {"<bos>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders", json::array({{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                  {{"type", "ByteFallback"}},
                                  {{"type", "Fuse"}}})}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", true}, {"byte_fallback", true}, {"ignore_merges", false},
        {"vocab", vocab}, {"merges", merges}}},
  };
  return root;
}

}  // namespace hfb::test
