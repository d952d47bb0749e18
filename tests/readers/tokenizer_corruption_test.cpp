// Corruption catalogue for tokenizer.json: each case mutates a valid Gemma-shaped document and names the error
// code and a message part the reader must report. Also: the accepted oddities (ids beyond the vocab, added
// tokens repeating vocab entries) stay accepted.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "readers/tokenizer/tokenizer.h"
#include "readers/tokenizer/tokenizer_json.h"
#include "tests/readers/tokenizer_test_util.h"

namespace hfb::tokenizer {
namespace {

using nlohmann::json;

struct CorruptionCase {
  const char* name;
  std::function<std::string()> make;  // the bytes of the corrupt file
  ErrorCode code;
  const char* message_part;
};

std::string mutate(const std::function<void(json&)>& change) {
  json root = test::make_tokenizer_json();
  change(root);
  return root.dump();
}

Result<Tokenizer> load_text(const std::string& text) {
  HFB_TRY(TokenizerSpec spec, parse_tokenizer_json(text, "tokenizer.json"));
  return Tokenizer::create(std::move(spec), "tokenizer.json");
}

std::vector<CorruptionCase> catalogue() {
  return {
      {"truncated", [] { std::string s = test::make_tokenizer_json().dump(); return s.substr(0, s.size() / 2); },
       ErrorCode::kInvalidFile, "malformed JSON"},
      {"empty", [] { return std::string(); }, ErrorCode::kInvalidFile, "malformed JSON"},
      {"root_array", [] { return std::string("[1,2]"); }, ErrorCode::kInvalidFile, "top level"},
      {"vocab_string_id", [] { return mutate([](json& r) { r["model"]["vocab"]["a"] = "7"; }); },
       ErrorCode::kInvalidFile, "model.vocab['a']"},
      {"vocab_negative_id", [] { return mutate([](json& r) { r["model"]["vocab"]["a"] = -1; }); },
       ErrorCode::kInvalidFile, "non-negative"},
      {"vocab_float_id", [] { return mutate([](json& r) { r["model"]["vocab"]["a"] = 1.5; }); },
       ErrorCode::kInvalidFile, "float"},
      {"vocab_duplicate_id", [] { return mutate([](json& r) { r["model"]["vocab"]["a"] = 262; }); },
       ErrorCode::kInvalidFile, "id 262 is given to both"},
      {"vocab_duplicate_key", [] {
         std::string s = test::make_tokenizer_json().dump();
         size_t at = s.find("\"vocab\":{") + 9;
         return s.insert(at, "\"a\":999,");
       }, ErrorCode::kInvalidFile, "appears twice"},
      {"vocab_hostile_id", [] { return mutate([](json& r) { r["model"]["vocab"]["a"] = 1ll << 40; }); },
       ErrorCode::kLimit, "beyond the limit"},
      {"vocab_missing", [] { return mutate([](json& r) { r["model"].erase("vocab"); }); }, ErrorCode::kNotFound,
       "model.vocab"},
      {"merge_unknown_left", [] { return mutate([](json& r) { r["model"]["merges"].push_back("zz a"); }); },
       ErrorCode::kInvalidFile, "'zz' is not in model.vocab"},
      {"merge_unknown_result", [] { return mutate([](json& r) { r["model"]["merges"].push_back("c a"); }); },
       ErrorCode::kInvalidFile, "merge result 'ca'"},
      {"merge_no_space", [] { return mutate([](json& r) { r["model"]["merges"].push_back("ab"); }); },
       ErrorCode::kInvalidFile, "one space"},
      {"merge_triple", [] { return mutate([](json& r) { r["model"]["merges"].push_back(json::array({"a", "b", "c"})); }); },
       ErrorCode::kInvalidFile, "pair of 2"},
      {"merge_number", [] { return mutate([](json& r) { r["model"]["merges"].push_back(7); }); },
       ErrorCode::kInvalidFile, "unexpected value"},
      {"model_wordpiece", [] { return mutate([](json& r) { r["model"]["type"] = "WordPiece"; }); },
       ErrorCode::kUnsupported, "'WordPiece'"},
      {"model_dropout", [] { return mutate([](json& r) { r["model"]["dropout"] = 0.1; }); },
       ErrorCode::kUnsupported, "dropout"},
      {"normalizer_nfkc", [] { return mutate([](json& r) { r["normalizer"] = {{"type", "NFKC"}}; }); },
       ErrorCode::kUnsupported, "normalizer type 'NFKC'"},
      {"normalizer_regex", [] { return mutate([](json& r) { r["normalizer"]["pattern"] = {{"Regex", "\\s"}}; }); },
       ErrorCode::kUnsupported, "Regex"},
      {"pre_tokenizer_bytelevel", [] { return mutate([](json& r) { r["pre_tokenizer"] = {{"type", "ByteLevel"}}; }); },
       ErrorCode::kUnsupported, "'ByteLevel'"},
      {"split_contiguous", [] { return mutate([](json& r) { r["pre_tokenizer"]["behavior"] = "Contiguous"; }); },
       ErrorCode::kUnsupported, "Contiguous"},
      {"decoder_metaspace", [] { return mutate([](json& r) { r["decoder"]["decoders"][1] = {{"type", "Metaspace"}}; }); },
       ErrorCode::kUnsupported, "decoder.decoders[1] type 'Metaspace'"},
      {"post_processor_bert", [] { return mutate([](json& r) { r["post_processor"] = {{"type", "BertProcessing"}}; }); },
       ErrorCode::kUnsupported, "'BertProcessing'"},
      {"template_unknown_token", [] {
         return mutate([](json& r) {
           r["post_processor"]["single"][0]["SpecialToken"]["id"] = "<s>";
         });
       }, ErrorCode::kInvalidFile, "'<s>'"},
      {"template_no_sequence", [] { return mutate([](json& r) { r["post_processor"]["single"].erase(1); }); },
       ErrorCode::kInvalidFile, "sequence A"},
      {"unk_missing", [] { return mutate([](json& r) { r["model"]["unk_token"] = "<nope>"; }); },
       ErrorCode::kInvalidFile, "'<nope>'"},
      {"added_single_word", [] { return mutate([](json& r) { r["added_tokens"][4]["single_word"] = true; }); },
       ErrorCode::kUnsupported, "single_word"},
      {"added_duplicate_content", [] {
         return mutate([](json& r) { r["added_tokens"].push_back({{"id", 290}, {"content", "<bos>"}}); });
       }, ErrorCode::kInvalidFile, "appears twice"},
      {"added_empty_content", [] {
         return mutate([](json& r) { r["added_tokens"].push_back({{"id", 290}, {"content", ""}}); });
       }, ErrorCode::kInvalidFile, "empty content"},
      {"added_hostile_id", [] {
         return mutate([](json& r) { r["added_tokens"].push_back({{"id", 1ll << 30}, {"content", "<x>"}}); });
       }, ErrorCode::kLimit, "beyond the limit"},
      {"added_sparse_id", [] {
         return mutate([](json& r) { r["added_tokens"].push_back({{"id", 1 << 22}, {"content", "<x>"}}); });
       }, ErrorCode::kLimit, "ids are sparse"},
      {"added_flag_not_bool", [] { return mutate([](json& r) { r["added_tokens"][0]["lstrip"] = "yes"; }); },
       ErrorCode::kInvalidFile, "lstrip"},
      {"truncation_set", [] { return mutate([](json& r) { r["truncation"] = {{"max_length", 8}}; }); },
       ErrorCode::kUnsupported, "truncation"},
      {"deep_nesting", [] {
         return mutate([](json& r) {
           json deep = 1;
           for (int i = 0; i < 40; ++i) deep = json::array({deep});
           r["extra"] = deep;
         });
       }, ErrorCode::kLimit, "nested deeper"},
  };
}

TEST(TokenizerCorruption, EveryCaseFailsWithItsCodeAndNamesTheProblem) {
  for (const CorruptionCase& c : catalogue()) {
    auto result = load_text(c.make());
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().code, c.code) << c.name << ": " << result.error().to_string();
    EXPECT_NE(result.error().to_string().find(c.message_part), std::string::npos)
        << c.name << ": " << result.error().to_string();
    EXPECT_EQ(result.error().path, "tokenizer.json") << c.name;
  }
}

TEST(TokenizerCorruption, AcceptedOdditiesStayAccepted) {
  // An added token beyond the model vocab (Gemma 3's <image_soft_token> = 262144) and added tokens that repeat a
  // model.vocab entry (every Gemma special token) are fine.
  auto ok = load_text(mutate([](json& r) {
    r["added_tokens"].push_back({{"id", 5000}, {"content", "<far>"}, {"special", true}});
    r["added_tokens"].push_back({{"id", 261}, {"content", "a"}, {"special", false}});
  }));
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->vocab_size(), 5001);
  EXPECT_EQ(ok->token_id("<far>"), 5000);
}

TEST(TokenizerCorruption, LoadNamesAMissingFile) {
  auto result = Tokenizer::load("/nonexistent/tokenizer.json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_EQ(result.error().path, "/nonexistent/tokenizer.json");
}

}  // namespace
}  // namespace hfb::tokenizer
