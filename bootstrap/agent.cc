#include "bootstrap/agent.h"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/exit_code.h"
#include "bootstrap/own_token.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "keys/encoding.h"
#include "keys/secret_bytes.h"

namespace bootstrap {
namespace {

constexpr size_t kMaxChallengeField = 4096;
// An attempt is not started with less time than this left.
constexpr absl::Duration kMinAttemptTime = absl::Milliseconds(100);

// Printable ASCII (with or without spaces), non-empty, bounded: the
// challenge and audience go into the attestor's environment and URL.
bool IsCleanText(absl::string_view s, bool allow_space) {
  if (s.empty() || s.size() > kMaxChallengeField) return false;
  for (char c : s) {
    if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e) return false;
  }
  return true;
}

bool Retryable(const absl::Status& status) {
  switch (ExitCodeOf(status)) {
    case ExitCode::kUnreachable:
      // Not a refused certificate (FAILED_PRECONDITION).
      return status.code() == absl::StatusCode::kUnavailable ||
             status.code() == absl::StatusCode::kDeadlineExceeded;
    case ExitCode::kAttestationFailed:
      return status.code() == absl::StatusCode::kUnavailable;
    case ExitCode::kOther:
      // The broker's "busy, retry later" (its in-flight limit). Its
      // permanent limits (too many secrets) use the same code; retrying them
      // until the deadline costs time, not correctness.
      return status.code() == absl::StatusCode::kResourceExhausted;
    default:
      return false;
  }
}

absl::Duration Millis(absl::Duration d) {
  return absl::Trunc(d, absl::Milliseconds(1));
}

}  // namespace

TlsFailure ClassifyTlsFailure(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnavailable) return TlsFailure::kNone;
  const absl::string_view m = status.message();
  if (absl::StrContains(m, "is not in peer certificate")) {
    return TlsFailure::kNameMismatch;
  }
  // OpenSSL's text, and BoringSSL's reason name.
  if (absl::StrContains(m, "certificate verify failed") ||
      absl::StrContains(m, "CERTIFICATE_VERIFY_FAILED")) {
    return TlsFailure::kUntrusted;
  }
  return TlsFailure::kNone;
}

Agent::Agent(AgentOptions options, BrokerClientFactory connect,
             Attestor& attestor, const ResponseVerifier& verifier,
             const keys::X25519KeyPair& key_pair, const common::Clock& clock,
             std::function<void(absl::Duration)> sleep, absl::BitGenRef random)
    : options_(std::move(options)),
      connect_(std::move(connect)),
      attestor_(attestor),
      verifier_(verifier),
      key_pair_(key_pair),
      clock_(clock),
      sleep_(std::move(sleep)),
      random_(random) {}

absl::StatusOr<VerifiedRelease> Agent::Run() {
  attempts_ = 0;
  const absl::Time start = clock_.Now();
  const absl::Time deadline = start + options_.timeout;
  Backoff backoff(options_.backoff, random_);
  while (true) {
    ++attempts_;
    absl::StatusOr<VerifiedRelease> result = Attempt(deadline);
    if (result.ok() || !Retryable(result.status())) return result;
    // Back off, but keep the last stretch before the deadline for one more
    // attempt rather than giving up early.
    const absl::Duration remaining = deadline - clock_.Now();
    if (remaining <= kMinAttemptTime) {
      return WithExitCode(
          absl::Status(
              result.status().code(),
              absl::StrCat("gave up after ", attempts_,
                           attempts_ == 1 ? " attempt" : " attempts", " in ",
                           absl::FormatDuration(Millis(clock_.Now() - start)),
                           " (--timeout ",
                           absl::FormatDuration(options_.timeout),
                           "): ", result.status().message())),
          ExitCodeOf(result.status()));
    }
    const absl::Duration delay =
        std::min(backoff.Next(), remaining - kMinAttemptTime);
    common::log::Warning(
        "attempt failed; retrying",
        {{"attempt", attempts_},
         {"error",
          absl::StrCat(absl::StatusCodeToString(result.status().code()), ": ",
                       result.status().message())},
         {"retry_in", Millis(delay)}});
    sleep_(delay);
  }
}

