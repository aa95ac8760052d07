// Text patterns of the policy language: literal text, the wildcards `*` (any
// run of characters, `/` included) and `?` (one character), and policy
// variables `${key}` / `${key, 'default'}` with the escapes `${*}`, `${?}` and
// `${$}`.
//
//   std::vector<VariableRef> vars;
//   ASSIGN_OR_RETURN(Pattern p, Pattern::Parse("secret/${claim:sub}/*",
//                                              {.wildcards = true,
//                                               .variables = true}, &vars));
//   absl::string_view resolved[] = {"web-1"};
//   p.Matches("secret/web-1/db", resolved, /*ignore_case=*/false);  // true
//
// The text a variable resolves to is literal: a `*` in a claim is not a
// wildcard. Matching never allocates. Internal to policy/; thread-safe once
// built.
#ifndef SECRETD_POLICY_INTERNAL_PATTERN_H_
#define SECRETD_POLICY_INTERNAL_PATTERN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace policy::internal {

// 64-bit FNV-1a of the ASCII-lowercased text: the hash of a context key.
uint64_t KeyHash(absl::string_view key);
// ASCII-lowercased copy.
std::string LowerAscii(absl::string_view text);

// A context key used as a policy variable.
struct VariableRef {
  std::string key;        // as written, without surrounding spaces
  std::string key_lower;  // lookup form
  uint64_t hash = 0;      // KeyHash(key)
  std::optional<std::string> default_value;
  bool operator==(const VariableRef& o) const {
    return key_lower == o.key_lower && default_value == o.default_value;
  }
};

class Pattern {
 public:
  struct Options {
    bool wildcards = false;  // `*` and `?` are wildcards (else literal)
    bool variables = false;  // `${...}` is a variable (else literal text)
  };

  // Parses `text`. Variables are appended to `*variables` (an existing equal
  // reference is reused) and referred to by index. kInvalidArgument with a
  // message naming the problem (unterminated or empty variable, bad default)
  // when `options.variables` and the text has a malformed `${`.
  static absl::StatusOr<Pattern> Parse(absl::string_view text, Options options,
                                       std::vector<VariableRef>* variables);

  // Whether the pattern matches all of `text`. `resolved[i]` is the value of
  // variable i of the table given to Parse. ASCII case-insensitive when
  // `ignore_case`.
  bool Matches(absl::string_view text, const absl::string_view* resolved,
               bool ignore_case) const;
  // Whether the pattern equals `text`, wildcards taken literally (used by the
  // StringEquals family, where only variables are special).
  bool Equals(absl::string_view text, const absl::string_view* resolved,
              bool ignore_case) const;

  bool has_variables() const { return has_variables_; }
  // The literal text before the first wildcard or variable.
  absl::string_view literal_prefix() const;
  // Whether the pattern matches any text at all positions: exactly "*".
  bool is_match_all() const { return shape_ == Shape::kAnything; }

 private:
  enum class Kind : uint8_t { kLiteral, kStar, kQuestion, kVariable };
  struct Piece {
    Kind kind;
    std::string text;   // kLiteral
    int variable = -1;  // kVariable
  };
  enum class Shape : uint8_t { kAnything, kExact, kPrefix, kGeneral };

  absl::string_view PieceText(const Piece& p,
                              const absl::string_view* resolved) const;
  bool Glob(absl::string_view text, const absl::string_view* resolved,
            bool ignore_case) const;

  std::vector<Piece> pieces_;
  Shape shape_ = Shape::kGeneral;
  bool has_variables_ = false;
};

}  // namespace policy::internal

#endif  // SECRETD_POLICY_INTERNAL_PATTERN_H_
