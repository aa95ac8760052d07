// Evaluation allocates nothing: this binary links the counting operator new
// (//policy/testing:allocation_counter) and evaluates the realistic role's
// requests (allow, explicit deny, implicit deny with missing keys) with
// counting on.
#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "policy/context.h"
#include "policy/policy.h"
#include "policy/policy_set.h"
#include "policy/role.h"
#include "policy/testing/allocation_counter.h"
#include "policy/testing/sample_policies.h"

namespace policy {
namespace {

// Runs `f` and returns how many allocations it made.
template <typename F>
long CountAllocations(F f) {
  const long before = testing::AllocationCount();
  f();
  return testing::AllocationCount() - before;
}

class EvaluateAllocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::AllocationCountingAvailable()) {
      GTEST_SKIP() << "operator new is the sanitizer's in this build";
    }
    RoleDefinition def;
    def.name = "web";
    def.trust_policy = {"trust.json", testing::RealisticTrustPolicy()};
    def.permission_policies = {
        {"read.json", testing::RealisticPermissionPolicy(20)},
        {"guard.json",
         R"({"Version": "2012-10-17", "Statement": {"Sid": "NoRoot", "Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/*/root"}})"},
        {"extra.json",
         R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/teams/*", "Condition": {"StringEquals": {"claim:tags/cost_center": "42", "claim:tags/owner": "x"}}}})"}};
    ASSERT_OK_AND_ASSIGN(role_, CompiledRole::Compile(std::move(def)));
    ctx_ = testing::RealisticContext(20);
  }

  std::shared_ptr<const CompiledRole> role_;
  Context ctx_;
};

TEST_F(EvaluateAllocationTest, AllowAllocatesNothing) {
  const std::string secret = testing::AllowedSecret(20);
  Decision d;
  EXPECT_EQ(
      CountAllocations([&] { d = role_->EvaluateGetSecret(secret, ctx_); }), 0);
  EXPECT_EQ(d.effect, DecisionEffect::kAllow);
}

TEST_F(EvaluateAllocationTest, ExplicitDenyAllocatesNothing) {
  Decision d;
  EXPECT_EQ(CountAllocations(
                [&] { d = role_->EvaluateGetSecret("app18/root", ctx_); }),
            0);
  EXPECT_EQ(d.effect, DecisionEffect::kExplicitDeny);
}

TEST_F(EvaluateAllocationTest, ImplicitDenyWithMissingKeysAllocatesNothing) {
  Decision d;
  EXPECT_EQ(
      CountAllocations([&] { d = role_->EvaluateGetSecret("teams/a", ctx_); }),
      0);
  EXPECT_EQ(d.effect, DecisionEffect::kImplicitDeny);
  ASSERT_EQ(d.missing_context_keys.size(), 2u);
  EXPECT_EQ(d.missing_context_keys[0], "claim:tags/cost_center");
}

TEST_F(EvaluateAllocationTest, AssumeRoleAllocatesNothing) {
  Decision d;
  EXPECT_EQ(CountAllocations([&] {
              d = role_->EvaluateAssumeRole("https://attest.example", ctx_);
            }),
            0);
  EXPECT_EQ(d.effect, DecisionEffect::kAllow);
}

TEST_F(EvaluateAllocationTest, CountingSeesAllocations) {
  // The counter works: building a context allocates.
  EXPECT_GT(CountAllocations([] { Context c = testing::RealisticContext(20); }),
            0);
}

}  // namespace
}  // namespace policy
