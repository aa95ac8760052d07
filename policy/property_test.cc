// Properties of the decision logic over generated policies (fixed seed, so
// every run checks the same few hundred thousand decisions):
//  - adding a Deny statement never turns a denied request into an allowed
//    one, and never turns an explicit deny into anything else;
//  - reordering the statements of a policy, or the policies of a set, never
//    changes a decision's effect;
//  - the decision agrees with the IAM rule computed from the statements one
//    by one (explicit deny if any Deny applies, else allow if any Allow
//    applies, else implicit deny).
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy/context.h"
#include "policy/policy.h"
#include "policy/policy_set.h"

namespace policy {
namespace {

using Json = nlohmann::json;

struct CondTemplate {
  const char* op;
  const char* key;
  Json values;
};

const std::vector<CondTemplate>& Conditions() {
  static const auto* v = new std::vector<CondTemplate>{
      {"StringEquals", "claim:team", "ops"},
      {"StringNotEquals", "claim:team", Json::array({"ops", "dev"})},
      {"StringEqualsIgnoreCase", "claim:env", "PROD"},
      {"StringLike", "claim:sub", "web-*"},
      {"StringNotLike", "claim:sub", Json::array({"db-?", "x*"})},
      {"ForAnyValue:StringEquals", "claim:aud", Json::array({"a", "b"})},
      {"ForAllValues:StringLike", "claim:aud", "a*"},
      {"ForAnyValue:StringNotEquals", "claim:aud", "a"},
      {"NumericLessThan", "secretd:TokenAge", 60},
      {"NumericGreaterThanEquals", "secretd:TokenAge", "30"},
      {"DateLessThan", "secretd:CurrentTime", "2024-06-01T12:00:00Z"},
      {"DateGreaterThan", "secretd:EpochTime", 1717236000},
      {"Bool", "claim:spot", true},
      {"IpAddress", "secretd:SourceIp", "10.0.0.0/8"},
      {"NotIpAddress", "secretd:SourceIp", Json::array({"10.1.0.0/16"})},
      {"Null", "claim:team", "true"},
      {"Null", "claim:owner", false},
      {"StringEqualsIfExists", "claim:env", "prod"},
      {"NumericLessThanIfExists", "claim:level", 3},
      {"StringEquals", "claim:team", "${claim:owner, 'ops'}"},
  };
  return *v;
}

const char* Pick(std::mt19937& rng, std::initializer_list<const char*> from) {
  std::uniform_int_distribution<size_t> d(0, from.size() - 1);
  return from.begin()[d(rng)];
}

bool Coin(std::mt19937& rng, double p = 0.5) {
  return std::bernoulli_distribution(p)(rng);
}

Json RandomStatement(std::mt19937& rng, bool deny) {
  Json s;
  s["Effect"] = deny ? "Deny" : "Allow";
  s[Coin(rng, 0.15) ? "NotAction" : "Action"] =
      Pick(rng, {"secrets:Get", "secrets:*", "*", "SECRETS:GET",
                 "secretd:AssumeRole", "secret?:G*"});
  Json resources = Json::array();
  const int n = 1 + static_cast<int>(rng() % 2);
  for (int i = 0; i < n; ++i) {
    resources.push_back(
        Pick(rng, {"secret/*", "secret/app/*", "secret/app/db",
                   "secret/${claim:sub}/*", "secret/?pp/*", "*", "role/*",
                   "secret/web-1/db", "secret/${claim:team, 'ops'}/*"}));
  }
  s[Coin(rng, 0.15) ? "NotResource" : "Resource"] = resources;
  const int conditions = static_cast<int>(rng() % 4);
  if (conditions > 0) {
    Json c = Json::object();
    for (int i = 0; i < conditions; ++i) {
      const CondTemplate& t = Conditions()[rng() % Conditions().size()];
      c[t.op][t.key] = t.values;
    }
    s["Condition"] = c;
  }
  return s;
}

Json RandomPolicy(std::mt19937& rng) {
  Json list = Json::array();
  const int n = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i)
    list.push_back(RandomStatement(rng, Coin(rng, 0.3)));
  return {{"Version", "2012-10-17"}, {"Statement", list}};
}

Context RandomContext(std::mt19937& rng) {
  Json c = Json::object();
  auto maybe = [&](const char* key, Json value) {
    if (Coin(rng, 0.6)) c[key] = std::move(value);
  };
  maybe("claim:team", Pick(rng, {"ops", "dev", "qa"}));
  maybe("claim:env", Pick(rng, {"prod", "PROD", "dev"}));
  maybe("claim:sub", Pick(rng, {"web-1", "db-1", "app"}));
  maybe("claim:owner", Pick(rng, {"ops", "dev"}));
  Json aud = Json::array();
  for (const char* a : {"a", "b", "ax", "c"}) {
    if (Coin(rng, 0.4)) aud.push_back(a);
  }
  maybe("claim:aud", aud);
  maybe("claim:spot", Coin(rng));
  maybe("claim:level", static_cast<int>(rng() % 6));
  maybe("secretd:TokenAge", Pick(rng, {"10", "45", "90"}));
  maybe("secretd:CurrentTime",
        Pick(rng, {"2024-06-01T10:00:00Z", "2024-06-01T13:00:00Z"}));
  maybe("secretd:EpochTime", Coin(rng) ? 1717236900 : 1717200000);
  maybe("secretd:SourceIp", Pick(rng, {"10.1.2.3", "10.2.3.4", "192.0.2.1"}));
  absl::StatusOr<Context> ctx = Context::FromJson(c);
  EXPECT_OK(ctx.status());
  return *std::move(ctx);
}

struct Req {
  std::string action;
  std::string resource;
};

std::vector<Req> Requests() {
  std::vector<Req> out;
  for (const char* a : {"secrets:Get", "secretd:AssumeRole"}) {
    for (const char* r : {"secret/app/db", "secret/web-1/db", "secret/ops/x",
                          "secret/opp/y", "role/web", "secret/other"}) {
      out.push_back({a, r});
    }
  }
  return out;
}

std::shared_ptr<const PolicySet> Compile(const std::vector<Json>& docs) {
  std::vector<Policy> policies;
  for (size_t i = 0; i < docs.size(); ++i) {
    absl::StatusOr<Policy> p =
        ParsePolicy(absl::StrCat("p", i, ".json"), docs[i].dump());
    EXPECT_OK(p.status()) << docs[i].dump();
    if (!p.ok()) return nullptr;
    policies.push_back(*std::move(p));
  }
  absl::StatusOr<std::shared_ptr<const PolicySet>> set =
      PolicySet::Compile(std::move(policies));
  EXPECT_OK(set.status());
  return set.ok() ? *set : nullptr;
}

// A generated case: a policy set (1-3 policies) and contexts to try.
struct Case {
  std::vector<Json> docs;
  std::vector<Context> contexts;
};

Case RandomCase(std::mt19937& rng) {
  Case c;
  const int policies = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < policies; ++i) c.docs.push_back(RandomPolicy(rng));
  for (int i = 0; i < 8; ++i) c.contexts.push_back(RandomContext(rng));
  return c;
}

