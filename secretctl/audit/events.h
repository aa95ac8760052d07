// Audit records as readers see them: one Event per line of a log
// (docs/audit.md), with the members of provision and admin records.
//
//   ASSIGN_OR_RETURN(Event e, ParseEvent(line));
//   if (e.kind() == EventKind::kProvision && e.decision == "deny") ...
//
// ParseEvent checks the envelope with the verifier's strict scanner
// (secretd/audit/envelope.h) and reads the rest as JSON, tolerating missing
// or mistyped optional members (they read as empty): a reader shows what is
// there. It never verifies hashes; see `secretctl audit verify`.
//
// EventStream reads several logs at once, merged by time (then replica, then
// seq), in constant memory: one pending event per file. It opens the logs
// by path, or reads logs that are already open (LogSource): after
// verification, `query --verify` and `report` read the very files they
// verified, up to the bytes verified, and each event says whether a
// checkpoint signs it.
#ifndef SECRETD_SECRETCTL_AUDIT_EVENTS_H_
#define SECRETD_SECRETCTL_AUDIT_EVENTS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/verifier.h"

namespace secretctl {

struct SecretRef {
  std::string name;
  std::optional<int64_t> version;  // nullopt: "the current version"
};

enum class EventKind { kProvision, kAdmin, kCheckpoint, kOther };

struct Event {
  // Envelope.
  uint64_t seq = 0;
  absl::Time time;
  std::string time_text;  // as in the log: 2026-11-26T05:41:45.123Z
  std::string replica;
  std::string type;
  std::string request_id;
  // Provision records (and `status`/`message` of admin records).
  std::string decision;  // "allow" | "deny"
  std::string reason;
  std::string status;
  std::string message;
  std::string subject;
  std::string issuer;  // also admin.trust.*
  std::string role;    // also admin.role.*
  std::string source_ip;
  std::vector<SecretRef> requested;
  std::vector<SecretRef> released;
  std::vector<std::string> denied;
  // Admin records.
  std::string secret;  // admin.secret.*
  std::optional<int64_t> version;
  std::optional<int64_t> peer_uid;

  // Where it came from.
  std::string file;
  uint64_t line = 0;
  std::string raw;  // the line exactly as in the file (without "\n")
  // For a verified log: whether a checkpoint after the record signs it
  // (false for the records after the log's last checkpoint). nullopt when
  // the log was not verified.
  std::optional<bool> is_signed;

  EventKind kind() const;
};

// Parses one line (without "\n"). kDataLoss naming what is wrong if it is not
// an audit record. `raw`, `file` and `line` are left for the caller.
absl::StatusOr<Event> ParseEvent(absl::string_view line);

// Reads only the envelope (no JSON parse): enough to skip a line by type or
// time cheaply. kDataLoss if it is not an audit record.
struct EventHead {
  absl::Time time;
  absl::string_view type;
};
absl::StatusOr<EventHead> ParseEventHead(absl::string_view line);

// A line that could not be read as an event.
struct Unreadable {
  std::string file;
  uint64_t line = 0;
  std::string why;
};

// A log that is already open, to read events from.
struct LogSource {
  const secretd::audit::LogFile* file = nullptr;  // not owned
  // Read at most this many bytes from the start (the verified bytes).
  uint64_t limit = secretd::audit::kNoLimit;
  // Set if the log was verified (not owned). Events then carry is_signed;
  // and if it verified intact, the stream checks with a RereadCheck
  // (secretd/audit/verifier.h) that it reads exactly the verified lines, and
  // ends with kAborted if not.
  const secretd::audit::FileVerification* verification = nullptr;
};

// The message of the kAborted status for a log that changed between
// verification and reading.
std::string LogChangedMessage(absl::string_view path);

class EventStream {
 public:
  // Decides from the envelope whether a line is parsed at all (e.g. a time
  // window, or "not a checkpoint"). Null: every line.
  using HeadFilter = std::function<bool(const EventHead&)>;

  // Opens every file. kNotFound / kUnavailable naming the first that cannot
  // be opened.
  static absl::StatusOr<std::unique_ptr<EventStream>> Open(
      const std::vector<std::string>& paths, HeadFilter filter);
  // Reads logs that are open already (each must outlive the stream).
  static std::unique_ptr<EventStream> Read(
      const std::vector<LogSource>& sources, HeadFilter filter);
  ~EventStream();

  // The next event in time order across the files; false at the end of all
  // of them. Lines that cannot be read go to `unreadable` (if set) and are
  // skipped; so does a last line without "\n".
  bool Next(Event* event);
  // The first read error (kUnavailable), or kAborted (LogChangedMessage)
  // if a verified log turned out different when read again: the stream
  // ends early. Check it before using what was read.
  const absl::Status& status() const { return status_; }

  std::function<void(const Unreadable&)> unreadable;

 private:
  struct Source;
  EventStream() = default;
  // Reads the source's next event that passes the filter into its slot.
  bool Advance(Source& s);

  HeadFilter filter_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<Source*> heap_;  // sources with a pending event
  bool primed_ = false;
  absl::Status status_;
};

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_EVENTS_H_
