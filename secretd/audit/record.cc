#include "secretd/audit/record.h"

#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/time_format.h"
#include "keys/encoding.h"

namespace secretd::audit {
namespace {

constexpr absl::string_view kHashTailPrefix = ",\"hash\":\"";
constexpr absl::string_view kPrevKey = ",\"prev\":\"";
constexpr absl::string_view kSeqPrefix = "{\"seq\":";
constexpr size_t kHexLen = 64;

using Json = nlohmann::ordered_json;

static_assert(std::is_same_v<Sha256, keys::Sha256Digest>,
              "audit digests are keys' SHA-256 digests");

// Appends `s` as a JSON string literal, byte for byte as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) writes it. ASCII is escaped
// here with nlohmann's rules (\\b \\t \\n \\f \\r \\" \\\\, other controls as
// \\u00xx, DEL as is); a string with any byte >= 0x80 takes nlohmann's own
// path (UTF-8 validation, U+FFFD for invalid bytes).
void AppendJsonString(absl::string_view s, std::string* out) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      out->append(Json(std::string(s))
                      .dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '\b':
        out->append("\\b");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, sizeof(esc));
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

// Appends `value` as nlohmann's dump(-1, ' ', false, replace) writes it,
// without copying it into a new document first.
void AppendJsonValue(const Json& value, std::string* out) {
  switch (value.type()) {
    case Json::value_t::null:
      out->append("null");
      return;
    case Json::value_t::boolean:
      out->append(value.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::string:
      AppendJsonString(value.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::number_integer:
      absl::StrAppend(out, value.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      absl::StrAppend(out, value.get<uint64_t>());
      return;
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const Json& element : value) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonValue(element, out);
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(key, out);
        out->push_back(':');
        AppendJsonValue(member, out);
      }
      out->push_back('}');
      return;
    }
    default:  // floating point, binary: nlohmann's own formatting
      out->append(value.dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
  }
}

// Appends the 64 lower-case hex digits of `digest`.
void AppendHex(const Sha256& digest, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t at = out->size();
  out->resize(at + kHexLen);
  char* p = &(*out)[at];
  for (const uint8_t b : digest) {
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 0xF];
  }
}

}  // namespace

Sha256 GenesisPrev() { return Sha256{}; }

Sha256 ComputeSha256(absl::string_view data) { return keys::Sha256Of({data}); }

Sha256 BodyHash(absl::string_view body_prefix) {
  return keys::Sha256Of({body_prefix, "}"});
}

std::string HexSha256(const Sha256& digest) {
  std::string out;
  AppendHex(digest, &out);
  return out;
}

bool ParseHexSha256(absl::string_view hex, Sha256* out) {
  if (hex.size() != kHexLen) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < out->size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

absl::Status ValidateReplicaId(absl::string_view replica) {
  bool ok = !replica.empty() && replica.size() <= 64;
  for (char c : replica) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') ok = false;
  }
  if (!ok || replica == "." || replica == "..") {
    return absl::InvalidArgumentError(absl::StrCat(
        "replica id \"", replica,
        "\" is invalid; use 1 to 64 letters, digits, '.', '_' or '-'"));
  }
  return absl::OkStatus();
}

std::string FormatRecordTime(absl::Time t) {
  return common::FormatRfc3339Millis(t);
}

absl::StatusOr<absl::Time> ParseRecordTime(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", s, "\" is not an RFC 3339 time: ", err));
  }
  return t;
}

namespace {
void AppendBe64(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}
}  // namespace

std::string CheckpointMessage(absl::string_view replica, uint64_t seq,
                              const CheckpointClaims& claims,
                              const Sha256& prev) {
  std::string msg = "secretd-audit-checkpoint-v1";
  msg.push_back('\0');
  msg.append(replica.data(), replica.size());
  msg.push_back('\0');
  AppendBe64(seq, &msg);
  msg.append(claims.time.data(), claims.time.size());
  msg.push_back('\0');
  AppendBe64(claims.records, &msg);
  msg.append(claims.reason.data(), claims.reason.size());
  msg.push_back('\0');
  msg.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  return msg;
}

