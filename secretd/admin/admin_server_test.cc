#include "secretd/admin/admin_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "secretd/admin/testing/admin_fixture.h"

namespace secretd {
namespace {

using ::common::testing::StatusIs;
using ::secretd::testing::kIssuer;
using ::secretd::testing::PublicJwks;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr uid_t kNobody = 65534;

int CountOpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (d != nullptr && readdir(d) != nullptr) ++n;
  if (d != nullptr) closedir(d);
  return n;
}

class AdminServerTest : public secretd::testing::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    // A socket directory any uid may search, so that a child with another
    // uid meets the socket's own mode (the data directory is 0700).
    socket_dir_ = test_dir() + "/open";
    ASSERT_EQ(mkdir(socket_dir_.c_str(), 0755), 0);
    ASSERT_EQ(chmod(socket_dir_.c_str(), 0755), 0);
    options_.socket_path = socket_dir_ + "/admin.sock";
  }

  std::unique_ptr<AdminServer> StartServer() {
    absl::StatusOr<std::unique_ptr<AdminServer>> s =
        AdminServer::Start(options_, service());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  // A client over a connection this process makes to the socket.
  std::unique_ptr<v1::Admin::Stub> Connect() {
    absl::StatusOr<UniqueFd> fd = ConnectUnixSocket(options_.socket_path);
    EXPECT_TRUE(fd.ok()) << fd.status();
    if (!fd.ok()) return nullptr;
    return v1::Admin::NewStub(
        grpc::CreateInsecureChannelFromFd("admin.sock", fd->release()));
  }

  static grpc::Status PutTrust(v1::Admin::Stub& stub, const std::string& jwks) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::PutTrustRequest request;
    request.set_issuer(kIssuer);
    request.set_jwks_json(jwks);
    v1::PutTrustResponse response;
    return stub.PutTrust(&context, request, &response);
  }

  // Forks a child that drops to uid/gid `uid` and connects to the socket.
  // Exit codes: 0 the server closed the connection unanswered; 20 connect
  // refused with EACCES; 10 could not change uid; others: unexpected.
  int ConnectAsUid(uid_t uid) {
    // Everything the child needs is prepared before fork (gRPC threads run
    // here; the child makes system calls only).
    UniqueFd dir(open(socket_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(dir.valid());
    const std::string path =
        absl::StrCat("/proc/self/fd/", dir.get(), "/admin.sock");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    const pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) {
        _exit(10);
      }
      prctl(PR_SET_DUMPABLE, 1);
      const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) !=
          0) {
        _exit(errno == EACCES ? 20 : 21);
      }
      pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 30000) <= 0) _exit(30);  // never closed: a bug
      char c;
      const ssize_t n = read(fd, &c, 1);
      _exit(n == 0 || (n < 0 && errno == ECONNRESET) ? 0 : 31);
    }
    last_child_pid_ = pid;
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string socket_dir_;
  AdminServerOptions options_;
  pid_t last_child_pid_ = 0;
};

