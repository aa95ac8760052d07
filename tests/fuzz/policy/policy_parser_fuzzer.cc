// Properties, for any bytes given as a policy document:
//  - the parser never crashes and either returns a policy or at least one
//    error, each with a message;
//  - a parsed policy serializes (PolicyToJson) to JSON that parses back to
//    the same policy, and serializes again to the same text;
//  - a parsed policy compiles (under the kind it was validated as) and
//    evaluates a handful of requests without crashing, Evaluate and Explain
//    agreeing on the decision;
//  - warnings come only with a valid policy that has a Deny statement, each
//    with a path into a statement and a message;
//  - read as token claims (when the bytes are a JSON object), AddClaims
//    either refuses them and adds nothing, or never merges two claims: each
//    mapped claim is its own key holding exactly its own values.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "policy/context.h"
#include "policy/policy.h"
#include "policy/policy_set.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

const policy::Context& FuzzContext() {
  static const policy::Context* ctx = [] {
    auto* c = new policy::Context;
    Check(policy::AddClaims(nlohmann::json::parse(R"({
      "sub": "web-1", "iss": "https://attest.example", "aud": ["a", "b"],
      "iat": 1717236888, "spot": true, "level": 2.5, "groups": [],
      "tags": {"team": "ops", "env": "prod"}})"),
                            c)
              .ok());
    c->AddString(policy::kCurrentTimeKey, "2024-06-01T10:15:00Z");
    c->AddInt(policy::kEpochTimeKey, 1717236900);
    c->AddString(policy::kSourceIpKey, "10.1.2.3");
    c->AddInt(policy::kTokenAgeKey, 12);
    c->AddString(policy::kRoleKey, "web");
    return c;
  }();
  return *ctx;
}

// The number of values `value` maps to on its own, or -1 if it maps to
// nothing (AddClaims skips it).
int ValueCount(const nlohmann::json& value) {
  policy::Context alone;
  if (!alone.AddJson("k", value).ok()) return -1;
  return static_cast<int>(alone.Find("k")->values.size());
}

void CheckClaims(const std::string& input) {
  const nlohmann::json claims = nlohmann::json::parse(input, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) return;
  policy::Context ctx;
  if (!policy::AddClaims(claims, &ctx).ok()) {
    Check(ctx.empty());
    return;
  }
  size_t keys = 0;
  auto check_one = [&](const std::string& key, const nlohmann::json& value) {
    const int n = ValueCount(value);
    const policy::Context::Entry* e = ctx.Find(key);
    if (n < 0) {
      Check(e == nullptr);
      return;
    }
    Check(e != nullptr && e->key == key && e->values.size() == size_t(n));
    ++keys;
  };
  for (const auto& [name, value] : claims.items()) {
    if (name == "tags") {
      for (const auto& [tag, tag_value] : value.items()) {
        check_one("claim:tags/" + tag, tag_value);
      }
    } else {
      check_one("claim:" + name, value);
    }
  }
  Check(ctx.entries().size() == keys);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  CheckClaims(input);
  policy::ParseResult r = policy::ValidatePolicyDocument("fuzz.json", input);
  if (!r.policy.has_value()) {
    Check(r.warnings.empty());
    Check(!r.errors.empty());
    for (const policy::ValidationError& e : r.errors) Check(!e.message.empty());
    Check(!policy::FormatErrors("fuzz.json", r.errors).empty());
    return 0;
  }
  Check(r.errors.empty());
  const policy::Policy& p = *r.policy;
  bool has_deny = false;
  for (const policy::Statement& st : p.statements) {
    has_deny = has_deny || st.effect == policy::Effect::kDeny;
  }
  Check(r.warnings.empty() || has_deny);
  for (const policy::ValidationError& w : r.warnings) {
    Check(w.path.rfind("Statement", 0) == 0 && !w.message.empty());
  }

  // Round trip.
  const std::string json = policy::PolicyToJson(p).dump();
  absl::StatusOr<policy::Policy> again =
      policy::ParsePolicy("fuzz.json", json, r.kind);
  Check(again.ok());
  Check(*again == p);
  Check(policy::PolicyToJson(*again).dump() == json);

  // Compile and evaluate.
  absl::StatusOr<std::shared_ptr<const policy::PolicySet>> set =
      policy::PolicySet::Compile({p}, r.kind);
  Check(set.ok());
  const policy::Context& ctx = FuzzContext();
  const policy::Context empty;
  for (const char* action : {"secrets:Get", "secretd:AssumeRole"}) {
    for (const char* resource :
         {"secret/app/db", "role/web", "secret/web-1/x"}) {
      for (const policy::Context* c : {&ctx, &empty}) {
        const policy::Request req{action, resource, "https://attest.example",
                                  c};
        policy::Decision d = (*set)->Evaluate(req);
        const std::string explained = (*set)->Explain(req);
        const std::string expected_first_line =
            d.effect == policy::DecisionEffect::kAllow ? "decision: allow\n"
            : d.effect == policy::DecisionEffect::kExplicitDeny
                ? "decision: explicit deny\n"
                : "decision: implicit deny\n";
        Check(explained.rfind(expected_first_line, 0) == 0);
        Check(d.statement.has_value() !=
              (d.effect == policy::DecisionEffect::kImplicitDeny));
        (void)policy::DecisionToJson(d).dump();
      }
    }
  }
  return 0;
}