Record MakeCheckpointRecord(uint64_t records, absl::string_view reason,
                            absl::string_view key_id,
                            absl::string_view signature) {
  Record cp;
  cp.type = std::string(kCheckpointType);
  cp.fields["records"] = records;
  cp.fields["reason"] = std::string(reason);
  cp.fields["key_id"] = std::string(key_id);
  cp.fields["signature"] = absl::WebSafeBase64Escape(signature);
  return cp;
}

std::string SerializeLine(const Record& record, uint64_t seq, absl::Time time,
                          absl::string_view replica, const Sha256& prev) {
  // Written member by member (the bytes nlohmann's dump of the same
  // ordered object would give) instead of copying the record into a new
  // document: this runs for every request, under the writer's lock.
  std::string line;
  line.reserve(1536);
  absl::StrAppend(&line, kSeqPrefix, seq, ",\"time\":\"");
  common::AppendRfc3339Millis(time, &line);
  line.append("\",\"replica\":");
  AppendJsonString(replica, &line);
  line.append(",\"type\":");
  AppendJsonString(record.type, &line);
  line.append(",\"request_id\":");
  AppendJsonString(record.request_id, &line);
  if (record.fields.is_object()) {
    for (const auto& [key, value] : record.fields.items()) {
      // The envelope members are the writer's; a caller cannot override them.
      if (key == "seq" || key == "time" || key == "replica" || key == "type" ||
          key == "request_id" || key == "prev" || key == "hash") {
        continue;
      }
      line.push_back(',');
      AppendJsonString(key, &line);
      line.push_back(':');
      AppendJsonValue(value, &line);
    }
  }
  line.append(kPrevKey.data(), kPrevKey.size());
  AppendHex(prev, &line);
  line.append("\"}");
  // The hashed bytes are exactly the record so far (ending with '}').
  const Sha256 hash = ComputeSha256(line);
  line.pop_back();
  line.append(kHashTailPrefix.data(), kHashTailPrefix.size());
  AppendHex(hash, &line);
  line.append("\"}\n");
  return line;
}

absl::StatusOr<LineFields> SplitLine(absl::string_view line) {
  LineFields f;
  // Tail: ,"hash":"<64>"}
  const size_t tail_len = kHashTailPrefix.size() + kHexLen + 2;
  if (line.size() < kSeqPrefix.size() + tail_len ||
      line.substr(line.size() - 2) != "\"}" ||
      line.substr(line.size() - tail_len, kHashTailPrefix.size()) !=
          kHashTailPrefix) {
    return absl::DataLossError("record does not end with its \"hash\" member");
  }
  if (!ParseHexSha256(line.substr(line.size() - 2 - kHexLen, kHexLen),
                      &f.hash)) {
    return absl::DataLossError(
        "record \"hash\" is not 64 lower-case hex digits");
  }
  f.body_prefix = line.substr(0, line.size() - tail_len);
  // prev: the member right before hash.
  const size_t prev_len = kPrevKey.size() + kHexLen + 1;
  if (f.body_prefix.size() < prev_len ||
      f.body_prefix.substr(f.body_prefix.size() - prev_len, kPrevKey.size()) !=
          kPrevKey ||
      f.body_prefix.back() != '"' ||
      !ParseHexSha256(
          f.body_prefix.substr(f.body_prefix.size() - 1 - kHexLen, kHexLen),
          &f.prev)) {
    return absl::DataLossError(
        "record has no \"prev\" member of 64 hex digits before \"hash\"");
  }
  // seq: the first member.
  if (line.substr(0, kSeqPrefix.size()) != kSeqPrefix) {
    return absl::DataLossError("record does not start with its \"seq\" member");
  }
  absl::string_view rest = line.substr(kSeqPrefix.size());
  size_t digits = 0;
  while (digits < rest.size() && digits < 20 &&
         absl::ascii_isdigit(rest[digits])) {
    ++digits;
  }
  if (digits == 0 || digits >= rest.size() || rest[digits] != ',' ||
      (digits > 1 && rest[0] == '0') ||
      !absl::SimpleAtoi(rest.substr(0, digits), &f.seq) || f.seq == 0) {
    return absl::DataLossError("record \"seq\" is not a positive integer");
  }
  return f;
}

}  // namespace secretd::audit
