#include "policy/policy.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/testing/sample_policies.h"

namespace policy {
namespace {

using ::common::testing::StatusIs;
using ::testing::ElementsAre;

constexpr absl::string_view kFull = R"({
  "Version": "2012-10-17",
  "Id": "web-trust",
  "Statement": [
    {
      "Sid": "Instances",
      "Effect": "Allow",
      "Principal": {"Attestor": ["https://attest.example"]},
      "Action": ["secretd:AssumeRole"],
      "Condition": {
        "StringLike": {"claim:image_id": ["ami-0*", "ami-1*"]},
        "NumericLessThan": {"secretd:TokenAge": 300},
        "ForAllValues:StringEquals": {"claim:aud": "secretd"},
        "BoolIfExists": {"claim:spot": false}
      }
    },
    {
      "Effect": "Deny",
      "Principal": {"Attestor": "*"},
      "NotAction": "secretd:AssumeRole",
      "NotResource": "role/web"
    }
  ]
})";

TEST(PolicyParserTest, ParsesEveryElement) {
  ASSERT_OK_AND_ASSIGN(Policy p,
                       ParsePolicy("trust.json", kFull, PolicyKind::kTrust));
  EXPECT_EQ(p.name, "trust.json");
  EXPECT_EQ(p.version, Version::k2012_10_17);
  EXPECT_EQ(p.id, "web-trust");
  ASSERT_EQ(p.statements.size(), 2u);
  const Statement& s = p.statements[0];
  EXPECT_EQ(s.sid, "Instances");
  EXPECT_EQ(s.effect, Effect::kAllow);
  EXPECT_FALSE(s.not_action);
  EXPECT_THAT(s.actions, ElementsAre("secretd:AssumeRole"));
  EXPECT_TRUE(s.actions_array);
  EXPECT_FALSE(s.has_resource);
  ASSERT_TRUE(s.attestors.has_value());
  EXPECT_THAT(*s.attestors, ElementsAre("https://attest.example"));
  // Conditions come sorted by operator name, then key.
  ASSERT_EQ(s.conditions.size(), 4u);
  EXPECT_EQ(s.conditions[0].operator_name, "BoolIfExists");
  EXPECT_EQ(s.conditions[0].parsed.op, Operator::kBool);
  EXPECT_TRUE(s.conditions[0].parsed.if_exists);
  EXPECT_EQ(s.conditions[0].values[0].type, ConditionValue::Type::kBool);
  EXPECT_EQ(s.conditions[1].operator_name, "ForAllValues:StringEquals");
  EXPECT_EQ(s.conditions[1].parsed.qualifier, SetQualifier::kForAllValues);
  EXPECT_EQ(s.conditions[2].operator_name, "NumericLessThan");
  EXPECT_EQ(s.conditions[2].values[0].type, ConditionValue::Type::kNumber);
  EXPECT_EQ(s.conditions[2].values[0].text, "300");
  EXPECT_EQ(s.conditions[3].key, "claim:image_id");
  EXPECT_TRUE(s.conditions[3].values_array);
  const Statement& d = p.statements[1];
  EXPECT_FALSE(d.sid.has_value());
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_TRUE(d.not_action);
  EXPECT_TRUE(d.not_resource);
  EXPECT_THAT(d.resources, ElementsAre("role/web"));
  EXPECT_FALSE(d.resources_array);
}

TEST(PolicyParserTest, SerializedPolicyParsesBackToTheSameValue) {
  for (
      const std::string& text :
      {std::string(kFull), testing::RealisticPermissionPolicy(20),
       testing::RealisticTrustPolicy(),
       std::string(
           R"({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${x}", "Condition": {"NumericEquals": {"claim:n": [1.5, "2", 1e20]}}}})")}) {
    ASSERT_OK_AND_ASSIGN(Policy p, ParsePolicy("p.json", text));
    const std::string again = PolicyToJson(p).dump();
    ASSERT_OK_AND_ASSIGN(Policy q, ParsePolicy("p.json", again));
    EXPECT_EQ(p, q) << again;
    EXPECT_EQ(PolicyToJson(q).dump(), again);
  }
}

TEST(PolicyParserTest, SingleValuesKeepTheirShape) {
  ASSERT_OK_AND_ASSIGN(
      Policy p,
      ParsePolicy(
          "p.json",
          R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/a", "Condition": {"StringEquals": {"claim:a": "x"}}}})"));
  EXPECT_FALSE(p.statements_array);
  EXPECT_EQ(StatementPath(p, 0), "Statement");
  EXPECT_EQ(
      PolicyToJson(p).dump(),
      R"({"Statement":{"Action":"secrets:Get","Condition":{"StringEquals":{"claim:a":"x"}},"Effect":"Allow","Resource":"secret/a"},"Version":"2012-10-17"})");
}

TEST(PolicyParserTest, ValidateInfersTheKindFromPrincipal) {
  ParseResult trust = ValidatePolicyDocument("t.json", kFull);
  EXPECT_TRUE(trust.errors.empty());
  EXPECT_EQ(trust.kind, PolicyKind::kTrust);
  ParseResult permission =
      ValidatePolicyDocument("p.json", testing::RealisticPermissionPolicy(3));
  EXPECT_TRUE(permission.errors.empty());
  EXPECT_EQ(permission.kind, PolicyKind::kPermission);
  // A permission-looking statement next to a trusted one: trust rules apply.
  ParseResult mixed = ValidatePolicyDocument(
      "m.json",
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Attestor": "*"}, "Action": "secretd:AssumeRole"}, {"Effect": "Allow", "Action": "secretd:AssumeRole", "Resource": "role/web"}]})");
  EXPECT_EQ(mixed.kind, PolicyKind::kTrust);
  ASSERT_EQ(mixed.errors.size(), 1u);
  EXPECT_EQ(mixed.errors[0].path, "Statement[1]");
}

TEST(PolicyParserTest, DetailedResultHasAPolicyOnlyWithoutErrors) {
  ParseResult ok = ParsePolicyDetailed("p.json", kFull);
  EXPECT_TRUE(ok.policy.has_value());
  ParseResult bad = ParsePolicyDetailed("p.json", "{}");
  EXPECT_FALSE(bad.policy.has_value());
  EXPECT_EQ(bad.errors.size(), 2u);
}

TEST(PolicyParserTest, MessageListsEveryErrorPrefixedWithThePolicyName) {
  EXPECT_THAT(
      ParsePolicy("a \"b\".json", "{}"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "policy \"a \\\"b\\\".json\": missing Version; add \"Version\": "
               "\"2012-10-17\"\npolicy \"a \\\"b\\\".json\": missing "
               "Statement; add \"Statement\": [...] with at least one "
               "statement"));
}

TEST(OperatorNameTest, ParsesPrefixesAndSuffixes) {
  std::optional<ParsedOperator> op =
      ParseOperatorName("ForAnyValue:NumericLessThanEqualsIfExists");
  ASSERT_TRUE(op.has_value());
  EXPECT_EQ(op->op, Operator::kNumericLessThanEquals);
  EXPECT_EQ(op->qualifier, SetQualifier::kForAnyValue);
  EXPECT_TRUE(op->if_exists);
  EXPECT_FALSE(ParseOperatorName("ForAllValues:Null").has_value());
  EXPECT_FALSE(ParseOperatorName("IfExists").has_value());
  EXPECT_FALSE(ParseOperatorName("stringequals").has_value());
  EXPECT_EQ(AllOperatorNames().size(), 3u * 21u * 2u + 1u);
}

}  // namespace
}  // namespace policy
