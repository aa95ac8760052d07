// FakeBroker: a secretd.v1.Broker over loopback TLS, for tests of the real
// `bootstrap` binary before (and besides) the real broker.
//
//   ASSERT_OK_AND_ASSIGN(auto broker, FakeBroker::Create(dir));
//   broker->SetSecret("app/db/password", 3, "hunter2");
//   ASSERT_OK(broker->Start());
//   ... run bootstrap --broker 127.0.0.1:<broker->port()> --ca
//   broker->ca_file()
//       --release-key broker->release_key_file() --attest-exec "secretctl
//       attest issue --key <broker->issuer_key_file()> --issuer attest.test
//       ..."
//
// It answers with real cryptography: challenges from a keys::Challenger,
// tokens checked by keys::TokenVerifier against a keys::testing::TestIssuer
// (whose private key it writes for `secretctl attest issue`), bundles sealed
// to the token's cnf key and signed with its release key
// (bootstrap/testing/release_builder.h). Or it forges (set_forgery), denies
// (Deny), or answers with a fixed error (set_provision_error).
//
// Files written under `dir`: ca.pem, release.pub, attest.key (mode 0600).
// Thread-safe. Testonly.
#ifndef SECRETD_TESTS_INTEGRATION_BOOTSTRAP_FAKE_BROKER_H_
#define SECRETD_TESTS_INTEGRATION_BOOTSTRAP_FAKE_BROKER_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bootstrap/testing/release_builder.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "keys/challenge.h"
#include "keys/ed25519.h"
#include "keys/random.h"
#include "keys/testing/test_tokens.h"
#include "proto/secretd/v1/broker.grpc.pb.h"

namespace bootstrap::testing {

class FakeBroker final : public secretd::v1::Broker::Service {
 public:
  static constexpr char kAudience[] = "secretd.test";

  // `sans`: the server certificate's names (empty: the defaults of
  // secretd::tls::DefaultServerSans(), which include 127.0.0.1).
  static absl::StatusOr<std::unique_ptr<FakeBroker>> Create(
      const std::string& dir, const std::vector<std::string>& sans = {});
  ~FakeBroker() override;

  // Serves on 127.0.0.1:`port` (0: a free port). kInternal if it cannot.
  absl::Status Start(int port = 0);
  void Stop();
  int port() const { return port_; }

  const std::string& ca_file() const { return ca_file_; }
  const std::string& release_key_file() const { return release_key_file_; }
  const std::string& issuer_key_file() const { return issuer_key_file_; }
  const std::string& issuer() const { return issuer_.issuer(); }
  const keys::Ed25519Signer& release_signer() const { return *release_; }
  // The platform attestor whose tokens the broker trusts.
  const keys::testing::TestIssuer& test_issuer() const { return issuer_; }

  void SetSecret(const std::string& name, int64_t version,
                 const std::string& value);
  // Requests naming `name` are PERMISSION_DENIED.
  void Deny(const std::string& name);
  void set_forgery(Forgery forgery);
  // Every Provision answers this error instead.
  void set_provision_error(grpc::Status status);

  int challenges() const;
  int provisions() const;
  // The tokens Provision received (to check they never leak).
  std::vector<std::string> tokens() const;

  grpc::Status GetChallenge(
      grpc::ServerContext* context,
      const secretd::v1::GetChallengeRequest* request,
      secretd::v1::GetChallengeResponse* response) override;
  grpc::Status Provision(grpc::ServerContext* context,
                         const secretd::v1::ProvisionRequest* request,
                         secretd::v1::ProvisionResponse* response) override;

 private:
  FakeBroker(keys::Challenger challenger);

  common::RealClock clock_;
  keys::SystemRandom random_;
  keys::Challenger challenger_;
  keys::testing::TestIssuer issuer_;
  std::unique_ptr<keys::Ed25519Signer> release_;
  std::string ca_file_, release_key_file_, issuer_key_file_;
  std::string server_cert_pem_, server_key_pem_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  struct Stored {
    int64_t version;
    std::string value;
  };
  std::map<std::string, Stored> secrets_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> denied_ ABSL_GUARDED_BY(mu_);
  Forgery forgery_ ABSL_GUARDED_BY(mu_) = Forgery::kNone;
  std::optional<grpc::Status> provision_error_ ABSL_GUARDED_BY(mu_);
  int challenges_ ABSL_GUARDED_BY(mu_) = 0;
  int provisions_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bootstrap::testing

#endif  // SECRETD_TESTS_INTEGRATION_BOOTSTRAP_FAKE_BROKER_H_
