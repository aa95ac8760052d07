#include "policy/policy.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/closest_match.h"
#include "policy/internal/compiler.h"
#include "policy/internal/strict_json.h"

namespace policy {
namespace {

using Json = nlohmann::json;
using internal::AppendPathIndex;
using internal::AppendPathKey;
using internal::JsonTypeWords;
using internal::Quote;

std::string Join(absl::string_view base, absl::string_view key) {
  std::string p(base);
  AppendPathKey(&p, key);
  return p;
}

// Reads the JSON of a policy into the model, checking its shape. The
// values' meaning is checked afterwards by internal::CompilePolicy.
class ShapeReader {
 public:
  explicit ShapeReader(std::vector<ValidationError>* errors)
      : errors_(errors) {}

  void Error(std::string path, std::string message) {
    errors_->push_back({std::move(path), 0, 0, std::move(message)});
  }

  // Reports an unknown member name with a did-you-mean.
  void UnknownElement(const std::string& path, absl::string_view name,
                      const std::vector<std::string>& known,
                      absl::string_view what, absl::string_view all) {
    for (const std::string& k : known) {
      if (absl::EqualsIgnoreCase(k, name)) {
        Error(path, absl::StrCat("unknown ", what, "; did you mean ", k,
                                 "? (names are case-sensitive)"));
        return;
      }
    }
    std::string guess = common::ClosestMatch(name, known);
    if (!guess.empty()) {
      Error(path,
            absl::StrCat("unknown ", what, "; did you mean ", guess, "?"));
    } else {
      Error(path, absl::StrCat("unknown ", what, "; ", all));
    }
  }

  // A string or a non-empty array of strings.
  bool Strings(const Json& v, const std::string& path, absl::string_view what,
               std::vector<std::string>* out, bool* array) {
    out->clear();
    *array = v.is_array();
    if (v.is_string()) {
      out->push_back(v.get<std::string>());
      return true;
    }
    if (!v.is_array()) {
      Error(path, absl::StrCat("expected a string or an array of strings, "
                               "got ",
                               JsonTypeWords(v)));
      return false;
    }
    if (v.empty()) {
      Error(path, absl::StrCat("is an empty array; name at least one ", what));
      return false;
    }
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        std::string p = path;
        AppendPathIndex(&p, i);
        Error(p, absl::StrCat("expected a string, got ", JsonTypeWords(v[i])));
        ok = false;
        continue;
      }
      out->push_back(v[i].get<std::string>());
    }
    return ok;
  }

  void ReadPolicy(const Json& doc, Policy* policy) {
    if (!doc.is_object()) {
      Error("", absl::StrCat("expected a JSON object with Version and "
                             "Statement, got ",
                             JsonTypeWords(doc)));
      return;
    }
    static const std::vector<std::string> kTop = {"Version", "Id", "Statement"};
    for (const auto& [name, value] : doc.items()) {
      if (std::find(kTop.begin(), kTop.end(), name) == kTop.end()) {
        UnknownElement(Join("", name), name, kTop, "element",
                       "a policy has Version, Statement and optionally Id");
      }
    }
    auto version = doc.find("Version");
    if (version == doc.end()) {
      Error("", "missing Version; add \"Version\": \"2012-10-17\"");
    } else if (!version->is_string()) {
      Error("Version",
            absl::StrCat("expected \"2012-10-17\" or \"2008-10-17\", "
                         "got ",
                         JsonTypeWords(*version)));
    } else if (*version == "2012-10-17") {
      policy->version = Version::k2012_10_17;
    } else if (*version == "2008-10-17") {
      policy->version = Version::k2008_10_17;
    } else {
      Error("Version",
            absl::StrCat("expected \"2012-10-17\" or \"2008-10-17\", got ",
                         Quote(version->get<std::string>())));
    }
    auto id = doc.find("Id");
    if (id != doc.end()) {
      if (id->is_string()) {
        policy->id = id->get<std::string>();
      } else {
        Error("Id",
              absl::StrCat("expected a string, got ", JsonTypeWords(*id)));
      }
    }
    auto statements = doc.find("Statement");
    if (statements == doc.end()) {
      Error("",
            "missing Statement; add \"Statement\": [...] with at least "
            "one statement");
      return;
    }
    if (statements->is_object()) {
      policy->statements_array = false;
      policy->statements.emplace_back();
      ReadStatement(*statements, "Statement", &policy->statements.back());
      return;
    }
    if (!statements->is_array()) {
      Error("Statement",
            absl::StrCat("expected an object or an array of objects, got ",
                         JsonTypeWords(*statements)));
      return;
    }
    if (statements->empty()) {
      Error("Statement", "is an empty array; add at least one statement");
      return;
    }
    policy->statements_array = true;
    for (size_t i = 0; i < statements->size(); ++i) {
      std::string path = "Statement";
      AppendPathIndex(&path, i);
      const Json& s = (*statements)[i];
      policy->statements.emplace_back();
      if (!s.is_object()) {
        Error(path, absl::StrCat("expected an object, got ", JsonTypeWords(s)));
        broken_.resize(policy->statements.size());
        broken_[i] = true;  // reported; nothing more to check in it
        continue;
      }
      ReadStatement(s, path, &policy->statements.back());
    }
  }