TEST_F(AdminServerTest, ServesTheAdminServiceOnA0600Socket) {
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  struct stat st;
  ASSERT_EQ(lstat(options_.socket_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_THAT(server->allowed_uids(), ::testing::ElementsAre(geteuid()));

  std::unique_ptr<v1::Admin::Stub> stub = Connect();
  ASSERT_EQ(PutTrust(*stub, PublicJwks(random(), {"k1"})).error_code(),
            grpc::OK);
  // The audit record names this process as the peer (SO_PEERCRED).
  ASSERT_THAT(audit().records(), SizeIs(1));
  EXPECT_EQ(audit().records()[0].fields["peer_uid"],
            static_cast<int64_t>(geteuid()));
  EXPECT_EQ(audit().records()[0].fields["peer_pid"],
            static_cast<int64_t>(getpid()));
  EXPECT_EQ(server->stats().accepted, 1u);
  EXPECT_EQ(server->stats().refused, 0u);
}

// Issue 5: a client with another uid is refused.
TEST_F(AdminServerTest, APeerWhoseUidIsNotAllowedIsRefusedAndRecorded) {
  options_.allowed_uids = {12345};
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<v1::Admin::Stub> stub = Connect();
  grpc::Status s = PutTrust(*stub, PublicJwks(random(), {"k1"}));
  EXPECT_EQ(s.error_code(), grpc::UNAVAILABLE) << s.error_message();
  // Nothing changed.
  ASSERT_OK_AND_ASSIGN(int64_t counter, store().GetChangeCounter());
  EXPECT_EQ(counter, 0);
  EXPECT_EQ(changes(), 0);
  ASSERT_THAT(audit().records(), SizeIs(1));
  const audit::Record r = audit().records()[0];
  EXPECT_EQ(r.type, "admin.denied");
  EXPECT_EQ(r.fields.dump(),
            absl::StrCat(
                R"({"status":"PERMISSION_DENIED","message":"uid )", geteuid(),
                " may not use the admin socket (allowed uids: "
                "12345); run secretctl as the broker's user\",",
                R"("peer_uid":)", geteuid(), R"(,"peer_pid":)", getpid(), "}"));
  EXPECT_EQ(server->stats().refused, 1u);
  EXPECT_EQ(server->stats().accepted, 0u);
}

TEST_F(AdminServerTest, AsRootAChildWithAnotherUidIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to change uid";
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  // The socket's mode keeps the other uid out before any check of ours.
  const int blocked = ConnectAsUid(kNobody);
  if (blocked == 10) GTEST_SKIP() << "cannot change uid in this sandbox";
  EXPECT_EQ(blocked, 20) << "connect should fail with EACCES";
  EXPECT_THAT(audit().records(), SizeIs(0));

  // With the mode opened up, SO_PEERCRED still refuses the peer.
  ASSERT_EQ(chmod(options_.socket_path.c_str(), 0666), 0);
  EXPECT_EQ(ConnectAsUid(kNobody), 0) << "the server should close at once";
  ASSERT_THAT(audit().records(), SizeIs(1));
  const audit::Record r = audit().records()[0];
  EXPECT_EQ(r.type, "admin.denied");
  EXPECT_EQ(r.fields["peer_uid"], 65534);
  EXPECT_EQ(r.fields["peer_pid"], last_child_pid_);
  EXPECT_EQ(r.fields["message"],
            "uid 65534 may not use the admin socket (allowed uids: 0); run "
            "secretctl as the broker's user");
  EXPECT_EQ(server->stats().refused, 1u);
  // The broker's own uid is still served.
  std::unique_ptr<v1::Admin::Stub> stub = Connect();
  EXPECT_EQ(PutTrust(*stub, PublicJwks(random(), {"k1"})).error_code(),
            grpc::OK);
}

TEST_F(AdminServerTest, ARefusedPeerIsClosedEvenWhenTheAuditLogFails) {
  options_.allowed_uids = {12345};
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  audit().SetFailing(true);
  std::unique_ptr<v1::Admin::Stub> stub = Connect();
  EXPECT_EQ(PutTrust(*stub, PublicJwks(random(), {"k1"})).error_code(),
            grpc::UNAVAILABLE);
  EXPECT_EQ(server->stats().refused, 1u);
}

TEST_F(AdminServerTest, EveryConnectionIsChecked) {
  options_.allowed_uids = {12345, geteuid()};
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  for (int i = 0; i < 3; ++i) {
    std::unique_ptr<v1::Admin::Stub> stub = Connect();
    EXPECT_EQ(PutTrust(*stub, PublicJwks(random(), {"k1"})).error_code(),
              grpc::OK);
  }
  EXPECT_EQ(server->stats().accepted, 3u);
}

TEST_F(AdminServerTest, RequestsOverTheSizeLimitAreRefusedByGrpc) {
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<v1::Admin::Stub> stub = Connect();
  grpc::Status s = PutTrust(*stub, std::string(kMaxAdminMessageBytes, 'x'));
  EXPECT_EQ(s.error_code(), grpc::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(audit().records(), SizeIs(0));
}

TEST_F(AdminServerTest, StartRefusesAPathInUseOrNotASocket) {
  std::unique_ptr<AdminServer> first = StartServer();
  ASSERT_NE(first, nullptr);
  EXPECT_THAT(AdminServer::Start(options_, service()),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("another process is listening")));
  first->Shutdown();
  { std::ofstream(options_.socket_path) << "not a socket"; }
  EXPECT_THAT(AdminServer::Start(options_, service()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("exists and is not a socket")));
  options_.socket_path = "";
  EXPECT_THAT(AdminServer::Start(options_, service()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AdminServerTest, StartReplacesAStaleSocket) {
  {
    ASSERT_OK_AND_ASSIGN(UnixListener stale,
                         ListenUnixSocket(options_.socket_path, 0600));
  }  // closed: the file stays, nobody listens
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<v1::Admin::Stub> stub = Connect();
  EXPECT_EQ(PutTrust(*stub, PublicJwks(random(), {"k1"})).error_code(),
            grpc::OK);
}

TEST_F(AdminServerTest, ShutdownRemovesTheSocketAndLeaksNoDescriptors) {
  // gRPC keeps a few process-wide descriptors once started: warm it up.
  StartServer()->Shutdown();
  const int before = CountOpenFds();
  {
    std::unique_ptr<AdminServer> server = StartServer();
    ASSERT_NE(server, nullptr);
    {
      std::unique_ptr<v1::Admin::Stub> a = Connect();
      std::unique_ptr<v1::Admin::Stub> b = Connect();
      EXPECT_EQ(PutTrust(*a, PublicJwks(random(), {"k1"})).error_code(),
                grpc::OK);
      EXPECT_EQ(PutTrust(*b, PublicJwks(random(), {"k2"})).error_code(),
                grpc::OK);
    }
    server->Shutdown();
    EXPECT_EQ(access(options_.socket_path.c_str(), F_OK), -1);
    server->Shutdown();  // idempotent
  }
  EXPECT_EQ(CountOpenFds(), before);
  // A new server can take the path at once.
  EXPECT_NE(StartServer(), nullptr);
}

TEST_F(AdminServerTest, ClientsOfAShutDownServerFindNothingListening) {
  std::unique_ptr<AdminServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  server.reset();  // the destructor shuts down
  EXPECT_THAT(ConnectUnixSocket(options_.socket_path),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace secretd
