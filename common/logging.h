// A small structured logger: one JSON object per line on stderr.
//
//   common::log::Info("provision allowed", {{"request_id", id},
//                                           {"role", role},
//                                           {"secrets", 3}});
//   → {"time":"2026-11-26T05:41:45.123Z","level":"info","msg":"provision
//   allowed",
//      "request_id":"7f3c2a91","role":"web","secrets":3}
//
// Contract: a Field holds only a string, a number, a bool, an absl::Duration,
// an absl::Time or an absl::Status. Any other type (keys::SecretBytes, a
// protobuf message, a byte container of key material) does not compile, so a
// secret cannot be handed to the logger by mistake. Strings are still the
// caller's responsibility: log identifiers and hashes, never values or tokens.
//
// Thread-safe: each line is written with one write(2) under a mutex.
// main() may redirect output (SetSink) and the minimum level (SetMinLevel);
// libraries just call the functions.
#ifndef SECRETD_COMMON_LOGGING_H_
#define SECRETD_COMMON_LOGGING_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace common::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning" or "error".
absl::string_view LevelName(Level level);
// Parses a level name (as LevelName prints it). kInvalidArgument otherwise.
absl::Status ParseLevel(absl::string_view name, Level* level);

namespace internal {
template <typename T>
inline constexpr bool kIsLoggableNumber =
    std::is_arithmetic_v<T> && !std::is_same_v<T, bool> &&
    !std::is_same_v<T, char>;
}  // namespace internal

// One key/value pair of a log line. Only the constructors below exist.
class Field {
 public:
  Field(absl::string_view key, absl::string_view value)
      : key_(key), kind_(Kind::kString), string_(value) {}
  Field(absl::string_view key, const char* value)
      : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, const std::string& value)
      : Field(key, absl::string_view(value)) {}
  // A template so that pointers (which convert to bool) are not accepted.
  template <typename T, typename = std::enable_if_t<std::is_same_v<T, bool>>,
            int = 0>
  Field(absl::string_view key, T value)
      : key_(key), kind_(Kind::kBool), int_(value ? 1 : 0) {}
  template <typename T,
            typename = std::enable_if_t<internal::kIsLoggableNumber<T>>>
  Field(absl::string_view key, T value) : key_(key) {
    if constexpr (std::is_floating_point_v<T>) {
      kind_ = Kind::kDouble;
      double_ = static_cast<double>(value);
    } else if constexpr (std::is_signed_v<T>) {
      kind_ = Kind::kInt;
      int_ = static_cast<int64_t>(value);
    } else {
      kind_ = Kind::kUint;
      uint_ = static_cast<uint64_t>(value);
    }
  }
  // Written as seconds (a JSON number).
  Field(absl::string_view key, absl::Duration value)
      : Field(key, absl::ToDoubleSeconds(value)) {}
  // Written as RFC 3339 UTC.
  Field(absl::string_view key, absl::Time value);
  // Written as "CODE: message".
  Field(absl::string_view key, const absl::Status& status);

  // Appends `"key":value` to `out`, JSON-escaped.
  void AppendJson(std::string* out) const;

 private:
  enum class Kind { kString, kOwnedString, kInt, kUint, kDouble, kBool };
  absl::string_view key_;
  Kind kind_ = Kind::kString;
  absl::string_view string_;
  std::string owned_;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double double_ = 0;
};

// Receives finished lines (with the trailing newline). Must be thread-safe.
using Sink = std::function<void(absl::string_view line)>;

// Redirects output; an empty Sink restores stderr. Not thread-safe with
// concurrent logging: call it from main() before starting threads, or in tests.
void SetSink(Sink sink);
// Lines below `level` are dropped. Default kInfo.
void SetMinLevel(Level level);
// Sets the clock for timestamps (default: a RealClock). `clock` must outlive
// all logging. Same threading rule as SetSink.
void SetClock(const Clock* clock);

// Formats one line as JSON (without writing it).
std::string FormatLine(absl::Time time, Level level, absl::string_view message,
                       std::initializer_list<Field> fields);

void Log(Level level, absl::string_view message,
         std::initializer_list<Field> fields = {});

inline void Debug(absl::string_view msg, std::initializer_list<Field> f = {}) {
  Log(Level::kDebug, msg, f);
}
inline void Info(absl::string_view msg, std::initializer_list<Field> f = {}) {
  Log(Level::kInfo, msg, f);
}
inline void Warning(absl::string_view msg,
                    std::initializer_list<Field> f = {}) {
  Log(Level::kWarning, msg, f);
}
inline void Error(absl::string_view msg, std::initializer_list<Field> f = {}) {
  Log(Level::kError, msg, f);
}

// Appends `value` to `out` as a JSON string literal (with quotes). Invalid
// UTF-8 bytes are written as \u00XX escapes of the byte so output stays valid.
void AppendJsonString(absl::string_view value, std::string* out);

}  // namespace common::log

#endif  // SECRETD_COMMON_LOGGING_H_
