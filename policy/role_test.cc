#include "policy/role.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/testing/sample_policies.h"

namespace policy {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;

RoleDefinition WebRole() {
  RoleDefinition def;
  def.name = "web";
  def.trust_policy = {"trust.json", testing::RealisticTrustPolicy()};
  def.permission_policies = {
      {"read.json", testing::RealisticPermissionPolicy(20)}};
  return def;
}

TEST(CompiledRoleTest, CompilesWithDefaults) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(WebRole()));
  EXPECT_EQ(role->name(), "web");
  EXPECT_EQ(role->max_token_lifetime(), absl::Seconds(600));
  EXPECT_EQ(role->secret_ttl(), absl::Seconds(3600));
  EXPECT_FALSE(role->single_use_tokens());
  EXPECT_EQ(role->trust_policy().statement_count(), 2u);
  EXPECT_EQ(role->permission_policies().statement_count(), 20u);
}

TEST(CompiledRoleTest, AssumeRoleChecksTheVerifiedIssuer) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(WebRole()));
  Context ctx = testing::RealisticContext(20);
  Decision ok = role->EvaluateAssumeRole("https://attest.example", ctx);
  EXPECT_EQ(ok.effect, DecisionEffect::kAllow);
  EXPECT_EQ(ok.statement->policy, "trust.json");
  EXPECT_EQ(ok.statement->sid, "Instances");
  // The issuer is a field of the request: a context key does not count.
  Decision other = role->EvaluateAssumeRole("https://other.example", ctx);
  EXPECT_EQ(other.effect, DecisionEffect::kImplicitDeny);
  Decision none = role->EvaluateAssumeRole("", ctx);
  EXPECT_EQ(none.effect, DecisionEffect::kImplicitDeny);
}

TEST(CompiledRoleTest, AssumeRoleHonoursTrustDenies) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(WebRole()));
  Context ctx = testing::RealisticContext(20);
  ctx.Remove("claim:tags/env");
  ctx.AddString("claim:tags/env", "quarantine");
  Decision d = role->EvaluateAssumeRole("https://attest.example", ctx);
  EXPECT_EQ(d.effect, DecisionEffect::kExplicitDeny);
  EXPECT_EQ(d.statement->sid, "NoQuarantine");
}

TEST(CompiledRoleTest, GetSecretEvaluatesThePermissionPolicies) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(WebRole()));
  Context ctx = testing::RealisticContext(20);
  Decision d = role->EvaluateGetSecret(testing::AllowedSecret(20), ctx);
  EXPECT_EQ(d.effect, DecisionEffect::kAllow);
  EXPECT_EQ(d.statement->sid, "S19");
  // The ${claim:sub} statement; its team condition needs "platform" here.
  ctx.Remove("claim:tags/team");
  ctx.AddString("claim:tags/team", "platform");
  EXPECT_EQ(role->EvaluateGetSecret("web-1/anything", ctx).statement->sid,
            "S10");
  EXPECT_EQ(role->EvaluateGetSecret("web-2/anything", ctx).effect,
            DecisionEffect::kImplicitDeny);
  // A name longer than the stack buffer takes the slow path, same answer.
  EXPECT_EQ(role->EvaluateGetSecret(std::string(600, 'a'), ctx).effect,
            DecisionEffect::kImplicitDeny);
  std::string buffer;
  Request r = role->GetSecretRequest("app1/x", ctx, &buffer);
  EXPECT_EQ(r.action, "secrets:Get");
  EXPECT_EQ(r.resource, "secret/app1/x");
}

TEST(CompiledRoleTest, EveryProblemOfEveryDocumentIsReportedAtOnce) {
  RoleDefinition def;
  def.name = "web/";
  def.max_token_lifetime = absl::Milliseconds(1500);
  def.secret_ttl = absl::Hours(24 * 31);
  def.trust_policy = {
      "trust.json",
      R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secretd:AssumeRole"}})"};
  def.permission_policies = {
      {"read.json",
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": "*"}, "Action": "secrets:Get", "Resource": "secret/*"}})"},
      {"trust.json", R"({"Version": "2012-10-17", "Statement": []})"}};
  EXPECT_THAT(
      CompiledRole::Compile(def),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          "role \"web/\": role name \"web/\" has an empty, \".\" or \"..\" "
          "segment; segments are joined by single \"/\"\n"
          "role \"web/\": max_token_lifetime 1.5s must be a whole number of "
          "seconds between 1 and 86400\n"
          "role \"web/\": secret_ttl 744h must be a whole number of seconds "
          "between 1 and 2592000\n"
          "role \"web/\": two policies are named \"trust.json\"; names must "
          "be unique\n"
          "policy \"trust.json\": Statement: missing Principal; a trust "
          "policy statement names the attestors it trusts, e.g. "
          "\"Principal\": {\"Attestor\": \"*\"}\n"
          "policy \"read.json\": Statement.Principal: permission policies "
          "have no Principal; remove it (the role's trust policy decides who "
          "may assume it)\n"
          "policy \"trust.json\": Statement: is an empty array; add at least "
          "one statement"));
}

TEST(CompiledRoleTest, RoleNeedsAPermissionPolicyAndAtMostTen) {
  RoleDefinition def = WebRole();
  def.permission_policies.clear();
  EXPECT_THAT(CompiledRole::Compile(def),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "role \"web\": has no permission policy; give at least "
                       "one"));
  for (int i = 0; i < 11; ++i) {
    def.permission_policies.push_back({"p" + std::to_string(i) + ".json",
                                       testing::RealisticPermissionPolicy(1)});
  }
  EXPECT_THAT(CompiledRole::Compile(def),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "role \"web\": has 11 permission policies; the limit "
                       "is 10, merge some of them"));
}

TEST(RoleNameTest, AcceptsSecretLikeNames) {
  EXPECT_THAT(ValidateRoleName("web"), IsOk());
  EXPECT_THAT(ValidateRoleName("prod/web-1.v2_a"), IsOk());
  EXPECT_THAT(ValidateRoleName(""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "role name \"\" must be 1 to 128 characters long"));
  EXPECT_THAT(ValidateRoleName("a/../b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("segment")));
  EXPECT_THAT(ValidateRoleName("web*"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "role name \"web*\" may hold only letters, digits, "
                       "\"_\", \".\", \"-\" and \"/\""));
}

}  // namespace
}  // namespace policy
