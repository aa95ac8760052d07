#include "policy/context.h"

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "policy/internal/pattern.h"
#include "policy/internal/strict_json.h"

namespace policy {
namespace {

using Json = nlohmann::json;
using internal::Decimal;
using internal::Instant;
using internal::JsonTypeWords;

Context::Value StringValue(absl::string_view text) {
  Context::Value v;
  v.type = Context::Value::Type::kString;
  v.text = std::string(text);
  v.number = internal::ParseDecimal(text);
  v.date = internal::ParseInstant(text);
  v.boolean = internal::ParseBool(text);
  std::optional<internal::IpRange> ip = internal::ParseIpRange(text);
  if (ip.has_value() && ip->prefix == (ip->v6 ? 128 : 32) &&
      text.find('/') == absl::string_view::npos) {
    v.ip = ip;
  }
  return v;
}

Context::Value NumberValue(std::string text, const Decimal& d) {
  Context::Value v;
  v.type = Context::Value::Type::kNumber;
  v.text = std::move(text);
  v.number = d;
  v.date = internal::InstantFromDecimal(d);
  return v;
}

Context::Value BoolValue(bool b) {
  Context::Value v;
  v.type = Context::Value::Type::kBool;
  v.text = b ? "true" : "false";
  v.boolean = b;
  return v;
}

std::optional<Context::Value> ScalarValue(const Json& v) {
  if (v.is_string()) return StringValue(v.get_ref<const std::string&>());
  if (v.is_boolean()) return BoolValue(v.get<bool>());
  if (v.is_number()) {
    std::string text = v.dump();
    std::optional<Decimal> d = internal::ParseDecimal(text);
    if (!d.has_value()) return std::nullopt;  // e.g. more than 40 digits
    return NumberValue(std::move(text), *d);
  }
  return std::nullopt;
}

Json ValueToJson(const Context::Value& v) {
  switch (v.type) {
    case Context::Value::Type::kBool:
      return *v.boolean;
    case Context::Value::Type::kNumber: {
      Json n = Json::parse(v.text, nullptr, false);
      if (!n.is_discarded()) return n;
      break;
    }
    case Context::Value::Type::kString:
      break;
  }
  return v.text;
}

}  // namespace

Context::Entry& Context::EntryFor(absl::string_view key) {
  const std::string lower = internal::LowerAscii(key);
  const uint64_t hash = internal::KeyHash(key);
  if (const Entry* e = FindLower(lower, hash)) {
    return entries_[e - entries_.data()];
  }
  Entry e;
  e.key = std::string(key);
  e.key_lower = lower;
  e.hash = hash;
  entries_.push_back(std::move(e));
  if (entries_.size() * 2 > slots_.size()) {
    Rehash();
  } else {
    size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i] != -1) i = (i + 1) & mask;
    slots_[i] = static_cast<int32_t>(entries_.size() - 1);
  }
  return entries_.back();
}

void Context::Rehash() {
  size_t n = 16;
  while (n < entries_.size() * 2) n *= 2;
  slots_.assign(n, -1);
  const size_t mask = n - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    size_t i = entries_[e].hash & mask;
    while (slots_[i] != -1) i = (i + 1) & mask;
    slots_[i] = static_cast<int32_t>(e);
  }
}

const Context::Entry* Context::FindLower(absl::string_view key_lower,
                                         uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask; slots_[i] != -1; i = (i + 1) & mask) {
    const Entry& e = entries_[slots_[i]];
    if (e.hash == hash && e.key_lower == key_lower) return &e;
  }
  return nullptr;
}

const Context::Entry* Context::Find(absl::string_view key) const {
  return FindLower(internal::LowerAscii(key), internal::KeyHash(key));
}

void Context::AddString(absl::string_view key, absl::string_view value) {
  EntryFor(key).values.push_back(StringValue(value));
}

void Context::AddInt(absl::string_view key, int64_t value) {
  EntryFor(key).values.push_back(
      NumberValue(absl::StrCat(value), internal::DecimalFromInt(value)));
}

absl::Status Context::AddNumber(absl::string_view key,
                                absl::string_view decimal) {
  std::optional<Decimal> d = internal::ParseDecimal(decimal);
  if (!d.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("context key \"", key, "\": \"", decimal,
                     "\" is not a decimal number"));
  }
  EntryFor(key).values.push_back(NumberValue(std::string(decimal), *d));
  return absl::OkStatus();
}

void Context::AddBool(absl::string_view key, bool value) {
  EntryFor(key).values.push_back(BoolValue(value));
}