  void ReadStatement(const Json& s, const std::string& path, Statement* st) {
    static const std::vector<std::string> kElements = {
        "Sid",      "Effect",      "Action",    "NotAction",
        "Resource", "NotResource", "Principal", "Condition"};
    for (const auto& [name, value] : s.items()) {
      if (std::find(kElements.begin(), kElements.end(), name) ==
          kElements.end()) {
        UnknownElement(Join(path, name), name, kElements, "element",
                       "a statement has Sid, Effect, Action or NotAction, "
                       "Resource or NotResource, Principal and Condition");
      }
    }
    if (auto sid = s.find("Sid"); sid != s.end()) {
      if (sid->is_string()) {
        st->sid = sid->get<std::string>();
      } else {
        Error(Join(path, "Sid"),
              absl::StrCat("expected a string, got ", JsonTypeWords(*sid)));
      }
    }
    auto effect = s.find("Effect");
    if (effect == s.end()) {
      Error(path,
            "missing Effect; add \"Effect\": \"Allow\" or \"Effect\": "
            "\"Deny\"");
    } else if (*effect == "Allow") {
      st->effect = Effect::kAllow;
    } else if (*effect == "Deny") {
      st->effect = Effect::kDeny;
    } else if (effect->is_string()) {
      const std::string v = effect->get<std::string>();
      std::string msg =
          absl::StrCat("expected \"Allow\" or \"Deny\", got ", Quote(v));
      if (absl::EqualsIgnoreCase(v, "allow") ||
          absl::EqualsIgnoreCase(v, "deny")) {
        absl::StrAppend(&msg, " (values are case-sensitive)");
      }
      Error(Join(path, "Effect"), msg);
    } else {
      Error(Join(path, "Effect"),
            absl::StrCat("expected \"Allow\" or \"Deny\", got ",
                         JsonTypeWords(*effect)));
    }

    auto action = s.find("Action");
    auto not_action = s.find("NotAction");
    if (action != s.end() && not_action != s.end()) {
      Error(path, "has both Action and NotAction; keep one of them");
    } else if (action == s.end() && not_action == s.end()) {
      Error(path,
            "missing Action; add \"Action\": \"secrets:Get\" (or "
            "\"secretd:AssumeRole\" in a trust policy)");
    } else {
      st->not_action = action == s.end();
      const Json& v = st->not_action ? *not_action : *action;
      Strings(v, Join(path, st->not_action ? "NotAction" : "Action"), "action",
              &st->actions, &st->actions_array);
    }

    auto resource = s.find("Resource");
    auto not_resource = s.find("NotResource");
    if (resource != s.end() && not_resource != s.end()) {
      Error(path, "has both Resource and NotResource; keep one of them");
      st->has_resource = true;  // reported; not "missing" as well
    } else if (resource != s.end() || not_resource != s.end()) {
      st->has_resource = true;
      st->not_resource = resource == s.end();
      const Json& v = st->not_resource ? *not_resource : *resource;
      Strings(v, Join(path, st->not_resource ? "NotResource" : "Resource"),
              "resource", &st->resources, &st->resources_array);
    }

    if (auto principal = s.find("Principal"); principal != s.end()) {
      ReadPrincipal(*principal, Join(path, "Principal"), st);
    }
    if (auto condition = s.find("Condition"); condition != s.end()) {
      ReadConditions(*condition, Join(path, "Condition"), st);
    }
  }

  void ReadPrincipal(const Json& p, const std::string& path, Statement* st) {
    // Present even when malformed, so that a trust policy does not also
    // report it missing.
    st->attestors.emplace();
    if (!p.is_object()) {
      Error(path, absl::StrCat("expected an object such as {\"Attestor\": "
                               "\"*\"}, got ",
                               JsonTypeWords(p)));
      return;
    }
    static const std::vector<std::string> kTypes = {"Attestor"};
    for (const auto& [name, value] : p.items()) {
      if (name != "Attestor") {
        UnknownElement(Join(path, name), name, kTypes, "principal type",
                       "secretd principals are {\"Attestor\": [issuer, ...]}");
      }
    }
    auto attestor = p.find("Attestor");
    if (attestor == p.end()) {
      if (p.empty()) {
        Error(path,
              "missing Attestor; write {\"Attestor\": [issuer, ...]} "
              "or {\"Attestor\": \"*\"}");
      }
      return;
    }
    std::vector<std::string> values;
    Strings(*attestor, Join(path, "Attestor"), "issuer", &values,
            &st->attestors_array);
    st->attestors = std::move(values);
  }

