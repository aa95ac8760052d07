// Fast, strict readers of the fixed parts of an audit line (docs/audit.md),
// without building a JSON document: the verifier reads every line of a
// gigabyte log through these.
//
//   ASSIGN_OR_RETURN(LineFields f, SplitLine(line));      // record.h
//   ASSIGN_OR_RETURN(Envelope e, ScanEnvelope(line));
//   if (e.type == kCheckpointType) {
//     ASSIGN_OR_RETURN(CheckpointFields c, ScanCheckpoint(e, f));
//   }
//
// Every line starts with the same five members in this order, written by
// SerializeLine (record.h):
//
//   {"seq":N,"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","replica":"<id>",
//    "type":"<type>","request_id":"<id>",...
//
// ScanEnvelope accepts exactly that form: `time` in the writer's fixed
// RFC 3339 form, `replica` a valid replica id, `type` 1..64 characters of
// [a-z0-9._-] and `request_id` printable ASCII (0x20..0x7e) without '"' or
// '\', so it holds no JSON escape and nothing a terminal would act on (the
// broker's and admin service's ids are 16 hex digits). A checkpoint has
// exactly the members SerializeLine gives it:
//
//   ...,"request_id":"","records":N,"reason":"count"|"interval"|"shutdown",
//   "key_id":"<16 hex>","signature":"<86 base64url>","prev":...,"hash":...}
//
// Errors are kDataLoss with a message naming the member that is wrong. The
// views point into the line. Thread-safe (pure functions).
#ifndef SECRETD_SECRETD_AUDIT_ENVELOPE_H_
#define SECRETD_SECRETD_AUDIT_ENVELOPE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "secretd/audit/record.h"

namespace secretd::audit {

struct Envelope {
  uint64_t seq = 0;
  absl::string_view time;  // "2026-11-26T05:41:45.123Z"
  absl::string_view replica;
  absl::string_view type;
  absl::string_view request_id;
  // The rest of the line after request_id's closing quote (starts with ","
  // for a well-formed record).
  absl::string_view rest;
};
absl::StatusOr<Envelope> ScanEnvelope(absl::string_view line);

// Parses the writer's fixed time form "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC,
// milliseconds). False for anything else, including impossible dates.
bool ParseFixedRecordTime(absl::string_view text, absl::Time* out);

struct CheckpointFields {
  uint64_t records = 0;
  absl::string_view reason;     // "count", "interval" or "shutdown"
  absl::string_view key_id;     // 16 lower-case hex digits
  absl::string_view signature;  // 86 base64url characters (64 bytes)
};
// Reads the checkpoint members of a line whose envelope is `envelope` and
// whose SplitLine result is `fields` (both of the same line).
absl::StatusOr<CheckpointFields> ScanCheckpoint(const Envelope& envelope,
                                                const LineFields& fields);

// The message a checkpoint line's signature must cover (record.h
// CheckpointMessage), read from the line itself (without "\n"). kDataLoss if
// it is not a well-formed checkpoint line. Its `signature` and `hash`
// members do not enter the message.
absl::StatusOr<std::string> CheckpointMessageOf(absl::string_view line);

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_ENVELOPE_H_
