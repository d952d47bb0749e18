// Tokenizer behaviour on a small Gemma-shaped tokenizer.json and on the text-trained fixture's real one:
// merge order, both merge forms, byte fallback, added tokens, normalization, decoding and streaming.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "readers/tokenizer/stream_decoder.h"
#include "readers/tokenizer/text_tokenizer.h"
#include "readers/tokenizer/tokenizer.h"
#include "readers/tokenizer/tokenizer_json.h"
#include "tests/readers/tokenizer_test_util.h"

namespace hfb::tokenizer {
namespace {

Tokenizer make(const nlohmann::json& root) {
  auto spec = parse_tokenizer_json(root.dump(), "tokenizer.json");
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  auto tokenizer = Tokenizer::create(std::move(*spec), "tokenizer.json");
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.error().to_string();
  return std::move(*tokenizer);
}

std::vector<int32_t> encode(const Tokenizer& t, std::string_view text, bool special = true) {
  auto ids = t.encode(text, special);
  EXPECT_TRUE(ids.ok()) << ids.error().to_string();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr int32_t kSpace = 260, kA = 261, kAb = 264, kBc = 265, kAbc = 266, kSpaceA = 267, kE = 272;

TEST(Tokenizer, MergesInRankOrderAndAcrossTheNormalizedSpace) {
  Tokenizer t = make(test::make_tokenizer_json());
  EXPECT_EQ(encode(t, "abc"), (std::vector<int32_t>{2, kAbc}));
  // "▁abc": (a,b) has the lowest rank, then (ab,c); (▁,abc) is no merge, so ▁a / ▁ab never form.
  EXPECT_EQ(encode(t, "abc abc", false), (std::vector<int32_t>{kAbc, kSpace, kAbc}));
  EXPECT_EQ(encode(t, "ab ab", false), (std::vector<int32_t>{kAb, kSpace, kAb}));
  EXPECT_EQ(encode(t, " a", false), (std::vector<int32_t>{kSpaceA}));
  EXPECT_EQ(encode(t, "bc", false), (std::vector<int32_t>{kBc}));
}

TEST(Tokenizer, PairAndStringMergeFormsAgree) {
  Tokenizer strings = make(test::make_tokenizer_json(false));
  Tokenizer pairs = make(test::make_tokenizer_json(true));
  for (const char* text : {"abc ab a bc", "cab  abcabc", "\xC3\xA9" "ab\xE2\x82\xAC"}) {
    EXPECT_EQ(encode(strings, text), encode(pairs, text)) << text;
  }
}

TEST(Tokenizer, ByteFallbackForCharactersOutsideTheVocab) {
  Tokenizer t = make(test::make_tokenizer_json());
  // "€" is E2 82 AC: three byte tokens (4 + byte).
  EXPECT_EQ(encode(t, "\xE2\x82\xAC", false), (std::vector<int32_t>{4 + 0xE2, 4 + 0x82, 4 + 0xAC}));
  EXPECT_EQ(encode(t, "\xC3\xA9", false), (std::vector<int32_t>{kE}));
}

TEST(Tokenizer, InvalidUtf8BecomesReplacementCharacters) {
  Tokenizer t = make(test::make_tokenizer_json());
  // U+FFFD = EF BF BD, once per maximal invalid subpart: FF -> one, E2 82 (truncated) -> one.
  std::vector<int32_t> fffd{4 + 0xEF, 4 + 0xBF, 4 + 0xBD};
  std::vector<int32_t> expected = fffd;
  expected.push_back(kA);
  expected.insert(expected.end(), fffd.begin(), fffd.end());
  EXPECT_EQ(encode(t, "\xFF" "a\xE2\x82", false), expected);
}

TEST(Tokenizer, FuseUnkWithoutByteFallback) {
  auto root = test::make_tokenizer_json();
  root["model"]["byte_fallback"] = false;
  Tokenizer t = make(root);
  EXPECT_EQ(encode(t, "\xE2\x82\xAC\xE2\x82\xAC" "a", false), (std::vector<int32_t>{3, kA}));
  root["model"]["fuse_unk"] = false;
  Tokenizer unfused = make(root);
  EXPECT_EQ(encode(unfused, "\xE2\x82\xAC\xE2\x82\xAC" "a", false), (std::vector<int32_t>{3, 3, kA}));
}

TEST(Tokenizer, AddedTokensSplitTextAndMayLieBeyondTheVocab) {
  Tokenizer t = make(test::make_tokenizer_json());
  EXPECT_EQ(encode(t, "a<start_of_turn>ab<image_soft_token>", false), (std::vector<int32_t>{kA, 270, kAb, 300}));
  EXPECT_EQ(t.vocab_size(), 301);
  EXPECT_TRUE(t.is_special(300));
  EXPECT_EQ(*t.token_text(300), "<image_soft_token>");
  EXPECT_EQ(encode(t, "<start_of_tur", false).size(), 13u);  // not a match: bytes
}

TEST(Tokenizer, LstripAndRstripTrimNeighbours) {
  auto root = test::make_tokenizer_json();
  root["added_tokens"][4]["lstrip"] = true;
  root["added_tokens"][4]["rstrip"] = true;
  Tokenizer t = make(root);
  EXPECT_EQ(encode(t, "a  <start_of_turn>  a", false), (std::vector<int32_t>{kA, 270, kA}));
}

TEST(Tokenizer, NormalizedAddedTokenMatchesAfterNormalization) {
  auto root = test::make_tokenizer_json();
  root["added_tokens"].push_back({{"id", 301}, {"content", "x y"}, {"normalized", true}, {"special", false}});
  Tokenizer t = make(root);
  EXPECT_EQ(encode(t, "ax y", false), (std::vector<int32_t>{kA, 301}));
}

TEST(Tokenizer, DecodeRoundTripsAndStreamsWholeCharacters) {
  Tokenizer t = make(test::make_tokenizer_json());
  std::string text = "abc ab \xE2\x82\xAC<end_of_turn>";
  auto ids = encode(t, text, false);
  auto decoded = t.decode(ids);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, text);
  StreamDecoder stream(t);
  std::vector<std::string> pieces;
  for (int32_t id : ids) {
    auto piece = stream.push(id);
    ASSERT_TRUE(piece.ok());
    pieces.push_back(*piece);
  }
  std::string joined;
  for (const auto& piece : pieces) joined += piece;
  EXPECT_EQ(joined + stream.finish(), text);
  // The three byte tokens of the euro sign: nothing, nothing, then the whole character.
  size_t euro = 4;  // abc, ▁ab, ▁, then E2
  EXPECT_EQ(pieces[euro - 1], " ");
  EXPECT_EQ(pieces[euro], "");
  EXPECT_EQ(pieces[euro + 1], "");
  EXPECT_EQ(pieces[euro + 2], "\xE2\x82\xAC");
}

TEST(Tokenizer, DecodeRefusesUnknownIds) {
  Tokenizer t = make(test::make_tokenizer_json());
  auto decoded = t.decode({2, 299});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(decoded.error().message.find("299"), std::string::npos);
}

TEST(Tokenizer, TextTrainedFixtureEncodesItsEvalTextToItsGoldenIds) {
  std::string dir = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";
  auto t = load_text_tokenizer(dir);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_TRUE(t->add_bos);
  EXPECT_EQ(t->bos_id, 2);
  EXPECT_EQ(t->stop_ids, (std::vector<int32_t>{1}));
  // eval-ids.txt: 32 sequences of [bos] + 127 bytes; eval.txt shows them one per line, newlines as spaces.
  std::istringstream lines(read_file(dir + "/eval-ids.txt"));
  std::istringstream shown(read_file(dir + "/eval.txt"));
  int checked = 0;
  for (std::string line, shown_line; std::getline(lines, line) && std::getline(shown, shown_line); ++checked) {
    std::vector<int32_t> expected;
    std::istringstream in(line);
    for (std::string item; std::getline(in, item, ',');) expected.push_back(std::stoi(item));
    auto text = t->tokenizer.decode(std::vector<int32_t>(expected.begin() + 1, expected.end()));
    ASSERT_TRUE(text.ok());
    std::string flattened = *text;
    for (char& c : flattened) c = c == '\n' ? ' ' : c;
    EXPECT_EQ(flattened, shown_line);
    auto ids = t->tokenizer.encode(*text, true);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, expected);
  }
  EXPECT_EQ(checked, 32);
}

TEST(Tokenizer, ChatFormatFollowsTheTurnTokens) {
  auto root = test::make_tokenizer_json();
  auto spec = parse_tokenizer_json(root.dump(), "t.json");
  ASSERT_TRUE(spec.ok());
  auto tokenizer = Tokenizer::create(std::move(*spec), "t.json");
  ASSERT_TRUE(tokenizer.ok());
  TextTokenizer text(std::move(*tokenizer));
  text.bos_id = 2;
  text.add_bos = true;
  EXPECT_FALSE(render_chat_prompt(text, "hi").ok());
  text.chat_format = ChatFormat::kGemma3;
  auto rendered = render_chat_prompt(text, "  hi \n");
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(*rendered, "<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n");
  text.chat_format = ChatFormat::kGemma4;
  EXPECT_EQ(*render_chat_prompt(text, "hi"), "<bos><|turn>user\nhi<turn|>\n<|turn>model\n");
}

}  // namespace
}  // namespace hfb::tokenizer

