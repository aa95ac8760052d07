#include "policy/policy_set.h"

#include <string>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"

namespace policy {
namespace {

using ::common::testing::StatusIs;

std::shared_ptr<const PolicySet> Set(
    std::vector<std::pair<std::string, std::string>> docs) {
  std::vector<Policy> policies;
  for (auto& [name, json] : docs) {
    absl::StatusOr<Policy> p = ParsePolicy(name, json);
    EXPECT_OK(p.status());
    policies.push_back(*std::move(p));
  }
  absl::StatusOr<std::shared_ptr<const PolicySet>> set =
      PolicySet::Compile(std::move(policies));
  EXPECT_OK(set.status());
  return *set;
}

constexpr absl::string_view kWeb = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadApp", "Effect": "Allow", "Action": "secrets:Get",
     "Resource": "secret/app/*",
     "Condition": {"StringEquals": {"claim:tags/team": "ops"}}},
    {"Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/app/root"},
    {"Sid": "ReadShared", "Effect": "Allow", "Action": "secrets:Get",
     "Resource": "secret/shared/*"}
  ]
})";

constexpr absl::string_view kGuard = R"({
  "Version": "2012-10-17",
  "Statement": {"Sid": "NoProd", "Effect": "Deny", "Action": "*",
                "Resource": "secret/*/prod/*"}
})";

TEST(PolicySetTest, AllowJsonNamesTheDecidingStatement) {
  auto set = Set({{"web.json", std::string(kWeb)}});
  Context ctx;
  ctx.AddString("claim:tags/team", "ops");
  Decision d = set->Evaluate({"secrets:Get", "secret/app/db", "", &ctx});
  EXPECT_EQ(
      DecisionToJson(d).dump(),
      R"({"decision":"allow","statement":{"policy":"web.json","sid":"ReadApp"},"missing_context_keys":[]})");
}

TEST(PolicySetTest, StatementWithoutSidIsNamedByIndex) {
  auto set = Set({{"web.json", std::string(kWeb)}});
  Decision d = set->Evaluate({"secrets:Get", "secret/app/root", "", nullptr});
  EXPECT_EQ(
      DecisionToJson(d).dump(),
      R"({"decision":"explicit_deny","statement":{"policy":"web.json","sid":null,"index":1},"missing_context_keys":[]})");
  EXPECT_EQ(d.statement->ToString(), "\"web.json\" Statement[1]");
}

TEST(PolicySetTest, ImplicitDenyJsonListsMissingContextKeys) {
  auto set = Set({{"web.json", std::string(kWeb)}});
  Decision d = set->Evaluate({"secrets:Get", "secret/app/db", "", nullptr});
  EXPECT_EQ(
      DecisionToJson(d).dump(),
      R"({"decision":"implicit_deny","statement":null,"missing_context_keys":["claim:tags/team"]})");
}

TEST(PolicySetTest, DescribeDecisionIsOneLine) {
  auto set = Set({{"web.json", std::string(kWeb)}});
  Context ctx;
  ctx.AddString("claim:tags/team", "ops");
  EXPECT_EQ(DescribeDecision(
                set->Evaluate({"secrets:Get", "secret/app/db", "", &ctx})),
            "allow by \"web.json\" statement \"ReadApp\"");
  EXPECT_EQ(DescribeDecision(
                set->Evaluate({"secrets:Get", "secret/app/root", "", &ctx})),
            "explicit deny by \"web.json\" Statement[1]");
  EXPECT_EQ(DescribeDecision(
                set->Evaluate({"secrets:Get", "secret/app/db", "", nullptr})),
            "implicit deny (missing context keys: claim:tags/team)");
  EXPECT_EQ(
      DescribeDecision(set->Evaluate({"secrets:Get", "secret/x", "", &ctx})),
      "implicit deny");
}

TEST(PolicySetTest, DenyInAnyPolicyOverridesAllowInAnother) {
  auto set = Set(
      {{"web.json", std::string(kWeb)}, {"guard.json", std::string(kGuard)}});
  Decision d =
      set->Evaluate({"secrets:Get", "secret/shared/prod/key", "", nullptr});
  EXPECT_EQ(d.effect, DecisionEffect::kExplicitDeny);
  EXPECT_EQ(d.statement->policy, "guard.json");
  EXPECT_EQ(d.statement->sid, "NoProd");
  EXPECT_EQ(set->statement_count(), 4u);
}

