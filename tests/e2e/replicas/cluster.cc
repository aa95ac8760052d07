#include "tests/e2e/replicas/cluster.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/subprocess.h"
#include "keys/encoding.h"
#include "keys/random.h"
#include "secretd/admin/unix_socket.h"
#include "secretd/store/testing/postgres_test_server.h"

namespace secretd::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

absl::Status WriteWholeFile(const std::string& path,
                            const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Copies `from` to `to` recursively, file modes included (key files stay
// 0600, their directories 0700).
absl::Status CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("copying ", from, " to ", to, ": ", ec.message()));
  }
  fs::permissions(to, fs::status(from).permissions(), ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("chmod ", to, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ClusterTrustPolicy() {
  return absl::StrCat(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)",
      R"("Principal":{"Attestor":[")", kClusterIssuer,
      R"("]},"Action":"secretd:AssumeRole"}]})");
}

std::string ReadPolicy(absl::string_view resource_prefix) {
  return absl::StrCat(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)",
      R"("Action":"secrets:Get","Resource":"secret/)", resource_prefix,
      R"(*"}]})");
}

absl::StatusOr<std::unique_ptr<ReplicaCluster>> ReplicaCluster::Create(
    const Options& options) {
  std::unique_ptr<ReplicaCluster> c(new ReplicaCluster());
  c->options_ = options;
  c->root_ = TempPath("cluster");
  if (mkdir(c->root_.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("mkdir ", c->root_));
  }
  c->seed_ = absl::StrCat(c->root_, "/seed");
  common::testing::ProcessResult init = common::testing::RunProcess(
      {kSecretctlBinary, "init", "--data-dir", c->seed_});
  if (init.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("secretctl init failed: ", init.err));
  }
  const std::string attest_dir = absl::StrCat(c->root_, "/attest");
  if (mkdir(attest_dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("mkdir ", attest_dir));
  }
  absl::StatusOr<Attestor> attestor =
      Attestor::Create(attest_dir, kClusterIssuer, "replicas-key");
  if (!attestor.ok()) return attestor.status();
  c->attestor_ = *std::move(attestor);
  c->jwks_path_ = absl::StrCat(attest_dir, "/replicas-key.jwks");
  absl::Status written = WriteWholeFile(absl::StrCat(c->root_, "/trust.json"),
                                        ClusterTrustPolicy());
  if (!written.ok()) return written;
  return c;
}

ReplicaCluster::~ReplicaCluster() {
  // ServerProcess's destructor SIGKILLs a replica still running.
  replicas_.clear();
}

absl::Status ReplicaCluster::StartReplicas(
    int count, const std::vector<std::string>& extra_args) {
  const std::string ca = absl::StrCat(seed_, "/tls/ca.pem");
  for (int n = 0; n < count; ++n) {
    Replica r;
    const size_t index = replicas_.size();
    r.id = absl::StrCat("replica-",
                        std::string(1, static_cast<char>('a' + index % 26)),
                        index >= 26 ? absl::StrCat(index) : "");
    r.data_dir = absl::StrCat(root_, "/", r.id);
    // What each host of a deployment holds: the keys and the TLS files,
    // copied from one `secretctl init`; an empty audit directory.
    if (mkdir(r.data_dir.c_str(), 0700) != 0) {
      return absl::InternalError(absl::StrCat("mkdir ", r.data_dir));
    }
    for (const char* sub : {"keys", "tls"}) {
      absl::Status s = CopyTree(absl::StrCat(seed_, "/", sub),
                                absl::StrCat(r.data_dir, "/", sub));
      if (!s.ok()) return s;
    }
    const std::string audit = absl::StrCat(r.data_dir, "/audit");
    if (mkdir(audit.c_str(), 0700) != 0) {
      return absl::InternalError(absl::StrCat("mkdir ", audit));
    }
    std::string url = options_.store_url;
    if (!options_.application_name_prefix.empty()) {
      absl::StatusOr<std::string> named = RewriteUrl(
          url, {{"application_name",
                 absl::StrCat(options_.application_name_prefix, "/", r.id)}});
      if (!named.ok()) return named.status();
      url = *named;
    }
    std::vector<std::string> args = {"--data-dir",     r.data_dir, "--audience",
                                     kClusterAudience, "--store",  url,
                                     "--replica-id",   r.id};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(args);
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          absl::StrCat(r.id, ": ", server.status().message()));
    }
    r.server = *std::move(server);
    r.broker = secretd::v1::Broker::NewStub(TlsChannelTo(ca, r.server->port()));
    replicas_.push_back(std::move(r));
  }
  return absl::OkStatus();
}

