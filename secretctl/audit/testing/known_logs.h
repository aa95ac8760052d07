// Testonly: two replica logs with known requests, written by the real
// FileAuditWriter (secretd/audit) with records of docs/audit.md, for the
// query, report and command tests.
//
// Times are kStart + offset; "i-aaa" boots twice.
//
//   host-a (checkpoint every 3 records, and at shutdown):
//     +0s   req-1  allow  i-aaa  web     released app/db/password@7,
//                                                 app/tls/cert@3
//     +10s  req-2  deny   ""     web     token.expired (token not verified;
//                                        requested app/db/password)
//     +20s  adm-1  admin.secret.put app/db/password version 8
//     +30s  req-3  allow  i-bbb  web     released app/db/password@8
//     +40s  req-4  deny   i-ccc  worker  permission.implicit_deny, denied
//                                        app/db/password
//   host-b:
//     +5s   req-5  allow  i-ddd  worker  released queue/token@2
//     +35s  req-6  allow  i-aaa  web     requested app/db/password@8,
//                                        released app/db/password@8
//
// host-a has 7 lines: req-1, req-2, adm-1, a "count" checkpoint (line 4),
// req-3, req-4 and a "shutdown" checkpoint (line 7). host-b has 3 lines:
// req-5, req-6 and a "shutdown" checkpoint.
#ifndef SECRETD_SECRETCTL_AUDIT_TESTING_KNOWN_LOGS_H_
#define SECRETD_SECRETCTL_AUDIT_TESTING_KNOWN_LOGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretctl::testing {

inline const absl::Time kStart =
    absl::FromUnixSeconds(1764135705);  // 2025-11-26T05:41:45Z

struct KnownLogs {
  std::string dir;
  std::string host_a;    // DIR/audit-host-a.jsonl
  std::string host_b;    // DIR/audit-host-b.jsonl
  std::string key_file;  // DIR/audit.pub (base64url of the signer's key)
  std::string key_id;
};

// Writes the two logs and the key file into `dir` (created if missing).
absl::StatusOr<KnownLogs> WriteKnownLogs(
    const std::string& dir, const secretd::audit::testing::TestSigner& signer);

// WriteKnownLogs into TEST_TMPDIR/<suite>.<test> of the running gtest.
absl::StatusOr<KnownLogs> WriteKnownLogsForTest(
    const secretd::audit::testing::TestSigner& signer);

// The log of a broker that started at kStart and stopped cleanly without
// serving a request: one line, its signed "shutdown" checkpoint (seq 1,
// "records":0). Written by the real FileAuditWriter into `dir` (created if
// missing); returns its path, DIR/audit-REPLICA.jsonl.
absl::StatusOr<std::string> WriteIdleLog(
    const std::string& dir, const std::string& replica,
    const secretd::audit::testing::TestSigner& signer);

// The lines of a file, without "\n".
std::vector<std::string> ReadLines(const std::string& path);
// Writes `lines` joined by "\n" (and a final "\n" unless told otherwise).
void WriteLines(const std::string& path, const std::vector<std::string>& lines,
                bool final_newline = true);
// Replaces the line's hash with the one its content has (a forger's edit).
std::string Rehash(const std::string& line);

}  // namespace secretctl::testing

#endif  // SECRETD_SECRETCTL_AUDIT_TESTING_KNOWN_LOGS_H_
