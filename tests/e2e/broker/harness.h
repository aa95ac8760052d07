// Test harness for the broker's end-to-end, interop and load tests: a data
// directory populated through the store library, the real `secretd serve`
// process, tokens from the real `secretctl attest`, TLS gRPC clients pinned
// to the data directory's CA, and audit-log readers. Testonly.
//
//   ASSERT_OK_AND_ASSIGN(auto dir, TestDataDir::Create(TempPath("data")));
//   ASSERT_OK(dir->PutSecret("app/db/password", "hunter2").status());
//   ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(
//       {"--data-dir", dir->root(), "--audience", "secretd.test"}));
//   auto stub = secretd::v1::Broker::NewStub(TlsChannel(*dir, server->port()));
#ifndef SECRETD_TESTS_E2E_BROKER_HARNESS_H_
#define SECRETD_TESTS_E2E_BROKER_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "keys/random.h"
#include "nlohmann/json.hpp"
#include "secretd/datadir/data_dir.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/sqlite_store.h"

namespace secretd::testing {

// $TEST_TMPDIR/<name> (or /tmp/<name>), made unique per call.
std::string TempPath(absl::string_view name);

// The whole content of the file at `path`; kNotFound if it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Paths of the binaries under test, relative to the runfiles root.
inline constexpr char kSecretdBinary[] = "secretd/secretd";
inline constexpr char kSecretctlBinary[] = "secretctl/secretctl";

// A data directory made by InitDataDir, with the store and keyring opened in
// this process so that tests can write state the way the admin socket will.
class TestDataDir {
 public:
  static absl::StatusOr<std::unique_ptr<TestDataDir>> Create(
      const std::string& root);

  const std::string& root() const { return layout_.root; }
  const DataDirLayout& layout() const { return layout_; }
  SqliteStore& store() { return *store_; }
  Keyring& keyring() { return *keyring_; }
  keys::RandomSource& random() { return random_; }
  std::string release_key_id() const;

  absl::Status PutTrust(const std::string& issuer,
                        const std::string& jwks_json);
  // A role with one trust and one permission policy (JSON texts).
  absl::Status PutRole(const std::string& name, const std::string& trust,
                       const std::string& permissions,
                       int64_t max_token_lifetime_seconds = 600,
                       int64_t secret_ttl_seconds = 3600,
                       bool single_use_tokens = false);
  absl::StatusOr<int64_t> PutSecret(const std::string& name,
                                    const std::string& value);
  // The audit log of `replica`: DIRECTORY/audit-REPLICA.jsonl, where
  // DIRECTORY is `directory` if given (a server whose audit directory this
  // process sees elsewhere, e.g. through /proc/self/fd), else the data
  // directory's audit/.
  std::string AuditPath(absl::string_view replica,
                        absl::string_view directory = "") const;

 private:
  explicit TestDataDir(std::string root) : layout_(std::move(root)) {}
  DataDirLayout layout_;
  common::RealClock clock_;
  keys::SystemRandom random_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Keyring> keyring_;
};

// A running `secretd serve` (the real binary), its stderr read line by line.
class ServerProcess {
 public:
  // Runs `secretd serve ARGS...` (add --listen 127.0.0.1:0 if ARGS has no
  // --listen) and waits for its "secretd serving" line. kDeadlineExceeded
  // or kInternal (with the log) if it does not come. A non-empty `launcher`
  // runs `LAUNCHER... secretd/secretd serve ARGS...` instead (looked up on
  // PATH); it must end by exec-ing its arguments, so that pid() is the
  // server's.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::vector<std::string> args, absl::Duration timeout = absl::Seconds(30),
      const std::vector<std::string>& launcher = {});
  ~ServerProcess();  // SIGKILL if still running

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  std::string target() const;  // "127.0.0.1:PORT"
  const nlohmann::json& startup_line() const { return startup_; }

  // Waits until a log line satisfies `pred`. False on timeout.
  bool WaitForLog(const std::function<bool(const nlohmann::json&)>& pred,
                  absl::Duration timeout = absl::Seconds(20));
  // Every log line so far (raw text).
  std::vector<std::string> LogLines() const;
  std::string LogText() const;

  void Signal(int sig) const;
  // Waits for exit: the exit code, 128+N for signal N, -1 on timeout.
  int WaitExit(absl::Duration timeout = absl::Seconds(30));

 private:
  ServerProcess() = default;
  void ReadLoop(int fd);

  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  bool exited_ = false;
  int exit_code_ = -1;
  nlohmann::json startup_;
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

// A platform attestor played by `secretctl attest keygen|issue`.
class Attestor {
 public:
  // Runs `secretctl attest keygen` into `dir`.
  static absl::StatusOr<Attestor> Create(const std::string& dir,
                                         const std::string& issuer,
                                         const std::string& kid,
                                         const std::string& alg = "EdDSA");

  const std::string& issuer() const { return issuer_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& jwks_json() const { return jwks_json_; }

  // `secretctl attest issue` for `nonce` and the X25519 key `cnf` (raw 32
  // bytes). `extra_claims` is merged last (JSON object text); `ttl_seconds`
  // 0 keeps the default. `issuer`/`audience` override the attestor's.
  struct IssueOptions {
    std::string audience;
    std::string issuer;  // "" = the attestor's
    std::string extra_claims;
    int64_t ttl_seconds = 0;
  };
  absl::StatusOr<std::string> Issue(const std::string& nonce,
                                    const std::string& cnf,
                                    const IssueOptions& options) const;
  // Signs `claims` with this attestor's key file in-process (for tokens the
  // CLI deliberately cannot make: no nonce, no cnf).
  absl::StatusOr<std::string> SignClaims(const nlohmann::json& claims) const;

 private:
  std::string issuer_, kid_, key_path_, jwks_json_;
};

// A TLS channel to 127.0.0.1:port that trusts only the data directory's
// CA (tls/ca.pem) and checks the name "localhost".
std::shared_ptr<grpc::Channel> TlsChannel(const TestDataDir& dir, int port);

// Every line of an audit log, parsed (lines that do not parse are null).
std::vector<nlohmann::json> ReadAuditLog(const std::string& path);
// The records with this request id.
std::vector<nlohmann::json> RecordsFor(const std::vector<nlohmann::json>& log,
                                       absl::string_view request_id);
// Number of records of type "provision".
size_t CountProvisionRecords(const std::vector<nlohmann::json>& log);
// "7f3c2a91e0b4c5d6" from "... (request 7f3c2a91e0b4c5d6) ...", or "".
std::string RequestIdIn(absl::string_view message);

// GET http://127.0.0.1:port/path; the body.
absl::StatusOr<std::string> HttpGet(int port, absl::string_view path);
// The value of a metric sample line "name{labels} value" (labels text as
// rendered, "" for none), or nullopt.
std::optional<double> MetricValue(absl::string_view text,
                                  absl::string_view name_and_labels);

// Verifies an audit log with secretd/audit/verifier.h and the data
// directory's keys/audit.pub: OK if intact (every link and checkpoint
// signature), else kDataLoss naming the first bad line.
absl::Status VerifyAuditLog(const TestDataDir& dir, const std::string& path);

}  // namespace secretd::testing

#endif  // SECRETD_TESTS_E2E_BROKER_HARNESS_H_