constexpr int kCases = 400;
constexpr uint32_t kSeed = 20240601;

TEST(PolicyPropertyTest, AddingADenyNeverTurnsADenyIntoAnAllow) {
  std::mt19937 rng(kSeed);
  int allow_to_deny = 0;
  for (int n = 0; n < kCases; ++n) {
    Case c = RandomCase(rng);
    auto before = Compile(c.docs);
    std::vector<Json> with_deny = c.docs;
    Json deny = RandomStatement(rng, /*deny=*/true);
    if (Coin(rng)) {
      with_deny[rng() % with_deny.size()]["Statement"].push_back(deny);
    } else {
      with_deny.push_back(
          {{"Version", "2012-10-17"}, {"Statement", Json::array({deny})}});
    }
    auto after = Compile(with_deny);
    ASSERT_TRUE(before && after);
    for (const Context& ctx : c.contexts) {
      for (const Req& r : Requests()) {
        Request req{r.action, r.resource, "", &ctx};
        Decision b = before->Evaluate(req), a = after->Evaluate(req);
        if (!b.allowed()) {
          ASSERT_FALSE(a.allowed())
              << "case " << n << ": " << r.action << " " << r.resource
              << "\ncontext " << ctx.ToJson().dump() << "\ndeny "
              << deny.dump();
        }
        if (b.effect == DecisionEffect::kExplicitDeny) {
          ASSERT_EQ(a.effect, DecisionEffect::kExplicitDeny) << "case " << n;
        }
        allow_to_deny += b.allowed() && !a.allowed();
      }
    }
  }
  // The generator is not degenerate: added denies do bite.
  EXPECT_GT(allow_to_deny, 100);
}

