#include "bootstrap/agent.h"

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bootstrap/exit_code.h"
#include "bootstrap/testing/release_builder.h"
#include "common/logging.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/jws.h"
#include "keys/testing/fake_random.h"
#include "keys/testing/test_tokens.h"
#include "nlohmann/json.hpp"

namespace bootstrap {
namespace {

using ::bootstrap::testing::BuildResponse;
using ::bootstrap::testing::Forgery;
using ::bootstrap::testing::ReleaseFor;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The broker's side, in process: real challenges are not needed, real
// sealing and signing are (release_builder.h).
struct FakeBroker {
  std::deque<absl::Status> challenge_errors;
  std::deque<absl::Status> provision_errors;
  Forgery forgery = Forgery::kNone;
  std::string challenge_override;
  const keys::Ed25519Signer* release = nullptr;
  const common::Clock* clock = nullptr;
  int challenges = 0;
  int provisions = 0;
  std::vector<secretd::v1::ProvisionRequest> requests;
};

class FakeClient final : public BrokerClient {
 public:
  explicit FakeClient(FakeBroker& b) : b_(b) {}
  absl::StatusOr<secretd::v1::GetChallengeResponse> GetChallenge(
      absl::Time) override {
    ++b_.challenges;
    if (!b_.challenge_errors.empty()) {
      absl::Status s = b_.challenge_errors.front();
      b_.challenge_errors.pop_front();
      return s;
    }
    secretd::v1::GetChallengeResponse r;
    r.set_challenge(b_.challenge_override.empty()
                        ? absl::StrCat("challenge-", b_.challenges)
                        : b_.challenge_override);
    r.set_audience("secretd.test");
    r.set_expires_at(0);
    return r;
  }
  absl::StatusOr<secretd::v1::ProvisionResponse> Provision(
      const secretd::v1::ProvisionRequest& request, absl::Time) override {
    ++b_.provisions;
    b_.requests.push_back(request);
    if (!b_.provision_errors.empty()) {
      absl::Status s = b_.provision_errors.front();
      b_.provision_errors.pop_front();
      return s;
    }
    auto in =
        ReleaseFor(request.attestation_token(), request.role(),
                   {{"app/db/password", 2, "hunter2"}, {"app/api", 1, "k"}},
                   b_.clock->Now());
    if (!in.ok()) return in.status();
    auto jws = keys::Jws::Parse(request.attestation_token());
    nlohmann::json claims = nlohmann::json::parse(jws->payload());
    auto cnf =
        keys::Base64UrlDecode(claims["cnf"]["jwk"]["x"].get<std::string>());
    return BuildResponse(*in, *cnf, *b_.release, b_.forgery);
  }

 private:
  FakeBroker& b_;
};

// The platform: signs a token for each request with a TestIssuer.
class FakeAttestor final : public Attestor {
 public:
  FakeAttestor(const common::Clock& clock) : clock_(clock) {}
  absl::StatusOr<std::string> GetToken(const AttestationRequest& request,
                                       absl::Time) override {
    requests.push_back(request);
    if (!errors.empty()) {
      absl::Status s = errors.front();
      errors.pop_front();
      return s;
    }
    nlohmann::json claims = issuer_.Claims(
        clock_, request.audience,
        nonce_override.empty() ? request.nonce : nonce_override,
        *keys::Base64UrlDecode(cnf_override.empty() ? request.cnf_x25519
                                                    : cnf_override));
    return issuer_.Sign(claims);
  }
  std::deque<absl::Status> errors;
  std::string nonce_override;
  std::string cnf_override;
  std::vector<AttestationRequest> requests;

 private:
  const common::Clock& clock_;
  keys::testing::TestIssuer issuer_;
};

class AgentTest : public ::testing::Test {
 protected:
  AgentTest()
      : release_(keys::Ed25519Signer::Generate(random_)),
        key_pair_(keys::X25519KeyPair::Generate(random_)),
        verifier_(*ResponseVerifier::Create(release_->public_key())),
        attestor_(clock_) {
    broker_.release = release_.get();
    broker_.clock = &clock_;
    options_.broker = "broker.test:8443";
    options_.broker_host = "broker.test";
    options_.ca_file = "/etc/secretd/ca.pem";
    options_.role = "web";
    options_.secrets = {{"app/api", std::nullopt}, {"app/db/password", 2}};
    options_.timeout = absl::Seconds(30);
    common::log::SetSink(
        [this](absl::string_view line) { log_.push_back(std::string(line)); });
  }
  ~AgentTest() override { common::log::SetSink(nullptr); }

  absl::StatusOr<VerifiedRelease> Run() {
    Agent agent(
        options_,
        [this] {
          return std::unique_ptr<BrokerClient>(new FakeClient(broker_));
        },
        attestor_, verifier_, key_pair_, clock_,
        [this](absl::Duration d) {
          sleeps_.push_back(d);
          clock_.Advance(d);
        },
        bitgen_);
    absl::StatusOr<VerifiedRelease> r = agent.Run();
    attempts_ = agent.attempts();
    return r;
  }

