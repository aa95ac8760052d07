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
          "role \"web/\": max_token_lifetime must be a whole number of "
          "seconds between 1 and 86400, got 1.5s\n"
          "role \"web/\": secret_ttl must be a whole number of seconds "
          "between 1 and 2592000, got 2678400\n"
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

// Security review, issue 1: claims whose names differ only in case must not
// merge into one multivalued context key.
RoleDefinition ProdRole() {
  RoleDefinition def;
  def.name = "prod";
  def.trust_policy = {
      "trust.json",
      R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
          "Principal": {"Attestor": "*"}, "Action": "secretd:AssumeRole"}})"};
  def.permission_policies = {{"prod.json",
                              R"({"Version": "2012-10-17", "Statement": [
            {"Sid": "ProdOnly", "Effect": "Allow", "Action": "secrets:Get",
             "Resource": "secret/prod/*",
             "Condition": {"StringEquals": {"claim:tags/env": "prod"}}}]})"},
                             {"team.json",
                              R"({"Version": "2012-10-17", "Statement": [
            {"Sid": "Any", "Effect": "Allow", "Action": "secrets:Get",
             "Resource": "secret/teams/*"},
            {"Sid": "OtherTeams", "Effect": "Deny", "Action": "secrets:Get",
             "NotResource": "secret/teams/${claim:tags/team}/*"}]})"}};
  return def;
}

// Before the fix, {"env": "dev", "ENV": "prod"} became claim:tags/env =
// ["dev", "prod"] and the second value satisfied StringEquals: allow.
TEST(CompiledRoleTest, TagDifferingOnlyInCaseCannotSatisfyAnAllow) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(ProdRole()));
  Context ctx;
  EXPECT_THAT(
      AddClaims(nlohmann::json::parse(
                    R"({"sub": "i-1", "tags": {"env": "dev", "ENV": "prod"}})"),
                &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "tags \"ENV\" and \"env\" differ only in case, so both would "
               "be context key \"claim:tags/ENV\" (context keys compare "
               "case-insensitively); the claims are refused"));
  EXPECT_TRUE(ctx.empty());  // nothing was added
  EXPECT_EQ(role->EvaluateGetSecret("prod/db", ctx).effect,
            DecisionEffect::kImplicitDeny);
  // The same token with one env tag decides as its tag says.
  Context dev;
  ASSERT_OK(AddClaims(
      nlohmann::json::parse(R"({"sub": "i-1", "tags": {"ENV": "dev"}})"),
      &dev));
  EXPECT_EQ(role->EvaluateGetSecret("prod/db", dev).effect,
            DecisionEffect::kImplicitDeny);
  Context prod;
  ASSERT_OK(AddClaims(
      nlohmann::json::parse(R"({"sub": "i-1", "tags": {"env": "prod"}})"),
      &prod));
  EXPECT_EQ(role->EvaluateGetSecret("prod/db", prod).effect,
            DecisionEffect::kAllow);
}

// Before the fix, {"team": "a", "Team": "b"} made claim:tags/team
// multivalued, ${claim:tags/team} did not resolve, the Deny was skipped and
// team a read team b's secret: allow.
TEST(CompiledRoleTest, TagDifferingOnlyInCaseCannotDisarmADeny) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(ProdRole()));
  Context ctx;
  EXPECT_THAT(
      AddClaims(nlohmann::json::parse(
                    R"({"sub": "i-1", "tags": {"team": "a", "Team": "b"}})"),
                &ctx),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "tags \"Team\" and \"team\" differ only in case, so both would "
               "be context key \"claim:tags/Team\" (context keys compare "
               "case-insensitively); the claims are refused"));
  EXPECT_TRUE(ctx.empty());
  // With one team tag the Deny holds.
  Context a;
  ASSERT_OK(AddClaims(
      nlohmann::json::parse(R"({"sub": "i-1", "tags": {"team": "a"}})"), &a));
  Decision other = role->EvaluateGetSecret("teams/b/key", a);
  EXPECT_EQ(other.effect, DecisionEffect::kExplicitDeny);
  EXPECT_EQ(other.statement->sid, "OtherTeams");
  EXPECT_EQ(role->EvaluateGetSecret("teams/a/key", a).effect,
            DecisionEffect::kAllow);
}

// A top-level claim named "tags/team" used to land in claim:tags/team too.
TEST(CompiledRoleTest, TopLevelClaimCannotPoseAsATag) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(ProdRole()));
  Context ctx;
  EXPECT_THAT(AddClaims(nlohmann::json::parse(
                            R"({"tags": {"env": "dev"}, "tags/env": "prod"})"),
                        &ctx),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "claim \"tags/env\" starts with \"tags/\", which would "
                       "alias the tag of that name (claim:tags/<k> is reserved "
                       "for the members of \"tags\"); the claims are refused"));
  EXPECT_TRUE(ctx.empty());
  EXPECT_EQ(role->EvaluateGetSecret("prod/db", ctx).effect,
            DecisionEffect::kImplicitDeny);
}

TEST(CompiledRoleTest, WarningsOfEveryDocumentAreExposed) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(ProdRole()));
  EXPECT_THAT(role->warnings(),
              ::testing::ElementsAre(
                  "policy \"team.json\": Statement[1].NotResource: this Deny "
                  "is skipped when claim:tags/team is absent or has several "
                  "values; give the variable a default, e.g. "
                  "${claim:tags/team, ''}, or guard it with a Null "
                  "condition"));
  ASSERT_OK_AND_ASSIGN(auto web, CompiledRole::Compile(WebRole()));
  EXPECT_THAT(web->warnings(), ::testing::IsEmpty());
}

// The fail-open case the warning is about, and its remedy: a default makes
// the Deny apply when the team tag is absent.
TEST(CompiledRoleTest, DenyVariableWithoutDefaultIsSkippedAndADefaultFixesIt) {
  ASSERT_OK_AND_ASSIGN(auto role, CompiledRole::Compile(ProdRole()));
  Context none;
  ASSERT_OK(AddClaims(nlohmann::json::parse(R"({"sub": "i-1"})"), &none));
  EXPECT_EQ(role->EvaluateGetSecret("teams/b/key", none).effect,
            DecisionEffect::kAllow);
  RoleDefinition fixed = ProdRole();
  fixed.permission_policies[1].json =
      R"({"Version": "2012-10-17", "Statement": [
            {"Sid": "Any", "Effect": "Allow", "Action": "secrets:Get",
             "Resource": "secret/teams/*"},
            {"Sid": "OtherTeams", "Effect": "Deny", "Action": "secrets:Get",
             "NotResource": "secret/teams/${claim:tags/team, ''}/*"}]})";
  ASSERT_OK_AND_ASSIGN(auto safe, CompiledRole::Compile(fixed));
  EXPECT_THAT(safe->warnings(), ::testing::IsEmpty());
  Decision d = safe->EvaluateGetSecret("teams/b/key", none);
  EXPECT_EQ(d.effect, DecisionEffect::kExplicitDeny);
  EXPECT_EQ(d.statement->sid, "OtherTeams");
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
