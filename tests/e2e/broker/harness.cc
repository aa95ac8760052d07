#include "tests/e2e/broker/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/testing/subprocess.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/key_files.h"
#include "secretd/audit/verifier.h"
#include "secretd/vault/secret_vault.h"

extern char** environ;

namespace secretd::testing {
namespace {

using Json = nlohmann::json;

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TempPath(absl::string_view name) {
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "-", getpid(),
                      "-", counter.fetch_add(1));
}

// ---- TestDataDir ----

absl::StatusOr<std::unique_ptr<TestDataDir>> TestDataDir::Create(
    const std::string& root) {
  std::unique_ptr<TestDataDir> dir(new TestDataDir(root));
  absl::StatusOr<InitReport> report =
      InitDataDir(root, InitOptions{}, dir->clock_);
  if (!report.ok()) return report.status();
  SqliteStore::Options options;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(dir->layout_.store_db, dir->clock_, options);
  if (!store.ok()) return store.status();
  dir->store_ = *std::move(store);
  absl::StatusOr<std::unique_ptr<Keyring>> keyring =
      Keyring::Load(dir->layout_, {});
  if (!keyring.ok()) return keyring.status();
  dir->keyring_ = *std::move(keyring);
  return dir;
}

std::string TestDataDir::release_key_id() const {
  return keyring_->release_signer().key_id();
}

absl::Status TestDataDir::PutTrust(const std::string& issuer,
                                   const std::string& jwks_json) {
  return store_->PutTrustBundle(issuer, jwks_json);
}

absl::Status TestDataDir::PutRole(const std::string& name,
                                  const std::string& trust,
                                  const std::string& permissions,
                                  int64_t max_token_lifetime_seconds,
                                  int64_t secret_ttl_seconds,
                                  bool single_use_tokens) {
  RoleRecord role;
  role.name = name;
  role.trust_policy = {"trust.json", trust};
  role.permission_policies = {{"permissions.json", permissions}};
  role.max_token_lifetime_seconds = max_token_lifetime_seconds;
  role.secret_ttl_seconds = secret_ttl_seconds;
  role.single_use_tokens = single_use_tokens;
  return store_->PutRole(role);
}

absl::StatusOr<int64_t> TestDataDir::PutSecret(const std::string& name,
                                               const std::string& value) {
  std::shared_ptr<const KeySet> keys = keyring_->Current();
  SecretVault vault(*store_, keys->ring, random_);
  return vault.Put(name, keys::SecretBytes::CopyFrom(value));
}

std::string TestDataDir::AuditPath(absl::string_view replica,
                                   absl::string_view directory) const {
  return absl::StrCat(directory.empty() ? layout_.audit_dir : directory,
                      "/audit-", replica, ".jsonl");
}

// ---- ServerProcess ----

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    std::vector<std::string> args, absl::Duration timeout,
    const std::vector<std::string>& launcher) {
  bool has_listen = false;
  for (const std::string& a : args) {
    if (a == "--listen" || absl::StartsWith(a, "--listen=")) has_listen = true;
  }
  std::vector<std::string> argv = launcher;
  argv.push_back(kSecretdBinary);
  argv.push_back("serve");
  argv.insert(argv.end(), args.begin(), args.end());
  if (!has_listen) {
    argv.push_back("--listen");
    argv.push_back("127.0.0.1:0");
  }
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> argp;
  for (std::string& s : argv) argp.push_back(s.data());
  argp.push_back(nullptr);
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  const int rc =
      posix_spawnp(&p->pid_, argp[0], &actions, nullptr, argp.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(err[1]);
  if (rc != 0) {
    close(err[0]);
    return absl::InternalError(
        absl::StrCat("posix_spawnp ", argv[0], ": ", strerror(rc)));
  }
  const int fd = err[0];
  ServerProcess* raw = p.get();
  p->reader_ = std::thread([raw, fd] { raw->ReadLoop(fd); });

  Json startup;
  bool ended = false;
  {
    absl::MutexLock lock(&p->mu_);
    size_t scanned = 0;
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
      for (; scanned < p->lines_.size(); ++scanned) {
        Json j = Json::parse(p->lines_[scanned], nullptr, false);
        if (j.is_object() && j.value("msg", "") == "secretd serving") {
          startup = std::move(j);
          return true;
        }
      }
      ended = p->eof_;
      return ended;
    };
    p->mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  if (!startup.is_object()) {
    const std::string log = p->LogText();
    p->Signal(SIGKILL);
    p->WaitExit(absl::Seconds(10));
    return absl::InternalError(
        absl::StrCat(ended ? "secretd exited before serving"
                           : "secretd did not start in time",
                     "; its log:\n", log));
  }
  p->startup_ = startup;
  p->port_ = startup.value("port", 0);
  p->metrics_port_ = startup.value("metrics_port", 0);
  return p;
}

void ServerProcess::ReadLoop(int fd) {
  std::string partial;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    std::vector<std::string> complete;
    while ((nl = partial.find('\n')) != std::string::npos) {
      complete.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    if (!complete.empty()) {
      absl::MutexLock lock(&mu_);
      for (auto& l : complete) lines_.push_back(std::move(l));
    }
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  if (!partial.empty()) lines_.push_back(partial);
  eof_ = true;
}

ServerProcess::~ServerProcess() {
  if (!exited_ && pid_ > 0) {
    Signal(SIGKILL);
    WaitExit(absl::Seconds(10));
  }
  if (reader_.joinable()) reader_.join();
}

std::string ServerProcess::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

bool ServerProcess::WaitForLog(const std::function<bool(const Json&)>& pred,
                               absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  size_t scanned = 0;
  bool found = false;
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (; scanned < lines_.size(); ++scanned) {
      Json j = Json::parse(lines_[scanned], nullptr, false);
      if (j.is_object() && pred(j)) {
        found = true;
        return true;
      }
    }
    return eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return found;
}

std::vector<std::string> ServerProcess::LogLines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

std::string ServerProcess::LogText() const {
  std::string out;
  for (const std::string& l : LogLines()) absl::StrAppend(&out, l, "\n");
  return out;
}

void ServerProcess::Signal(int sig) const {
  if (pid_ > 0 && !exited_) kill(pid_, sig);
}

int ServerProcess::WaitExit(absl::Duration timeout) {
  if (exited_) return exit_code_;
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (reader_.joinable()) reader_.join();
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

// ---- Attestor ----

absl::StatusOr<Attestor> Attestor::Create(const std::string& dir,
                                          const std::string& issuer,
                                          const std::string& kid,
                                          const std::string& alg) {
  Attestor a;
  a.issuer_ = issuer;
  a.kid_ = kid;
  a.key_path_ = absl::StrCat(dir, "/", kid, ".key");
  const std::string jwks_path = absl::StrCat(dir, "/", kid, ".jwks");
  common::testing::ProcessResult r = common::testing::RunProcess(
      {kSecretctlBinary, "attest", "keygen", "--alg", alg, "--kid", kid,
       "--private-out", a.key_path_, "--jwks-out", jwks_path});
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("secretctl attest keygen failed: ", r.err));
  }
  absl::StatusOr<std::string> jwks = ReadFile(jwks_path);
  if (!jwks.ok()) return jwks.status();
  a.jwks_json_ = *jwks;
  return a;
}

absl::StatusOr<std::string> Attestor::Issue(const std::string& nonce,
                                            const std::string& cnf,
                                            const IssueOptions& o) const {
  std::vector<std::string> argv = {kSecretctlBinary,
                                   "attest",
                                   "issue",
                                   "--key",
                                   key_path_,
                                   "--issuer",
                                   o.issuer.empty() ? issuer_ : o.issuer,
                                   "--subject",
                                   "i-0e2e",
                                   "--audience",
                                   o.audience,
                                   "--nonce",
                                   nonce,
                                   "--cnf-x25519",
                                   keys::Base64UrlEncode(cnf)};
  if (!o.extra_claims.empty()) {
    argv.push_back("--claims");
    argv.push_back(o.extra_claims);
  }
  if (o.ttl_seconds > 0) {
    argv.push_back("--ttl");
    argv.push_back(absl::StrCat(o.ttl_seconds));
  }
  common::testing::ProcessResult r = common::testing::RunProcess(argv);
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("secretctl attest issue failed: ", r.err));
  }
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
    token.pop_back();
  }
  return token;
}

