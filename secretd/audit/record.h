// The audit record format of docs/DESIGN.md §7, shared by the writer
// (secretd) and every reader (secretctl audit verify|query|report).
//
// A log file holds one JSON object per line ("\n"-terminated). Members come in
// a fixed order:
//
//   {"seq":N,"time":"<RFC 3339 UTC, ms>","replica":"<id>","type":"<type>",
//    "request_id":"<id>", <type-specific members...>,
//    "prev":"<64 hex>","hash":"<64 hex>"}
//
// - `seq` starts at 1 in each file and grows by 1 per line.
// - `prev` is the hex SHA-256 of the previous line's bytes (without its
//   "\n"); the first line of a file has 64 zeros.
// - `hash` is the hex SHA-256 of "this record without `hash`": the line with
//   its final `,"hash":"<64 hex>"}` replaced by `}`. Readers check it on those
//   exact bytes, so no canonical re-serialization is ever needed.
// - A `checkpoint` record adds `records` (lines since the previous
//   checkpoint), `reason` ("count", "interval" or "shutdown"), `key_id`
//   (first 16 hex digits of SHA-256 of the audit public key) and `signature`:
//   base64url(Ed25519(audit_sk, CheckpointMessage(...))) over the
//   checkpoint's replica, seq, time, records, reason and prev. Since `prev`
//   commits to every earlier line, a valid checkpoint proves the whole file
//   up to it, and its own members cannot be edited (a cut-back log cannot
//   relabel an interval checkpoint as the shutdown one).
//
// Secret values and tokens never appear in a record (the callers pass
// identities, names, versions and hashes only).
#ifndef SECRETD_SECRETD_AUDIT_RECORD_H_
#define SECRETD_SECRETD_AUDIT_RECORD_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace secretd::audit {

using Sha256 = std::array<uint8_t, 32>;

// What a caller hands to an AuditSink: the type, the request id and the
// type-specific members (in the order they should appear). The sink adds
// seq, time, replica, prev and hash.
struct Record {
  std::string type;  // "provision", "admin.role.put", ...
  std::string request_id;
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
};

inline constexpr absl::string_view kCheckpointType = "checkpoint";
// The all-zero `prev` of a file's first line.
Sha256 GenesisPrev();

// SHA-256 of `data` (keys::Sha256Of). Like every digest here (BodyHash,
// the hash SerializeLine writes), it aborts the process if OpenSSL fails, so
// a line is never written with a hash that is not its own.
Sha256 ComputeSha256(absl::string_view data);
std::string HexSha256(const Sha256& digest);
// Parses 64 lower-case hex digits. False otherwise.
bool ParseHexSha256(absl::string_view hex, Sha256* out);

// A replica id is 1..64 characters of [A-Za-z0-9._-]. kInvalidArgument else.
absl::Status ValidateReplicaId(absl::string_view replica);

// The RFC 3339 form used in `time`: "2026-11-26T05:41:45.123Z".
std::string FormatRecordTime(absl::Time t);
// Parses RFC 3339 (any offset, optional fraction).
absl::StatusOr<absl::Time> ParseRecordTime(absl::string_view s);

// The members of a checkpoint that its signature covers besides the chain.
struct CheckpointClaims {
  absl::string_view time;  // the line's `time`, exactly as written
  uint64_t records = 0;
  absl::string_view reason;  // "count", "interval" or "shutdown"
};

// The bytes an audit checkpoint signs:
//   "secretd-audit-checkpoint-v1" || 0x00 || replica || 0x00 || be64(seq)
//   || time || 0x00 || be64(records) || reason || 0x00 || prev[32]
std::string CheckpointMessage(absl::string_view replica, uint64_t seq,
                              const CheckpointClaims& claims,
                              const Sha256& prev);

// The type-specific members of a checkpoint record, in the writer's order.
Record MakeCheckpointRecord(uint64_t records, absl::string_view reason,
                            absl::string_view key_id,
                            absl::string_view signature);

// Builds one complete line (with "\n") for `record` at `seq`, `time`,
// `replica`, chained to `prev`. Invalid UTF-8 in string members is replaced
// by U+FFFD so every line is valid JSON.
std::string SerializeLine(const Record& record, uint64_t seq, absl::Time time,
                          absl::string_view replica, const Sha256& prev);

// The parts of a line a verifier needs, checked for form only.
struct LineFields {
  uint64_t seq = 0;
  Sha256 prev{};
  Sha256 hash{};
  // The line up to (not including) its `,"hash":…}` tail. The record's hash
  // is SHA-256(body_prefix || "}"): see BodyHash.
  absl::string_view body_prefix;
};
// Splits a line (without "\n") into its hash, prev and seq. kDataLoss naming
// what is malformed if the line does not have the fixed form above. The
// result points into `line`.
absl::StatusOr<LineFields> SplitLine(absl::string_view line);
// SHA-256(body_prefix || "}"): what `hash` must equal.
Sha256 BodyHash(absl::string_view body_prefix);

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_RECORD_H_
