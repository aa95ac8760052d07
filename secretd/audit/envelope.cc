#include "secretd/audit/envelope.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace secretd::audit {
namespace {

// Length of ,"prev":"<64 hex>" at the end of LineFields::body_prefix.
constexpr size_t kPrevMemberLen = 9 + 64 + 1;
constexpr size_t kTimeLen = 24;  // 2026-11-26T05:41:45.123Z
constexpr size_t kMaxTypeLen = 64;

// A cursor over the line that consumes expected literals and values.
class Cursor {
 public:
  explicit Cursor(absl::string_view s) : s_(s) {}

  bool Literal(absl::string_view lit) {
    if (s_.substr(pos_, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }
  // A run of characters `ok` accepts, ended by '"' (consumed). The run is
  // returned without the quote; empty runs are allowed.
  template <typename Pred>
  bool Run(Pred ok, absl::string_view* out) {
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (!ok(s_[pos_])) return false;
      ++pos_;
    }
    if (pos_ >= s_.size()) return false;
    *out = s_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }
  bool Number(uint64_t* out) {
    size_t digits = 0;
    while (pos_ + digits < s_.size() && digits < 20 &&
           absl::ascii_isdigit(s_[pos_ + digits])) {
      ++digits;
    }
    if (digits == 0 || (digits > 1 && s_[pos_] == '0') ||
        !absl::SimpleAtoi(s_.substr(pos_, digits), out)) {
      return false;
    }
    pos_ += digits;
    return true;
  }
  size_t pos() const { return pos_; }
  absl::string_view rest() const { return s_.substr(pos_); }

 private:
  absl::string_view s_;
  size_t pos_ = 0;
};

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(std::string(what));
}

bool IsReplicaChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
}
bool IsTypeChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' ||
         c == '_' || c == '-';
}
bool IsLowerHex(char c) {
  return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
}
// A request id is printable ASCII without '"' or '\\' (so it holds no JSON
// escape and nothing that could drive a terminal when a reader prints it).
bool IsRequestIdChar(char c) { return c >= 0x20 && c < 0x7f && c != '\\'; }
bool IsBase64UrlChar(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_';
}

int Digits(absl::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

bool ParseFixedRecordTime(absl::string_view t, absl::Time* out) {
  if (t.size() != kTimeLen || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
      t[13] != ':' || t[16] != ':' || t[19] != '.' || t[23] != 'Z') {
    return false;
  }
  const int year = Digits(t, 0, 4), month = Digits(t, 5, 2),
            day = Digits(t, 8, 2), hour = Digits(t, 11, 2),
            minute = Digits(t, 14, 2), second = Digits(t, 17, 2),
            millis = Digits(t, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
    return false;
  }
  const absl::CivilSecond cs(year, month, day, hour, minute, second);
  // CivilSecond normalises 2026-02-30 to March 2nd: reject such dates.
  if (cs.day() != day || cs.month() != month) return false;
  *out = absl::FromCivil(cs, absl::UTCTimeZone()) + absl::Milliseconds(millis);
  return true;
}

absl::StatusOr<Envelope> ScanEnvelope(absl::string_view line) {
  Envelope e;
  Cursor c(line);
  if (!c.Literal("{\"seq\":") || !c.Number(&e.seq) || e.seq == 0) {
    return Bad("record does not start with a positive \"seq\"");
  }
  if (!c.Literal(",\"time\":\"") ||
      !c.Run([](char) { return true; }, &e.time)) {
    return Bad("record has no \"time\" after \"seq\"");
  }
  absl::Time unused;
  if (!ParseFixedRecordTime(e.time, &unused)) {
    return Bad(
        absl::StrCat("record \"time\" is not of the form "
                     "2026-11-26T05:41:45.123Z"));
  }
  if (!c.Literal(",\"replica\":\"") || !c.Run(IsReplicaChar, &e.replica) ||
      e.replica.empty() || e.replica.size() > 64) {
    return Bad(
        "record has no valid \"replica\" after \"time\" (1 to 64 letters, "
        "digits, '.', '_' or '-')");
  }
  if (!c.Literal(",\"type\":\"") || !c.Run(IsTypeChar, &e.type) ||
      e.type.empty() || e.type.size() > kMaxTypeLen) {
    return Bad(
        "record has no valid \"type\" after \"replica\" (1 to 64 of "
        "[a-z0-9._-])");
  }
  if (!c.Literal(",\"request_id\":\"") ||
      !c.Run(IsRequestIdChar, &e.request_id)) {
    return Bad(
        "record has no valid \"request_id\" after \"type\" (printable ASCII "
        "without '\"' or '\\\\')");
  }
  e.rest = c.rest();
  if (e.rest.empty() || e.rest[0] != ',') {
    return Bad("record has no members after \"request_id\"");
  }
  return e;
}

absl::StatusOr<CheckpointFields> ScanCheckpoint(const Envelope& envelope,
                                                const LineFields& fields) {
  if (!envelope.request_id.empty()) {
    return Bad("checkpoint has a non-empty \"request_id\"");
  }
  CheckpointFields cp;
  Cursor c(envelope.rest);
  if (!c.Literal(",\"records\":") || !c.Number(&cp.records)) {
    return Bad("checkpoint has no \"records\" count after \"request_id\"");
  }
  if (!c.Literal(",\"reason\":\"") || !c.Run(absl::ascii_islower, &cp.reason) ||
      (cp.reason != "count" && cp.reason != "interval" &&
       cp.reason != "shutdown")) {
    return Bad(
        "checkpoint \"reason\" is not \"count\", \"interval\" or "
        "\"shutdown\"");
  }
  if (!c.Literal(",\"key_id\":\"") || !c.Run(IsLowerHex, &cp.key_id) ||
      cp.key_id.size() != 16) {
    return Bad("checkpoint \"key_id\" is not 16 lower-case hex digits");
  }
  if (!c.Literal(",\"signature\":\"") ||
      !c.Run(IsBase64UrlChar, &cp.signature) || cp.signature.size() != 86) {
    return Bad(
        "checkpoint \"signature\" is not 86 base64url characters (64 bytes)");
  }
  // Nothing may follow the signature but the prev member SplitLine checked.
  // `envelope.rest` and `fields.body_prefix` point into the same line.
  const char* prev_member =
      fields.body_prefix.data() + fields.body_prefix.size() - kPrevMemberLen;
  if (fields.body_prefix.size() < kPrevMemberLen ||
      envelope.rest.data() + c.pos() != prev_member) {
    return Bad("checkpoint has unexpected members after \"signature\"");
  }
  return cp;
}

absl::StatusOr<std::string> CheckpointMessageOf(absl::string_view line) {
  absl::StatusOr<LineFields> fields = SplitLine(line);
  if (!fields.ok()) return fields.status();
  absl::StatusOr<Envelope> envelope = ScanEnvelope(line);
  if (!envelope.ok()) return envelope.status();
  absl::StatusOr<CheckpointFields> cp = ScanCheckpoint(*envelope, *fields);
  if (!cp.ok()) return cp.status();
  return CheckpointMessage(
      envelope->replica, fields->seq,
      CheckpointClaims{envelope->time, cp->records, cp->reason}, fields->prev);
}

}  // namespace secretd::audit
