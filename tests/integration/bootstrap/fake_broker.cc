#include "tests/integration/bootstrap/fake_broker.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "keys/kek.h"
#include "keys/key_files.h"
#include "keys/token_verifier.h"
#include "secretd/names/secret_name.h"
#include "secretd/tls/dev_ca.h"

namespace bootstrap::testing {

FakeBroker::FakeBroker(keys::Challenger challenger)
    : challenger_(std::move(challenger)),
      release_(keys::Ed25519Signer::Generate(random_)) {}

FakeBroker::~FakeBroker() { Stop(); }

absl::StatusOr<std::unique_ptr<FakeBroker>> FakeBroker::Create(
    const std::string& dir, const std::vector<std::string>& sans) {
  keys::SystemRandom random;
  auto challenger = keys::Challenger::FromKek(keys::Kek::Generate(random));
  if (!challenger.ok()) return challenger.status();
  std::unique_ptr<FakeBroker> b(new FakeBroker(*std::move(challenger)));
  auto tls = secretd::tls::MakeDevTlsMaterial(sans, absl::Now());
  if (!tls.ok()) return tls.status();
  b->server_cert_pem_ = tls->server.certificate_pem;
  b->server_key_pem_ = tls->server.private_key_pem;
  b->ca_file_ = dir + "/ca.pem";
  b->release_key_file_ = dir + "/release.pub";
  b->issuer_key_file_ = dir + "/attest.key";
  std::ofstream(b->ca_file_) << tls->ca.certificate_pem;
  if (absl::Status s = keys::WritePublicKeyFile(b->release_key_file_,
                                                b->release_->public_key());
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          keys::WriteSigningKeyFile(b->issuer_key_file_, b->issuer_.key());
      !s.ok()) {
    return s;
  }
  return b;
}

absl::Status FakeBroker::Start(int port) {
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({server_key_pem_, server_cert_pem_});
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port),
                           grpc::SslServerCredentials(tls), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::InternalError(
        absl::StrCat("cannot serve on 127.0.0.1:", port));
  }
  return absl::OkStatus();
}

void FakeBroker::Stop() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
}

void FakeBroker::SetSecret(const std::string& name, int64_t version,
                           const std::string& value) {
  absl::MutexLock lock(&mu_);
  secrets_[name] = {version, value};
}

void FakeBroker::Deny(const std::string& name) {
  absl::MutexLock lock(&mu_);
  denied_.insert(name);
}

void FakeBroker::set_forgery(Forgery forgery) {
  absl::MutexLock lock(&mu_);
  forgery_ = forgery;
}

void FakeBroker::set_provision_error(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  provision_error_ = std::move(status);
}

int FakeBroker::challenges() const {
  absl::MutexLock lock(&mu_);
  return challenges_;
}

int FakeBroker::provisions() const {
  absl::MutexLock lock(&mu_);
  return provisions_;
}

std::vector<std::string> FakeBroker::tokens() const {
  absl::MutexLock lock(&mu_);
  return tokens_;
}

grpc::Status FakeBroker::GetChallenge(
    grpc::ServerContext*, const secretd::v1::GetChallengeRequest*,
    secretd::v1::GetChallengeResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    ++challenges_;
  }
  keys::Challenge c = challenger_.Issue(clock_, random_);
  response->set_challenge(c.value);
  response->set_expires_at(absl::ToUnixSeconds(c.expires_at));
  response->set_audience(kAudience);
  return grpc::Status::OK;
}

grpc::Status FakeBroker::Provision(grpc::ServerContext*,
                                   const secretd::v1::ProvisionRequest* request,
                                   secretd::v1::ProvisionResponse* response) {
  absl::MutexLock lock(&mu_);
  ++provisions_;
  tokens_.push_back(request->attestation_token());
  const std::string request_id = absl::StrCat("req-", provisions_);
  if (provision_error_.has_value()) return *provision_error_;

  keys::TokenVerifier verifier(issuer_.Lookup(), clock_);
  keys::TokenVerifierOptions options;
  options.audience = kAudience;
  options.nonce_check = [this](absl::string_view nonce) {
    return challenger_.Check(nonce, clock_);
  };
  auto claims = verifier.Verify(request->attestation_token(), options);
  if (!claims.ok()) {
    return grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("attestation token rejected (request ", request_id, ")"));
  }
  std::vector<ReleaseInput::Secret> released;
  std::vector<std::string> denied;
  for (const std::string& text : request->secrets()) {
    auto ref = secretd::ParseSecretRef(text);
    if (!ref.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          std::string(ref.status().message()));
    }
    auto it = secrets_.find(ref->name);
    if (denied_.count(ref->name) > 0 || it == secrets_.end() ||
        (ref->version && *ref->version != it->second.version)) {
      denied.push_back(absl::StrCat("\"", ref->name, "\""));
      continue;
    }
    released.push_back({ref->name, it->second.version, it->second.value});
  }
  if (!denied.empty()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("permission denied: role \"",
                                     request->role(), "\" may not read secret ",
                                     denied[0], " (request ", request_id, ")"));
  }
  auto in = ReleaseFor(request->attestation_token(), request->role(),
                       std::move(released), clock_.Now());
  if (!in.ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        std::string(in.status().message()));
  }
  in->request_id = request_id;
  *response = BuildResponse(*in, claims->cnf_x25519(), *release_, forgery_);
  return grpc::Status::OK;
}

}  // namespace bootstrap::testing