TEST(PolicyPropertyTest, ReorderingStatementsOrPoliciesNeverChangesTheEffect) {
  std::mt19937 rng(kSeed + 1);
  int effects[3] = {0, 0, 0};
  for (int n = 0; n < kCases; ++n) {
    Case c = RandomCase(rng);
    auto original = Compile(c.docs);
    std::vector<Json> shuffled = c.docs;
    for (Json& doc : shuffled) {
      std::vector<Json> statements = doc["Statement"];
      std::shuffle(statements.begin(), statements.end(), rng);
      doc["Statement"] = statements;
    }
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    auto reordered = Compile(shuffled);
    ASSERT_TRUE(original && reordered);
    for (const Context& ctx : c.contexts) {
      for (const Req& r : Requests()) {
        Request req{r.action, r.resource, "", &ctx};
        Decision a = original->Evaluate(req), b = reordered->Evaluate(req);
        ASSERT_EQ(a.effect, b.effect)
            << "case " << n << ": " << r.action << " " << r.resource
            << "\ncontext " << ctx.ToJson().dump();
        ++effects[static_cast<int>(a.effect)];
      }
    }
  }
  // Every outcome occurs often enough for the property to mean something.
  for (int count : effects) EXPECT_GT(count, 1000);
}

TEST(PolicyPropertyTest, DecisionFollowsTheStatementsOneByOne) {
  std::mt19937 rng(kSeed + 2);
  for (int n = 0; n < kCases / 4; ++n) {
    Case c = RandomCase(rng);
    auto whole = Compile(c.docs);
    // Each statement as its own policy set: does it apply on its own?
    std::vector<std::pair<bool, std::shared_ptr<const PolicySet>>> singles;
    for (const Json& doc : c.docs) {
      for (const Json& s : doc["Statement"]) {
        Json allow = s;
        const bool deny = s["Effect"] == "Deny";
        allow["Effect"] = "Allow";
        singles.emplace_back(deny,
                             Compile({{{"Version", "2012-10-17"},
                                       {"Statement", Json::array({allow})}}}));
      }
    }
    for (const Context& ctx : c.contexts) {
      for (const Req& r : Requests()) {
        Request req{r.action, r.resource, "", &ctx};
        bool any_deny = false, any_allow = false;
        for (auto& [deny, set] : singles) {
          if (set->Evaluate(req).allowed())
            (deny ? any_deny : any_allow) = true;
        }
        DecisionEffect expected = any_deny    ? DecisionEffect::kExplicitDeny
                                  : any_allow ? DecisionEffect::kAllow
                                              : DecisionEffect::kImplicitDeny;
        ASSERT_EQ(whole->Evaluate(req).effect, expected) << "case " << n;
      }
    }
  }
}

}  // namespace
}  // namespace policy
