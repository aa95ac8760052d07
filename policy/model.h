// The policy language of docs/DESIGN.md §5 as data: a parsed (not yet
// compiled) policy document, its statements and conditions, and the
// validation error type. ParsePolicy (policy.h) builds these from JSON;
// PolicySet::Compile (policy_set.h) turns them into an evaluator.
//
// The structs keep the shape the author wrote (a single value or an array)
// so that PolicyToJson writes back an equivalent document and error paths
// read like the source (`Statement.Action` vs `Statement[0].Action[1]`).
// Plain values; thread-compatible.
#ifndef SECRETD_POLICY_MODEL_H_
#define SECRETD_POLICY_MODEL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace policy {

// Limits on a policy document.
inline constexpr size_t kMaxPolicyBytes = 10 * 1024;
inline constexpr int kMaxJsonDepth = 16;

// The two actions of secretd and the resource prefixes.
inline constexpr absl::string_view kAssumeRoleAction = "secretd:AssumeRole";
inline constexpr absl::string_view kGetSecretAction = "secrets:Get";
inline constexpr absl::string_view kRoleResourcePrefix = "role/";
inline constexpr absl::string_view kSecretResourcePrefix = "secret/";

enum class Version {
  k2008_10_17,  // policy variables are literal text
  k2012_10_17,  // policy variables are substituted
};

enum class Effect { kAllow, kDeny };

// Which role document a policy is (DESIGN.md §5). A trust policy names a
// Principal in every statement and governs secretd:AssumeRole on role/...; a
// permission policy has no Principal, names a Resource in every statement and
// governs secrets:Get on secret/.... kAny checks the grammar only.
enum class PolicyKind { kAny, kTrust, kPermission };

// The base condition operators (without ForAnyValue:/ForAllValues: and
// ...IfExists).
enum class Operator {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kIpAddress,
  kNotIpAddress,
  kNull,
};

enum class OperatorFamily { kString, kNumeric, kDate, kBool, kIp, kNull };

enum class SetQualifier { kNone, kForAnyValue, kForAllValues };

// "StringEquals", ... as written in policies.
absl::string_view OperatorName(Operator op);
OperatorFamily FamilyOf(Operator op);
// StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike, NumericNotEquals,
// DateNotEquals and NotIpAddress: true when none of the values match.
bool IsNegated(Operator op);

struct ParsedOperator {
  Operator op;
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
};
// Parses "[ForAnyValue:|ForAllValues:]Base[IfExists]" (case-sensitive, as
// IAM writes them). std::nullopt for anything else, including NullIfExists
// and a qualified Null.
std::optional<ParsedOperator> ParseOperatorName(absl::string_view name);
// Every valid operator name, for did-you-mean suggestions.
const std::vector<std::string>& AllOperatorNames();

// A condition value as written: a JSON string, number or boolean.
struct ConditionValue {
  enum class Type { kString, kNumber, kBool };
  Type type = Type::kString;
  std::string text;  // the string, the number's JSON text, "true"/"false"
  bool operator==(const ConditionValue& o) const {
    return type == o.type && text == o.text;
  }
};

// One operator applied to one context key: "StringLike": {"claim:sub": [...]}.
struct Condition {
  std::string operator_name;  // as written, e.g. "ForAnyValue:StringLike"
  ParsedOperator parsed;
  std::string key;  // as written, e.g. "claim:tags/team"
  std::vector<ConditionValue> values;
  bool values_array = false;  // written as an array
  bool operator==(const Condition& o) const;
};

struct Statement {
  std::optional<std::string> sid;
  Effect effect = Effect::kAllow;
  bool not_action = false;  // NotAction instead of Action
  std::vector<std::string> actions;
  bool actions_array = false;
  bool has_resource = false;  // Resource or NotResource present
  bool not_resource = false;
  std::vector<std::string> resources;
  bool resources_array = false;
  // Principal {"Attestor": ...}; absent when the statement has no Principal.
  std::optional<std::vector<std::string>> attestors;
  bool attestors_array = false;
  std::vector<Condition> conditions;  // operators, then keys, sorted by name
  bool operator==(const Statement& o) const;
};

struct Policy {
  std::string name;  // how errors and decisions refer to it, e.g. a file name
  Version version = Version::k2012_10_17;
  std::optional<std::string> id;
  std::vector<Statement> statements;
  bool statements_array = true;  // "Statement": [...] rather than {...}
  bool operator==(const Policy& o) const;
};

// One problem in a policy document. `path` is the JSON path of the offending
// element (empty for the document itself); `line`/`column` are set for JSON
// syntax errors.
struct ValidationError {
  std::string path;
  int line = 0;
  int column = 0;
  std::string message;
  // "Statement[1].Condition.StringLik: unknown operator; did you mean
  // StringLike?" or "line 3, column 5: ...".
  std::string ToString() const;
  bool operator==(const ValidationError& o) const {
    return path == o.path && line == o.line && column == o.column &&
           message == o.message;
  }
};

// `policy "<name>": <error>` per error, one per line, no trailing newline.
std::string FormatErrors(absl::string_view policy_name,
                         const std::vector<ValidationError>& errors);

// The policy as JSON in the shape it was written (Statement as object or
// array, single values or arrays). ParsePolicy(PolicyToJson(p).dump()) == p
// for every parsed policy.
nlohmann::json PolicyToJson(const Policy& policy);

// JSON paths of the parts of a policy, in the shape it was written:
// StatementPath(p, 1) == "Statement[1]", or "Statement" for a single object.
std::string StatementPath(const Policy& policy, size_t index);

}  // namespace policy

#endif  // SECRETD_POLICY_MODEL_H_
