// parse_token_ids / parse_prompt_lines: the `--prompt-ids` list and the prompt-ids file, with their errors.
#include <gtest/gtest.h>

#include "readers/prompt_ids.h"

namespace hfb {
namespace {

TEST(PromptIds, TokenIdsWithSpaces) {
  auto ids = parse_token_ids("2, 17 ,5");
  ASSERT_TRUE(ids.ok()) << ids.error().to_string();
  EXPECT_EQ(*ids, (std::vector<int64_t>{2, 17, 5}));
  auto big = parse_token_ids("999999999999999999");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->front(), 999999999999999999LL);
}

TEST(PromptIds, TokenIdErrorsNameTheItem) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {Case{"", "empty token id"}, Case{"2,,5", "empty token id"}, Case{"2,-1", "'-1' is negative"},
                        Case{"2,x", "'x' is not a non-negative integer"}, Case{"1.5", "'1.5' is not"},
                        Case{"9999999999999999999", "is not a non-negative integer"}}) {
    auto ids = parse_token_ids(c.text);
    ASSERT_FALSE(ids.ok()) << c.text;
    EXPECT_EQ(ids.error().code, ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(ids.error().message.find(c.message), std::string::npos) << c.text << ": " << ids.error().message;
  }
}

TEST(PromptIds, PromptLinesAndErrors) {
  auto ok = parse_prompt_lines("# comment\n2,5,7\n\n2, 9\r\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), (std::vector<std::vector<int64_t>>{{2, 5, 7}, {2, 9}}));
  auto bad = parse_prompt_lines("2,5\n2,x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("line 2"), std::string::npos) << bad.error().to_string();
  EXPECT_FALSE(parse_prompt_lines("\n# only a comment\n").ok());
}

}  // namespace
}  // namespace hfb
