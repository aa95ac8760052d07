// The real `bootstrap` binary against an in-process FakeBroker over loopback
// TLS, with `secretctl attest issue` as the platform attestor: delivery,
// exec mode, forged and mismatched answers, retries, denial, attestation
// failures, path escapes and the tmpfs rule. Every case checks the exit
// code, the one-line error and what appeared on disk.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bootstrap/testing/files.h"
#include "bootstrap/testing/loopback.h"
#include "bootstrap/testing/release_builder.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/jws.h"
#include "keys/key_files.h"
#include "nlohmann/json.hpp"
#include "openssl/pem.h"
#include "openssl/ssl.h"
#include "secretd/tls/dev_ca.h"
#include "tests/integration/bootstrap/fake_broker.h"

namespace bootstrap::testing {
namespace {

using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

struct Entry {
  mode_t mode;
  off_t size;
  bool operator==(const Entry& o) const {
    return mode == o.mode && size == o.size;
  }
};
using Snapshot = std::map<std::string, Entry>;

// Everything below `dir` (not following symlinks).
void Walk(const std::string& dir, const std::string& rel, Snapshot& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    const std::string r = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    out[r] = {st.st_mode, S_ISDIR(st.st_mode) ? 0 : st.st_size};
    if (S_ISDIR(st.st_mode)) Walk(path, r, out);
  }
  closedir(d);
}

Snapshot Snap(const std::string& dir) {
  Snapshot s;
  Walk(dir, "", s);
  return s;
}

// Paths in `after` that are new or changed.
std::vector<std::string> Added(const Snapshot& before, const Snapshot& after) {
  std::vector<std::string> out;
  for (const auto& [path, entry] : after) {
    auto it = before.find(path);
    if (it == before.end() || !(it->second == entry)) out.push_back(path);
  }
  return out;
}

std::string LastLine(const std::string& text) {
  absl::string_view t = absl::StripSuffix(text, "\n");
  size_t nl = t.rfind('\n');
  return std::string(nl == absl::string_view::npos ? t : t.substr(nl + 1));
}

// A TCP port on 127.0.0.1 that accepts connections and closes them at once
// (a broker that is down), until `count` connections have come; then it
// stops listening and calls `then`.
class RefusingPort {
 public:
  RefusingPort(int count, std::function<void(int port)> then) {
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this, count, then] {
      for (int i = 0; i < count; ++i) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        close(c);
        ++accepted_;
      }
      close(fd_.exchange(-1));
      then(port_);
    });
  }
  ~RefusingPort() {
    if (int fd = fd_.load(); fd >= 0) shutdown(fd, SHUT_RDWR);
    thread_.join();
    if (int fd = fd_.exchange(-1); fd >= 0) close(fd);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  std::atomic<int> fd_{-1};
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A metadata endpoint for --attest-url: signs a token for the query's
// nonce, audience and cnf_x25519 with the broker's trusted test issuer.
// With `tls`, it speaks https with that server certificate.
class AttestationEndpoint {
 public:
  explicit AttestationEndpoint(
      const keys::testing::TestIssuer& issuer,
      const secretd::tls::DevTlsMaterial* tls = nullptr)
      : issuer_(issuer) {
    if (tls != nullptr) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      BIO* cert =
          BIO_new_mem_buf(tls->server.certificate_pem.data(),
                          static_cast<int>(tls->server.certificate_pem.size()));
      BIO* key =
          BIO_new_mem_buf(tls->server.private_key_pem.data(),
                          static_cast<int>(tls->server.private_key_pem.size()));
      X509* x = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
      EVP_PKEY* k = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
      SSL_CTX_use_certificate(ctx_, x);
      SSL_CTX_use_PrivateKey(ctx_, k);
      X509_free(x);
      EVP_PKEY_free(k);
      BIO_free(cert);
      BIO_free(key);
    }
    fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~AttestationEndpoint() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (true) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      SSL* ssl = nullptr;
      if (ctx_ != nullptr) {
        ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {  // e.g. the client refused our cert
          SSL_free(ssl);
          close(c);
          continue;
        }
      }
      auto read_some = [&](char* buf, int size) {
        return ssl != nullptr ? SSL_read(ssl, buf, size)
                              : static_cast<int>(read(c, buf, size));
      };
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        int n = read_some(buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      const std::string resp = Answer(req);
      if (ssl != nullptr) {
        SSL_write(ssl, resp.data(), static_cast<int>(resp.size()));
        SSL_shutdown(ssl);
        SSL_free(ssl);
      } else {
        (void)!write(c, resp.data(), resp.size());
      }
      close(c);
    }
  }

  // GET /token?nonce=..&audience=..&cnf_x25519=.. HTTP/1.1
  std::string Answer(const std::string& req) {
    std::string target = req.substr(4, req.find(' ', 4) - 4);
    std::map<std::string, std::string> q;
    for (absl::string_view kv :
         absl::StrSplit(target.substr(target.find('?') + 1), '&')) {
      std::vector<std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      if (p.size() == 2) q[p[0]] = p[1];
    }
    common::RealClock clock;
    auto cnf = keys::Base64UrlDecode(q["cnf_x25519"]);
    if (!cnf.ok() ||
        req.find("Metadata-Flavor: secretd\r\n") == std::string::npos) {
      return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    }
    const std::string body =
        issuer_.Sign(issuer_.Claims(clock, q["audience"], q["nonce"], *cnf)) +
        "\n";
    return absl::StrCat(
        "HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\n"
        "Content-Length: ",
        body.size(), "\r\n\r\n", body);
  }

  const keys::testing::TestIssuer& issuer_;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

class BootstrapAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpdir_ = std::getenv("TEST_TMPDIR");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ =
        absl::StrCat(tmpdir_, "/", info->test_suite_name(), ".", info->name());
    std::replace(root_.begin() + static_cast<long>(tmpdir_.size()) + 1,
                 root_.end(), '/', '_');
    data_ = root_ + "/data";
    out_ = root_ + "/out";
    home_ = root_ + "/home";
    for (const std::string& d : {root_, data_, out_, home_}) {
      ASSERT_EQ(mkdir(d.c_str(), 0700), 0) << d;
    }
    char cwd[4096];
    ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
    bootstrap_ = std::string(cwd) + "/bootstrap/bootstrap";
    secretctl_ = std::string(cwd) + "/secretctl/secretctl";
    ASSERT_OK_AND_ASSIGN(broker_, FakeBroker::Create(data_));
    broker_->SetSecret("app/db/password", 3, "hunter2\n");
    broker_->SetSecret("app/api", 1, "api-key-0123");
  }

  std::string AttestExec(const std::string& key_file = "") {
    return absl::StrCat(
        secretctl_, " attest issue --key ",
        key_file.empty() ? broker_->issuer_key_file() : key_file, " --issuer ",
        broker_->issuer(),
        " --subject i-1 --audience \"$SECRETD_AUDIENCE\" --nonce "
        "${SECRETD_NONCE} --cnf-x25519 ${SECRETD_CNF_X25519}");
  }

  // bootstrap with the broker's flags and `args`, in an environment whose
  // HOME and TMPDIR are watched directories under root_.
  ProcessResult Agent(std::vector<std::string> args, int port = 0,
                      std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = prefix;
    std::vector<std::string> base = {
        "/usr/bin/env",
        "HOME=" + home_,
        "TMPDIR=" + home_,
        bootstrap_,
        "--broker",
        absl::StrCat("127.0.0.1:", port == 0 ? broker_->port() : port),
        "--ca",
        broker_->ca_file(),
        "--release-key",
        broker_->release_key_file(),
        "--role",
        "web"};
    argv.insert(argv.end(), base.begin(), base.end());
    if (std::find(args.begin(), args.end(), "--timeout") == args.end()) {
      argv.insert(argv.end(), {"--timeout", "20"});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    before_ = Snap(tmpdir_);
    ProcessResult r = RunProcess(argv);
    after_ = Snap(tmpdir_);
    return r;
  }

  // The usual files-mode arguments.
  std::vector<std::string> Files(std::vector<std::string> secrets) {
    std::vector<std::string> args = {"--attest-exec", AttestExec(), "--out-dir",
                                     out_, "--allow-disk"};
    for (const std::string& s : secrets) {
      args.push_back("--secret");
      args.push_back(s);
    }
    return args;
  }

  // What the last run added under TEST_TMPDIR, relative to root_.
  std::vector<std::string> AddedByLastRun() {
    std::vector<std::string> out;
    const std::string prefix = root_.substr(tmpdir_.size() + 1) + "/";
    for (const std::string& p : Added(before_, after_)) {
      out.push_back(absl::StartsWith(p, prefix) ? p.substr(prefix.size()) : p);
    }
    return out;
  }

  void ExpectNothingWritten(const ProcessResult& r) {
    EXPECT_THAT(AddedByLastRun(), IsEmpty()) << r.err;
    EXPECT_THAT(Snap(out_), IsEmpty());
  }

  std::string tmpdir_, root_, data_, out_, home_, bootstrap_, secretctl_;
  std::unique_ptr<FakeBroker> broker_;
  Snapshot before_, after_;
};

