// The compiled form of policy statements and the evaluation of one statement
// against a request. Compiling is also the semantic validation of a parsed
// policy (ParsePolicy runs it for its errors), so the rules live in one place.
//
// Internal to policy/: PolicySet and ParsePolicy are the public faces.
// Compiled statements are immutable and safe to share between threads; they
// point into the Policy they were compiled from, which must outlive them.
#ifndef SECRETD_POLICY_INTERNAL_COMPILER_H_
#define SECRETD_POLICY_INTERNAL_COMPILER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "policy/context.h"
#include "policy/internal/pattern.h"
#include "policy/internal/values.h"
#include "policy/model.h"

namespace policy::internal {

// At most this many distinct variables in one condition or one Resource list.
inline constexpr int kMaxVariables = 16;

struct CompiledCondition {
  const Condition* source = nullptr;
  Operator op = Operator::kStringEquals;
  OperatorFamily family = OperatorFamily::kString;
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  bool negated = false;
  std::string key_lower;
  uint64_t hash = 0;
  std::vector<VariableRef> variables;
  std::vector<Pattern> strings;  // kString; kBool values (may hold variables)
  std::vector<int8_t> bools;     // kBool (-1: has variables), kNull
  std::vector<Decimal> numbers;  // kNumeric
  std::vector<Instant> dates;    // kDate
  std::vector<IpRange> ips;      // kIp
};

struct CompiledStatement {
  const Policy* policy = nullptr;
  size_t index = 0;
  const Statement* source = nullptr;
  Effect effect = Effect::kAllow;
  bool not_action = false;
  std::vector<Pattern> actions;
  bool has_resource = false;
  bool not_resource = false;
  std::vector<Pattern> resources;
  std::vector<VariableRef> resource_variables;
  bool has_principal = false;
  bool any_attestor = false;
  std::vector<std::string> attestors;
  std::vector<CompiledCondition> conditions;
};

// The validator's check that an Action element can name a secretd action
// (secretd:AssumeRole or secrets:Get): nullopt if it can, else the message,
// e.g. `"secrets:Read" matches no secretd action; did you mean secrets:Get?`.
// `text` is the element as written.
std::optional<std::string> CheckActionKnown(const Pattern& p,
                                            absl::string_view text);

// The same for a Resource element: it must be able to name role/<name> or
// secret/<name>, e.g. `"app/db" names no secretd resource; resources are
// role/<name> and secret/<name>`. With `whole_name` (a request's resource,
// not a pattern) the name itself must begin with role/ or secret/.
std::optional<std::string> CheckResourceKnown(const Pattern& p,
                                              absl::string_view text,
                                              bool whole_name);

// Validates and compiles every statement of `policy` under the rules of
// `kind`. Appends one error per problem (with its JSON path) to `*errors`;
// the result is complete only when no error was added. `check_structure`
// also checks what the JSON reader checks already (a statement has actions),
// for policies built by hand. Statements flagged in `skip` are left out of
// the checks (the JSON reader reported them already). With `warnings`,
// appends the fail-open cases of Deny statements (DenyWarnings).
std::vector<CompiledStatement> CompilePolicy(
    const Policy& policy, PolicyKind kind, std::vector<ValidationError>* errors,
    bool check_structure = true, const std::vector<bool>* skip = nullptr,
    std::vector<ValidationError>* warnings = nullptr);

// The ways a compiled Deny statement can be skipped although a reader would
// expect it to apply, one warning per element (docs/policy.md, "Fail-open
// cases"): a variable without a default in Resource/NotResource or a
// condition value (skipped when its key is absent or multivalued), and a
// negated Numeric, Date or IP operator on a claim: key (a value of the wrong
// type satisfies neither the operator nor its negation). Nothing for Allow.
void DenyWarnings(const CompiledStatement& s,
                  std::vector<ValidationError>* warnings);

// Whether the statement applies to the request: action, principal, resource
// and every condition match. Never allocates.
bool StatementApplies(const CompiledStatement& s, const Request& request);

// Why a statement did or did not apply, for explanations and for the missing
// context keys of an implicit deny.
struct StatementTrace {
  enum class Result {
    kApplies,
    kActionDoesNotMatch,
    kPrincipalDoesNotMatch,
    kResourceDoesNotMatch,
    kVariableHasNoValue,  // in Resource or a condition
    kConditionFailed,
  };
  Result result = Result::kApplies;
  int failed_condition = -1;  // the first failing condition, if any
  bool failed_for_missing_key =
      false;  // that condition failed for lack of a key
  // That condition failed because a request value has the wrong type for its
  // operator (not a number for a Numeric operator, ...).
  bool failed_for_type_mismatch = false;
  // Keys whose absence made the statement fail (condition keys and variable
  // keys), when absence was the only reason; otherwise empty.
  absl::InlinedVector<absl::string_view, 4> missing_keys;
  absl::string_view unresolved_variable;  // key of a variable with no value
};
StatementTrace TraceStatement(const CompiledStatement& s,
                              const Request& request);

}  // namespace policy::internal

#endif  // SECRETD_POLICY_INTERNAL_COMPILER_H_
