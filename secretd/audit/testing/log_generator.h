// Testonly builders of audit records of docs/audit.md, and a fast generator
// of large, valid, signed log files (for the verifier benchmark and tests of
// readers).
//
//   ProvisionSpec p;
//   p.request_id = "req-1"; p.subject = "i-0abc"; p.role = "web";
//   p.requested = {{"app/db/password", std::nullopt}};
//   p.released = {{"app/db/password", 7}};
//   Record r = MakeProvisionRecord(p);     // append with FileAuditWriter
//
//   GenerateLogOptions o{.path = dir + "/audit-host-a.jsonl",
//                        .replica = "host-a", .target_bytes = 256 << 20};
//   ASSIGN_OR_RETURN(GeneratedLog g, GenerateLog(o, signer));
//
// GenerateLog writes lines exactly as FileAuditWriter would (SerializeLine,
// checkpoints signed over CheckpointMessage), without fsync, so a gigabyte
// takes seconds.
#ifndef SECRETD_SECRETD_AUDIT_TESTING_LOG_GENERATOR_H_
#define SECRETD_SECRETD_AUDIT_TESTING_LOG_GENERATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/audit/record.h"

namespace secretd::audit::testing {

struct ProvisionSpec {
  std::string request_id;
  std::string decision = "allow";
  std::string reason = "ok";
  std::string status = "OK";
  std::string message = "released";
  std::string subject;
  std::string issuer = "https://attest.example";
  std::string role;
  std::string source_ip = "10.0.0.7";
  // Name and pinned version (nullopt: the current one) as requested.
  std::vector<std::pair<std::string, std::optional<int64_t>>> requested;
  std::vector<std::pair<std::string, int64_t>> released;
  std::vector<std::string> denied;
  int64_t expires_at = 1764139305;
};
// A provision record with every member of docs/audit.md, in its order.
Record MakeProvisionRecord(const ProvisionSpec& spec);

// An admin record: `type` such as "admin.secret.put", with `status`,
// `message`, `peer_uid`, `peer_pid` and the given object members.
Record MakeAdminRecord(absl::string_view type, absl::string_view request_id,
                       nlohmann::ordered_json object_members);

struct GenerateLogOptions {
  std::string path;
  std::string replica = "host-a";
  uint64_t target_bytes = 1 << 20;  // stops at the first line past it
  uint64_t checkpoint_every = 1000;
  bool final_checkpoint = true;  // a "shutdown" checkpoint at the end
  absl::Time start = absl::FromUnixSeconds(1764135705);
  absl::Duration step = absl::Milliseconds(250);
  uint32_t seed = 1;
};
struct GeneratedLog {
  uint64_t lines = 0;
  uint64_t records = 0;
  uint64_t checkpoints = 0;
  uint64_t bytes = 0;
};
// Writes a log of realistic provision records (about 1 in 8 denied, with
// the denial reasons of docs/audit.md) and a few admin records.
absl::StatusOr<GeneratedLog> GenerateLog(const GenerateLogOptions& options,
                                         const CheckpointSigner& signer);

}  // namespace secretd::audit::testing

#endif  // SECRETD_SECRETD_AUDIT_TESTING_LOG_GENERATOR_H_
