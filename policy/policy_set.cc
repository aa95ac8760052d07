#include "policy/policy_set.h"

#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/internal/compiler.h"
#include "policy/internal/strict_json.h"

namespace policy {
namespace {

using internal::CompiledStatement;
using internal::Quote;
using internal::StatementTrace;

StatementRef RefOf(const CompiledStatement& s) {
  StatementRef ref;
  ref.policy = s.policy->name;
  if (s.source->sid.has_value()) ref.sid = *s.source->sid;
  ref.index = s.index;
  return ref;
}

std::string StatementLabel(const CompiledStatement& s) {
  std::string label = absl::StrCat("policy ", Quote(s.policy->name), " ",
                                   StatementPath(*s.policy, s.index));
  if (s.source->sid.has_value()) {
    absl::StrAppend(&label, " (Sid ", Quote(*s.source->sid), ")");
  }
  return label;
}

// "the request has "ops"" / "the request has ["a", "b"]" / "the key is absent".
std::string RequestValues(const Context* ctx, absl::string_view key) {
  const Context::Entry* e = ctx == nullptr ? nullptr : ctx->Find(key);
  if (e == nullptr || e->values.empty()) {
    return "the request has no such key";
  }
  std::vector<std::string> values;
  for (const Context::Value& v : e->values) {
    values.push_back(v.type == Context::Value::Type::kString ? Quote(v.text)
                                                             : v.text);
  }
  if (values.size() == 1) return absl::StrCat("the request has ", values[0]);
  return absl::StrCat("the request has [", absl::StrJoin(values, ", "), "]");
}

// "a number", ... : what an operator family compares.
absl::string_view FamilyValueWords(OperatorFamily family) {
  switch (family) {
    case OperatorFamily::kNumeric:
      return "a number";
    case OperatorFamily::kDate:
      return "a date";
    case OperatorFamily::kBool:
      return "a boolean";
    case OperatorFamily::kIp:
      return "an IP address";
    case OperatorFamily::kString:
    case OperatorFamily::kNull:
      break;
  }
  return "a value";
}

// For a Deny statement skipped for a reason a reader may not expect (an
// unresolved variable, a value of the wrong type): one line saying so, or "".
std::string SkippedDenyWarning(const CompiledStatement& s,
                               const StatementTrace& t) {
  using Result = StatementTrace::Result;
  if (s.effect != Effect::kDeny) return "";
  if (t.result == Result::kVariableHasNoValue) {
    return absl::StrCat("warning: Deny ", StatementLabel(s),
                        " was skipped because variable ${",
                        t.unresolved_variable,
                        "} has no value (the key is absent or multivalued and "
                        "no default is given)\n");
  }
  if (t.result == Result::kConditionFailed && t.failed_for_type_mismatch) {
    const Condition& c = *s.conditions[t.failed_condition].source;
    return absl::StrCat(
        "warning: Deny ", StatementLabel(s), " was skipped because ", c.key,
        " holds a value that is not ", FamilyValueWords(FamilyOf(c.parsed.op)),
        " (condition ", c.operator_name, ")\n");
  }
  return "";
}

std::string WhyNot(const CompiledStatement& s, const StatementTrace& t,
                   const Request& r) {
  using Result = StatementTrace::Result;
  switch (t.result) {
    case Result::kApplies:
      return "applies";
    case Result::kActionDoesNotMatch:
      return s.not_action ? absl::StrCat("does not apply: action ", r.action,
                                         " is listed in NotAction")
                          : absl::StrCat("does not apply: action ", r.action,
                                         " is not in Action");
    case Result::kPrincipalDoesNotMatch:
      return r.issuer.empty()
                 ? std::string(
                       "does not apply: it names a Principal and the "
                       "request has no verified issuer")
                 : absl::StrCat("does not apply: issuer ", Quote(r.issuer),
                                " is not one of its Attestors");
    case Result::kResourceDoesNotMatch:
      return s.not_resource
                 ? absl::StrCat("does not apply: resource ", r.resource,
                                " is listed in NotResource")
                 : absl::StrCat("does not apply: resource ", r.resource,
                                " is not in Resource");
    case Result::kVariableHasNoValue:
      return absl::StrCat("does not apply: variable ${", t.unresolved_variable,
                          "} has no value (the key is absent or multivalued "
                          "and no default is given)");
    case Result::kConditionFailed: {
      const Condition& c = *s.conditions[t.failed_condition].source;
      std::string why = absl::StrCat("does not apply: condition ",
                                     c.operator_name, " ", c.key, " is false (",
                                     RequestValues(r.context, c.key), ")");
      if (t.failed_for_type_mismatch) {
        absl::StrAppend(&why, "; a value that is not ",
                        FamilyValueWords(FamilyOf(c.parsed.op)),
                        " satisfies neither ", OperatorName(c.parsed.op),
                        " nor its negation");
      }
      return why;
    }
  }
  return "";
}

}  // namespace

absl::string_view DecisionEffectName(DecisionEffect effect) {
  switch (effect) {
    case DecisionEffect::kAllow:
      return "allow";
    case DecisionEffect::kExplicitDeny:
      return "explicit_deny";
    case DecisionEffect::kImplicitDeny:
      break;
  }
  return "implicit_deny";
}

std::string StatementRef::ToString() const {
  if (sid.has_value()) {
    return absl::StrCat(Quote(policy), " statement ", Quote(*sid));
  }
  return absl::StrCat(Quote(policy), " Statement[", index, "]");
}

nlohmann::ordered_json DecisionToJson(const Decision& decision) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["decision"] = std::string(DecisionEffectName(decision.effect));
  if (decision.statement.has_value()) {
    nlohmann::ordered_json st = nlohmann::ordered_json::object();
    st["policy"] = std::string(decision.statement->policy);
    if (decision.statement->sid.has_value()) {
      st["sid"] = std::string(*decision.statement->sid);
    } else {
      st["sid"] = nullptr;
      st["index"] = decision.statement->index;
    }
    out["statement"] = std::move(st);
  } else {
    out["statement"] = nullptr;
  }
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (absl::string_view k : decision.missing_context_keys) {
    keys.push_back(std::string(k));
  }
  out["missing_context_keys"] = std::move(keys);
  return out;
}