std::string ReplicaCluster::application_name(int i) const {
  if (options_.application_name_prefix.empty()) return "";
  return absl::StrCat(options_.application_name_prefix, "/", replicas_[i].id);
}

std::string ReplicaCluster::admin_socket(int i) const {
  return absl::StrCat(replicas_[i].data_dir, "/admin.sock");
}

std::string ReplicaCluster::audit_path(int i) const {
  return absl::StrCat(replicas_[i].data_dir, "/audit/audit-", replicas_[i].id,
                      ".jsonl");
}

absl::StatusOr<std::string> ReplicaCluster::Secretctl(
    int i, const std::vector<std::string>& args,
    const std::string& stdin_data) {
  std::vector<std::string> argv = {kSecretctlBinary, "--admin-socket",
                                   admin_socket(i)};
  argv.insert(argv.end(), args.begin(), args.end());
  common::testing::ProcessResult r =
      common::testing::RunProcess(argv, stdin_data);
  if (r.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("secretctl ", args[0], " ", args.size() > 1 ? args[1] : "",
                     " exit ", r.exit_code, ": ", r.err));
  }
  return r.out;
}

absl::StatusOr<std::unique_ptr<secretd::v1::Admin::Stub>>
ReplicaCluster::AdminStub(int i) {
  absl::StatusOr<UniqueFd> fd = ConnectUnixSocket(admin_socket(i));
  if (!fd.ok()) return fd.status();
  // gRPC owns the fd from here.
  return secretd::v1::Admin::NewStub(
      grpc::CreateInsecureChannelFromFd("localhost", fd->release()));
}

absl::Status ReplicaCluster::TrustAttestor(int i) {
  return Secretctl(i, {"trust", "put", kClusterIssuer, "--jwks", jwks_path_})
      .status();
}

absl::Status ReplicaCluster::PutRole(int i, const std::string& name,
                                     const std::string& prefix,
                                     bool single_use) {
  const std::string policy = absl::StrCat(root_, "/read-", name, ".json");
  absl::Status s = WriteWholeFile(policy, ReadPolicy(prefix));
  if (!s.ok()) return s;
  std::vector<std::string> args = {
      "role",     "put", name, "--trust", absl::StrCat(root_, "/trust.json"),
      "--policy", policy};
  if (single_use) args.push_back("--single-use-tokens");
  return Secretctl(i, args).status();
}

absl::StatusOr<std::string> ReplicaCluster::Token(
    int i, const keys::X25519KeyPair& pair, const std::string& subject) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  secretd::v1::GetChallengeResponse challenge;
  grpc::Status s = broker(i).GetChallenge(&ctx, {}, &challenge);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "GetChallenge on ", replica_id(i), ": ", s.error_message()));
  }
  keys::SystemRandom random;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  Json claims = {{"iss", kClusterIssuer},
                 {"sub", subject},
                 {"aud", kClusterAudience},
                 {"iat", now},
                 {"exp", now + 290},
                 {"jti", keys::Base64UrlEncode(keys::RandomBytes(random, 16))},
                 {"nonce", challenge.challenge()},
                 {"cnf",
                  {{"jwk",
                    {{"kty", "OKP"},
                     {"crv", "X25519"},
                     {"x", keys::Base64UrlEncode(pair.public_key())}}}}}};
  return attestor_.SignClaims(claims);
}

std::vector<int> ReplicaCluster::StopAll() {
  for (Replica& r : replicas_) r.server->Signal(SIGTERM);
  std::vector<int> codes;
  for (Replica& r : replicas_) codes.push_back(r.server->WaitExit());
  return codes;
}

std::shared_ptr<grpc::Channel> TlsChannelTo(const std::string& ca_pem_path,
                                            int port) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca_pem_path).value_or("");
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::SslCredentials(options), args);
}

std::vector<Json> ReadAuditLogs(const std::vector<std::string>& paths) {
  std::vector<Json> out;
  for (const std::string& path : paths) {
    std::vector<Json> log = ReadAuditLog(path);
    out.insert(out.end(), log.begin(), log.end());
  }
  return out;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1,
                                static_cast<size_t>(p / 100.0 * values.size()));
  return values[index];
}

}  // namespace secretd::testing