namespace hfb::tokenizer {
namespace {

TEST(Tokenizer, WordCacheCutsNeverSplitAMergeThatGluesACharacterToTheSpace) {
  auto root = test::make_tokenizer_json();
  root["model"]["vocab"]["x\xE2\x96\x81"] = 280;
  auto& merges = root["model"]["merges"];
  merges.insert(merges.begin(), "x \xE2\x96\x81");  // rank 0: beats (▁,a)
  Tokenizer t = make(root);
  EXPECT_EQ(encode(t, "x a", false), (std::vector<int32_t>{280, kA}));
  EXPECT_EQ(encode(t, "c a", false), (std::vector<int32_t>{263, kSpaceA}));
}

}  // namespace
}  // namespace hfb::tokenizer

namespace hfb::tokenizer {
namespace {

TEST(Tokenizer, StripDecoderAndItsNonConcatenativeStream) {
  auto root = test::make_tokenizer_json();
  root["decoder"]["decoders"].push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  Tokenizer t = make(root);
  EXPECT_FALSE(t.decode_is_concatenative());
  auto ids = encode(t, " abc \xE2\x82\xAC", false);
  auto decoded = t.decode(ids);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "abc \xE2\x82\xAC");  // the leading space of the fused text is stripped
  StreamDecoder stream(t);
  std::string streamed;
  for (int32_t id : ids) streamed += *stream.push(id);
  EXPECT_EQ(streamed + stream.finish(), *decoded);
}

}  // namespace
}  // namespace hfb::tokenizer
