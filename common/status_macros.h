// Status propagation macros that abseil 20220623 lacks.
//
//   RETURN_IF_ERROR(DoThing());                // returns the status if not ok
//   ASSIGN_OR_RETURN(Key key, ParseKey(json)); // declares `key` or returns
//   ASSIGN_OR_RETURN(existing, Load(name));    // assigns to an existing
//   variable
//
// Both work in functions returning absl::Status or absl::StatusOr<T>. The
// expression is evaluated exactly once. To add context to an error, wrap it
// with common::Annotate() before returning.
#ifndef SECRETD_COMMON_STATUS_MACROS_H_
#define SECRETD_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace common {

// Returns `status` with "`context`: " prepended to its message; the code is
// kept. An ok status is returned unchanged.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

namespace status_macros_internal {
inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace status_macros_internal

}  // namespace common

#define SECRETD_STATUS_CONCAT_INNER_(a, b) a##b
#define SECRETD_STATUS_CONCAT_(a, b) SECRETD_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                \
  do {                                                       \
    const absl::Status secretd_status_ =                     \
        ::common::status_macros_internal::GetStatus((expr)); \
    if (!secretd_status_.ok()) return secretd_status_;       \
  } while (false)

#define SECRETD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  SECRETD_ASSIGN_OR_RETURN_IMPL_(    \
      SECRETD_STATUS_CONCAT_(secretd_statusor_, __LINE__), lhs, rexpr)

#endif  // SECRETD_COMMON_STATUS_MACROS_H_
