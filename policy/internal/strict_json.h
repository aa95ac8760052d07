// Strict JSON reading for policy documents: nlohmann's parser plus the checks
// it lacks. A member name repeated in one object is reported (nlohmann would
// silently keep the last one), nesting deeper than a limit is refused, and a
// syntax error is reported with its line and column and a hint a person can
// act on ("expected "," or "}" after a member, got a string; is a comma
// missing at the end of line 3?").
//
// Internal to policy/. Thread-safe (no shared state).
#ifndef SECRETD_POLICY_INTERNAL_STRICT_JSON_H_
#define SECRETD_POLICY_INTERNAL_STRICT_JSON_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace policy::internal {

// One problem found while reading. `line`/`column` (1-based) are set for
// syntax errors, `path` for problems inside a well-formed document.
struct JsonProblem {
  std::string path;
  int line = 0;
  int column = 0;
  std::string message;
};

struct StrictJson {
  // The document; absent after a syntax error or excessive nesting.
  std::optional<nlohmann::json> value;
  std::vector<JsonProblem> problems;
};

// Parses `text`. Duplicate member names are problems but still yield a value
// (holding the last duplicate), so that the caller can report every other
// error too.
StrictJson ParseStrictJson(absl::string_view text, int max_depth);

// Appends the member `key` to a JSON path: `Statement[0]` + `Effect` ->
// `Statement[0].Effect`; a key holding `.`, `[`, `]`, `"` or a space is
// written `["a.b"]`.
void AppendPathKey(std::string* path, absl::string_view key);
// Appends `[index]`.
void AppendPathIndex(std::string* path, size_t index);

// `s` as a JSON string literal, for messages: "web.json", "a \"b\"".
// Invalid UTF-8 is replaced, never an error.
std::string Quote(absl::string_view s);
// "a string", "a number", "a boolean", "null", "an object", "an array".
const char* JsonTypeWords(const nlohmann::json& value);

}  // namespace policy::internal

#endif  // SECRETD_POLICY_INTERNAL_STRICT_JSON_H_
