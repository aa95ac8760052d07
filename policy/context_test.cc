#include "policy/context.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace policy {
namespace {

using ::common::testing::StatusIs;
using Json = nlohmann::json;

std::vector<std::string> Texts(const Context& ctx, absl::string_view key) {
  std::vector<std::string> out;
  const Context::Entry* e = ctx.Find(key);
  if (e == nullptr) return out;
  for (const Context::Value& v : e->values) out.push_back(v.text);
  return out;
}

TEST(ContextTest, KeysCompareCaseInsensitively) {
  Context ctx;
  ctx.AddString("Claim:Team", "ops");
  ASSERT_NE(ctx.Find("claim:team"), nullptr);
  EXPECT_EQ(ctx.Find("CLAIM:TEAM")->key, "Claim:Team");
  EXPECT_EQ(ctx.Find("claim:teams"), nullptr);
}

TEST(ContextTest, AddingToAKeyMakesItMultivalued) {
  Context ctx;
  ctx.AddString("claim:aud", "a");
  ctx.AddString("CLAIM:AUD", "b");
  EXPECT_THAT(Texts(ctx, "claim:aud"), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(ctx.entries().size(), 1u);
}

TEST(ContextTest, ValuesAreParsedForEveryOperatorFamily) {
  Context ctx;
  ctx.AddString("k", "10.0.0.1");
  ctx.AddString("n", "42");
  ctx.AddString("t", "2024-06-01T00:00:00Z");
  ctx.AddBool("b", true);
  const Context::Value& ip = ctx.Find("k")->values[0];
  EXPECT_TRUE(ip.ip.has_value());
  EXPECT_FALSE(ip.number.has_value());
  const Context::Value& n = ctx.Find("n")->values[0];
  EXPECT_TRUE(n.number.has_value());
  EXPECT_EQ(n.date->seconds, 42);  // digits are also epoch seconds
  EXPECT_EQ(ctx.Find("t")->values[0].date->seconds, 1717200000);
  EXPECT_EQ(ctx.Find("b")->values[0].text, "true");
  EXPECT_EQ(ctx.Find("b")->values[0].boolean, true);
}

TEST(ContextTest, CidrIsNotAnAddress) {
  Context ctx;
  ctx.AddString("k", "10.0.0.0/8");
  EXPECT_FALSE(ctx.Find("k")->values[0].ip.has_value());
}

TEST(ContextTest, AddNumberRejectsNonNumbers) {
  Context ctx;
  EXPECT_OK(ctx.AddNumber("n", "1.5e3"));
  EXPECT_EQ(Texts(ctx, "n"), std::vector<std::string>{"1.5e3"});
  EXPECT_THAT(ctx.AddNumber("n", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "context key \"n\": \"x\" is not a decimal number"));
}

TEST(ContextTest, AddTimeWritesRfc3339AndKeepsTheInstant) {
  Context ctx;
  AddRequestTime(absl::FromUnixSeconds(1717236900) + absl::Milliseconds(250),
                 &ctx);
  EXPECT_EQ(Texts(ctx, kCurrentTimeKey),
            std::vector<std::string>{"2024-06-01T10:15:00.25Z"});
  EXPECT_EQ(ctx.Find(kCurrentTimeKey)->values[0].date->nanos, 250000000);
  EXPECT_EQ(Texts(ctx, kEpochTimeKey), std::vector<std::string>{"1717236900"});
}

TEST(ContextTest, AddClaimsMapsScalarsArraysAndTags) {
  Json claims = Json::parse(R"({
    "sub": "i-0abc", "iat": 1717236900, "spot": false,
    "aud": ["broker", "other"], "groups": [],
    "tags": {"team": "ops", "env": ["prod", "eu"]},
    "cnf": {"jwk": {"kty": "OKP"}}, "none": null, "nested": [[1]]
  })");
  Context ctx;
  ASSERT_OK(AddClaims(claims, &ctx));
  EXPECT_EQ(Texts(ctx, "claim:sub"), std::vector<std::string>{"i-0abc"});
  EXPECT_EQ(Texts(ctx, "claim:iat"), std::vector<std::string>{"1717236900"});
  EXPECT_EQ(Texts(ctx, "claim:spot"), std::vector<std::string>{"false"});
  EXPECT_THAT(Texts(ctx, "claim:aud"),
              ::testing::ElementsAre("broker", "other"));
  ASSERT_NE(ctx.Find("claim:groups"), nullptr);
  EXPECT_TRUE(ctx.Find("claim:groups")->values.empty());
  EXPECT_EQ(Texts(ctx, "claim:tags/team"), std::vector<std::string>{"ops"});
  EXPECT_THAT(Texts(ctx, "claim:tags/env"),
              ::testing::ElementsAre("prod", "eu"));
  EXPECT_EQ(ctx.Find("claim:cnf"), nullptr);
  EXPECT_EQ(ctx.Find("claim:none"), nullptr);
  EXPECT_EQ(ctx.Find("claim:nested"), nullptr);
}

TEST(ContextTest, AddClaimsRefusesClaimNamesDifferingOnlyInCase) {
  Context ctx;
  EXPECT_THAT(
      AddClaims(Json::parse(R"({"sub": "i-1", "team": "a", "TEAM": "b"})"),
                &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "claims \"TEAM\" and \"team\" differ only in case, so both "
               "would be context key \"claim:TEAM\" (context keys compare "
               "case-insensitively); the claims are refused"));
  EXPECT_TRUE(ctx.empty());
  // Also when one of them is a claim that is not mapped (an object).
  EXPECT_THAT(
      AddClaims(Json::parse(R"({"cnf": {"jwk": {}}, "Cnf": "x"})"), &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith(
                   "claims \"Cnf\" and \"cnf\" differ only in case")));
  // "tags" and "Tags": the second would not be tags, but the names collide.
  EXPECT_THAT(
      AddClaims(Json::parse(R"({"tags": {}, "Tags": "x"})"), &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith(
                   "claims \"Tags\" and \"tags\" differ only in case")));
  EXPECT_TRUE(ctx.empty());
}

TEST(ContextTest, AddClaimsRefusesTagsDifferingOnlyInCase) {
  Context ctx;
  EXPECT_THAT(
      AddClaims(Json::parse(R"({"sub": "i-1", "tags": {"a": "1", "A": "1"}})"),
                &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "tags \"A\" and \"a\" differ only in case, so both would be "
               "context key \"claim:tags/A\" (context keys compare "
               "case-insensitively); the claims are refused"));
  EXPECT_TRUE(ctx.empty());
  // A tag may share a top-level claim's name: different keys.
  ASSERT_OK(
      AddClaims(Json::parse(R"({"team": "x", "tags": {"team": "y"}})"), &ctx));
  EXPECT_EQ(Texts(ctx, "claim:team"), std::vector<std::string>{"x"});
  EXPECT_EQ(Texts(ctx, "claim:tags/team"), std::vector<std::string>{"y"});
}

TEST(ContextTest, AddClaimsRefusesAClaimNameThatAliasesATag) {
  Context ctx;
  EXPECT_THAT(AddClaims(Json::parse(R"({"TAGS/Env": "prod"})"), &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "claim \"TAGS/Env\" starts with \"tags/\", which would "
                       "alias the tag of that name (claim:tags/<k> is reserved "
                       "for the members of \"tags\"); the claims are refused"));
  EXPECT_TRUE(ctx.empty());
  // URL-style claim names cannot alias a tag: they are kept.
  ASSERT_OK(AddClaims(Json::parse(R"({"https://x.example/role": "a"})"), &ctx));
  EXPECT_EQ(Texts(ctx, "claim:https://x.example/role"),
            std::vector<std::string>{"a"});
  ctx = Context();
  // A "/" inside a tag name is fine: only other tags could collide.
  ASSERT_OK(AddClaims(Json::parse(R"({"tags": {"k8s/ns": "web"}})"), &ctx));
  EXPECT_EQ(Texts(ctx, "claim:tags/k8s/ns"), std::vector<std::string>{"web"});
}

TEST(ContextTest, AddClaimsRefusesTagsThatAreNotAnObject) {
  Context ctx;
  EXPECT_THAT(
      AddClaims(Json::parse(R"({"sub": "i-1", "tags": ["env"]})"), &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "claim \"tags\" must be an object of tag names to "
               "values, got an array; the claims are refused"));
  EXPECT_THAT(AddClaims(Json::parse(R"({"tags": null})"), &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("got null")));
  EXPECT_THAT(AddClaims(Json::parse(R"(["sub"])"), &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the token claims must be a JSON object, got an "
                       "array"));
  EXPECT_TRUE(ctx.empty());
}

TEST(ContextTest, AddClaimsNeverMergesIntoAKeyAlreadySet) {
  Context ctx;
  ctx.AddString("CLAIM:SUB", "i-1");
  EXPECT_THAT(AddClaims(Json::parse(R"({"aud": "b", "sub": "i-2"})"), &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "context key \"claim:sub\" is already set; add the "
                       "claims once, to a context without claim: keys"));
  EXPECT_EQ(Texts(ctx, "claim:sub"), std::vector<std::string>{"i-1"});
  EXPECT_EQ(ctx.Find("claim:aud"), nullptr);  // nothing was added
  // Adding the same claims twice is refused the same way.
  Context twice;
  const Json claims = Json::parse(R"({"tags": {"team": "a"}})");
  ASSERT_OK(AddClaims(claims, &twice));
  EXPECT_THAT(AddClaims(claims, &twice),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith(
                           "context key \"claim:tags/team\" is already set")));
  EXPECT_EQ(Texts(twice, "claim:tags/team"), std::vector<std::string>{"a"});
}

TEST(ContextTest, AddClaimsQuotesUntrustedNamesSafely) {
  Context ctx;
  Json claims = Json::object();
  claims[std::string(100, 'x')] = "1";
  claims[std::string(100, 'X')] = "2";
  EXPECT_THAT(AddClaims(claims, &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("claims \"", std::string(64, 'X'),
                                    "\"... and \"", std::string(64, 'x'),
                                    "\"... differ only in case, so both would "
                                    "be context key \"claim:",
                                    std::string(58, 'X'),
                                    "\"... (context keys compare "
                                    "case-insensitively); the claims are "
                                    "refused")));
  EXPECT_THAT(AddClaims(Json::parse(R"({"tags/a\nb": 1})"), &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith(
                           "claim \"tags/a\\nb\" starts with \"tags/\"")));
}

TEST(ContextTest, FromJsonBuildsTheSimulateContext) {
  ASSERT_OK_AND_ASSIGN(
      Context ctx,
      Context::FromJson(Json::parse(
          R"({"claim:team": "ops", "secretd:TokenAge": 12.5, "claim:aud": ["a", true]})")));
  EXPECT_EQ(Texts(ctx, "claim:team"), std::vector<std::string>{"ops"});
  EXPECT_EQ(Texts(ctx, "secretd:tokenage"), std::vector<std::string>{"12.5"});
  EXPECT_THAT(Texts(ctx, "claim:aud"), ::testing::ElementsAre("a", "true"));
  EXPECT_EQ(
      ctx.ToJson().dump(),
      R"({"claim:aud":["a",true],"claim:team":"ops","secretd:TokenAge":12.5})");
}

TEST(ContextTest, FromJsonRejectsWhatIsNotAValue) {
  EXPECT_THAT(Context::FromJson(Json::parse(R"({"k": {"a": 1}})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "context key \"k\": expected a string, number, boolean "
                       "or an array of those, got an object"));
  EXPECT_THAT(Context::FromJson(Json::parse(R"({"k": [1, null]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "context key \"k\": expected a string, number, boolean "
                       "or an array of those, got null"));
  EXPECT_THAT(Context::FromJson(Json::parse(R"({"K": 1, "k": 2})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "context key \"k\" is given twice (keys compare "
                       "case-insensitively)"));
  EXPECT_THAT(Context::FromJson(Json::parse(R"([1])")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the context must be a JSON object of key to value, "
                       "got an array"));
}

TEST(ContextTest, FromJsonTextIsStrict) {
  ASSERT_OK_AND_ASSIGN(Context ctx,
                       Context::FromJsonText(R"({"claim:a": ["x", 1]})"));
  EXPECT_THAT(Texts(ctx, "claim:a"), ::testing::ElementsAre("x", "1"));
  EXPECT_THAT(Context::FromJsonText(R"({"a": 1, "a": 2})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the context is not valid JSON: duplicate member "
                       "\"a\"; a name may appear once in an object, remove "
                       "one of them"));
  EXPECT_THAT(Context::FromJsonText("{\"a\": }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "the context is not valid JSON: line 1, column 7: "
                       "expected a value, got \"}\""));
}

TEST(ContextTest, ManyKeysStayFindableAcrossRehashes) {
  Context ctx;
  for (int i = 0; i < 500; ++i) {
    ctx.AddInt("claim:k" + std::to_string(i), i);
  }
  for (int i = 0; i < 500; ++i) {
    const Context::Entry* e = ctx.Find("CLAIM:K" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->values[0].text, std::to_string(i));
  }
  ctx.Remove("claim:k7");
  EXPECT_EQ(ctx.Find("claim:k7"), nullptr);
  EXPECT_NE(ctx.Find("claim:k8"), nullptr);
}

}  // namespace
}  // namespace policy