absl::StatusOr<std::string> Attestor::SignClaims(const Json& claims) const {
  absl::StatusOr<keys::Jwk> key = keys::LoadSigningKeyFile(key_path_);
  if (!key.ok()) return key.status();
  auto signer = key->signer();
  if (!signer.ok()) return signer.status();
  return keys::SignJwt(**signer, kid_, claims);
}

// ---- Clients and readers ----

std::shared_ptr<grpc::Channel> TlsChannel(const TestDataDir& dir, int port) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(dir.layout().ca_pem).value_or("");
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::SslCredentials(options), args);
}

std::vector<Json> ReadAuditLog(const std::string& path) {
  std::vector<Json> out;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return out;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    Json j = Json::parse(line.begin(), line.end(), nullptr, false);
    out.push_back(j.is_discarded() ? Json() : j);
  }
  return out;
}

std::vector<Json> RecordsFor(const std::vector<Json>& log,
                             absl::string_view request_id) {
  std::vector<Json> out;
  for (const Json& j : log) {
    if (j.is_object() && j.value("request_id", "") == request_id) {
      out.push_back(j);
    }
  }
  return out;
}

size_t CountProvisionRecords(const std::vector<Json>& log) {
  size_t n = 0;
  for (const Json& j : log) {
    if (j.is_object() && j.value("type", "") == "provision") ++n;
  }
  return n;
}

