#include "policy/internal/pattern.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace policy::internal {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

constexpr Pattern::Options kGlob{/*wildcards=*/true, /*variables=*/false};
constexpr Pattern::Options kGlobVars{/*wildcards=*/true, /*variables=*/true};
constexpr Pattern::Options kVars{/*wildcards=*/false, /*variables=*/true};

bool Glob(absl::string_view pattern, absl::string_view text,
          bool ignore_case = false) {
  std::vector<VariableRef> vars;
  absl::StatusOr<Pattern> p = Pattern::Parse(pattern, kGlob, &vars);
  EXPECT_TRUE(p.ok()) << pattern;
  return p->Matches(text, nullptr, ignore_case);
}

TEST(PatternTest, StarMatchesAnyRunIncludingSlashes) {
  EXPECT_TRUE(Glob("secret/*", "secret/app/db/password"));
  EXPECT_TRUE(Glob("secret/*", "secret/"));
  EXPECT_TRUE(Glob("*", ""));
  EXPECT_TRUE(Glob("secret/*/password", "secret/app/db/password"));
  EXPECT_FALSE(Glob("secret/*/password", "secret/app/db/passwords"));
  EXPECT_TRUE(Glob("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(Glob("*a*b*c*", "xxaxxcxxbxx"));
  EXPECT_TRUE(Glob("a**b", "ab"));
}

TEST(PatternTest, QuestionMarkMatchesExactlyOneCharacter) {
  EXPECT_TRUE(Glob("secret/db?", "secret/db1"));
  EXPECT_FALSE(Glob("secret/db?", "secret/db"));
  EXPECT_FALSE(Glob("secret/db?", "secret/db12"));
  EXPECT_TRUE(Glob("?*", "x"));
  EXPECT_FALSE(Glob("?*", ""));
}

TEST(PatternTest, ExactAndPrefixShapes) {
  EXPECT_TRUE(Glob("secret/a", "secret/a"));
  EXPECT_FALSE(Glob("secret/a", "secret/A"));
  EXPECT_TRUE(Glob("secret/a", "SECRET/A", /*ignore_case=*/true));
  EXPECT_TRUE(Glob("secrets:*", "secrets:Get"));
  EXPECT_FALSE(Glob("secrets:*", "secretd:AssumeRole"));
}

TEST(PatternTest, VariablesResolveToLiteralText) {
  std::vector<VariableRef> vars;
  ASSERT_OK_AND_ASSIGN(
      Pattern p, Pattern::Parse("secret/${claim:sub}/*", kGlobVars, &vars));
  ASSERT_EQ(vars.size(), 1u);
  EXPECT_EQ(vars[0].key, "claim:sub");
  EXPECT_EQ(vars[0].key_lower, "claim:sub");
  absl::string_view web[] = {"web-1"};
  EXPECT_TRUE(p.Matches("secret/web-1/db", web, false));
  EXPECT_FALSE(p.Matches("secret/web-2/db", web, false));
  // A '*' in the resolved value is not a wildcard.
  absl::string_view star[] = {"*"};
  EXPECT_FALSE(p.Matches("secret/web-1/db", star, false));
  EXPECT_TRUE(p.Matches("secret/*/db", star, false));
}

TEST(PatternTest, DefaultsAreParsedWithQuotesAndSpaces) {
  std::vector<VariableRef> vars;
  ASSERT_OK_AND_ASSIGN(
      Pattern p, Pattern::Parse("${ claim:team , 'it''s none' }/${claim:team}",
                                kVars, &vars));
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].key, "claim:team");
  EXPECT_EQ(vars[0].default_value, "it's none");
  EXPECT_FALSE(vars[1].default_value.has_value());
  absl::string_view resolved[] = {"ops", "dev"};
  EXPECT_TRUE(p.Equals("ops/dev", resolved, false));
}

TEST(PatternTest, EqualVariableReferencesShareOneSlot) {
  std::vector<VariableRef> vars;
  ASSERT_OK(Pattern::Parse("${claim:sub}", kVars, &vars).status());
  ASSERT_OK(Pattern::Parse("x/${Claim:Sub}", kVars, &vars).status());
  EXPECT_EQ(vars.size(), 1u);
}

TEST(PatternTest, EscapesAreLiteralCharacters) {
  std::vector<VariableRef> vars;
  ASSERT_OK_AND_ASSIGN(Pattern p,
                       Pattern::Parse("a${*}b${?}c${$}", kGlobVars, &vars));
  EXPECT_TRUE(vars.empty());
  EXPECT_TRUE(p.Matches("a*b?c$", nullptr, false));
  EXPECT_FALSE(p.Matches("axbycz", nullptr, false));
}

TEST(PatternTest, WithoutVariablesDollarBraceIsLiteral) {
  std::vector<VariableRef> vars;
  ASSERT_OK_AND_ASSIGN(Pattern p,
                       Pattern::Parse("${claim:sub}", {false, false}, &vars));
  EXPECT_TRUE(vars.empty());
  EXPECT_TRUE(p.Equals("${claim:sub}", nullptr, false));
}

TEST(PatternTest, EqualsTakesWildcardsLiterally) {
  std::vector<VariableRef> vars;
  ASSERT_OK_AND_ASSIGN(Pattern p, Pattern::Parse("a*", kVars, &vars));
  EXPECT_TRUE(p.Equals("a*", nullptr, false));
  EXPECT_FALSE(p.Equals("ab", nullptr, false));
  EXPECT_TRUE(p.Equals("A*", nullptr, true));
}

TEST(PatternTest, MalformedVariablesAreRejected) {
  std::vector<VariableRef> vars;
  EXPECT_THAT(
      Pattern::Parse("secret/${claim:sub", kVars, &vars),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not closed")));
  EXPECT_THAT(Pattern::Parse("${}", kVars, &vars),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("names no context key")));
  EXPECT_THAT(Pattern::Parse("${claim:x, none}", kVars, &vars),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not in single quotes")));
  EXPECT_THAT(
      Pattern::Parse("${claim:x, 'a'b''}", kVars, &vars),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lone quote")));
  EXPECT_THAT(Pattern::Parse("${claim x}", kVars, &vars),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("with \" \" in it")));
}

TEST(PatternTest, LiteralPrefixStopsAtTheFirstSpecialPiece) {
  std::vector<VariableRef> vars;
  EXPECT_EQ(Pattern::Parse("secret/a*", kGlob, &vars)->literal_prefix(),
            "secret/a");
  EXPECT_EQ(Pattern::Parse("${claim:x}/a", kGlobVars, &vars)->literal_prefix(),
            "");
  EXPECT_TRUE(Pattern::Parse("*", kGlob, &vars)->is_match_all());
}

TEST(KeyHashTest, IgnoresAsciiCase) {
  EXPECT_EQ(KeyHash("Claim:Sub"), KeyHash("claim:sub"));
  EXPECT_NE(KeyHash("claim:sub"), KeyHash("claim:sud"));
}

}  // namespace
}  // namespace policy::internal