TEST_F(BootstrapAgentTest, HelpExitsZero) {
  ProcessResult r = RunProcess({bootstrap_, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("Usage: bootstrap [FLAGS]"));
  EXPECT_THAT(r.out, HasSubstr("5 denied (PERMISSION_DENIED)"));
}

TEST_F(BootstrapAgentTest, DeliversFilesWithContentsModesAndOwner) {
  ASSERT_OK(broker_->Start());
  const bool chown_ok = CanChownTo(4242);
  ProcessResult r = Agent(Files(
      {"app/db/password", chown_ok ? "app/api@1=keys/api.key:0440:4242:4343"
                                   : "app/api@1=keys/api.key:0440"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  EXPECT_EQ(ReadFileForTest(out_ + "/app/db/password"), "hunter2\n");
  EXPECT_EQ(ReadFileForTest(out_ + "/keys/api.key"), "api-key-0123");
  EXPECT_EQ(ModeOf(out_ + "/app/db/password"), 0400u);
  EXPECT_EQ(ModeOf(out_ + "/keys/api.key"), 0440u);
  EXPECT_EQ(ModeOf(out_ + "/app"), 0711u);
  if (chown_ok) {
    struct stat st;
    ASSERT_EQ(stat((out_ + "/keys/api.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 4242u);
    EXPECT_EQ(st.st_gid, 4343u);
  }
  // The agent created exactly these and nothing else anywhere under
  // TEST_TMPDIR: no key file, no temporary file left, nothing in HOME or
  // TMPDIR.
  EXPECT_THAT(AddedByLastRun(),
              ElementsAre("out/app", "out/app/db", "out/app/db/password",
                          "out/keys", "out/keys/api.key"));
  // One log line names the request, never a value or the token.
  EXPECT_THAT(r.err, HasSubstr("\"msg\":\"secrets delivered\""));
  EXPECT_THAT(r.err, HasSubstr("\"request_id\":\"req-1\""));
  EXPECT_THAT(r.err, HasSubstr("app/db/password@3"));
  for (const std::string& leak :
       {std::string("hunter2"), std::string("api-key-0123")}) {
    EXPECT_THAT(r.err + r.out, Not(HasSubstr(leak)));
  }
  ASSERT_EQ(broker_->tokens().size(), 1u);
  EXPECT_THAT(r.err + r.out, Not(HasSubstr(broker_->tokens()[0])));
  EXPECT_EQ(broker_->challenges(), 1);
}

TEST_F(BootstrapAgentTest, OwnerWithoutCapChownFailsClearlyAndWritesNothing) {
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    GTEST_SKIP() << "needs root and setpriv";
  }
  ASSERT_OK(broker_->Start());
  // Root without CAP_CHOWN, as in a unit whose CapabilityBoundingSet= lacks
  // it.
  ProcessResult r = Agent(Files({"app/db/password", "app/api=k:0400:4242"}), 0,
                          {"/usr/bin/setpriv", "--bounding-set=-chown", "--"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_THAT(LastLine(r.err),
              HasSubstr("to uid 4242 gid -1: Operation not permitted; setting "
                        "an OWNER needs root"));
  EXPECT_THAT(LastLine(r.err), StartsWith("bootstrap: request req-1: "));
  ExpectNothingWritten(r);
}

TEST_F(BootstrapAgentTest, SecondRunReplacesTheFilesAtomically) {
  ASSERT_OK(broker_->Start());
  ASSERT_EQ(Agent(Files({"app/api"})).exit_code, 0);
  struct stat first;
  ASSERT_EQ(stat((out_ + "/app/api").c_str(), &first), 0);
  broker_->SetSecret("app/api", 2, "rotated");
  ProcessResult r = Agent(Files({"app/api"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat second;
  ASSERT_EQ(stat((out_ + "/app/api").c_str(), &second), 0);
  EXPECT_NE(first.st_ino, second.st_ino);
  EXPECT_EQ(ReadFileForTest(out_ + "/app/api"), "rotated");
  EXPECT_THAT(AddedByLastRun(), ElementsAre("out/app/api"));
}

TEST_F(BootstrapAgentTest, ExecModePassesTheSecretsInTheEnvironment) {
  ASSERT_OK(broker_->Start());
  ProcessResult r =
      Agent({"--attest-exec", AttestExec(), "--secret", "app/db/password",
             "--secret", "app/api=API_KEY", "--exec", "--", "/usr/bin/env"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nAPP_DB_PASSWORD=hunter2\n"));
  EXPECT_THAT(r.out, HasSubstr("\nAPI_KEY=api-key-0123\n"));
  EXPECT_THAT(r.out, HasSubstr("HOME=" + home_ + "\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("SECRETD_NONCE")));
  EXPECT_THAT(r.err, HasSubstr("\"msg\":\"starting the command"));
  EXPECT_THAT(AddedByLastRun(), IsEmpty());
}

TEST_F(BootstrapAgentTest, ExecModeReplacesTheAgentAndPassesArguments) {
  ASSERT_OK(broker_->Start());
  ProcessResult r =
      Agent({"--attest-exec", AttestExec(), "--secret", "app/api", "--exec",
             "--", "sh", "-c", "printf '%s|%s|' \"$APP_API\" \"$1\"; exit 42",
             "sh", "--help"});
  EXPECT_EQ(r.exit_code, 42) << r.err;
  EXPECT_EQ(r.out, "api-key-0123|--help|");
}

class ForgedResponseTest : public BootstrapAgentTest,
                           public ::testing::WithParamInterface<Forgery> {};

TEST_P(ForgedResponseTest, IsRefusedAndNothingIsWritten) {
  broker_->set_forgery(GetParam());
  ASSERT_OK(broker_->Start());
  // The version is pinned so that kOtherVersion is a mismatch.
  ProcessResult r = Agent(Files({"app/db/password@3", "app/api"}));
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_THAT(LastLine(r.err),
              StartsWith("bootstrap: refusing the broker's response "
                         "(request req-1): "));
  EXPECT_EQ(broker_->provisions(), 1);  // never retried
  ExpectNothingWritten(r);
}

INSTANTIATE_TEST_SUITE_P(AllForgeries, ForgedResponseTest,
                         ::testing::ValuesIn(AllForgeries()),
                         [](const ::testing::TestParamInfo<Forgery>& info) {
                           std::string name(ForgeryName(info.param));
                           name.erase(
                               std::remove(name.begin(), name.end(), '_'),
                               name.end());
                           return name;
                         });

TEST_F(BootstrapAgentTest, BrokerDownAtStartIsRetriedUntilItComesUp) {
  RefusingPort down(3, [this](int port) { ASSERT_OK(broker_->Start(port)); });
  ProcessResult r = Agent(Files({"app/api"}), down.port());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(down.accepted(), 3);
  EXPECT_THAT(r.err, HasSubstr("\"msg\":\"attempt failed; retrying\""));
  EXPECT_EQ(ReadFileForTest(out_ + "/app/api"), "api-key-0123");
  EXPECT_EQ(broker_->provisions(), 1);
}

TEST_F(BootstrapAgentTest, BrokerThatNeverComesUpEndsAtTheDeadline) {
  int port;
  {
    RefusingPort once(0, [&](int p) { port = p; });
  }  // now closed
  std::vector<std::string> args = Files({"app/api"});
  args.insert(args.end(), {"--timeout", "2"});
  ProcessResult r = Agent(args, port);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(LastLine(r.err), StartsWith("bootstrap: gave up after "));
  EXPECT_THAT(LastLine(r.err),
              HasSubstr(absl::StrCat("broker 127.0.0.1:", port,
                                     " unreachable (GetChallenge: "
                                     "UNAVAILABLE)")));
  ExpectNothingWritten(r);
}

TEST_F(BootstrapAgentTest, DenialIsFinalAndWritesNothing) {
  broker_->Deny("app/api");
  ASSERT_OK(broker_->Start());
  ProcessResult r = Agent(Files({"app/db/password", "app/api"}));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(LastLine(r.err),
            "bootstrap: the broker denied the request: permission denied: "
            "role \"web\" may not read secret \"app/api\" (request req-1)");
  EXPECT_EQ(broker_->challenges(), 1);
  EXPECT_EQ(broker_->provisions(), 1);
  ExpectNothingWritten(r);
}

TEST_F(BootstrapAgentTest, TokenFromAnUntrustedAttestorIsRejected) {
  ASSERT_OK(broker_->Start());
  keys::testing::TestIssuer other("attest.test",
                                  keys::SignatureAlgorithm::kEdDSA,
                                  "test-key-1", /*seed=*/99);
  const std::string key = data_ + "/other.key";
  ASSERT_OK(keys::WriteSigningKeyFile(key, other.key()));
  std::vector<std::string> args = Files({"app/api"});
  args[1] = AttestExec(key);
  ProcessResult r = Agent(args);
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_EQ(LastLine(r.err),
            "bootstrap: the broker rejected the attestation token: "
            "attestation token rejected (request req-1)");
  EXPECT_EQ(broker_->provisions(), 1);
  ExpectNothingWritten(r);
}

TEST_F(BootstrapAgentTest,
       FailingHangingOrGarbageAttestorIsAnAttestationFailure) {
  ASSERT_OK(broker_->Start());
  struct Case {
    std::string script;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"echo oops >&2; exit 1", "exited with status 1"},
           {"sleep 30", "did not finish in time"},
           {"echo not-a-token", "the attestor's token is not usable"},
           {"head -c 40000 /dev/zero", "more than 16384 bytes"},
       }) {
    const std::string script = root_ + "/attestor.sh";
    std::ofstream(script, std::ios::trunc) << "#!/bin/sh\n" << c.script << "\n";
    chmod(script.c_str(), 0700);
    std::vector<std::string> args = Files({"app/api"});
    args[1] = script;
    args.insert(args.end(), {"--attest-timeout", "1"});
    ProcessResult r = Agent(args);
    EXPECT_EQ(r.exit_code, 4) << c.script << r.err;
    EXPECT_THAT(LastLine(r.err), StartsWith("bootstrap: attestation failed: "))
        << c.script;
    EXPECT_THAT(LastLine(r.err), HasSubstr(c.message)) << c.script;
    EXPECT_THAT(AddedByLastRun(), IsEmpty()) << c.script;
  }
  EXPECT_EQ(broker_->provisions(), 0);
}

TEST_F(BootstrapAgentTest, AttestUrlGetsTheTokenFromAMetadataEndpoint) {
  ASSERT_OK(broker_->Start());
  AttestationEndpoint endpoint(broker_->test_issuer());
  ProcessResult r =
      Agent({"--attest-url",
             absl::StrCat("http://127.0.0.1:", endpoint.port(), "/token"),
             "--out-dir", out_, "--allow-disk", "--secret", "app/api"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(endpoint.requests(), 1);
  EXPECT_EQ(ReadFileForTest(out_ + "/app/api"), "api-key-0123");
}

TEST_F(BootstrapAgentTest, AttestUrlOverHttpsChecksTheCertificate) {
  ASSERT_OK(broker_->Start());
  ASSERT_OK_AND_ASSIGN(auto tls,
                       secretd::tls::MakeDevTlsMaterial({}, absl::Now()));
  const std::string ca = root_ + "/attest-ca.pem";
  std::ofstream(ca) << tls.ca.certificate_pem;
  AttestationEndpoint endpoint(broker_->test_issuer(), &tls);
  const std::string url =
      absl::StrCat("https://localhost:", endpoint.port(), "/token");

  ProcessResult r = Agent({"--attest-url", url, "--attest-ca", ca, "--out-dir",
                           out_, "--allow-disk", "--secret", "app/api"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFileForTest(out_ + "/app/api"), "api-key-0123");

  // Without --attest-ca the system trust store does not know the dev CA.
  r = Agent({"--attest-url", url, "--out-dir", out_, "--allow-disk", "--secret",
             "app/api"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(LastLine(r.err), HasSubstr("does not verify"));
  EXPECT_EQ(endpoint.requests(), 1);
}

TEST_F(BootstrapAgentTest, PathEscapesAreRefusedBeforeTheNetwork) {
  ASSERT_OK(broker_->Start());
  for (const char* spec : {"app/api=../escape", "app/api=/etc/x",
                           "app/api=a/../../b", "app/api=a//b"}) {
    ProcessResult r = Agent(Files({spec}));
    EXPECT_EQ(r.exit_code, 2) << spec << r.err;
    EXPECT_THAT(r.err, HasSubstr("--secret app/api: path")) << spec;
  }
  EXPECT_EQ(broker_->challenges(), 0);
  EXPECT_THAT(Snap(out_), IsEmpty());
}

TEST_F(BootstrapAgentTest, SymlinkInTheOutDirIsFoundBeforeTheNetwork) {
  ASSERT_OK(broker_->Start());
  const std::string outside = root_ + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0700), 0);
  ASSERT_EQ(symlink(outside.c_str(), (out_ + "/app").c_str()), 0);
  ProcessResult r = Agent(Files({"app/api"}));
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_EQ(LastLine(r.err),
            absl::StrCat("bootstrap: \"", out_,
                         "/app\" is a symlink or not a directory; refusing to "
                         "follow it out of --out-dir (remove it)"));
  EXPECT_EQ(broker_->challenges(), 0);
  EXPECT_THAT(Snap(outside), IsEmpty());
  EXPECT_THAT(AddedByLastRun(), IsEmpty());
}

TEST_F(BootstrapAgentTest, DiskOutDirIsRefusedWithoutAllowDisk) {
  ASSERT_OK(broker_->Start());
  ProcessResult r = Agent({"--attest-exec", AttestExec(), "--out-dir", out_,
                           "--secret", "app/api"});
  if (r.exit_code == 0) GTEST_SKIP() << "TEST_TMPDIR is on tmpfs here";
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_THAT(LastLine(r.err), HasSubstr("is not on tmpfs or ramfs"));
  EXPECT_EQ(broker_->challenges(), 0);
  ExpectNothingWritten(r);
}

TEST_F(BootstrapAgentTest, UsageErrorsExitTwoWithoutTheNetwork) {
  ASSERT_OK(broker_->Start());
  const std::string attest = AttestExec();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--secret", "app/api"}, "exactly one of --attest-exec"},
           {{"--attest-exec", attest, "--attest-url", "http://127.0.0.1/",
             "--secret", "app/api"},
            "exactly one of --attest-exec"},
           {{"--attest-exec", attest, "--secret", "app/api", "--secret",
             "app/api@2"},
            "secret \"app/api\" is requested twice"},
           {{"--attest-exec", attest, "--secret", "app/api", "--exec"},
            "--exec needs a command"},
           {{"--attest-exec", attest, "--secret", "app/api", "--", "ls"},
            "a command after -- needs --exec"},
           {{"--attest-exec", attest, "--secret", "app/api", "stray"},
            "unexpected argument \"stray\""},
           {{"--attest-exec", attest, "--secret", "a.b", "--secret", "a-b",
             "--exec", "--", "env"},
            "would both be the variable A_B"},
           {{"--attest-exec", attest, "--secret", "app/api=x:0400", "--exec",
             "--", "env"},
            "MODE and OWNER apply to files"},
           {{"--attest-exec", attest, "--out-dir", out_, "--secret", "app/api",
             "--exec", "--", "env"},
            "--out-dir and --allow-disk are for files"},
           {{"--attest-exec", attest, "--secret", "a=x", "--secret", "b=x",
             "--allow-disk", "--out-dir", out_},
            "two secrets would be written to \"x\""},
           {{"--attest-url", "http://192.0.2.1/t", "--secret", "app/api"},
            "plain http is allowed only to loopback or link-local"},
       }) {
    ProcessResult r = Agent(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
  EXPECT_EQ(broker_->challenges(), 0);
}

TEST_F(BootstrapAgentTest,
       MissingExecCommandOrUnknownOwnerFailsBeforeTheNetwork) {
  ASSERT_OK(broker_->Start());
  ProcessResult r = Agent({"--attest-exec", AttestExec(), "--secret", "app/api",
                           "--exec", "--", "no-such-command-xyz"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_THAT(LastLine(r.err), HasSubstr("not found in PATH"));
  r = Agent(Files({"app/api=f:0400:no-such-user-xyz"}));
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_THAT(LastLine(r.err), HasSubstr("no user \"no-such-user-xyz\""));
  EXPECT_EQ(broker_->challenges(), 0);
}

// A certificate the agent refuses cannot become acceptable by retrying: the
// run fails at once (exit 3, one attempt, no retry line) and says what to
// fix. --timeout 30 with a 10 s bound: a retrying agent would take 30 s.
TEST_F(BootstrapAgentTest, BrokerCertificateWithoutTheNameFailsAtOnce) {
  auto named = FakeBroker::Create(home_, {"secretd.example"});
  ASSERT_OK(named.status());
  ASSERT_OK((*named)->Start());
  std::vector<std::string> args = Files({"app/api"});
  args.insert(args.end(), {"--timeout", "30"});
  std::vector<std::string> argv = {bootstrap_,
                                   "--broker",
                                   absl::StrCat("127.0.0.1:", (*named)->port()),
                                   "--ca",
                                   (*named)->ca_file(),
                                   "--release-key",
                                   (*named)->release_key_file(),
                                   "--role",
                                   "web"};
  argv.insert(argv.end(), args.begin(), args.end());
  const absl::Time start = absl::Now();
  ProcessResult r = RunProcess(argv);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(LastLine(r.err),
            "bootstrap: the broker's certificate does not name 127.0.0.1: "
            "connect with a name it holds, or re-create the certificate with "
            "`secretctl init --tls-san 127.0.0.1`");
  EXPECT_THAT(r.err, Not(HasSubstr("retrying")));
  EXPECT_EQ((*named)->challenges(), 0);
  EXPECT_THAT(Snap(out_), IsEmpty());
}

TEST_F(BootstrapAgentTest, WrongCaFailsAtOnce) {
  ASSERT_OK(broker_->Start());
  auto other = FakeBroker::Create(home_);
  ASSERT_OK(other.status());
  std::vector<std::string> args = Files({"app/api"});
  args.insert(args.end(), {"--timeout", "30"});
  std::vector<std::string> argv = {bootstrap_,
                                   "--broker",
                                   absl::StrCat("127.0.0.1:", broker_->port()),
                                   "--ca",
                                   (*other)->ca_file(),
                                   "--release-key",
                                   broker_->release_key_file(),
                                   "--role",
                                   "web"};
  argv.insert(argv.end(), args.begin(), args.end());
  const absl::Time start = absl::Now();
  ProcessResult r = RunProcess(argv);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(LastLine(r.err),
            absl::StrCat("bootstrap: the broker's certificate is not signed by "
                         "--ca ",
                         (*other)->ca_file(),
                         ": check --ca (if it is, the certificate may have "
                         "expired or this host's clock may be wrong)"));
  EXPECT_THAT(r.err, Not(HasSubstr("retrying")));
  EXPECT_EQ(broker_->challenges(), 0);
  EXPECT_THAT(Snap(out_), IsEmpty());
}

}  // namespace
}  // namespace bootstrap::testing
