#include "policy/role.h"

#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "policy/internal/strict_json.h"
#include "policy/policy.h"

namespace policy {
namespace {

using internal::Quote;

std::optional<std::string> CheckDuration(absl::string_view what,
                                         absl::Duration d, absl::Duration max) {
  if (d < absl::Seconds(1) || d > max ||
      d != absl::Trunc(d, absl::Seconds(1))) {
    // Roles are given in seconds (secretctl role put, the admin API), so
    // echo the number given, not a duration such as 27h46m40s.
    const std::string given = d == absl::Trunc(d, absl::Seconds(1))
                                  ? absl::StrCat(absl::ToInt64Seconds(d))
                                  : absl::FormatDuration(d);
    return absl::StrCat(what,
                        " must be a whole number of seconds between 1 "
                        "and ",
                        absl::ToInt64Seconds(max), ", got ", given);
  }
  return std::nullopt;
}

}  // namespace

absl::Status ValidateRoleName(absl::string_view name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        "role name ", Quote(name), " must be 1 to 128 characters long"));
  }
  for (absl::string_view segment : absl::StrSplit(name, '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "role name ", Quote(name),
          " has an empty, \".\" or \"..\" segment; segments are joined by "
          "single \"/\""));
    }
    for (char c : segment) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '.' && c != '-') {
        return absl::InvalidArgumentError(absl::StrCat(
            "role name ", Quote(name),
            " may hold only letters, digits, \"_\", \".\", \"-\" and \"/\""));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const CompiledRole>> CompiledRole::Compile(
    RoleDefinition definition) {
  std::vector<std::string> lines;
  const std::string role_prefix =
      absl::StrCat("role ", Quote(definition.name), ": ");
  if (absl::Status s = ValidateRoleName(definition.name); !s.ok()) {
    lines.push_back(absl::StrCat(role_prefix, s.message()));
  }
  if (auto err =
          CheckDuration("max_token_lifetime", definition.max_token_lifetime,
                        kMaxMaxTokenLifetime)) {
    lines.push_back(role_prefix + *err);
  }
  if (auto err =
          CheckDuration("secret_ttl", definition.secret_ttl, kMaxSecretTtl)) {
    lines.push_back(role_prefix + *err);
  }
  if (definition.permission_policies.empty()) {
    lines.push_back(role_prefix +
                    "has no permission policy; give at least one");
  }
  if (definition.permission_policies.size() > kMaxPermissionPolicies) {
    lines.push_back(
        absl::StrCat(role_prefix, "has ", definition.permission_policies.size(),
                     " permission policies; the limit is ",
                     kMaxPermissionPolicies, ", merge some of them"));
  }
  std::set<std::string> names = {definition.trust_policy.name};
  for (const PolicyDocument& doc : definition.permission_policies) {
    if (!names.insert(doc.name).second) {
      lines.push_back(absl::StrCat(role_prefix, "two policies are named ",
                                   Quote(doc.name), "; names must be unique"));
    }
  }

  std::vector<std::string> warnings;
  auto add_warnings = [&warnings](absl::string_view name,
                                  const std::vector<ValidationError>& found) {
    for (const ValidationError& w : found) {
      warnings.push_back(FormatErrors(name, {w}));
    }
  };
  std::vector<Policy> trust;
  ParseResult t =
      ParsePolicyDetailed(definition.trust_policy.name,
                          definition.trust_policy.json, PolicyKind::kTrust);
  if (!t.errors.empty()) {
    lines.push_back(FormatErrors(definition.trust_policy.name, t.errors));
  } else {
    add_warnings(definition.trust_policy.name, t.warnings);
    trust.push_back(*std::move(t.policy));
  }
  std::vector<Policy> permissions;
  for (const PolicyDocument& doc : definition.permission_policies) {
    ParseResult p =
        ParsePolicyDetailed(doc.name, doc.json, PolicyKind::kPermission);
    if (!p.errors.empty()) {
      lines.push_back(FormatErrors(doc.name, p.errors));
    } else {
      add_warnings(doc.name, p.warnings);
      permissions.push_back(*std::move(p.policy));
    }
  }
  if (!lines.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

  std::shared_ptr<CompiledRole> role(new CompiledRole());
  auto trust_set = PolicySet::Compile(std::move(trust), PolicyKind::kTrust);
  if (!trust_set.ok()) return trust_set.status();
  auto permission_set =
      PolicySet::Compile(std::move(permissions), PolicyKind::kPermission);
  if (!permission_set.ok()) return permission_set.status();
  role->trust_ = *std::move(trust_set);
  role->permissions_ = *std::move(permission_set);
  role->role_resource_ = absl::StrCat(kRoleResourcePrefix, definition.name);
  role->warnings_ = std::move(warnings);
  role->definition_ = std::move(definition);
  return std::shared_ptr<const CompiledRole>(std::move(role));
}

Request CompiledRole::AssumeRoleRequest(absl::string_view issuer,
                                        const Context& context) const {
  return Request{kAssumeRoleAction, role_resource_, issuer, &context};
}

Request CompiledRole::GetSecretRequest(absl::string_view secret_name,
                                       const Context& context,
                                       std::string* resource_buffer) const {
  *resource_buffer = absl::StrCat(kSecretResourcePrefix, secret_name);
  return Request{kGetSecretAction, *resource_buffer, "", &context};
}

Decision CompiledRole::EvaluateAssumeRole(absl::string_view issuer,
                                          const Context& context) const {
  return trust_->Evaluate(AssumeRoleRequest(issuer, context));
}

Decision CompiledRole::EvaluateGetSecret(absl::string_view secret_name,
                                         const Context& context) const {
  // "secret/" + name on the stack: secret names are at most 256 characters
  // (DESIGN.md §4); longer ones take the (allocating) slow path.
  char buffer[512];
  const size_t n = kSecretResourcePrefix.size() + secret_name.size();
  if (n <= sizeof(buffer)) {
    std::memcpy(buffer, kSecretResourcePrefix.data(),
                kSecretResourcePrefix.size());
    std::memcpy(buffer + kSecretResourcePrefix.size(), secret_name.data(),
                secret_name.size());
    return permissions_->Evaluate(
        Request{kGetSecretAction, absl::string_view(buffer, n), "", &context});
  }
  std::string resource;
  return permissions_->Evaluate(
      GetSecretRequest(secret_name, context, &resource));
}

}  // namespace policy
