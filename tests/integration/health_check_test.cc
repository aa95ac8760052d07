// A real gRPC server on a kernel-chosen loopback port answers
// grpc.health.v1.Health/Check for a real client over the network stack.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"

namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

class HealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    // gRPC's built-in health service needs at least one synchronous service
    // polling the server's completion queue.
    builder.RegisterService(&broker_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0) << "the kernel did not assign a port";
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                       grpc::InsecureChannelCredentials());
    stub_ = Health::NewStub(channel);
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status Check(const std::string& service, HealthCheckResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    HealthCheckRequest req;
    req.set_service(service);
    return stub_->Check(&ctx, req, out);
  }

  secretd::v1::Broker::Service broker_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthCheckTest, OverallHealthIsServing) {
  HealthCheckResponse resp;
  grpc::Status status = Check("", &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
}

TEST_F(HealthCheckTest, ServiceMarkedNotServingIsReportedSo) {
  server_->GetHealthCheckService()->SetServingStatus("secretd.v1.Broker",
                                                     false);
  HealthCheckResponse resp;
  ASSERT_TRUE(Check("secretd.v1.Broker", &resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthCheckTest, UnknownServiceIsNotFound) {
  HealthCheckResponse resp;
  grpc::Status status = Check("no.such.Service", &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
