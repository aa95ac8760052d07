// The times `secretctl audit query --since/--until` accept:
//
//   2026-11-26T05:41:45Z          RFC 3339, any offset, optional fraction
//   2026-11-26T07:41:45.5+02:00
//   2026-11-26                    a date: its midnight, UTC
//   now
//   90s  15m  24h  7d  2w  1h30m  a duration before now (s, m, h, d = 24 h,
//   -24h                          w = 7 d; combinable; a leading "-" is
//                                 allowed and means the same)
//
// Pure: `now` is passed in. Thread-safe.
#ifndef SECRETD_SECRETCTL_AUDIT_TIME_SPEC_H_
#define SECRETD_SECRETCTL_AUDIT_TIME_SPEC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace secretctl {

// kInvalidArgument naming the accepted forms if `text` is none of them.
absl::StatusOr<absl::Time> ParseTimeSpec(absl::string_view text,
                                         absl::Time now);

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_TIME_SPEC_H_
