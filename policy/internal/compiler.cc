#include "policy/internal/compiler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/closest_match.h"
#include "policy/internal/strict_json.h"

namespace policy::internal {
namespace {

// ---------------------------------------------------------------------------
// Context keys.

struct KnownKey {
  absl::string_view name;  // after "secretd:"
  bool numeric;
  bool date;
  bool ip;
  absl::string_view holds;
  absl::string_view use;
};

constexpr KnownKey kKnownKeys[] = {
    {"CurrentTime", false, true, false, "a date",
     "a Date operator such as DateLessThan"},
    {"EpochTime", true, true, false, "epoch seconds",
     "a Date or Numeric operator"},
    {"SourceIp", false, false, true, "an IP address",
     "IpAddress or NotIpAddress"},
    {"TokenAge", true, false, false, "a number of seconds",
     "a Numeric operator such as NumericLessThan"},
    {"Role", false, false, false, "a role name",
     "a String operator such as StringEquals"},
    {"Issuer", false, false, false, "an issuer",
     "a String operator such as StringEquals"},
};

constexpr absl::string_view kSecretdPrefix = "secretd:";

std::vector<std::string> KnownKeyNames() {
  std::vector<std::string> names;
  for (const KnownKey& k : kKnownKeys) {
    names.push_back(absl::StrCat(kSecretdPrefix, k.name));
  }
  return names;
}

// The closest candidate compared case-insensitively, or "".
std::string ClosestIgnoringCase(absl::string_view word,
                                const std::vector<std::string>& candidates) {
  std::vector<std::string> lowered;
  lowered.reserve(candidates.size());
  for (const std::string& c : candidates) lowered.push_back(LowerAscii(c));
  std::string best = common::ClosestMatch(LowerAscii(word), lowered);
  if (best.empty()) return "";
  for (size_t i = 0; i < lowered.size(); ++i) {
    if (lowered[i] == best) return candidates[i];
  }
  return "";
}

// Checks a condition or variable key. On success sets *known to the secretd
// key it names (or nullptr for claim:...).
std::optional<std::string> CheckContextKey(absl::string_view key,
                                           const KnownKey** known) {
  *known = nullptr;
  if (key.size() >= kClaimPrefix.size() &&
      absl::EqualsIgnoreCase(key.substr(0, kClaimPrefix.size()),
                             kClaimPrefix)) {
    if (key.size() == kClaimPrefix.size()) {
      return std::string(
          "names no claim; write claim:<name>, e.g. claim:sub or "
          "claim:tags/team");
    }
    return std::nullopt;
  }
  if (key.size() >= kSecretdPrefix.size() &&
      absl::EqualsIgnoreCase(key.substr(0, kSecretdPrefix.size()),
                             kSecretdPrefix)) {
    absl::string_view rest = key.substr(kSecretdPrefix.size());
    for (const KnownKey& k : kKnownKeys) {
      if (absl::EqualsIgnoreCase(rest, k.name)) {
        *known = &k;
        return std::nullopt;
      }
    }
    std::string guess = ClosestIgnoringCase(key, KnownKeyNames());
    std::string msg = absl::StrCat("unknown context key \"", key, "\"");
    if (!guess.empty()) {
      absl::StrAppend(&msg, "; did you mean ", guess, "?");
    } else {
      absl::StrAppend(&msg,
                      "; secretd sets CurrentTime, EpochTime, SourceIp, "
                      "TokenAge, Role and Issuer");
    }
    return msg;
  }
  // Another prefix: suggest the secretd key of the same name, else a claim.
  size_t colon = key.find(':');
  absl::string_view rest =
      colon == absl::string_view::npos ? key : key.substr(colon + 1);
  std::string guess;
  for (const KnownKey& k : kKnownKeys) {
    if (absl::EqualsIgnoreCase(rest, k.name)) {
      guess = absl::StrCat(kSecretdPrefix, k.name);
    }
  }
  if (guess.empty() && !rest.empty()) guess = absl::StrCat(kClaimPrefix, rest);
  std::string msg = absl::StrCat(
      "unknown context key \"", key,
      "\"; keys are claim:<name> (token claims) or secretd:<name>");
  if (!guess.empty()) absl::StrAppend(&msg, "; did you mean ", guess, "?");
  return msg;
}

// Whether an operator family can ever match a secretd key; the error if not.
std::optional<std::string> CheckKeyType(const KnownKey& k,
                                        OperatorFamily family) {
  bool ok = true;
  switch (family) {
    case OperatorFamily::kNumeric:
      ok = k.numeric;
      break;
    case OperatorFamily::kDate:
      ok = k.date;
      break;
    case OperatorFamily::kIp:
      ok = k.ip;
      break;
    case OperatorFamily::kBool:
      ok = false;
      break;
    case OperatorFamily::kString:
    case OperatorFamily::kNull:
      ok = true;
      break;
  }
  if (ok) return std::nullopt;
  return absl::StrCat("secretd:", k.name, " holds ", k.holds,
                      ", which this operator never matches; use ", k.use);
}

// ---------------------------------------------------------------------------
// Errors with paths.

class Errors {
 public:
  explicit Errors(std::vector<ValidationError>* out) : out_(out) {}
  void Add(std::string path, std::string message) {
    out_->push_back({std::move(path), 0, 0, std::move(message)});
    ++count_;
  }
  int count() const { return count_; }

