// The role model of docs/DESIGN.md §5: a role is a name, a trust policy (who
// may assume it), permission policies (which secrets it may read) and limits.
// The broker evaluates a Provision request as secretd:AssumeRole on
// role/<name> against the trust policy, then secrets:Get on secret/<name>
// against the permission policies for every requested secret.
//
//   policy::RoleDefinition def;
//   def.name = "web";
//   def.trust_policy = {"trust.json", trust_text};
//   def.permission_policies = {{"read.json", read_text}};
//   ASSIGN_OR_RETURN(auto role, policy::CompiledRole::Compile(std::move(def)));
//   policy::Decision who = role->EvaluateAssumeRole(verified_issuer, ctx);
//   policy::Decision what = role->EvaluateGetSecret("app/db/password", ctx);
//
// A CompiledRole is immutable and safe to share between threads; decisions
// refer into it (keep the shared_ptr while using them).
#ifndef SECRETD_POLICY_ROLE_H_
#define SECRETD_POLICY_ROLE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "policy/context.h"
#include "policy/policy_set.h"

namespace policy {

inline constexpr absl::Duration kDefaultMaxTokenLifetime = absl::Seconds(600);
inline constexpr absl::Duration kDefaultSecretTtl = absl::Seconds(3600);
// Bounds checked by CompiledRole::Compile (whole seconds only).
inline constexpr absl::Duration kMaxMaxTokenLifetime = absl::Hours(24);
inline constexpr absl::Duration kMaxSecretTtl = absl::Hours(24 * 30);
inline constexpr size_t kMaxPermissionPolicies = 10;

// A policy document as stored: its name (unique within the role) and text.
struct PolicyDocument {
  std::string name;
  std::string json;
};

struct RoleDefinition {
  std::string name;
  PolicyDocument trust_policy;
  std::vector<PolicyDocument> permission_policies;
  absl::Duration max_token_lifetime = kDefaultMaxTokenLifetime;
  absl::Duration secret_ttl = kDefaultSecretTtl;
  bool single_use_tokens = false;
};

// A role name: 1-128 characters, segments of letters, digits and `_ . -`
// joined by `/` (no empty, `.` or `..` segment), like a secret name.
// kInvalidArgument saying what is wrong otherwise.
absl::Status ValidateRoleName(absl::string_view name);

class CompiledRole {
 public:
  // Validates everything at once: the name, the limits, and every policy
  // document (trust rules for the trust policy, permission rules for the
  // others). kInvalidArgument whose message lists every problem, one per
  // line: `role "web": ...` for the role itself, `policy "read.json": ...`
  // for a document. A role that compiles may still have warnings().
  static absl::StatusOr<std::shared_ptr<const CompiledRole>> Compile(
      RoleDefinition definition);

  CompiledRole(const CompiledRole&) = delete;
  CompiledRole& operator=(const CompiledRole&) = delete;

  const std::string& name() const { return definition_.name; }
  const RoleDefinition& definition() const { return definition_; }
  absl::Duration max_token_lifetime() const {
    return definition_.max_token_lifetime;
  }
  absl::Duration secret_ttl() const { return definition_.secret_ttl; }
  bool single_use_tokens() const { return definition_.single_use_tokens; }
  // The documents' warnings (ParseResult::warnings: Deny statements that are
  // skipped in some requests, docs/policy.md "Fail-open cases"), one line
  // each as `policy "read.json": Statement[1].Resource: ...`, trust policy
  // first. Non-fatal; the admin service returns them to the caller of role
  // put, and logs them.
  const std::vector<std::string>& warnings() const { return warnings_; }
  const PolicySet& trust_policy() const { return *trust_; }
  const PolicySet& permission_policies() const { return *permissions_; }

  // secretd:AssumeRole on role/<name> against the trust policy. `issuer` is
  // the verified token's issuer: Principal {"Attestor": [...]} matches it.
  Decision EvaluateAssumeRole(absl::string_view issuer,
                              const Context& context) const;
  // secrets:Get on secret/<secret_name> (a name without "@version") against
  // the permission policies.
  Decision EvaluateGetSecret(absl::string_view secret_name,
                             const Context& context) const;

  // The same requests, for PolicySet::Explain or a custom evaluation. The
  // GetSecret request's resource is written into `*resource_buffer`.
  Request AssumeRoleRequest(absl::string_view issuer,
                            const Context& context) const;
  Request GetSecretRequest(absl::string_view secret_name,
                           const Context& context,
                           std::string* resource_buffer) const;

 private:
  CompiledRole() = default;

  RoleDefinition definition_;
  std::string role_resource_;  // "role/<name>"
  std::vector<std::string> warnings_;
  std::shared_ptr<const PolicySet> trust_;
  std::shared_ptr<const PolicySet> permissions_;
};

}  // namespace policy

#endif  // SECRETD_POLICY_ROLE_H_