std::string DescribeDecision(const Decision& decision) {
  switch (decision.effect) {
    case DecisionEffect::kAllow:
      return absl::StrCat("allow by ", decision.statement->ToString());
    case DecisionEffect::kExplicitDeny:
      return absl::StrCat("explicit deny by ", decision.statement->ToString());
    case DecisionEffect::kImplicitDeny:
      break;
  }
  if (decision.missing_context_keys.empty()) return "implicit deny";
  return absl::StrCat("implicit deny (missing context keys: ",
                      absl::StrJoin(decision.missing_context_keys, ", "), ")");
}

PolicySet::~PolicySet() = default;

absl::StatusOr<std::shared_ptr<const PolicySet>> PolicySet::Compile(
    std::vector<Policy> policies, PolicyKind kind) {
  std::shared_ptr<PolicySet> set(new PolicySet());
  set->policies_ = std::move(policies);
  std::vector<std::string> messages;
  std::set<std::string> names;
  for (const Policy& p : set->policies_) {
    if (!names.insert(p.name).second) {
      messages.push_back(absl::StrCat(
          "policy ", Quote(p.name),
          ": another policy of the set has this name; names must be unique"));
    }
  }
  for (const Policy& p : set->policies_) {
    std::vector<ValidationError> errors;
    std::vector<CompiledStatement> compiled =
        internal::CompilePolicy(p, kind, &errors);
    if (!errors.empty()) {
      messages.push_back(FormatErrors(p.name, errors));
      continue;
    }
    for (CompiledStatement& s : compiled) {
      set->statements_.push_back(std::move(s));
    }
  }
  if (!messages.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(messages, "\n"));
  }
  for (size_t i = 0; i < set->statements_.size(); ++i) {
    (set->statements_[i].effect == Effect::kDeny ? set->denies_ : set->allows_)
        .push_back(i);
  }
  return std::shared_ptr<const PolicySet>(std::move(set));
}

size_t PolicySet::statement_count() const { return statements_.size(); }

Decision PolicySet::Evaluate(const Request& request) const {
  Decision d;
  for (size_t i : denies_) {
    if (internal::StatementApplies(statements_[i], request)) {
      d.effect = DecisionEffect::kExplicitDeny;
      d.statement = RefOf(statements_[i]);
      return d;
    }
  }
  for (size_t i : allows_) {
    if (internal::StatementApplies(statements_[i], request)) {
      d.effect = DecisionEffect::kAllow;
      d.statement = RefOf(statements_[i]);
      return d;
    }
  }
  // Implicit deny: which absent keys kept an Allow statement out?
  for (size_t i : allows_) {
    StatementTrace t = internal::TraceStatement(statements_[i], request);
    for (absl::string_view key : t.missing_keys) {
      bool seen = false;
      for (absl::string_view k : d.missing_context_keys) {
        if (absl::EqualsIgnoreCase(k, key)) seen = true;
      }
      if (!seen) d.missing_context_keys.push_back(key);
    }
  }
  return d;
}

std::string PolicySet::Explain(const Request& request) const {
  const Decision d = Evaluate(request);
  std::string out;
  const std::string what =
      absl::StrCat(request.action, " on ", request.resource);
  switch (d.effect) {
    case DecisionEffect::kAllow:
      absl::StrAppend(&out, "decision: allow\n", what, " is allowed by ",
                      d.statement->ToString(),
                      ", and no statement denies it\n");
      break;
    case DecisionEffect::kExplicitDeny:
      absl::StrAppend(&out, "decision: explicit deny\n", what, " is denied by ",
                      d.statement->ToString(),
                      "; an explicit deny overrides any allow\n");
      break;
    case DecisionEffect::kImplicitDeny:
      absl::StrAppend(&out, "decision: implicit deny\n", what,
                      " is denied because no statement allows it (access is "
                      "denied unless a statement allows it)\n");
      if (!d.missing_context_keys.empty()) {
        absl::StrAppend(&out, "missing context keys: ",
                        absl::StrJoin(d.missing_context_keys, ", "),
                        " (an Allow statement failed only for lack of them)\n");
      }
      break;
  }
  for (const CompiledStatement& s : statements_) {
    absl::StrAppend(
        &out, SkippedDenyWarning(s, internal::TraceStatement(s, request)));
  }
  if (request.issuer.empty()) {
    absl::StrAppend(&out, "issuer: none\n");
  } else {
    absl::StrAppend(&out, "issuer: ", Quote(request.issuer), "\n");
  }
  absl::StrAppend(&out, "statements:\n");
  for (const CompiledStatement& s : statements_) {
    StatementTrace t = internal::TraceStatement(s, request);
    absl::StrAppend(&out, "  ", StatementLabel(s), " ",
                    s.effect == Effect::kAllow ? "Allow" : "Deny", ": ",
                    WhyNot(s, t, request), "\n");
  }
  return out;
}

}  // namespace policy