  void ReadConditions(const Json& c, const std::string& path, Statement* st) {
    if (!c.is_object()) {
      Error(path, absl::StrCat("expected an object of operators, got ",
                               JsonTypeWords(c)));
      return;
    }
    for (const auto& [op_name, keys] : c.items()) {
      const std::string op_path = Join(path, op_name);
      std::optional<ParsedOperator> parsed = ParseOperatorName(op_name);
      if (!parsed.has_value()) {
        UnknownOperator(op_path, op_name);
        continue;
      }
      if (!keys.is_object()) {
        Error(op_path, absl::StrCat("expected an object of context key to "
                                    "values, got ",
                                    JsonTypeWords(keys)));
        continue;
      }
      if (keys.empty()) {
        Error(op_path, "is empty; name at least one context key");
        continue;
      }
      for (const auto& [key, values] : keys.items()) {
        Condition cond;
        cond.operator_name = op_name;
        cond.parsed = *parsed;
        cond.key = key;
        const std::string key_path = Join(op_path, key);
        if (ReadValues(values, key_path, &cond)) {
          st->conditions.push_back(std::move(cond));
        }
      }
    }
  }

  void UnknownOperator(const std::string& path, absl::string_view name) {
    // A valid base operator with a suffix or prefix it cannot take.
    std::string base(name);
    for (absl::string_view prefix : {"ForAnyValue:", "ForAllValues:"}) {
      if (absl::StartsWith(base, prefix)) base = base.substr(prefix.size());
    }
    if (absl::EndsWith(base, "IfExists")) {
      base = base.substr(0, base.size() - 8);
    }
    if (base == "Null") {
      Error(path,
            "unknown operator; Null takes neither ...IfExists nor "
            "ForAnyValue:/ForAllValues:, write plain Null");
      return;
    }
    for (const std::string& known : AllOperatorNames()) {
      if (absl::EqualsIgnoreCase(known, name)) {
        Error(path, absl::StrCat("unknown operator; did you mean ", known,
                                 "? (names are case-sensitive)"));
        return;
      }
    }
    std::string guess = common::ClosestMatch(name, AllOperatorNames());
    if (!guess.empty()) {
      Error(path, absl::StrCat("unknown operator; did you mean ", guess, "?"));
      return;
    }
    Error(path,
          "unknown operator; operators are String*, Numeric*, Date*, Bool, "
          "IpAddress, NotIpAddress and Null, optionally with ...IfExists and "
          "ForAnyValue: or ForAllValues:");
  }

  static std::optional<ConditionValue> Scalar(const Json& v) {
    ConditionValue out;
    if (v.is_string()) {
      out.type = ConditionValue::Type::kString;
      out.text = v.get<std::string>();
    } else if (v.is_boolean()) {
      out.type = ConditionValue::Type::kBool;
      out.text = v.get<bool>() ? "true" : "false";
    } else if (v.is_number()) {
      out.type = ConditionValue::Type::kNumber;
      out.text = v.dump();
    } else {
      return std::nullopt;
    }
    return out;
  }

  bool ReadValues(const Json& v, const std::string& path, Condition* cond) {
    if (!v.is_array()) {
      std::optional<ConditionValue> s = Scalar(v);
      if (!s.has_value()) {
        Error(path, absl::StrCat("expected a string, number, boolean or an "
                                 "array of those, got ",
                                 JsonTypeWords(v)));
        return false;
      }
      cond->values.push_back(*std::move(s));
      return true;
    }
    cond->values_array = true;
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      std::optional<ConditionValue> s = Scalar(v[i]);
      if (!s.has_value()) {
        std::string p = path;
        AppendPathIndex(&p, i);
        Error(p, absl::StrCat("expected a string, number or boolean, got ",
                              JsonTypeWords(v[i])));
        ok = false;
        continue;
      }
      cond->values.push_back(*std::move(s));
    }
    return ok;
  }

  // Statements that are not objects, by index.
  const std::vector<bool>& broken() const { return broken_; }

 private:
  std::vector<ValidationError>* errors_;
  std::vector<bool> broken_;
};