absl::StatusOr<VerifiedRelease> Agent::Attempt(absl::Time deadline) {
  auto broker_error = [&](const absl::Status& s, absl::string_view rpc) {
    switch (ClassifyTlsFailure(s)) {
      case TlsFailure::kNameMismatch:
        return WithExitCode(
            absl::FailedPreconditionError(absl::StrCat(
                "the broker's certificate does not name ", options_.broker_host,
                ": connect with a name it holds, or re-create the certificate "
                "with `secretctl init --tls-san ",
                options_.broker_host, "`")),
            ExitCode::kUnreachable);
      case TlsFailure::kUntrusted:
        return WithExitCode(
            absl::FailedPreconditionError(absl::StrCat(
                "the broker's certificate is not signed by --ca ",
                options_.ca_file,
                ": check --ca (if it is, the certificate may have expired or "
                "this host's clock may be wrong)")),
            ExitCode::kUnreachable);
      case TlsFailure::kNone:
        break;
    }
    std::string what;
    switch (ExitCodeOf(s)) {
      case ExitCode::kUnreachable:
        what = absl::StrCat("broker ", options_.broker, " unreachable (", rpc,
                            ": ", absl::StatusCodeToString(s.code()), ")");
        break;
      case ExitCode::kDenied:
        what = "the broker denied the request";
        break;
      case ExitCode::kTokenRejected:
        what = "the broker rejected the attestation token";
        break;
      default:
        what = absl::StrCat("the broker answered ", rpc, " with ",
                            absl::StatusCodeToString(s.code()));
    }
    return WithExitCode(
        absl::Status(s.code(), absl::StrCat(what, ": ", s.message())),
        ExitCodeOf(s));
  };
  auto rpc_deadline = [&] {
    return std::min(deadline, clock_.Now() + options_.rpc_timeout);
  };
  auto attestation_error = [](const absl::Status& s) {
    return WithExitCode(common::Annotate(s, "attestation failed"),
                        ExitCode::kAttestationFailed);
  };

  std::unique_ptr<BrokerClient> client = connect_();
  absl::StatusOr<secretd::v1::GetChallengeResponse> challenge =
      client->GetChallenge(rpc_deadline());
  if (!challenge.ok()) return broker_error(challenge.status(), "GetChallenge");
  if (!IsCleanText(challenge->challenge(), false) ||
      !IsCleanText(challenge->audience(), true)) {
    return WithExitCode(
        absl::FailedPreconditionError(
            "the broker's challenge or audience is empty, too long or not "
            "printable ASCII"),
        ExitCode::kVerificationFailed);
  }

  const std::string cnf = keys::Base64UrlEncode(key_pair_.public_key());
  const absl::Time attest_deadline =
      std::min(deadline, clock_.Now() + options_.attest_timeout);
  absl::StatusOr<std::string> token = attestor_.GetToken(
      {challenge->challenge(), challenge->audience(), cnf}, attest_deadline);
  if (!token.ok()) return attestation_error(token.status());
  absl::Cleanup wipe_token = [&token] { keys::WipeString(&*token); };

  absl::StatusOr<OwnTokenClaims> claims = ReadOwnTokenClaims(*token);
  if (!claims.ok()) return attestation_error(claims.status());
  if (claims->nonce != challenge->challenge()) {
    return attestation_error(absl::FailedPreconditionError(
        "the token's nonce is not the broker's challenge"));
  }
  if (claims->cnf_x25519 != cnf) {
    return attestation_error(absl::FailedPreconditionError(
        "the token's cnf key is not this agent's key"));
  }

  secretd::v1::ProvisionRequest request;
  request.set_attestation_token(*token);
  absl::Cleanup wipe_request = [&request] {
    std::string* t = request.mutable_attestation_token();
    if (!t->empty()) sodium_memzero(t->data(), t->size());
  };
  request.set_role(options_.role);
  for (const secretd::SecretRef& ref : options_.secrets) {
    request.add_secrets(secretd::FormatSecretRef(ref));
  }
  absl::StatusOr<secretd::v1::ProvisionResponse> response =
      client->Provision(request, rpc_deadline());
  if (!response.ok()) return broker_error(response.status(), "Provision");

  ExpectedBundle expected;
  expected.role = options_.role;
  expected.subject = claims->subject;
  expected.token_id = claims->token_id;
  expected.token_sha256 = keys::Sha256(*token);
  expected.secrets = options_.secrets;
  return verifier_.Verify(*response, expected, key_pair_, clock_.Now());
}

}  // namespace bootstrap
