// A strict JSON parser for untrusted input (tokens, JWKs, key files).
//
// nlohmann::json accepts duplicate member names (keeping the last) and
// unbounded nesting; DESIGN.md §3 requires both to be refused. ParseStrictJson
// runs nlohmann's SAX parser with a handler that builds the document itself,
// refusing:
//   - input longer than `max_bytes`,
//   - nesting deeper than `max_depth` (an object or array at the top level is
//     depth 1),
//   - a member name that appears twice in one object,
//   - anything that is not RFC 8259 JSON (trailing data, comments, invalid
//     UTF-8, numbers that overflow a double).
// Returns kInvalidArgument with a message naming the problem (never the
// input). No exceptions escape. Thread-safe.
#ifndef SECRETD_KEYS_INTERNAL_STRICT_JSON_H_
#define SECRETD_KEYS_INTERNAL_STRICT_JSON_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace keys::internal {

inline constexpr size_t kMaxJsonDepth = 16;

absl::StatusOr<nlohmann::json> ParseStrictJson(
    absl::string_view text, size_t max_bytes, size_t max_depth = kMaxJsonDepth);

// value.dump() (compact), or kInvalidArgument if a string in it is not
// valid UTF-8 (where nlohmann would throw).
absl::StatusOr<std::string> DumpJson(const nlohmann::json& value);

// The nesting depth of `value`: 0 for a scalar, 1 for a flat object/array.
size_t JsonDepth(const nlohmann::json& value);

// Overwrites every string in `value` with zeros and clears it: for JSON
// documents that held private key material. Best effort (see WipeString).
void WipeJson(nlohmann::json* value);

}  // namespace keys::internal

#endif  // SECRETD_KEYS_INTERNAL_STRICT_JSON_H_