// The statement an error belongs to (-1 for the document), for ordering
// errors as they appear in the document.
int StatementOf(const ValidationError& e) {
  if (e.line > 0) return -2;
  absl::string_view p = e.path;
  if (!absl::StartsWith(p, "Statement")) return -1;
  p.remove_prefix(9);
  if (!absl::StartsWith(p, "[")) return 0;
  p.remove_prefix(1);
  size_t end = p.find(']');
  int index = 0;
  if (end == absl::string_view::npos ||
      !absl::SimpleAtoi(p.substr(0, end), &index)) {
    return 0;
  }
  return index;
}

ParseResult Parse(absl::string_view name, absl::string_view json,
                  std::optional<PolicyKind> kind) {
  ParseResult result;
  result.kind = kind.value_or(PolicyKind::kAny);
  if (std::optional<ValidationError> e = CheckPolicySize(json.size())) {
    result.errors.push_back(*std::move(e));
    return result;
  }
  internal::StrictJson doc = internal::ParseStrictJson(json, kMaxJsonDepth);
  for (internal::JsonProblem& p : doc.problems) {
    result.errors.push_back(
        {std::move(p.path), p.line, p.column, std::move(p.message)});
  }
  if (!doc.value.has_value()) return result;
  Policy policy;
  policy.name = std::string(name);
  ShapeReader reader(&result.errors);
  reader.ReadPolicy(*doc.value, &policy);
  if (!kind.has_value()) {
    result.kind = PolicyKind::kPermission;
    for (const Statement& s : policy.statements) {
      if (s.attestors.has_value()) result.kind = PolicyKind::kTrust;
    }
  }
  std::vector<bool> skip = reader.broken();
  skip.resize(policy.statements.size());
  internal::CompilePolicy(policy, result.kind, &result.errors,
                          /*check_structure=*/false, &skip, &result.warnings);
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ValidationError& a, const ValidationError& b) {
                     return StatementOf(a) < StatementOf(b);
                   });
  if (result.errors.empty()) {
    result.policy = std::move(policy);
  } else {
    result.warnings.clear();
  }
  return result;
}

}  // namespace

std::optional<ValidationError> CheckPolicySize(size_t bytes) {
  if (bytes <= kMaxPolicyBytes) return std::nullopt;
  return ValidationError{
      "", 0, 0,
      absl::StrCat("document is ", bytes, " bytes, over the 10 KiB limit (",
                   kMaxPolicyBytes, " bytes); split it into several policies")};
}

ParseResult ParsePolicyDetailed(absl::string_view name, absl::string_view json,
                                PolicyKind kind) {
  return Parse(name, json, kind);
}

absl::StatusOr<Policy> ParsePolicy(absl::string_view name,
                                   absl::string_view json, PolicyKind kind) {
  ParseResult r = Parse(name, json, kind);
  if (!r.errors.empty()) {
    return absl::InvalidArgumentError(FormatErrors(name, r.errors));
  }
  return *std::move(r.policy);
}

ParseResult ValidatePolicyDocument(absl::string_view name,
                                   absl::string_view json) {
  return Parse(name, json, std::nullopt);
}

std::vector<ValidationError> CheckRequest(absl::string_view action,
                                          absl::string_view resource) {
  std::vector<ValidationError> errors;
  // A request names one action and one resource: no wildcards, no variables.
  const internal::Pattern::Options literal{/*wildcards=*/false,
                                           /*variables=*/false};
  std::vector<internal::VariableRef> none;
  if (action.empty()) {
    errors.push_back(
        {"action", 0, 0, "is empty; name an action such as secrets:Get"});
  } else if (absl::StatusOr<internal::Pattern> p =
                 internal::Pattern::Parse(action, literal, &none);
             !p.ok()) {
    errors.push_back({"action", 0, 0, std::string(p.status().message())});
  } else if (std::optional<std::string> msg =
                 internal::CheckActionKnown(*p, action)) {
    errors.push_back({"action", 0, 0, *std::move(msg)});
  }
  if (resource.empty()) {
    errors.push_back(
        {"resource", 0, 0, "is empty; name a resource such as secret/app/db"});
  } else if (absl::StatusOr<internal::Pattern> p =
                 internal::Pattern::Parse(resource, literal, &none);
             !p.ok()) {
    errors.push_back({"resource", 0, 0, std::string(p.status().message())});
  } else if (std::optional<std::string> msg = internal::CheckResourceKnown(
                 *p, resource, /*whole_name=*/true)) {
    errors.push_back({"resource", 0, 0, *std::move(msg)});
  }
  return errors;
}

}  // namespace policy