std::string RequestIdIn(absl::string_view message) {
  const size_t at = message.find("(request ");
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = message.substr(at + 9);
  const size_t end = rest.find(')');
  return end == absl::string_view::npos ? "" : std::string(rest.substr(0, end));
}

absl::StatusOr<std::string> HttpGet(int port, absl::string_view path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect to metrics port ", port, ": ", strerror(errno)));
  }
  const std::string request =
      absl::StrCat("GET ", path,
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::InternalError("write");
  }
  std::string response;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return absl::InternalError("no HTTP body");
  return response.substr(body + 4);
}

std::optional<double> MetricValue(absl::string_view text,
                                  absl::string_view name_and_labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, name_and_labels) &&
        line.size() > name_and_labels.size() &&
        line[name_and_labels.size()] == ' ') {
      return std::strtod(
          std::string(line.substr(name_and_labels.size() + 1)).c_str(),
          nullptr);
    }
  }
  return std::nullopt;
}

absl::Status VerifyAuditLog(const TestDataDir& dir, const std::string& path) {
  absl::StatusOr<std::string> pub =
      keys::ReadPublicKeyFile(dir.layout().audit_pub);
  if (!pub.ok()) return pub.status();
  absl::StatusOr<std::unique_ptr<keys::Ed25519Verifier>> verifier =
      keys::Ed25519Verifier::Create(*pub);
  if (!verifier.ok()) return verifier.status();
  const std::string key_id = keys::PublicKeyId(*pub);
  keys::Ed25519Verifier* v = verifier->get();
  audit::VerifyOptions options;
  options.check_checkpoint = [&](absl::string_view message,
                                 absl::string_view signature,
                                 absl::string_view claimed_key_id) {
    if (claimed_key_id != key_id) return absl::NotFoundError("unknown key");
    absl::Status s = v->Verify(message, signature);
    return s.ok() ? s : absl::UnauthenticatedError("bad signature");
  };
  absl::StatusOr<audit::FileVerification> result =
      audit::VerifyLogFile(path, options);
  if (!result.ok()) return result.status();
  if (result->failure.has_value()) {
    return absl::DataLossError(
        absl::StrCat(path, " line ", result->failure->line, ": ",
                     result->failure->kind, ": ", result->failure->message));
  }
  return absl::OkStatus();
}

}  // namespace secretd::testing