  keys::testing::FakeRandom random_{5};
  common::testing::FakeClock clock_;
  std::unique_ptr<keys::Ed25519Signer> release_;
  keys::X25519KeyPair key_pair_;
  ResponseVerifier verifier_;
  FakeBroker broker_;
  FakeAttestor attestor_;
  AgentOptions options_;
  std::mt19937_64 bitgen_{11};
  std::vector<absl::Duration> sleeps_;
  std::vector<std::string> log_;
  int attempts_ = 0;
};

TEST_F(AgentTest, OneAttemptReleasesTheRequestedSecrets) {
  ASSERT_OK_AND_ASSIGN(VerifiedRelease r, Run());
  EXPECT_EQ(attempts_, 1);
  EXPECT_TRUE(sleeps_.empty());
  ASSERT_EQ(r.secrets.size(), 2u);
  EXPECT_EQ(r.secrets[0].name, "app/api");
  EXPECT_EQ(r.secrets[1].version, 2);
  ASSERT_EQ(broker_.requests.size(), 1u);
  const secretd::v1::ProvisionRequest& req = broker_.requests[0];
  EXPECT_EQ(req.role(), "web");
  EXPECT_THAT(req.secrets(), ElementsAre("app/api", "app/db/password@2"));
  // The attestor was asked for the broker's challenge, audience, our key.
  ASSERT_EQ(attestor_.requests.size(), 1u);
  EXPECT_EQ(attestor_.requests[0].nonce, "challenge-1");
  EXPECT_EQ(attestor_.requests[0].audience, "secretd.test");
  EXPECT_EQ(attestor_.requests[0].cnf_x25519,
            keys::Base64UrlEncode(key_pair_.public_key()));
}

TEST_F(AgentTest, UnavailableIsRetriedWithBackoffAndAFreshChallenge) {
  broker_.challenge_errors = {absl::UnavailableError("connection refused"),
                              absl::UnavailableError("connection refused")};
  broker_.provision_errors = {absl::DeadlineExceededError("slow")};
  ASSERT_OK_AND_ASSIGN(VerifiedRelease r, Run());
  EXPECT_EQ(attempts_, 4);
  ASSERT_EQ(sleeps_.size(), 3u);
  EXPECT_GE(sleeps_[0], absl::Milliseconds(125));
  EXPECT_LE(sleeps_[0], absl::Milliseconds(250));
  EXPECT_GE(sleeps_[2], absl::Milliseconds(500));
  EXPECT_LE(sleeps_[2], absl::Milliseconds(1000));
  // A fresh challenge and token for each attempt that got that far.
  ASSERT_EQ(attestor_.requests.size(), 2u);
  EXPECT_EQ(attestor_.requests[0].nonce, "challenge-3");
  EXPECT_EQ(attestor_.requests[1].nonce, "challenge-4");
  EXPECT_NE(broker_.requests[0].attestation_token(),
            broker_.requests[1].attestation_token());
  ASSERT_EQ(log_.size(), 3u);
  EXPECT_THAT(log_[0], HasSubstr("\"msg\":\"attempt failed; retrying\""));
  EXPECT_THAT(log_[0], HasSubstr("connection refused"));
}

TEST_F(AgentTest, BusyBrokerIsRetried) {
  broker_.provision_errors = {absl::ResourceExhaustedError(
      "request over limit: the broker is busy; retry later")};
  ASSERT_OK_AND_ASSIGN(VerifiedRelease r, Run());
  EXPECT_EQ(attempts_, 2);
}

TEST_F(AgentTest, TheDeadlineEndsTheRetries) {
  for (int i = 0; i < 100; ++i) {
    broker_.challenge_errors.push_back(absl::UnavailableError("refused"));
  }
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          HasSubstr("(--timeout 30s): broker broker.test:8443 "
                                    "unreachable (GetChallenge: UNAVAILABLE): "
                                    "refused")));
  EXPECT_THAT(
      r.status().message(),
      HasSubstr(absl::StrCat("gave up after ", attempts_, " attempts")));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kUnreachable);
  absl::Duration slept = absl::ZeroDuration();
  for (absl::Duration d : sleeps_) slept += d;
  EXPECT_LT(slept, absl::Seconds(30));
  EXPECT_GT(slept, absl::Seconds(15));
  EXPECT_GT(attempts_, 5);
}

// gRPC's texts for a refused handshake (gRPC 1.51 with OpenSSL 3).
constexpr char kNameMismatch[] =
    "failed to connect to all addresses; last error: UNKNOWN: "
    "ipv4:10.0.0.5:8443: Peer name broker.test is not in peer certificate";
constexpr char kVerifyFailed[] =
    "failed to connect to all addresses; last error: UNKNOWN: "
    "ipv4:10.0.0.5:8443: Ssl handshake failed: SSL_ERROR_SSL: "
    "error:0A000086:SSL routines::certificate verify failed";

