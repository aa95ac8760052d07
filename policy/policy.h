// Parsing and validating policy documents (docs/DESIGN.md §5, docs/policy.md).
//
//   absl::StatusOr<policy::Policy> p =
//       policy::ParsePolicy("web.json", text, policy::PolicyKind::kPermission);
//   if (!p.ok()) {
//     // kInvalidArgument; the message lists every error, one per line:
//     // policy "web.json": Statement[1].Condition.StringLik: unknown
//     //     operator; did you mean StringLike?
//   }
//
// Every error of a document is reported at once: JSON syntax (with line and
// column), duplicate member names, unknown elements and operators (with a
// did-you-mean), wrong types, both Action and NotAction, bad dates, numbers,
// CIDRs and booleans, malformed variables, unknown context keys, duplicate
// Sids, and, for a given PolicyKind, the role rules (a trust policy's
// statements name a Principal, a permission policy's never do). Documents
// over 10 KiB are refused unread.
//
// Pure functions; thread-safe.
#ifndef SECRETD_POLICY_POLICY_H_
#define SECRETD_POLICY_POLICY_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/model.h"

namespace policy {

struct ParseResult {
  std::optional<Policy> policy;  // set exactly when `errors` is empty
  std::vector<ValidationError> errors;
  // Non-fatal: the fail-open cases of a valid policy's Deny statements
  // (docs/policy.md, "Fail-open cases"), in document order, e.g.
  // `Statement[1].Resource: this Deny is skipped when claim:team is absent or
  // has several values; give the variable a default, e.g. ${claim:team, ''},
  // or guard it with a Null condition`. Empty when `errors` is not.
  std::vector<ValidationError> warnings;
  // The kind the document was checked as: the one asked for, or for
  // ValidatePolicyDocument the inferred one.
  PolicyKind kind = PolicyKind::kAny;
};

// Parses and validates `json` as a policy named `name` (a file name or a
// role's policy name; it appears in messages and decisions).
ParseResult ParsePolicyDetailed(absl::string_view name, absl::string_view json,
                                PolicyKind kind = PolicyKind::kAny);

// The same as a status: kInvalidArgument with FormatErrors(name, errors).
// Warnings are dropped: use ParsePolicyDetailed to see them.
absl::StatusOr<Policy> ParsePolicy(absl::string_view name,
                                   absl::string_view json,
                                   PolicyKind kind = PolicyKind::kAny);

// The error for a document of `bytes` bytes if that is over kMaxPolicyBytes
// (for callers that refuse a large file before reading it).
std::optional<ValidationError> CheckPolicySize(size_t bytes);

// Validates a document whose kind is not known (secretctl policy validate):
// a trust policy if any statement names a Principal, else a permission
// policy, with that kind's rules applied.
ParseResult ValidatePolicyDocument(absl::string_view name,
                                   absl::string_view json);

// Checks the action and resource of a request (secretctl policy simulate)
// with the validator's own rules for Action and Resource elements: the
// action must be secretd:AssumeRole or secrets:Get (any case), the resource
// must begin with role/ or secret/. Returns one error per bad value, with
// path "action" or "resource" and the validator's message (did-you-mean
// included); empty if both are fine.
std::vector<ValidationError> CheckRequest(absl::string_view action,
                                          absl::string_view resource);

}  // namespace policy

#endif  // SECRETD_POLICY_POLICY_H_
