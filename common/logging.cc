#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/time_format.h"

namespace common::log {
namespace {

struct LoggerState {
  absl::Mutex mu;
  Sink sink;
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
  std::atomic<const Clock*> clock{nullptr};
};

LoggerState& State() {
  static auto* state = new LoggerState();  // never destroyed: usable at exit
  return *state;
}

const Clock& DefaultClock() {
  static const RealClock* clock = new RealClock();
  return *clock;
}

void WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a logging failure
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8SequenceLength(absl::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  uint32_t cp = b0 & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

absl::Status ParseLevel(absl::string_view name, Level* level) {
  for (Level l :
       {Level::kDebug, Level::kInfo, Level::kWarning, Level::kError}) {
    if (absl::AsciiStrToLower(name) == LevelName(l)) {
      *level = l;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown log level \"", name, "\"; use debug, info, warning or error"));
}

void AppendJsonString(absl::string_view value, std::string* out) {
  out->push_back('"');
  while (!value.empty()) {
    // Copy a run of printable ASCII that needs no escape in one go.
    size_t plain = 0;
    while (plain < value.size()) {
      const auto b = static_cast<unsigned char>(value[plain]);
      if (b < 0x20 || b >= 0x7F || b == '"' || b == '\\') break;
      ++plain;
    }
    if (plain > 0) {
      out->append(value.data(), plain);
      value.remove_prefix(plain);
      continue;
    }
    const auto c = static_cast<unsigned char>(value[0]);
    size_t len = Utf8SequenceLength(value);
    if (len == 0) {
      absl::StrAppendFormat(out, "\\u%04x", c);
      value.remove_prefix(1);
      continue;
    }
    if (len > 1) {
      out->append(value.data(), len);
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(out, "\\u%04x", c);
    } else {
      out->push_back(static_cast<char>(c));
    }
    value.remove_prefix(len);
  }
  out->push_back('"');
}

Field::Field(absl::string_view key, absl::Time value)
    : key_(key),
      kind_(Kind::kOwnedString),
      owned_(FormatRfc3339Millis(value)) {}

Field::Field(absl::string_view key, const absl::Status& status)
    : key_(key), kind_(Kind::kOwnedString), owned_(status.ToString()) {}

void Field::AppendJson(std::string* out) const {
  AppendJsonString(key_, out);
  out->push_back(':');
  switch (kind_) {
    case Kind::kString:
      AppendJsonString(string_, out);
      break;
    case Kind::kOwnedString:
      AppendJsonString(owned_, out);
      break;
    case Kind::kInt:
      absl::StrAppend(out, int_);
      break;
    case Kind::kUint:
      absl::StrAppend(out, uint_);
      break;
    case Kind::kDouble:
      if (std::isfinite(double_)) {
        absl::StrAppendFormat(out, "%.6g", double_);
      } else {
        out->append("null");
      }
      break;
    case Kind::kBool:
      out->append(int_ ? "true" : "false");
      break;
  }
}

void SetSink(Sink sink) {
  absl::MutexLock lock(&State().mu);
  State().sink = std::move(sink);
}

void SetMinLevel(Level level) {
  State().min_level.store(static_cast<int>(level));
}

void SetClock(const Clock* clock) { State().clock.store(clock); }

std::string FormatLine(absl::Time time, Level level, absl::string_view message,
                       std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(384);
  line.push_back('{');
  Field("time", time).AppendJson(&line);
  line.push_back(',');
  Field("level", LevelName(level)).AppendJson(&line);
  line.push_back(',');
  Field("msg", message).AppendJson(&line);
  for (const Field& f : fields) {
    line.push_back(',');
    f.AppendJson(&line);
  }
  line.append("}\n");
  return line;
}

void Log(Level level, absl::string_view message,
         std::initializer_list<Field> fields) {
  LoggerState& state = State();
  if (static_cast<int>(level) < state.min_level.load()) return;
  const Clock* clock = state.clock.load();
  const absl::Time now = (clock ? *clock : DefaultClock()).Now();
  const std::string line = FormatLine(now, level, message, fields);
  absl::MutexLock lock(&state.mu);
  if (state.sink) {
    state.sink(line);
  } else {
    WriteAll(STDERR_FILENO, line);
  }
}

}  // namespace common::log
