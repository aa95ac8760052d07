#include "policy/model.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/internal/strict_json.h"

namespace policy {
namespace {

using Json = nlohmann::json;

struct OperatorInfo {
  Operator op;
  absl::string_view name;
  OperatorFamily family;
  bool negated;
};

constexpr OperatorInfo kOperators[] = {
    {Operator::kStringEquals, "StringEquals", OperatorFamily::kString, false},
    {Operator::kStringNotEquals, "StringNotEquals", OperatorFamily::kString,
     true},
    {Operator::kStringEqualsIgnoreCase, "StringEqualsIgnoreCase",
     OperatorFamily::kString, false},
    {Operator::kStringNotEqualsIgnoreCase, "StringNotEqualsIgnoreCase",
     OperatorFamily::kString, true},
    {Operator::kStringLike, "StringLike", OperatorFamily::kString, false},
    {Operator::kStringNotLike, "StringNotLike", OperatorFamily::kString, true},
    {Operator::kNumericEquals, "NumericEquals", OperatorFamily::kNumeric,
     false},
    {Operator::kNumericNotEquals, "NumericNotEquals", OperatorFamily::kNumeric,
     true},
    {Operator::kNumericLessThan, "NumericLessThan", OperatorFamily::kNumeric,
     false},
    {Operator::kNumericLessThanEquals, "NumericLessThanEquals",
     OperatorFamily::kNumeric, false},
    {Operator::kNumericGreaterThan, "NumericGreaterThan",
     OperatorFamily::kNumeric, false},
    {Operator::kNumericGreaterThanEquals, "NumericGreaterThanEquals",
     OperatorFamily::kNumeric, false},
    {Operator::kDateEquals, "DateEquals", OperatorFamily::kDate, false},
    {Operator::kDateNotEquals, "DateNotEquals", OperatorFamily::kDate, true},
    {Operator::kDateLessThan, "DateLessThan", OperatorFamily::kDate, false},
    {Operator::kDateLessThanEquals, "DateLessThanEquals", OperatorFamily::kDate,
     false},
    {Operator::kDateGreaterThan, "DateGreaterThan", OperatorFamily::kDate,
     false},
    {Operator::kDateGreaterThanEquals, "DateGreaterThanEquals",
     OperatorFamily::kDate, false},
    {Operator::kBool, "Bool", OperatorFamily::kBool, false},
    {Operator::kIpAddress, "IpAddress", OperatorFamily::kIp, false},
    {Operator::kNotIpAddress, "NotIpAddress", OperatorFamily::kIp, true},
    {Operator::kNull, "Null", OperatorFamily::kNull, false},
};

const OperatorInfo& Info(Operator op) {
  return kOperators[static_cast<int>(op)];
}

constexpr absl::string_view kForAnyValue = "ForAnyValue:";
constexpr absl::string_view kForAllValues = "ForAllValues:";
constexpr absl::string_view kIfExists = "IfExists";

Json ValueToJson(const ConditionValue& v) {
  switch (v.type) {
    case ConditionValue::Type::kBool:
      return v.text == "true";
    case ConditionValue::Type::kNumber: {
      Json n = Json::parse(v.text, nullptr, false);
      if (n.is_number()) return n;
      return v.text;  // not reachable for parsed policies
    }
    case ConditionValue::Type::kString:
      break;
  }
  return v.text;
}

Json StringsToJson(const std::vector<std::string>& items, bool array) {
  if (!array && items.size() == 1) return items[0];
  return Json(items);
}

}  // namespace

absl::string_view OperatorName(Operator op) { return Info(op).name; }
OperatorFamily FamilyOf(Operator op) { return Info(op).family; }
bool IsNegated(Operator op) { return Info(op).negated; }

std::optional<ParsedOperator> ParseOperatorName(absl::string_view name) {
  ParsedOperator parsed;
  if (absl::StartsWith(name, kForAnyValue)) {
    parsed.qualifier = SetQualifier::kForAnyValue;
    name.remove_prefix(kForAnyValue.size());
  } else if (absl::StartsWith(name, kForAllValues)) {
    parsed.qualifier = SetQualifier::kForAllValues;
    name.remove_prefix(kForAllValues.size());
  }
  if (absl::EndsWith(name, kIfExists)) {
    parsed.if_exists = true;
    name.remove_suffix(kIfExists.size());
  }
  for (const OperatorInfo& info : kOperators) {
    if (info.name == name) {
      parsed.op = info.op;
      if (info.op == Operator::kNull &&
          (parsed.if_exists || parsed.qualifier != SetQualifier::kNone)) {
        return std::nullopt;
      }
      return parsed;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& AllOperatorNames() {
  static const std::vector<std::string>* names = [] {
    auto* v = new std::vector<std::string>;
    for (absl::string_view prefix :
         {absl::string_view(""), kForAnyValue, kForAllValues}) {
      for (const OperatorInfo& info : kOperators) {
        if (info.op == Operator::kNull) {
          if (prefix.empty()) v->push_back("Null");
          continue;
        }
        v->push_back(absl::StrCat(prefix, info.name));
        v->push_back(absl::StrCat(prefix, info.name, kIfExists));
      }
    }
    return v;
  }();
  return *names;
}

bool Condition::operator==(const Condition& o) const {
  return operator_name == o.operator_name && key == o.key &&
         values == o.values && values_array == o.values_array;
}

bool Statement::operator==(const Statement& o) const {
  return sid == o.sid && effect == o.effect && not_action == o.not_action &&
         actions == o.actions && actions_array == o.actions_array &&
         has_resource == o.has_resource && not_resource == o.not_resource &&
         resources == o.resources && resources_array == o.resources_array &&
         attestors == o.attestors && attestors_array == o.attestors_array &&
         conditions == o.conditions;
}

bool Policy::operator==(const Policy& o) const {
  return name == o.name && version == o.version && id == o.id &&
         statements == o.statements && statements_array == o.statements_array;
}

std::string ValidationError::ToString() const {
  if (line > 0) {
    return absl::StrCat("line ", line, ", column ", column, ": ", message);
  }
  if (path.empty()) return message;
  return absl::StrCat(path, ": ", message);
}

std::string FormatErrors(absl::string_view policy_name,
                         const std::vector<ValidationError>& errors) {
  const std::string prefix =
      absl::StrCat("policy ", internal::Quote(policy_name), ": ");
  return absl::StrJoin(errors, "\n",
                       [&prefix](std::string* out, const ValidationError& e) {
                         absl::StrAppend(out, prefix, e.ToString());
                       });
}

std::string StatementPath(const Policy& policy, size_t index) {
  if (!policy.statements_array) return "Statement";
  return absl::StrCat("Statement[", index, "]");
}

Json PolicyToJson(const Policy& policy) {
  Json doc = Json::object();
  doc["Version"] =
      policy.version == Version::k2012_10_17 ? "2012-10-17" : "2008-10-17";
  if (policy.id.has_value()) doc["Id"] = *policy.id;
  Json statements = Json::array();
  for (const Statement& s : policy.statements) {
    Json js = Json::object();
    if (s.sid.has_value()) js["Sid"] = *s.sid;
    js["Effect"] = s.effect == Effect::kAllow ? "Allow" : "Deny";
    js[s.not_action ? "NotAction" : "Action"] =
        StringsToJson(s.actions, s.actions_array);
    if (s.has_resource) {
      js[s.not_resource ? "NotResource" : "Resource"] =
          StringsToJson(s.resources, s.resources_array);
    }
    if (s.attestors.has_value()) {
      js["Principal"] = {
          {"Attestor", StringsToJson(*s.attestors, s.attestors_array)}};
    }
    if (!s.conditions.empty()) {
      Json cond = Json::object();
      for (const Condition& c : s.conditions) {
        Json values;
        if (!c.values_array && c.values.size() == 1) {
          values = ValueToJson(c.values[0]);
        } else {
          values = Json::array();
          for (const ConditionValue& v : c.values) {
            values.push_back(ValueToJson(v));
          }
        }
        cond[c.operator_name][c.key] = std::move(values);
      }
      js["Condition"] = std::move(cond);
    }
    statements.push_back(std::move(js));
  }
  if (!policy.statements_array && statements.size() == 1) {
    doc["Statement"] = std::move(statements[0]);
  } else {
    doc["Statement"] = std::move(statements);
  }
  return doc;
}

}  // namespace policy