TEST(PolicySetTest, FirstApplicableAllowDecidesInPolicyOrder) {
  auto set = Set(
      {{"a.json",
        R"({"Version": "2012-10-17", "Statement": [{"Sid": "A1", "Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/x/*"}, {"Sid": "A2", "Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}]})"},
       {"b.json",
        R"({"Version": "2012-10-17", "Statement": {"Sid": "B1", "Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}})"}});
  Decision d = set->Evaluate({"secrets:Get", "secret/y", "", nullptr});
  EXPECT_EQ(d.statement->policy, "a.json");
  EXPECT_EQ(d.statement->sid, "A2");
  EXPECT_EQ(d.statement->index, 1u);
}

TEST(PolicySetTest, CompileRejectsDuplicatePolicyNames) {
  std::vector<Policy> policies;
  policies.push_back(*ParsePolicy("a.json", kGuard));
  policies.push_back(*ParsePolicy("a.json", kGuard));
  EXPECT_THAT(PolicySet::Compile(std::move(policies)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "policy \"a.json\": another policy of the set has this "
                       "name; names must be unique"));
}

TEST(PolicySetTest, CompileValidatesHandBuiltPolicies) {
  Policy p;
  p.name = "hand.json";
  Statement s;
  s.effect = Effect::kAllow;
  s.actions = {"secrets:Get"};
  s.has_resource = true;
  s.resources = {"secret/*"};
  Condition c;
  c.operator_name = "DateLessThan";
  c.parsed = *ParseOperatorName("DateLessThan");
  c.key = "secretd:CurrentTime";
  c.values = {{ConditionValue::Type::kString, "tomorrow"}};
  s.conditions.push_back(c);
  p.statements.push_back(s);
  p.statements.push_back(Statement());  // no actions at all
  EXPECT_THAT(
      PolicySet::Compile({p}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "policy \"hand.json\": Statement[0].Condition.DateLessThan."
               "secretd:CurrentTime: \"tomorrow\" is not a date; write ISO "
               "8601 such as 2024-06-01T10:15:00Z, or epoch seconds\n"
               "policy \"hand.json\": Statement[1]: has no actions; name "
               "secretd:AssumeRole or secrets:Get"));
}

TEST(PolicySetTest, ExplainTellsWhyEachStatementDidOrDidNotApply) {
  auto set = Set(
      {{"web.json", std::string(kWeb)}, {"guard.json", std::string(kGuard)}});
  Context ctx;
  ctx.AddString("claim:tags/team", "dev");
  EXPECT_EQ(set->Explain({"secrets:Get", "secret/app/db", "", &ctx}),
            "decision: implicit deny\n"
            "secrets:Get on secret/app/db is denied because no statement "
            "allows it (access is denied unless a statement allows it)\n"
            "issuer: none\n"
            "statements:\n"
            "  policy \"web.json\" Statement[0] (Sid \"ReadApp\") Allow: does "
            "not apply: condition StringEquals claim:tags/team is false (the "
            "request has \"dev\")\n"
            "  policy \"web.json\" Statement[1] Deny: does not apply: "
            "resource secret/app/db is not in Resource\n"
            "  policy \"web.json\" Statement[2] (Sid \"ReadShared\") Allow: "
            "does not apply: resource secret/app/db is not in Resource\n"
            "  policy \"guard.json\" Statement (Sid \"NoProd\") Deny: does not "
            "apply: resource secret/app/db is not in Resource\n");
  EXPECT_EQ(set->Explain({"secrets:Get", "secret/x/prod/y", "", nullptr}),
            "decision: explicit deny\n"
            "secrets:Get on secret/x/prod/y is denied by \"guard.json\" "
            "statement \"NoProd\"; an explicit deny overrides any allow\n"
            "issuer: none\n"
            "statements:\n"
            "  policy \"web.json\" Statement[0] (Sid \"ReadApp\") Allow: does "
            "not apply: resource secret/x/prod/y is not in Resource\n"
            "  policy \"web.json\" Statement[1] Deny: does not apply: "
            "resource secret/x/prod/y is not in Resource\n"
            "  policy \"web.json\" Statement[2] (Sid \"ReadShared\") Allow: "
            "does not apply: resource secret/x/prod/y is not in Resource\n"
            "  policy \"guard.json\" Statement (Sid \"NoProd\") Deny: "
            "applies\n");
}

TEST(PolicySetTest, ExplainNamesMissingKeysAndVariables) {
  auto set = Set(
      {{"v.json",
        R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claim:sub}/*"}, {"Effect": "Allow", "Principal": {"Attestor": "https://a.example"}, "NotAction": "secretd:AssumeRole"}]})"}});
  EXPECT_EQ(set->Explain(
                {"secrets:Get", "secret/web/db", "https://b.example", nullptr}),
            "decision: implicit deny\n"
            "secrets:Get on secret/web/db is denied because no statement "
            "allows it (access is denied unless a statement allows it)\n"
            "missing context keys: claim:sub (an Allow statement failed only "
            "for lack of them)\n"
            "issuer: \"https://b.example\"\n"
            "statements:\n"
            "  policy \"v.json\" Statement[0] Allow: does not apply: variable "
            "${claim:sub} has no value (the key is absent or multivalued and "
            "no default is given)\n"
            "  policy \"v.json\" Statement[1] Allow: does not apply: issuer "
            "\"https://b.example\" is not one of its Attestors\n");
}

TEST(PolicySetTest, ExplainWarnsOfADenySkippedForAnUnresolvedVariable) {
  auto set = Set(
      {{"team.json",
        R"({"Version": "2012-10-17", "Statement": [{"Sid": "Any", "Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/*"}, {"Sid": "OtherTeams", "Effect": "Deny", "Action": "secrets:Get", "NotResource": "secret/${claim:team}/*"}]})"}});
  Context ctx;
  ctx.AddString("claim:team", "a");
  ctx.AddString("claim:team", "b");
  EXPECT_EQ(set->Explain({"secrets:Get", "secret/c/db", "", &ctx}),
            "decision: allow\n"
            "secrets:Get on secret/c/db is allowed by \"team.json\" statement "
            "\"Any\", and no statement denies it\n"
            "warning: Deny policy \"team.json\" Statement[1] (Sid "
            "\"OtherTeams\") was skipped because variable ${claim:team} has "
            "no value (the key is absent or multivalued and no default is "
            "given)\n"
            "issuer: none\n"
            "statements:\n"
            "  policy \"team.json\" Statement[0] (Sid \"Any\") Allow: "
            "applies\n"
            "  policy \"team.json\" Statement[1] (Sid \"OtherTeams\") Deny: "
            "does not apply: variable ${claim:team} has no value (the key is "
            "absent or multivalued and no default is given)\n");
}

TEST(PolicySetTest, ExplainWarnsOfADenySkippedForAValueOfTheWrongType) {
  auto set = Set(
      {{"level.json",
        R"({"Version": "2012-10-17", "Statement": [{"Sid": "Any", "Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/*"}, {"Sid": "Level3", "Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/*", "Condition": {"NumericNotEquals": {"claim:level": 3}}}]})"}});
  Context ctx;
  ctx.AddString("claim:level", "high");
  EXPECT_EQ(set->Explain({"secrets:Get", "secret/db", "", &ctx}),
            "decision: allow\n"
            "secrets:Get on secret/db is allowed by \"level.json\" statement "
            "\"Any\", and no statement denies it\n"
            "warning: Deny policy \"level.json\" Statement[1] (Sid "
            "\"Level3\") was skipped because claim:level holds a value that "
            "is not a number (condition NumericNotEquals)\n"
            "issuer: none\n"
            "statements:\n"
            "  policy \"level.json\" Statement[0] (Sid \"Any\") Allow: "
            "applies\n"
            "  policy \"level.json\" Statement[1] (Sid \"Level3\") Deny: does "
            "not apply: condition NumericNotEquals claim:level is false (the "
            "request has \"high\"); a value that is not a number satisfies "
            "neither NumericNotEquals nor its negation\n");
  // A number that differs: the Deny applies, no warning.
  Context four;
  four.AddInt("claim:level", 4);
  EXPECT_THAT(set->Explain({"secrets:Get", "secret/db", "", &four}),
              ::testing::StartsWith("decision: explicit deny\n"));
  EXPECT_THAT(set->Explain({"secrets:Get", "secret/db", "", &four}),
              ::testing::Not(::testing::HasSubstr("warning")));
}

TEST(PolicySetTest, EvaluationIsSafeFromManyThreads) {
  auto set = Set(
      {{"web.json", std::string(kWeb)}, {"guard.json", std::string(kGuard)}});
  Context ctx;
  ctx.AddString("claim:tags/team", "ops");
  std::vector<std::thread> threads;
  std::vector<int> allows(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        Decision d = set->Evaluate({"secrets:Get",
                                    i % 2 ? "secret/app/db" : "secret/app/root",
                                    "", &ctx});
        allows[t] += d.allowed();
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int a : allows) EXPECT_EQ(a, 1000);
}

}  // namespace
}  // namespace policy