void Context::AddTime(absl::string_view key, absl::Time value) {
  Value v = StringValue(
      absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", value, absl::UTCTimeZone()));
  v.date = internal::InstantFromTime(value);
  EntryFor(key).values.push_back(std::move(v));
}

void Context::AddEmpty(absl::string_view key) { EntryFor(key); }

absl::Status Context::AddJson(absl::string_view key, const Json& value) {
  std::vector<Value> values;
  auto bad = [&](const Json& v) {
    return absl::InvalidArgumentError(absl::StrCat(
        "context key \"", key,
        "\": expected a string, number, boolean or an array of those, got ",
        JsonTypeWords(v)));
  };
  if (value.is_array()) {
    for (const Json& item : value) {
      std::optional<Value> v = ScalarValue(item);
      if (!v.has_value()) return bad(item);
      values.push_back(*std::move(v));
    }
  } else {
    std::optional<Value> v = ScalarValue(value);
    if (!v.has_value()) return bad(value);
    values.push_back(*std::move(v));
  }
  Entry& e = EntryFor(key);
  for (Value& v : values) e.values.push_back(std::move(v));
  return absl::OkStatus();
}

void Context::Remove(absl::string_view key) {
  const Entry* e = Find(key);
  if (e == nullptr) return;
  entries_.erase(entries_.begin() + (e - entries_.data()));
  Rehash();
}

absl::StatusOr<Context> Context::FromJson(const Json& object) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the context must be a JSON object of key to value, got ",
                     JsonTypeWords(object)));
  }
  Context ctx;
  for (const auto& [key, value] : object.items()) {
    if (key.empty()) {
      return absl::InvalidArgumentError("the context has an empty key");
    }
    if (ctx.Find(key) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("context key \"", key,
                       "\" is given twice (keys compare case-insensitively)"));
    }
    absl::Status s = ctx.AddJson(key, value);
    if (!s.ok()) return s;
  }
  return ctx;
}

absl::StatusOr<Context> Context::FromJsonText(absl::string_view text) {
  internal::StrictJson doc = internal::ParseStrictJson(text, 8);
  if (!doc.problems.empty()) {
    const internal::JsonProblem& p = doc.problems[0];
    if (p.line > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the context is not valid JSON: line ", p.line,
                       ", column ", p.column, ": ", p.message));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "the context is not valid JSON: ", p.path.empty() ? "" : p.path,
        p.path.empty() ? "" : ": ", p.message));
  }
  return FromJson(*doc.value);
}

Json Context::ToJson() const {
  Json out = Json::object();
  for (const Entry& e : entries_) {
    if (e.values.size() == 1) {
      out[e.key] = ValueToJson(e.values[0]);
    } else {
      Json arr = Json::array();
      for (const Value& v : e.values) arr.push_back(ValueToJson(v));
      out[e.key] = std::move(arr);
    }
  }
  return out;
}

namespace {

// A claim or tag name from a token, quoted for a message: JSON-escaped and
// cut to 64 bytes, since the name is untrusted and ends up in logs.
std::string QuoteName(absl::string_view name) {
  constexpr size_t kMax = 64;
  if (name.size() <= kMax) return internal::Quote(name);
  return absl::StrCat(internal::Quote(name.substr(0, kMax)), "...");
}

// The error if two of `names` are equal ignoring ASCII case. `what` says
// whose names they are; `key_prefix` is what they map to.
absl::Status CheckCaseCollisions(const Json& object, absl::string_view what,
                                 absl::string_view key_prefix) {
  std::map<std::string, absl::string_view> seen;  // lowercased -> name
  for (const auto& [name, value] : object.items()) {
    (void)value;
    auto [it, inserted] = seen.emplace(internal::LowerAscii(name), name);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " ", QuoteName(it->second), " and ", QuoteName(name),
          " differ only in case, so both would be context key ",
          QuoteName(absl::StrCat(key_prefix, it->second)),
          " (context keys compare case-insensitively); the claims are "
          "refused"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AddClaims(const Json& claims, Context* context) {
  if (!claims.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the token claims must be a JSON object, got ", JsonTypeWords(claims)));
  }
  // Check everything first, so that nothing is added on error.
  RETURN_IF_ERROR(CheckCaseCollisions(claims, "claims", kClaimPrefix));
  const std::string tags_prefix = absl::StrCat(kClaimPrefix, "tags/");
  struct Planned {
    std::string key;
    const Json* value;
  };
  std::vector<Planned> planned;
  for (const auto& [name, value] : claims.items()) {
    // Only a name starting with "tags/" could alias a tag's key; other
    // names with "/" (URL-style claims such as "https://x.example/roles")
    // map to keys no tag can take.
    if (absl::StartsWithIgnoreCase(name, "tags/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "claim ", QuoteName(name),
          " starts with \"tags/\", which would alias the tag of that name "
          "(claim:tags/<k> is reserved for the members of \"tags\"); the "
          "claims are refused"));
    }
    if (name == "tags") {
      if (!value.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "claim \"tags\" must be an object of tag names to values, got ",
            JsonTypeWords(value), "; the claims are refused"));
      }
      RETURN_IF_ERROR(CheckCaseCollisions(value, "tags", tags_prefix));
      for (const auto& [tag, tag_value] : value.items()) {
        planned.push_back({absl::StrCat(tags_prefix, tag), &tag_value});
      }
      continue;
    }
    planned.push_back({absl::StrCat(kClaimPrefix, name), &value});
  }
  // Claim names cannot collide with one another now (none starts with
  // "tags/", and case twins are refused), but the context may already hold
  // one of the keys.
  for (const Planned& p : planned) {
    if (context->Find(p.key) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "context key ", QuoteName(p.key),
          " is already set; add the claims once, to a context without "
          "claim: keys"));
    }
  }
  for (const Planned& p : planned) {
    if (p.value->is_array() && p.value->empty()) {
      context->AddEmpty(p.key);
      continue;
    }
    // Objects, nulls and arrays holding non-scalars are refused by AddJson
    // and thereby skipped.
    (void)context->AddJson(p.key, *p.value);
  }
  return absl::OkStatus();
}

void AddRequestTime(absl::Time now, Context* context) {
  context->AddTime(kCurrentTimeKey, now);
  context->AddInt(kEpochTimeKey, absl::ToUnixSeconds(now));
}

}  // namespace policy