 private:
  std::vector<ValidationError>* out_;
  int count_ = 0;
};

std::string ItemPath(const std::string& base, bool array, size_t index) {
  std::string p = base;
  if (array) AppendPathIndex(&p, index);
  return p;
}

bool IsAlnum(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Parses a pattern whose variables must name valid context keys.
std::optional<Pattern> ParseChecked(absl::string_view text,
                                    Pattern::Options options,
                                    std::vector<VariableRef>* vars,
                                    const std::string& path, Errors* errors) {
  const size_t before = vars->size();
  absl::StatusOr<Pattern> p = Pattern::Parse(text, options, vars);
  if (!p.ok()) {
    errors->Add(path, std::string(p.status().message()));
    return std::nullopt;
  }
  bool ok = true;
  for (size_t i = before; i < vars->size(); ++i) {
    const KnownKey* known;
    if (auto err = CheckContextKey((*vars)[i].key, &known)) {
      errors->Add(path,
                  absl::StrCat("variable ${", (*vars)[i].key, "}: ", *err));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return *std::move(p);
}

// ---------------------------------------------------------------------------
// Compiling.

// Whether a literal prefix can begin a name under `resource_prefix`.
bool PrefixCompatible(absl::string_view literal, absl::string_view prefix) {
  return absl::StartsWith(prefix, literal) || absl::StartsWith(literal, prefix);
}

const std::vector<std::string>& ActionNames() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      std::string(kAssumeRoleAction), std::string(kGetSecretAction)};
  return *names;
}

}  // namespace

std::optional<std::string> CheckActionKnown(const Pattern& p,
                                            absl::string_view text) {
  if (p.Matches(kAssumeRoleAction, nullptr, true) ||
      p.Matches(kGetSecretAction, nullptr, true)) {
    return std::nullopt;
  }
  std::string msg = absl::StrCat(Quote(text), " matches no secretd action");
  std::string guess = ClosestIgnoringCase(text, ActionNames());
  if (!guess.empty()) {
    absl::StrAppend(&msg, "; did you mean ", guess, "?");
  } else {
    absl::StrAppend(&msg, "; the actions are ", kAssumeRoleAction, " and ",
                    kGetSecretAction);
  }
  return msg;
}

std::optional<std::string> CheckResourceKnown(const Pattern& p,
                                              absl::string_view text,
                                              bool whole_name) {
  absl::string_view literal = p.literal_prefix();
  const bool known = whole_name
                         ? absl::StartsWith(literal, kRoleResourcePrefix) ||
                               absl::StartsWith(literal, kSecretResourcePrefix)
                         : PrefixCompatible(literal, kRoleResourcePrefix) ||
                               PrefixCompatible(literal, kSecretResourcePrefix);
  if (known) return std::nullopt;
  std::string msg =
      absl::StrCat(Quote(text),
                   " names no secretd resource; resources are role/<name> and "
                   "secret/<name>");
  size_t slash = text.find('/');
  absl::string_view head =
      slash == absl::string_view::npos ? text : text.substr(0, slash);
  std::string guess = ClosestIgnoringCase(head, {"role", "secret"});
  if (!guess.empty() && slash != absl::string_view::npos) {
    absl::StrAppend(&msg, "; did you mean ", guess, text.substr(slash), "?");
  }
  return msg;
}

namespace {

void CompileActions(const Statement& s, const std::string& spath,
                    PolicyKind kind, CompiledStatement* out, Errors* errors) {
  const std::string base =
      absl::StrCat(spath, s.not_action ? ".NotAction" : ".Action");
  std::vector<VariableRef> none;
  for (size_t j = 0; j < s.actions.size(); ++j) {
    const std::string& a = s.actions[j];
    const std::string path = ItemPath(base, s.actions_array, j);
    if (a.empty()) {
      errors->Add(path, "is empty; name an action such as secrets:Get");
      continue;
    }
    absl::StatusOr<Pattern> p =
        Pattern::Parse(a, {/*wildcards=*/true, /*variables=*/false}, &none);
    if (!p.ok()) {
      errors->Add(path, std::string(p.status().message()));
      continue;
    }
    const bool assume = p->Matches(kAssumeRoleAction, nullptr, true);
    const bool get = p->Matches(kGetSecretAction, nullptr, true);
    if (std::optional<std::string> msg = CheckActionKnown(*p, a)) {
      errors->Add(path, *std::move(msg));
      continue;
    }
    if (!s.not_action && kind == PolicyKind::kTrust && !assume) {
      errors->Add(path,
                  absl::StrCat(Quote(a), " does not cover ", kAssumeRoleAction,
                               ", the only action a trust policy "
                               "governs"));
      continue;
    }
    if (!s.not_action && kind == PolicyKind::kPermission && !get) {
      errors->Add(path,
                  absl::StrCat(Quote(a), " does not cover ", kGetSecretAction,
                               ", the only action a permission policy "
                               "governs"));
      continue;
    }
    out->actions.push_back(*std::move(p));
  }
}

void CompileResources(const Policy& policy, const Statement& s,
                      const std::string& spath, PolicyKind kind,
                      CompiledStatement* out, Errors* errors) {
  if (!s.has_resource) {
    if (kind == PolicyKind::kPermission) {
      errors->Add(spath,
                  "missing Resource; add \"Resource\": \"secret/<name>\" "
                  "(wildcards allowed)");
    }
    return;
  }
  const std::string base =
      absl::StrCat(spath, s.not_resource ? ".NotResource" : ".Resource");
  const Pattern::Options options{
      /*wildcards=*/true,
      /*variables=*/policy.version == Version::k2012_10_17};
  for (size_t j = 0; j < s.resources.size(); ++j) {
    const std::string& r = s.resources[j];
    const std::string path = ItemPath(base, s.resources_array, j);
    if (r.empty()) {
      errors->Add(path, "is empty; name a resource such as secret/app/*");
      continue;
    }
    std::optional<Pattern> p =
        ParseChecked(r, options, &out->resource_variables, path, errors);
    if (!p.has_value()) continue;
    absl::string_view literal = p->literal_prefix();
    const bool role = PrefixCompatible(literal, kRoleResourcePrefix);
    const bool secret = PrefixCompatible(literal, kSecretResourcePrefix);
    if (std::optional<std::string> msg =
            CheckResourceKnown(*p, r, /*whole_name=*/false)) {
      errors->Add(path, *std::move(msg));
      continue;
    }
    if (!s.not_resource && kind == PolicyKind::kTrust && !role) {
      errors->Add(path, absl::StrCat(Quote(r),
                                     " can never name a role; a trust policy "
                                     "governs role/<name>"));
      continue;
    }
    if (!s.not_resource && kind == PolicyKind::kPermission && !secret) {
      errors->Add(path, absl::StrCat(Quote(r),
                                     " can never name a secret; a permission "
                                     "policy governs secret/<name>"));
      continue;
    }
    out->resources.push_back(*std::move(p));
  }
  if (out->resource_variables.size() > static_cast<size_t>(kMaxVariables)) {
    errors->Add(base, absl::StrCat("uses more than ", kMaxVariables,
                                   " variables; split the statement"));
  }
}

void CompilePrincipal(const Statement& s, const std::string& spath,
                      PolicyKind kind, CompiledStatement* out, Errors* errors) {
  if (!s.attestors.has_value()) {
    if (kind == PolicyKind::kTrust) {
      errors->Add(spath,
                  "missing Principal; a trust policy statement names the "
                  "attestors it trusts, e.g. \"Principal\": {\"Attestor\": "
                  "\"*\"}");
    }
    return;
  }
  if (kind == PolicyKind::kPermission) {
    errors->Add(absl::StrCat(spath, ".Principal"),
                "permission policies have no Principal; remove it (the "
                "role's trust policy decides who may assume it)");
    return;
  }
  out->has_principal = true;
  const std::string base = absl::StrCat(spath, ".Principal.Attestor");
  for (size_t j = 0; j < s.attestors->size(); ++j) {
    const std::string& a = (*s.attestors)[j];
    const std::string path = ItemPath(base, s.attestors_array, j);
    if (a.empty()) {
      errors->Add(path, "is empty; name a trusted issuer, or \"*\" for any");
    } else if (a == "*") {
      out->any_attestor = true;
    } else if (a.find_first_of("*?") != std::string::npos) {
      errors->Add(path, absl::StrCat(Quote(a),
                                     " has a wildcard; only \"*\" alone (any "
                                     "trusted issuer) is allowed"));
    } else {
      out->attestors.push_back(a);
    }
  }
}

const char* TypeWords(ConditionValue::Type t) {
  switch (t) {
    case ConditionValue::Type::kBool:
      return "a boolean";
    case ConditionValue::Type::kNumber:
      return "a number";
    case ConditionValue::Type::kString:
      break;
  }
  return "a string";
}

std::string NoVariablesHint(const ConditionValue& v, bool variables_on) {
  if (variables_on && absl::StrContains(v.text, "${")) {
    return " (this operator takes no policy variables)";
  }
  return "";
}

void CompileCondition(const Policy& policy, const Condition& c,
                      const std::string& key_path, CompiledCondition* out,
                      Errors* errors) {
  out->source = &c;
  out->op = c.parsed.op;
  out->family = FamilyOf(c.parsed.op);
  out->qualifier = c.parsed.qualifier;
  out->if_exists = c.parsed.if_exists;
  out->negated = IsNegated(c.parsed.op);
  out->key_lower = LowerAscii(c.key);
  out->hash = KeyHash(c.key);
  const KnownKey* known = nullptr;
  if (auto err = CheckContextKey(c.key, &known)) {
    errors->Add(key_path, *err);
  } else if (known != nullptr) {
    if (auto type_err = CheckKeyType(*known, out->family)) {
      errors->Add(key_path, *type_err);
    }
  }
  if (c.values.empty()) {
    errors->Add(key_path, "has no values; give at least one");
    return;
  }
  const bool variables_on = policy.version == Version::k2012_10_17;
  for (size_t k = 0; k < c.values.size(); ++k) {
    const ConditionValue& v = c.values[k];
    const std::string path = ItemPath(key_path, c.values_array, k);
    switch (out->family) {
      case OperatorFamily::kString: {
        const bool like = c.parsed.op == Operator::kStringLike ||
                          c.parsed.op == Operator::kStringNotLike;
        std::optional<Pattern> p = ParseChecked(v.text, {like, variables_on},
                                                &out->variables, path, errors);
        if (p.has_value()) out->strings.push_back(*std::move(p));
        break;
      }
      case OperatorFamily::kNumeric: {
        std::optional<Decimal> d;
        if (v.type != ConditionValue::Type::kBool) d = ParseDecimal(v.text);
        if (!d.has_value()) {
          errors->Add(path,
                      v.type == ConditionValue::Type::kBool
                          ? "expected a number, got a boolean"
                          : absl::StrCat(Quote(v.text),
                                         " is not a number; write a decimal "
                                         "such as 10 or 2.5",
                                         NoVariablesHint(v, variables_on)));
          break;
        }
        out->numbers.push_back(*d);
        break;
      }
      case OperatorFamily::kDate: {
        std::optional<Instant> t;
        if (v.type == ConditionValue::Type::kString) {
          t = ParseInstant(v.text);
        } else if (v.type == ConditionValue::Type::kNumber) {
          if (auto d = ParseDecimal(v.text)) t = InstantFromDecimal(*d);
        }
        if (!t.has_value()) {
          errors->Add(path,
                      v.type == ConditionValue::Type::kBool
                          ? "expected a date, got a boolean"
                          : absl::StrCat(Quote(v.text),
                                         " is not a date; write ISO 8601 such "
                                         "as 2024-06-01T10:15:00Z, or epoch "
                                         "seconds",
                                         NoVariablesHint(v, variables_on)));
          break;
        }
        out->dates.push_back(*t);
        break;
      }
      case OperatorFamily::kBool: {
        if (v.type == ConditionValue::Type::kNumber) {
          errors->Add(path, "expected true or false, got a number");
          break;
        }
        std::optional<Pattern> p = ParseChecked(v.text, {false, variables_on},
                                                &out->variables, path, errors);
        if (!p.has_value()) break;
        if (p->has_variables()) {
          out->bools.push_back(-1);
        } else if (auto b = ParseBool(v.text)) {
          out->bools.push_back(*b ? 1 : 0);
        } else {
          errors->Add(path, absl::StrCat("expected true or false, got ",
                                         Quote(v.text)));
          break;
        }
        out->strings.push_back(*std::move(p));
        break;
      }
      case OperatorFamily::kIp: {
        std::optional<IpRange> r;
        if (v.type == ConditionValue::Type::kString) r = ParseIpRange(v.text);
        if (!r.has_value()) {
          errors->Add(
              path,
              v.type != ConditionValue::Type::kString
                  ? absl::StrCat("expected an IP address or CIDR block in a "
                                 "string, got ",
                                 TypeWords(v.type))
                  : absl::StrCat(Quote(v.text),
                                 " is not an IPv4 or IPv6 address or CIDR "
                                 "block such as 203.0.113.0/24",
                                 NoVariablesHint(v, variables_on)));
          break;
        }
        out->ips.push_back(*r);
        break;
      }
      case OperatorFamily::kNull: {
        std::optional<bool> b;
        if (v.type != ConditionValue::Type::kNumber) b = ParseBool(v.text);
        if (!b.has_value()) {
          errors->Add(path,
                      absl::StrCat("expected true (key absent) or false (key "
                                   "present), got ",
                                   v.type == ConditionValue::Type::kNumber
                                       ? std::string("a number")
                                       : Quote(v.text)));
          break;
        }
        out->bools.push_back(*b ? 1 : 0);
        break;
      }
    }
  }
  if (out->variables.size() > static_cast<size_t>(kMaxVariables)) {
    errors->Add(key_path, absl::StrCat("uses more than ", kMaxVariables,
                                       " variables; split the condition"));
  }
}

void CompileConditions(const Policy& policy, const Statement& s,
                       const std::string& spath, CompiledStatement* out,
                       Errors* errors) {
  for (size_t i = 0; i < s.conditions.size(); ++i) {
    const Condition& c = s.conditions[i];
    std::string path = absl::StrCat(spath, ".Condition");
    AppendPathKey(&path, c.operator_name);
    AppendPathKey(&path, c.key);
    // Keys that differ only in case are the same key (IAM).
    for (size_t j = 0; j < i; ++j) {
      const Condition& o = s.conditions[j];
      if (o.operator_name == c.operator_name && o.key != c.key &&
          absl::EqualsIgnoreCase(o.key, c.key)) {
        errors->Add(path, absl::StrCat("same key as ", o.key,
                                       " (keys are case-insensitive); merge "
                                       "their values"));
      }
    }
    CompiledCondition cc;
    CompileCondition(policy, c, path, &cc, errors);
    out->conditions.push_back(std::move(cc));
  }
}

// ---------------------------------------------------------------------------
// Evaluating.

enum class CondResult { kTrue, kFalse, kFalseMissingKey, kUnresolved };

// Resolves `vars` against the context into `out`. On failure returns false
// and sets *missing to the key of the first variable without a value.
bool Resolve(const std::vector<VariableRef>& vars, const Context* ctx,
             absl::string_view* out, absl::string_view* missing) {
  for (size_t i = 0; i < vars.size(); ++i) {
    const VariableRef& v = vars[i];
    const Context::Entry* e =
        ctx == nullptr ? nullptr : ctx->FindLower(v.key_lower, v.hash);
    // A multivalued key cannot be a variable (IAM); it takes the default.
    if (e != nullptr && e->values.size() == 1) {
      out[i] = e->values[0].text;
    } else if (v.default_value.has_value()) {
      out[i] = *v.default_value;
    } else {
      *missing = v.key;
      return false;
    }
  }
  return true;
}

int Cmp(const Decimal& a, const Decimal& b) { return CompareDecimal(a, b); }
int Cmp(const Instant& a, const Instant& b) { return CompareInstant(a, b); }

// Whether comparison result `c` (request value vs policy value) satisfies
// the ordered operator; equality for the (Not)Equals operators.
bool OrderOk(Operator op, int c) {
  switch (op) {
    case Operator::kNumericLessThan:
    case Operator::kDateLessThan:
      return c < 0;
    case Operator::kNumericLessThanEquals:
    case Operator::kDateLessThanEquals:
      return c <= 0;
    case Operator::kNumericGreaterThan:
    case Operator::kDateGreaterThan:
      return c > 0;
    case Operator::kNumericGreaterThanEquals:
    case Operator::kDateGreaterThanEquals:
      return c >= 0;
    default:
      return c == 0;
  }
}

// Whether the request value can be compared by this operator family.
bool Comparable(const CompiledCondition& c, const Context::Value& v) {
  switch (c.family) {
    case OperatorFamily::kNumeric:
      return v.number.has_value();
    case OperatorFamily::kDate:
      return v.date.has_value();
    case OperatorFamily::kBool:
      return v.boolean.has_value();
    case OperatorFamily::kIp:
      return v.ip.has_value();
    default:
      return true;
  }
}

// Whether some request value of the condition's key cannot be compared by its
// operator family.
bool HasIncomparableValue(const CompiledCondition& c, const Context* ctx) {
  const Context::Entry* e =
      ctx == nullptr ? nullptr : ctx->FindLower(c.key_lower, c.hash);
  if (e == nullptr) return false;
  for (const Context::Value& v : e->values) {
    if (!Comparable(c, v)) return true;
  }
  return false;
}

// Whether any policy value matches request value `v` under the positive form
// of the operator (StringEquals for StringNotEquals, ...). `v` is Comparable.
bool AnyPolicyValueMatches(const CompiledCondition& c, const Context::Value& v,
                           const absl::string_view* resolved) {
  switch (c.family) {
    case OperatorFamily::kString: {
      const bool like =
          c.op == Operator::kStringLike || c.op == Operator::kStringNotLike;
      const bool icase = c.op == Operator::kStringEqualsIgnoreCase ||
                         c.op == Operator::kStringNotEqualsIgnoreCase;
      for (const Pattern& p : c.strings) {
        if (like ? p.Matches(v.text, resolved, false)
                 : p.Equals(v.text, resolved, icase)) {
          return true;
        }
      }
      return false;
    }
    case OperatorFamily::kNumeric:
      for (const Decimal& d : c.numbers) {
        if (OrderOk(c.op, Cmp(*v.number, d))) return true;
      }
      return false;
    case OperatorFamily::kDate:
      for (const Instant& t : c.dates) {
        if (OrderOk(c.op, Cmp(*v.date, t))) return true;
      }
      return false;
    case OperatorFamily::kBool:
      for (size_t i = 0; i < c.bools.size(); ++i) {
        int b = c.bools[i];
        if (b < 0) {
          if (c.strings[i].Equals("true", resolved, true)) {
            b = 1;
          } else if (c.strings[i].Equals("false", resolved, true)) {
            b = 0;
          } else {
            continue;  // a variable that is not a boolean matches nothing
          }
        }
        if ((b == 1) == *v.boolean) return true;
      }
      return false;
    case OperatorFamily::kIp:
      for (const IpRange& r : c.ips) {
        if (r.Contains(*v.ip)) return true;
      }
      return false;
    case OperatorFamily::kNull:
      break;
  }
  return false;
}

CondResult EvaluatePresent(const CompiledCondition& c, const Context::Entry& e,
                           const absl::string_view* resolved);

CondResult EvaluateCondition(const CompiledCondition& c, const Context* ctx,
                             absl::string_view* unresolved) {
  const Context::Entry* e =
      ctx == nullptr ? nullptr : ctx->FindLower(c.key_lower, c.hash);
  const bool present = e != nullptr && !e->values.empty();
  if (c.family == OperatorFamily::kNull) {
    // "true": the key must be absent; "false": present. Values OR.
    for (int8_t b : c.bools) {
      if ((b == 1) != present) return CondResult::kTrue;
    }
    return present ? CondResult::kFalse : CondResult::kFalseMissingKey;
  }
  if (!present) {
    if (c.if_exists) return CondResult::kTrue;
    switch (c.qualifier) {
      case SetQualifier::kForAllValues:
        return CondResult::kTrue;
      case SetQualifier::kForAnyValue:
        return CondResult::kFalseMissingKey;
      case SetQualifier::kNone:
        return c.negated ? CondResult::kTrue : CondResult::kFalseMissingKey;
    }
  }
  if (c.variables.empty()) return EvaluatePresent(c, *e, nullptr);
  absl::string_view resolved[kMaxVariables];
  if (!Resolve(c.variables, ctx, resolved, unresolved)) {
    return CondResult::kUnresolved;
  }
  return EvaluatePresent(c, *e, resolved);
}

// A condition whose key is present, its variables resolved.
CondResult EvaluatePresent(const CompiledCondition& c, const Context::Entry& e,
                           const absl::string_view* resolved) {
  // Per request value: comparable, and matched by some policy value.
  bool any_comparable = false, any_match = false, any_non_match = false;
  bool all_match = true, all_non_match = true;
  for (const Context::Value& v : e.values) {
    if (!Comparable(c, v)) {
      all_match = all_non_match = false;
      continue;
    }
    any_comparable = true;
    if (AnyPolicyValueMatches(c, v, resolved)) {
      any_match = true;
      all_non_match = false;
    } else {
      any_non_match = true;
      all_match = false;
    }
  }
  bool result = false;
  switch (c.qualifier) {
    case SetQualifier::kNone:
      // Values OR; a negated operator's values NOR (IAM). A multivalued key
      // without a qualifier: some value matches / no value matches.
      result = c.negated ? (any_comparable && !any_match) : any_match;
      break;
    case SetQualifier::kForAnyValue:
      result = c.negated ? any_non_match : any_match;
      break;
    case SetQualifier::kForAllValues:
      result = c.negated ? all_non_match : all_match;
      break;
  }
  return result ? CondResult::kTrue : CondResult::kFalse;
}

bool ActionMatches(const CompiledStatement& s, absl::string_view action) {
  bool any = false;
  for (const Pattern& p : s.actions) {
    if (p.Matches(action, nullptr, /*ignore_case=*/true)) {
      any = true;
      break;
    }
  }
  return any != s.not_action;
}

bool PrincipalMatches(const CompiledStatement& s, absl::string_view issuer) {
  if (!s.has_principal) return true;
  if (issuer.empty()) return false;
  if (s.any_attestor) return true;
  for (const std::string& a : s.attestors) {
    if (a == issuer) return true;
  }
  return false;
}

enum class ResourceResult { kMatch, kNoMatch, kUnresolved };

ResourceResult ResourceMatches(const CompiledStatement& s,
                               absl::string_view resource, const Context* ctx,
                               absl::string_view* unresolved) {
  if (!s.has_resource) return ResourceResult::kMatch;
  bool any = false;
  if (s.resource_variables.empty()) {
    for (const Pattern& p : s.resources) {
      if (p.Matches(resource, nullptr, /*ignore_case=*/false)) {
        any = true;
        break;
      }
    }
  } else {
    absl::string_view resolved[kMaxVariables];
    if (!Resolve(s.resource_variables, ctx, resolved, unresolved)) {
      return ResourceResult::kUnresolved;
    }
    for (const Pattern& p : s.resources) {
      if (p.Matches(resource, resolved, /*ignore_case=*/false)) {
        any = true;
        break;
      }
    }
  }
  return any != s.not_resource ? ResourceResult::kMatch
                               : ResourceResult::kNoMatch;
}

}  // namespace

std::vector<CompiledStatement> CompilePolicy(
    const Policy& policy, PolicyKind kind, std::vector<ValidationError>* errors,
    bool check_structure, const std::vector<bool>* skip,
    std::vector<ValidationError>* warnings) {
  Errors errs(errors);
  std::vector<CompiledStatement> out;
  out.reserve(policy.statements.size());
  for (size_t i = 0; i < policy.statements.size(); ++i) {
    if (skip != nullptr && i < skip->size() && (*skip)[i]) continue;
    const Statement& s = policy.statements[i];
    const std::string spath = StatementPath(policy, i);
    if (s.sid.has_value()) {
      const std::string path = absl::StrCat(spath, ".Sid");
      if (s.sid->empty()) {
        errors->push_back({path, 0, 0,
                           "is empty; name the statement with letters and "
                           "digits, or remove Sid"});
      } else if (!IsAlnum(*s.sid)) {
        errors->push_back({path, 0, 0,
                           absl::StrCat(Quote(*s.sid),
                                        " may hold only letters and digits "
                                        "(A-Z, a-z, 0-9)")});
      }
      for (size_t j = 0; j < i; ++j) {
        if (policy.statements[j].sid == s.sid) {
          errors->push_back(
              {path, 0, 0,
               absl::StrCat("duplicate Sid ", Quote(*s.sid), " (also ",
                            StatementPath(policy, j),
                            "); Sids must be unique within a policy")});
          break;
        }
      }
    }
    CompiledStatement cs;
    cs.policy = &policy;
    cs.index = i;
    cs.source = &s;
    cs.effect = s.effect;
    cs.not_action = s.not_action;
    cs.has_resource = s.has_resource;
    cs.not_resource = s.not_resource;
    if (check_structure && s.actions.empty()) {
      errs.Add(spath, "has no actions; name secretd:AssumeRole or secrets:Get");
    }
    CompileActions(s, spath, kind, &cs, &errs);
    CompilePrincipal(s, spath, kind, &cs, &errs);
    CompileResources(policy, s, spath, kind, &cs, &errs);
    CompileConditions(policy, s, spath, &cs, &errs);
    if (warnings != nullptr) DenyWarnings(cs, warnings);
    out.push_back(std::move(cs));
  }
  return out;
}

void DenyWarnings(const CompiledStatement& s,
                  std::vector<ValidationError>* warnings) {
  if (s.effect != Effect::kDeny) return;
  const std::string spath = StatementPath(*s.policy, s.index);
  // One warning per variable key without a default, in order.
  auto unresolvable = [&](const std::vector<VariableRef>& vars,
                          const std::string& path) {
    std::vector<absl::string_view> seen;
    for (const VariableRef& v : vars) {
      if (v.default_value.has_value()) continue;
      if (std::find(seen.begin(), seen.end(), v.key_lower) != seen.end()) {
        continue;
      }
      seen.push_back(v.key_lower);
      warnings->push_back(
          {path, 0, 0,
           absl::StrCat("this Deny is skipped when ", v.key,
                        " is absent or has several values; give the variable "
                        "a default, e.g. ${",
                        v.key, ", ''}, or guard it with a Null condition")});
    }
  };
  unresolvable(
      s.resource_variables,
      absl::StrCat(spath, s.not_resource ? ".NotResource" : ".Resource"));
  for (const CompiledCondition& c : s.conditions) {
    std::string path = absl::StrCat(spath, ".Condition");
    AppendPathKey(&path, c.source->operator_name);
    AppendPathKey(&path, c.source->key);
    unresolvable(c.variables, path);
    const bool claim =
        c.source->key.size() > kClaimPrefix.size() &&
        absl::EqualsIgnoreCase(c.source->key.substr(0, kClaimPrefix.size()),
                               kClaimPrefix);
    if (!claim || !c.negated) continue;
    absl::string_view type, positive;
    switch (c.op) {
      case Operator::kNumericNotEquals:
        type = "a number";
        positive = "NumericEquals";
        break;
      case Operator::kDateNotEquals:
        type = "a date";
        positive = "DateEquals";
        break;
      case Operator::kNotIpAddress:
        type = "an IP address";
        positive = "IpAddress";
        break;
      default:
        continue;  // String operators compare any value as text
    }
    warnings->push_back(
        {path, 0, 0,
         absl::StrCat("this Deny is skipped when ", c.source->key,
                      " holds a value that is not ", type,
                      " (a value of the wrong type satisfies neither ",
                      OperatorName(c.op),
                      " nor its negation); state the requirement in the "
                      "Allow statements instead, where ",
                      positive, " fails closed")});
  }
}

bool StatementApplies(const CompiledStatement& s, const Request& request) {
  if (!ActionMatches(s, request.action)) return false;
  if (!PrincipalMatches(s, request.issuer)) return false;
  absl::string_view unresolved;
  if (ResourceMatches(s, request.resource, request.context, &unresolved) !=
      ResourceResult::kMatch) {
    return false;
  }
  for (const CompiledCondition& c : s.conditions) {
    if (EvaluateCondition(c, request.context, &unresolved) !=
        CondResult::kTrue) {
      return false;
    }
  }
  return true;
}

StatementTrace TraceStatement(const CompiledStatement& s,
                              const Request& request) {
  using Result = StatementTrace::Result;
  StatementTrace t;
  if (!ActionMatches(s, request.action)) {
    t.result = Result::kActionDoesNotMatch;
    return t;
  }
  if (!PrincipalMatches(s, request.issuer)) {
    t.result = Result::kPrincipalDoesNotMatch;
    return t;
  }
  bool definite_failure = false;
  absl::InlinedVector<absl::string_view, 4> missing;
  auto add_missing = [&missing](absl::string_view key) {
    for (absl::string_view k : missing) {
      if (absl::EqualsIgnoreCase(k, key)) return;
    }
    missing.push_back(key);
  };
  absl::string_view unresolved;
  switch (ResourceMatches(s, request.resource, request.context, &unresolved)) {
    case ResourceResult::kMatch:
      break;
    case ResourceResult::kNoMatch:
      t.result = Result::kResourceDoesNotMatch;
      return t;
    case ResourceResult::kUnresolved:
      t.result = Result::kVariableHasNoValue;
      t.unresolved_variable = unresolved;
      add_missing(unresolved);
      break;
  }
  for (size_t i = 0; i < s.conditions.size(); ++i) {
    const CompiledCondition& c = s.conditions[i];
    absl::string_view cond_unresolved;
    CondResult r = EvaluateCondition(c, request.context, &cond_unresolved);
    if (r == CondResult::kTrue) continue;
    if (t.result == Result::kApplies) {
      t.failed_condition = static_cast<int>(i);
      if (r == CondResult::kUnresolved) {
        t.result = Result::kVariableHasNoValue;
        t.unresolved_variable = cond_unresolved;
      } else {
        t.result = Result::kConditionFailed;
        t.failed_for_missing_key = r == CondResult::kFalseMissingKey;
        t.failed_for_type_mismatch =
            r == CondResult::kFalse && HasIncomparableValue(c, request.context);
      }
    }
    switch (r) {
      case CondResult::kFalseMissingKey:
        add_missing(c.source->key);
        break;
      case CondResult::kUnresolved:
        add_missing(cond_unresolved);
        break;
      default:
        definite_failure = true;
    }
  }
  if (t.result != Result::kApplies && !definite_failure) {
    t.missing_keys = std::move(missing);
  }
  return t;
}

}  // namespace policy::internal
