#include "common/time_format.h"

#include <cstdint>

namespace common {
namespace {

// First millisecond of year 10000: four-digit years end there.
constexpr int64_t kYear10000Millis = 253402300800000;

void AppendDigits(int64_t value, int width, std::string* out) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

// Proleptic Gregorian date of a day count since 1970-01-01 (days >= 0);
// H. Hinnant's civil_from_days.
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day) {
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

}  // namespace

void AppendRfc3339Millis(absl::Time t, std::string* out) {
  const int64_t millis =
      t < absl::UnixEpoch() ? -1 : absl::ToUnixMillis(t);  // floor for t >= 0
  if (millis < 0 || millis >= kYear10000Millis) {
    out->append(
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone()));
    return;
  }
  const int64_t seconds = millis / 1000;
  const int64_t days = seconds / 86400;
  const int64_t second_of_day = seconds % 86400;
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
  out->push_back('T');
  AppendDigits(second_of_day / 3600, 2, out);
  out->push_back(':');
  AppendDigits(second_of_day / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(second_of_day % 60, 2, out);
  out->push_back('.');
  AppendDigits(millis % 1000, 3, out);
  out->push_back('Z');
}

std::string FormatRfc3339Millis(absl::Time t) {
  std::string out;
  out.reserve(24);
  AppendRfc3339Millis(t, &out);
  return out;
}

}  // namespace common