TEST(ClassifyTlsFailureTest, ReadsGrpcsHandshakeErrors) {
  EXPECT_EQ(ClassifyTlsFailure(absl::UnavailableError(kNameMismatch)),
            TlsFailure::kNameMismatch);
  EXPECT_EQ(ClassifyTlsFailure(absl::UnavailableError(kVerifyFailed)),
            TlsFailure::kUntrusted);
  EXPECT_EQ(ClassifyTlsFailure(absl::UnavailableError(
                "error:1000007d:SSL routines:OPENSSL_internal:"
                "CERTIFICATE_VERIFY_FAILED")),
            TlsFailure::kUntrusted);
  EXPECT_EQ(ClassifyTlsFailure(absl::UnavailableError(
                "failed to connect to all addresses; last error: UNKNOWN: "
                "ipv4:127.0.0.1:1: Failed to connect to remote host: "
                "Connection refused")),
            TlsFailure::kNone);
  // Only gRPC's connection failures: the broker's own messages are not read.
  EXPECT_EQ(ClassifyTlsFailure(absl::InvalidArgumentError(kNameMismatch)),
            TlsFailure::kNone);
  EXPECT_EQ(ClassifyTlsFailure(absl::OkStatus()), TlsFailure::kNone);
}

TEST_F(AgentTest, CertificateWithoutTheNameIsFinal) {
  broker_.challenge_errors = {absl::UnavailableError(kNameMismatch)};
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "the broker's certificate does not name "
                          "broker.test: connect with a name it holds, or "
                          "re-create the certificate with `secretctl init "
                          "--tls-san broker.test`"));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kUnreachable);
  EXPECT_EQ(attempts_, 1);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_TRUE(log_.empty());
}

TEST_F(AgentTest, CertificateNotSignedByTheCaIsFinal) {
  broker_.challenge_errors = {absl::UnavailableError(kVerifyFailed)};
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "the broker's certificate is not signed by --ca "
                          "/etc/secretd/ca.pem: check --ca (if it is, the "
                          "certificate may have expired or this host's clock "
                          "may be wrong)"));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kUnreachable);
  EXPECT_EQ(attempts_, 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(AgentTest, DenialIsFinal) {
  broker_.provision_errors = {absl::PermissionDeniedError(
      "permission denied: role \"web\" may not read secret \"app/api\" "
      "(request r-9)")};
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kPermissionDenied,
                          "the broker denied the request: permission denied: "
                          "role \"web\" may not read secret \"app/api\" "
                          "(request r-9)"));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kDenied);
  EXPECT_EQ(attempts_, 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(AgentTest, RejectedTokenIsFinal) {
  broker_.provision_errors = {absl::UnauthenticatedError("token rejected")};
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated,
                          HasSubstr("rejected the attestation token")));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kTokenRejected);
  EXPECT_EQ(attempts_, 1);
}

TEST_F(AgentTest, InvalidArgumentIsFinal) {
  broker_.provision_errors = {absl::InvalidArgumentError("bad name")};
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument,
                          "the broker answered Provision with "
                          "INVALID_ARGUMENT: bad name"));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kOther);
  EXPECT_EQ(attempts_, 1);
}

TEST_F(AgentTest, ForgedResponseIsFinal) {
  broker_.forgery = Forgery::kWrongSigningKey;
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kVerificationFailed);
  EXPECT_EQ(attempts_, 1);
}

TEST_F(AgentTest, UnavailableAttestorIsRetried) {
  attestor_.errors = {absl::UnavailableError("metadata not up"),
                      absl::UnavailableError("metadata not up")};
  ASSERT_OK_AND_ASSIGN(VerifiedRelease r, Run());
  EXPECT_EQ(attempts_, 3);
}

TEST_F(AgentTest, UnavailableAttestorUntilTheDeadlineIsAnAttestationFailure) {
  for (int i = 0; i < 100; ++i) {
    attestor_.errors.push_back(absl::UnavailableError("metadata not up"));
  }
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          HasSubstr("attestation failed: metadata not up")));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kAttestationFailed);
}

TEST_F(AgentTest, FailedAttestationIsFinal) {
  attestor_.errors = {absl::FailedPreconditionError("exited with status 1")};
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "attestation failed: exited with status 1"));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kAttestationFailed);
  EXPECT_EQ(attempts_, 1);
  EXPECT_EQ(broker_.provisions, 0);
}

TEST_F(AgentTest, TokenForAnotherChallengeOrKeyIsNotSent) {
  attestor_.nonce_override = "stale-challenge";
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("nonce is not the broker's challenge")));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kAttestationFailed);
  attestor_.nonce_override.clear();
  attestor_.cnf_override = keys::Base64UrlEncode(
      keys::X25519KeyPair::Generate(random_).public_key());
  r = Run();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("cnf key is not this agent's key")));
  EXPECT_EQ(broker_.provisions, 0);
}

TEST_F(AgentTest, MalformedChallengeIsRefused) {
  broker_.challenge_override = "bad challenge\n";
  absl::StatusOr<VerifiedRelease> r = Run();
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kVerificationFailed);
  EXPECT_TRUE(attestor_.requests.empty());
}

}  // namespace
}  // namespace bootstrap
