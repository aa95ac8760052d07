// Compiled policy sets and their decisions, with AWS IAM's evaluation logic:
// any applicable Deny statement -> explicit deny; else any applicable Allow
// -> allow; else implicit deny (docs/policy.md cites the rules).
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const policy::PolicySet> set,
//                    policy::PolicySet::Compile(std::move(policies)));
//   policy::Context ctx;  ... fill it ...
//   policy::Decision d = set->Evaluate(
//       {"secrets:Get", "secret/app/db/password", issuer, &ctx});
//   if (!d.allowed()) ...;
//   DecisionToJson(d).dump();  // {"decision":"implicit_deny",...}
//
// A PolicySet is immutable once compiled and safe to share between threads.
// Evaluate allocates nothing unless it returns an implicit deny with more
// than four missing context keys. A Decision refers into its PolicySet (the
// policy names and Sids): keep the set alive while using the decision.
#ifndef SECRETD_POLICY_POLICY_SET_H_
#define SECRETD_POLICY_POLICY_SET_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "policy/context.h"
#include "policy/model.h"

namespace policy {

namespace internal {
struct CompiledStatement;
}  // namespace internal

enum class DecisionEffect { kAllow, kExplicitDeny, kImplicitDeny };

// "allow", "explicit_deny", "implicit_deny".
absl::string_view DecisionEffectName(DecisionEffect effect);

// A statement of a policy set: its policy's name, its Sid if it has one and
// its index in the policy's Statement list.
struct StatementRef {
  absl::string_view policy;
  std::optional<absl::string_view> sid;
  size_t index = 0;
  // `"web.json" statement "ReadDb"` or `"web.json" Statement[2]`.
  std::string ToString() const;
};

struct Decision {
  DecisionEffect effect = DecisionEffect::kImplicitDeny;
  // The deciding statement: the first applicable Deny (explicit deny) or
  // Allow (allow), in policy order then statement order; none for an
  // implicit deny.
  std::optional<StatementRef> statement;
  // For an implicit deny: the context keys (as the policies spell them)
  // whose absence alone kept an Allow statement from applying. Providing
  // them might change the decision; empty otherwise.
  absl::InlinedVector<absl::string_view, 4> missing_context_keys;

  bool allowed() const { return effect == DecisionEffect::kAllow; }
};

// {"decision":"allow"|"explicit_deny"|"implicit_deny",
//  "statement":{"policy":...,"sid":...}|null, "missing_context_keys":[...]}
// (DESIGN.md §8), members in that order. A statement without a Sid is
// {"policy":...,"sid":null,"index":N}.
nlohmann::ordered_json DecisionToJson(const Decision& decision);

// One line for logs and audit records: `allow by "web.json" statement
// "ReadApp"`, `explicit deny by "guard.json" Statement[0]`, `implicit deny`
// or `implicit deny (missing context keys: claim:team, secretd:SourceIp)`.
std::string DescribeDecision(const Decision& decision);

class PolicySet {
 public:
  // Compiles `policies` (each already parsed) under the rules of `kind`.
  // kInvalidArgument listing every problem, one per line prefixed with its
  // policy's name, if a policy is invalid (only possible for policies built
  // by hand) or two policies share a name.
  static absl::StatusOr<std::shared_ptr<const PolicySet>> Compile(
      std::vector<Policy> policies, PolicyKind kind = PolicyKind::kAny);

  PolicySet(const PolicySet&) = delete;
  PolicySet& operator=(const PolicySet&) = delete;
  ~PolicySet();

  // The decision for `request`. Thread-safe; see the header comment for
  // allocation and lifetime.
  Decision Evaluate(const Request& request) const;

  // The decision explained for a person: the verdict, the deciding statement
  // and, for every statement, whether it applied and if not why (the first
  // element that did not match). Ends with a newline.
  std::string Explain(const Request& request) const;

  const std::vector<Policy>& policies() const { return policies_; }
  size_t statement_count() const;

 private:
  PolicySet() = default;

  std::vector<Policy> policies_;
  std::vector<internal::CompiledStatement> statements_;
  std::vector<size_t> denies_;  // indices into statements_, in order
  std::vector<size_t> allows_;
};

}  // namespace policy

#endif  // SECRETD_POLICY_POLICY_SET_H_
