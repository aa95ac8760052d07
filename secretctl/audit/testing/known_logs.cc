#include "secretctl/audit/testing/known_logs.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "keys/key_files.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/log_generator.h"

namespace secretctl::testing {
namespace {

using secretd::audit::FileAuditWriter;
using secretd::audit::Record;
using secretd::audit::testing::MakeAdminRecord;
using secretd::audit::testing::MakeProvisionRecord;
using secretd::audit::testing::ProvisionSpec;

struct Timed {
  int offset_seconds;
  Record record;
};

absl::Status WriteLog(const std::string& dir, const std::string& replica,
                      uint64_t checkpoint_every,
                      const std::vector<Timed>& records,
                      const secretd::audit::testing::TestSigner& signer) {
  common::testing::FakeClock clock(kStart);
  auto w = FileAuditWriter::Open(
      {dir, replica, checkpoint_every, absl::Hours(1)}, signer, clock);
  if (!w.ok()) return w.status();
  for (const Timed& t : records) {
    clock.SetTime(kStart + absl::Seconds(t.offset_seconds));
    if (absl::Status s = (*w)->Append(t.record); !s.ok()) return s;
  }
  return (*w)->Close();
}

ProvisionSpec Allow(std::string id, std::string subject, std::string role,
                    std::vector<std::pair<std::string, int64_t>> released) {
  ProvisionSpec p;
  p.request_id = std::move(id);
  p.subject = std::move(subject);
  p.role = std::move(role);
  for (const auto& [name, version] : released) {
    p.requested.emplace_back(name, std::nullopt);
  }
  p.released = std::move(released);
  return p;
}

}  // namespace

absl::StatusOr<KnownLogs> WriteKnownLogs(
    const std::string& dir, const secretd::audit::testing::TestSigner& signer) {
  mkdir(dir.c_str(), 0700);
  KnownLogs k;
  k.dir = dir;
  k.host_a = dir + "/audit-host-a.jsonl";
  k.host_b = dir + "/audit-host-b.jsonl";
  k.key_file = dir + "/audit.pub";
  k.key_id = signer.KeyId();

  ProvisionSpec expired;
  expired.request_id = "req-2";
  expired.decision = "deny";
  expired.reason = "token.expired";
  expired.status = "UNAUTHENTICATED";
  expired.message = "token expired 312 s ago";
  expired.issuer = "";
  expired.role = "web";
  expired.requested = {{"app/db/password", std::nullopt}};

  ProvisionSpec denied;
  denied.request_id = "req-4";
  denied.decision = "deny";
  denied.reason = "permission.implicit_deny";
  denied.status = "PERMISSION_DENIED";
  denied.message = "role worker may not read app/db/password";
  denied.subject = "i-ccc";
  denied.role = "worker";
  denied.requested = {{"app/db/password", std::nullopt}};
  denied.denied = {"app/db/password"};

  ProvisionSpec pinned =
      Allow("req-6", "i-aaa", "web", {{"app/db/password", 8}});
  pinned.requested = {{"app/db/password", 8}};

  nlohmann::ordered_json put = nlohmann::ordered_json::object();
  put["secret"] = "app/db/password";
  put["version"] = 8;

  absl::Status s =
      WriteLog(dir, "host-a", 3,
               {{0, MakeProvisionRecord(
                        Allow("req-1", "i-aaa", "web",
                              {{"app/db/password", 7}, {"app/tls/cert", 3}}))},
                {10, MakeProvisionRecord(expired)},
                {20, MakeAdminRecord("admin.secret.put", "adm-1", put)},
                {30, MakeProvisionRecord(Allow("req-3", "i-bbb", "web",
                                               {{"app/db/password", 8}}))},
                {40, MakeProvisionRecord(denied)}},
               signer);
  if (!s.ok()) return s;
  s = WriteLog(dir, "host-b", 1000,
               {{5, MakeProvisionRecord(Allow("req-5", "i-ddd", "worker",
                                              {{"queue/token", 2}}))},
                {35, MakeProvisionRecord(pinned)}},
               signer);
  if (!s.ok()) return s;
  const auto& pk = signer.public_key();
  s = keys::WritePublicKeyFile(k.key_file, std::string(pk.begin(), pk.end()));
  if (!s.ok()) return s;
  return k;
}

absl::StatusOr<std::string> WriteIdleLog(
    const std::string& dir, const std::string& replica,
    const secretd::audit::testing::TestSigner& signer) {
  mkdir(dir.c_str(), 0700);
  if (absl::Status s = WriteLog(dir, replica, 1000, {}, signer); !s.ok()) {
    return s;
  }
  return absl::StrCat(dir, "/audit-", replica, ".jsonl");
}

absl::StatusOr<KnownLogs> WriteKnownLogsForTest(
    const secretd::audit::testing::TestSigner& signer) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return WriteKnownLogs(
      absl::StrCat(getenv("TEST_TMPDIR"), "/", info->test_suite_name(), ".",
                   info->name()),
      signer);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines,
                bool final_newline) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << absl::StrJoin(lines, "\n") << (final_newline ? "\n" : "");
}

std::string Rehash(const std::string& line) {
  auto f = secretd::audit::SplitLine(line);
  if (!f.ok()) return line;
  return absl::StrCat(
      f->body_prefix, ",\"hash\":\"",
      secretd::audit::HexSha256(secretd::audit::BodyHash(f->body_prefix)),
      "\"}");
}

}  // namespace secretctl::testing
