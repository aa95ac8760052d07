// Did-you-mean suggestions: the closest of some known words to a misspelt
// one, by Levenshtein distance. Used by the CLI framework (unknown commands
// and flags) and by the policy validator (unknown operators, elements and
// context keys), so it lives apart from both: pure, no I/O.
//
//   std::string guess = common::ClosestMatch("StringLik", operator_names);
//   if (!guess.empty()) message += "; did you mean " + guess + "?";
//
// Thread-safe (no state).
#ifndef SECRETD_COMMON_CLOSEST_MATCH_H_
#define SECRETD_COMMON_CLOSEST_MATCH_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace common {

// The Levenshtein distance between `a` and `b` (insertions, deletions and
// substitutions of single bytes).
size_t EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `word` if it is within a third of its length
// (at least 2 edits), else "". Ties go to the earlier candidate.
std::string ClosestMatch(absl::string_view word,
                         const std::vector<std::string>& candidates);

}  // namespace common

#endif  // SECRETD_COMMON_CLOSEST_MATCH_H_
