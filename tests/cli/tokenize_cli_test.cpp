// `hfbundle tokenize` and `hfbundle run --prompt/--chat` end to end on the text-trained fixture (a real
// byte-level tokenizer.json and a trained model) and the synthetic tokenizers of the tiny fixtures.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/cli/run_cli_helper.h"

namespace hfb {
namespace {

using testing::run_cli;

const std::string kTrained = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-trained";
const std::string kSample = std::string(HFB_FIXTURES_DIR) + "/gemma4/sample";
const std::string kKvEqV = std::string(HFB_FIXTURES_DIR) + "/gemma4/text-kveqv";

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = std::string(HFB_BINARY_DIR) + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

TEST(TokenizeCli, ByteLevelIdsAreBosThenFourPlusEachByteWithTheNewlineKept) {
  std::string file = temp_file("tokenize_hi.txt", "Hi\n");
  auto r = run_cli("tokenize " + kTrained + " --file " + file);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "2," + std::to_string(4 + 'H') + "," + std::to_string(4 + 'i') + "," + std::to_string(4 + '\n') + "\n");
}

TEST(TokenizeCli, StdinJsonAndDecodeRoundTrip) {
  auto r = run_cli("tokenize " + kSample + " --json < " + temp_file("tokenize_words.txt", "hello the world"));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"tokens\":[\"<bos>\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"\xE2\x96\x81the\""), std::string::npos) << r.out;
  auto ids = run_cli("tokenize " + kSample + " --file " + temp_file("tokenize_words.txt", "hello the world"));
  ASSERT_EQ(ids.exit_code, 0);
  std::string without_bos = trim(ids.out).substr(2);  // "2," first
  auto text = run_cli("tokenize " + kSample + " --decode --file " + temp_file("tokenize_ids.txt", without_bos));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out, "hello the world");
}

TEST(TokenizeCli, ChatUsesTheTurnTokensOfTheVocab) {
  std::string message = temp_file("tokenize_msg.txt", "hi");
  auto gemma4 = run_cli("tokenize " + kSample + " --chat --json --file " + message);
  ASSERT_EQ(gemma4.exit_code, 0);
  EXPECT_NE(gemma4.out.find("\"<|turn>\""), std::string::npos) << gemma4.out;
  EXPECT_NE(gemma4.out.find("\"<turn|>\""), std::string::npos);
  auto gemma3 = run_cli("tokenize " + kKvEqV + " --chat --json --file " + message);
  ASSERT_EQ(gemma3.exit_code, 0);
  EXPECT_NE(gemma3.out.find("\"<start_of_turn>\""), std::string::npos) << gemma3.out;
  EXPECT_EQ(run_cli("tokenize " + kTrained + " --chat --file " + message).exit_code, 2);  // no turn tokens
}

TEST(TokenizeCli, MissingTokenizerAndBadIdsExitTwo) {
  EXPECT_EQ(run_cli("tokenize " + std::string(HFB_FIXTURES_DIR) + "/gemma4/grid-int8 < /dev/null").exit_code, 2);
  EXPECT_EQ(run_cli("tokenize " + kTrained + " --decode --file " + temp_file("bad_ids.txt", "4,x")).exit_code, 2);
  EXPECT_EQ(run_cli("tokenize " + kTrained + " --decode --file " + temp_file("big_ids.txt", "999999")).exit_code, 2);
}

TEST(RunTextCli, PromptPrintsTheDecodedGreedyContinuation) {
  // The same run through ids: tokenize the prompt, run --prompt-ids, decode the ids before eos.
  std::string prompt = "And the LORD said unto Moses,";
  auto ids = run_cli("tokenize " + kTrained + " --file " + temp_file("run_prompt.txt", prompt));
  ASSERT_EQ(ids.exit_code, 0);
  auto by_ids = run_cli("run " + kTrained + " --prompt-ids " + trim(ids.out) + " -n 24");
  ASSERT_EQ(by_ids.exit_code, 0);
  std::string generated = trim(by_ids.out);
  for (char& c : generated) c = c == ' ' ? ',' : c;
  std::string cut;  // drop eos (1) and what follows
  size_t eos = (',' + generated + ',').find(",1,");
  cut = eos == std::string::npos ? generated : generated.substr(0, eos == 0 ? 0 : eos - 1);
  auto expected = run_cli("tokenize " + kTrained + " --decode --file " + temp_file("run_ids.txt", cut));
  ASSERT_EQ(expected.exit_code, 0);
  auto text = run_cli("run " + kTrained + " --prompt \"" + prompt + "\" -n 24");
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out, expected.out + "\n");
  EXPECT_GT(expected.out.size(), 5u);
}

TEST(RunTextCli, ChatRunsOnASyntheticGemma4TokenizerAndRefusesTwoPromptKinds) {
  auto r = run_cli("run " + kSample + " --chat \"hello\" -n 4");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.out.empty());
  EXPECT_EQ(run_cli("run " + kSample + " --chat hi --prompt-ids 2,3").exit_code, 2);
  EXPECT_EQ(run_cli("run " + kSample).exit_code, 2);
}

}  // namespace
}  // namespace hfb

namespace hfb {
namespace {

TEST(VerifyTextPromptsCli, PromptsFileTakesOneTextPromptALine) {
  std::string file = temp_file("verify_prompts.txt", "And the LORD said\nIn the beginning\r\n\nHello world\n");
  auto r = testing::run_cli("verify " + kTrained + " --against " + kTrained + " --prompts-file " + file + " --steps 3");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("case prompt2: pass"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("case prompt3"), std::string::npos) << r.out;  // the empty line is no prompt
  EXPECT_NE(r.out.find("tokens matched 9/9"), std::string::npos) << r.out;
  std::string empty = temp_file("verify_empty.txt", "\n\n");
  EXPECT_EQ(testing::run_cli("verify " + kTrained + " --against " + kTrained + " --prompts-file " + empty).exit_code, 2);
}

}  // namespace
}  // namespace hfb
