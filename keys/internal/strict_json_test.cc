#include "keys/internal/strict_json.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keys::internal {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

TEST(StrictJsonTest, ParsesOrdinaryJson) {
  auto v = ParseStrictJson(R"({"a":[1,2,{"b":null}],"c":"d","e":1.5})", 1000);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["a"][2]["b"], nullptr);
  EXPECT_EQ((*v)["c"], "d");
  EXPECT_EQ((*v)["e"], 1.5);
}

TEST(StrictJsonTest, DuplicateMemberIsRejected) {
  EXPECT_THAT(ParseStrictJson(R"({"alg":"EdDSA","alg":"none"})", 1000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate member \"alg\"")));
}

TEST(StrictJsonTest, DuplicateMemberInNestedObjectIsRejected) {
  EXPECT_THAT(ParseStrictJson(R"({"cnf":{"jwk":{},"jwk":{}}})", 1000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate member \"jwk\"")));
}

TEST(StrictJsonTest, SameNameInSiblingObjectsIsFine) {
  EXPECT_TRUE(ParseStrictJson(R"([{"a":1},{"a":2}])", 1000).ok());
}

TEST(StrictJsonTest, EscapedDuplicateIsStillADuplicate) {
  EXPECT_THAT(ParseStrictJson(R"({"alg":1,"\u0061lg":2})", 1000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate member")));
}

TEST(StrictJsonTest, DepthLimitIsEnforced) {
  std::string sixteen = std::string(16, '[') + std::string(16, ']');
  std::string seventeen = std::string(17, '[') + std::string(17, ']');
  EXPECT_TRUE(ParseStrictJson(sixteen, 1000).ok());
  EXPECT_THAT(ParseStrictJson(seventeen, 1000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested deeper than 16")));
  // A huge nesting must not recurse or crash.
  std::string deep(100000, '[');
  EXPECT_THAT(ParseStrictJson(deep, 1000000),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StrictJsonTest, SizeLimitIsEnforced) {
  EXPECT_THAT(
      ParseStrictJson(R"({"a":"bcdef"})", 5),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 5")));
}

TEST(StrictJsonTest, NonJsonIsRejected) {
  for (const char* bad : {"", "{", "{} {}", "{\"a\":1,}", "// c\n{}", "[1,]",
                          "{'a':1}", "NaN", "1e999", "\"\xff\""}) {
    EXPECT_THAT(ParseStrictJson(bad, 1000),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(StrictJsonTest, DepthIsMeasured) {
  EXPECT_EQ(JsonDepth(nlohmann::json(1)), 0u);
  EXPECT_EQ(JsonDepth(nlohmann::json::parse(R"({"a":[1]})")), 2u);
}

TEST(StrictJsonTest, WipeJsonEmptiesEveryString) {
  auto v = nlohmann::json::parse(R"({"d":"secret","k":["x",{"y":"z"}]})");
  WipeJson(&v);
  EXPECT_EQ(v["d"], "");
  EXPECT_EQ(v["k"][0], "");
  EXPECT_EQ(v["k"][1]["y"], "");
}

}  // namespace
}  // namespace keys::internal
