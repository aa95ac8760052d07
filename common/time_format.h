// The RFC 3339 UTC timestamp with milliseconds that log lines and audit
// records carry ("2026-11-26T05:41:45.123Z"), formatted without cctz.
//
//   std::string line;
//   common::AppendRfc3339Millis(clock.Now(), &line);
//
// The text is exactly absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t,
// absl::UTCTimeZone()) (milliseconds truncated toward the past); times before
// 1970 or from year 10000 on take that slower path. Thread-safe.
#ifndef SECRETD_COMMON_TIME_FORMAT_H_
#define SECRETD_COMMON_TIME_FORMAT_H_

#include <string>

#include "absl/time/time.h"

namespace common {

void AppendRfc3339Millis(absl::Time t, std::string* out);
std::string FormatRfc3339Millis(absl::Time t);

}  // namespace common

#endif  // SECRETD_COMMON_TIME_FORMAT_H_
