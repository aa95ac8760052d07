// The request context: what policy conditions and variables are evaluated
// against. Keys compare case-insensitively (as in IAM); a key may hold one
// value or several (multivalued, e.g. a token's `aud` array). Values are
// strings, numbers or booleans; each is parsed once, when added, into every
// type a condition might compare it as (number, date, boolean, IP address),
// so evaluation never parses or allocates.
//
//   policy::Context ctx;
//   // claim:sub, claim:tags/team, ...; refuses aliasing claims (see below)
//   RETURN_IF_ERROR(policy::AddClaims(verified_claims, &ctx));
//   policy::AddRequestTime(now, &ctx);  // secretd:CurrentTime, EpochTime
//   ctx.AddString(policy::kSourceIpKey, "203.0.113.7");
//   ctx.AddInt(policy::kTokenAgeKey, 12);
//   ctx.AddString(policy::kRoleKey, "web");
//   ctx.AddString(policy::kIssuerKey, "https://attest.example");
//
// A key with no values (an empty array) counts as absent for every operator
// (AWS: "context keys with empty values" behave as missing for ForAllValues
// and Null). Thread-compatible: build it on one thread, then share it const.
#ifndef SECRETD_POLICY_CONTEXT_H_
#define SECRETD_POLICY_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "policy/internal/values.h"

namespace policy {

// The keys the broker sets (DESIGN.md §5).
inline constexpr absl::string_view kCurrentTimeKey = "secretd:CurrentTime";
inline constexpr absl::string_view kEpochTimeKey = "secretd:EpochTime";
inline constexpr absl::string_view kSourceIpKey = "secretd:SourceIp";
inline constexpr absl::string_view kTokenAgeKey = "secretd:TokenAge";
inline constexpr absl::string_view kRoleKey = "secretd:Role";
inline constexpr absl::string_view kIssuerKey = "secretd:Issuer";
// The prefix of claim keys: claim:<name>, claim:tags/<k>.
inline constexpr absl::string_view kClaimPrefix = "claim:";

class Context {
 public:
  struct Value {
    enum class Type { kString, kNumber, kBool };
    Type type = Type::kString;
    std::string text;  // the string, the number's text, "true"/"false"
    std::optional<internal::Decimal> number;
    std::optional<internal::Instant> date;
    std::optional<bool> boolean;
    std::optional<internal::IpRange> ip;  // a single address
  };
  struct Entry {
    std::string key;  // as first added
    std::string key_lower;
    uint64_t hash = 0;
    std::vector<Value> values;
  };

  Context() = default;

  // Each adds one value to `key`; adding to an existing key makes it
  // multivalued.
  void AddString(absl::string_view key, absl::string_view value);
  void AddInt(absl::string_view key, int64_t value);
  // `decimal` like "12.5" or "1e3"; kInvalidArgument if it is not a number.
  absl::Status AddNumber(absl::string_view key, absl::string_view decimal);
  void AddBool(absl::string_view key, bool value);
  // The time as RFC 3339 UTC text with its exact instant for Date operators.
  void AddTime(absl::string_view key, absl::Time value);
  // Makes `key` present with no values (an empty array).
  void AddEmpty(absl::string_view key);
  // A JSON string, number, boolean or array of those. kInvalidArgument naming
  // the key for anything else (null, objects, nested arrays); nothing is
  // added then.
  absl::Status AddJson(absl::string_view key, const nlohmann::json& value);
  // Removes `key` and all its values; no-op if absent.
  void Remove(absl::string_view key);

  // A context from {"key": value-or-array, ...} (secretctl policy simulate
  // --context). kInvalidArgument naming the first bad key.
  static absl::StatusOr<Context> FromJson(const nlohmann::json& object);
  // The same from JSON text, read strictly: a syntax error (with its line
  // and column) or a repeated key is kInvalidArgument.
  static absl::StatusOr<Context> FromJsonText(absl::string_view text);

  // The entry for `key` (any case), or nullptr.
  const Entry* Find(absl::string_view key) const;
  // The same with the key already lowercased and hashed (internal::KeyHash);
  // what the evaluator calls.
  const Entry* FindLower(absl::string_view key_lower, uint64_t hash) const;
  // Entries in the order their keys were first added.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  // {"key": value or [values]} with the keys as first added.
  nlohmann::json ToJson() const;

 private:
  Entry& EntryFor(absl::string_view key);
  void Rehash();

  std::vector<Entry> entries_;
  std::vector<int32_t> slots_;  // open addressing: index into entries_ or -1
};

// What is being decided: `action` on `resource`, asked by a caller whose
// token was verified as coming from `issuer` (empty: none; statements with a
// Principal then never apply), with `context` (nullptr: an empty context).
// Views only: the strings and the context must outlive the evaluation.
struct Request {
  absl::string_view action;    // e.g. "secrets:Get"
  absl::string_view resource;  // e.g. "secret/app/db/password"
  absl::string_view issuer;    // verified token issuer, for Principal
  const Context* context = nullptr;
};

// Adds the claims of a verified token as `claim:<name>`: strings, numbers and
// booleans as one value, arrays of those as several (an empty array as a key
// with no values), the `tags` object as `claim:tags/<k>` per member. Other
// objects (such as `cnf`), nulls and nested arrays are skipped.
//
// Claims are never merged: since context keys compare case-insensitively,
// claims that would share a key would turn a single-valued claim into a
// multivalued one, whose extra value satisfies positive conditions and whose
// variables no longer resolve (disarming a Deny). kInvalidArgument, adding
// nothing, with a message naming the offending claim names (never values)
// when:
//  - `claims` is not a JSON object;
//  - two claim names are equal ignoring ASCII case ("team" and "Team");
//  - two member names of `tags` are equal ignoring case ("env" and "ENV");
//  - a claim name contains "/" ("tags/env" would alias a tag; "/" is
//    reserved for claim:tags/<k>);
//  - the claim "tags" is present but not an object;
//  - `context` already has a key a claim maps to (add the claims once).
// The broker must refuse such a token (UNAUTHENTICATED, audit reason
// claim_invalid) and evaluate nothing. [[nodiscard]]: ignoring the status
// would evaluate the policies without the claims, failing Deny statements
// open.
[[nodiscard]] absl::Status AddClaims(const nlohmann::json& claims,
                                     Context* context);

// Adds secretd:CurrentTime (RFC 3339) and secretd:EpochTime (seconds).
void AddRequestTime(absl::Time now, Context* context);

}  // namespace policy

#endif  // SECRETD_POLICY_CONTEXT_H_
