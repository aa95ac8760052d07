#include "bootstrap/grpc_broker_client.h"

#include "absl/time/clock.h"

namespace bootstrap {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

void SetDeadline(grpc::ClientContext& context, absl::Time deadline) {
  context.set_deadline(absl::ToChronoTime(deadline));
  context.set_wait_for_ready(false);
}

}  // namespace

std::unique_ptr<BrokerClient> GrpcBrokerClient::Connect(
    const std::string& target, const std::string& ca_pem) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ca_pem;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 16 * 1024 * 1024);
  auto channel =
      grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args);
  return std::unique_ptr<BrokerClient>(
      new GrpcBrokerClient(secretd::v1::Broker::NewStub(channel)));
}

absl::StatusOr<secretd::v1::GetChallengeResponse>
GrpcBrokerClient::GetChallenge(absl::Time deadline) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  secretd::v1::GetChallengeResponse response;
  grpc::Status s = stub_->GetChallenge(
      &context, secretd::v1::GetChallengeRequest(), &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<secretd::v1::ProvisionResponse> GrpcBrokerClient::Provision(
    const secretd::v1::ProvisionRequest& request, absl::Time deadline) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  secretd::v1::ProvisionResponse response;
  grpc::Status s = stub_->Provision(&context, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

}  // namespace bootstrap
