#include "policy/internal/strict_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace policy::internal {
namespace {

using ::testing::SizeIs;

std::string OnlyProblem(absl::string_view text) {
  StrictJson r = ParseStrictJson(text, 16);
  EXPECT_THAT(r.problems, SizeIs(1)) << text;
  if (r.problems.empty()) return "";
  const JsonProblem& p = r.problems[0];
  std::string where = p.line > 0 ? "line " + std::to_string(p.line) +
                                       ", column " + std::to_string(p.column)
                                 : p.path;
  return where + ": " + p.message;
}

TEST(StrictJsonTest, WellFormedDocumentHasNoProblems) {
  StrictJson r = ParseStrictJson(R"({"a": [1, {"b": true}], "c": "x"})", 16);
  EXPECT_TRUE(r.problems.empty());
  ASSERT_TRUE(r.value.has_value());
  EXPECT_EQ((*r.value)["a"][1]["b"], true);
}

TEST(StrictJsonTest, MissingCommaNamesTheLineToFix) {
  EXPECT_EQ(OnlyProblem("{\n  \"a\": 1\n  \"b\": 2\n}"),
            "line 3, column 3: expected \",\" or \"}\" after a member, got a "
            "string; is a comma missing at the end of line 2?");
  EXPECT_EQ(OnlyProblem("[1,\n 2\n 3]"),
            "line 3, column 2: expected \",\" or \"]\" after an element, got "
            "a number; is a comma missing at the end of line 2?");
}

TEST(StrictJsonTest, TrailingCommaIsExplained) {
  EXPECT_EQ(OnlyProblem("{\"a\": 1,}"),
            "line 1, column 9: expected a member name after \",\", got \"}\"; "
            "remove the trailing comma");
}

TEST(StrictJsonTest, OtherSyntaxErrorsAreLocated) {
  EXPECT_EQ(OnlyProblem("{\"a\" 1}"),
            "line 1, column 6: expected \":\" after the member name, got a "
            "number");
  EXPECT_EQ(OnlyProblem("{'a': 1}"),
            "line 1, column 2: invalid literal; strings need double quotes, "
            "and the only bare words are true, false and null");
  EXPECT_EQ(OnlyProblem("{\"a\": 1"),
            "line 1, column 8: unexpected end of the input; the document is "
            "cut short");
  EXPECT_EQ(OnlyProblem("  \n"),
            "line 2, column 1: the document is empty; a policy is a JSON "
            "object");
  EXPECT_EQ(OnlyProblem("{} {}"),
            "line 1, column 4: unexpected text after the end of the document; "
            "a policy is one JSON object");
  EXPECT_EQ(OnlyProblem("{\"a\": \"x\ny\"}"),
            "line 1, column 9: invalid string: control character U+000A (LF) "
            "must be escaped to \\u000A or \\n");
}

TEST(StrictJsonTest, DuplicateMembersAreReportedWithTheirPath) {
  StrictJson r = ParseStrictJson(
      R"({"Statement": [{"Effect": "Allow"}, {"Effect": "Allow", "Effect": "Deny"}]})",
      16);
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].path, "Statement[1]");
  EXPECT_EQ(r.problems[0].message,
            "duplicate member \"Effect\"; a name may appear once in an "
            "object, remove one of them");
  EXPECT_TRUE(r.value.has_value());
}

TEST(StrictJsonTest, NestingBeyondTheLimitIsRefused) {
  StrictJson r = ParseStrictJson(R"({"a": [[[{"b": 1}]]]})", 4);
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].path, "a[0][0][0]");
  EXPECT_EQ(r.problems[0].message,
            "nested deeper than 4 levels; a policy needs far fewer, flatten "
            "it");
  EXPECT_FALSE(r.value.has_value());
}

TEST(StrictJsonTest, PathsQuoteUnusualKeys) {
  std::string path = "Condition";
  AppendPathKey(&path, "StringEquals");
  AppendPathKey(&path, "claim:a.b");
  AppendPathIndex(&path, 2);
  EXPECT_EQ(path, "Condition.StringEquals[\"claim:a.b\"][2]");
  std::string root;
  AppendPathKey(&root, "Version");
  EXPECT_EQ(root, "Version");
}

}  // namespace
}  // namespace policy::internal
